namespace Ringside.Assets;

/// <summary>
/// The personality sliders (0-100, 50 neutral) of a built-in wrestler's signature profile: the fighter it ships with.
/// </summary>
public sealed record RosterSliders(float Aggression, float Positioning, float Targeting, float RiskTolerance, float Endurance);

/// <summary>A built-in wrestler. <paramref name="Name"/> is kebab-case and names the file, <c>{Name}.glb</c>.</summary>
public sealed record RosterEntry(string Name, string DisplayName, float Size, float Speed, Colour Skin, Colour Outfit, Colour Accent, bool Masked = false)
{
    /// <summary>Its signature profile's personality (set in <see cref="DefaultRoster.Entries"/>).</summary>
    public RosterSliders Sliders { get; init; } = new(50, 50, 50, 50, 50);

    public string FileName => $"{Name}.glb";

    public FighterLook Look => new(Size, Speed, Skin, Outfit, Accent, Masked);
}

/// <summary>The wrestlers that ship with Ringside, spanning the sim's size and speed range.</summary>
public static class DefaultRoster
{
    public static IReadOnlyList<RosterEntry> Entries { get; } =
    [
        // Sliders: aggression, positioning, targeting, risk tolerance, endurance.
        Entry("iron-mountain", "Iron Mountain", 1.4f, 0.75f, "#c68642", "#1f3a93", "#f1c40f")       // heavyweight: patient, keeps off the ropes
            with { Sliders = new(40, 75, 50, 35, 70) },
        Entry("el-relampago", "El Relampago", 0.8f, 1.35f, "#e0ac69", "#16a085", "#e84393", masked: true) // luchador: takes risks, lives on the ropes
            with { Sliders = new(65, 30, 50, 80, 40) },
        Entry("rocket-ray", "Rocket Ray", 1.0f, 1.0f, "#f1c27d", "#ecf0f1", "#e74c3c")              // the all-rounder: balanced
            with { Sliders = new(50, 50, 50, 50, 50) },
        Entry("big-bertha", "Big Bertha", 1.25f, 0.85f, "#ffdbac", "#8e44ad", "#ff9f1a")             // a bruiser who goes the distance
            with { Sliders = new(70, 50, 40, 55, 70) },
        // Size 1, not 0.9: at 0.9 its reach is shorter than the chaser's, whose strike (at 1.55 m) always lands before its own can,
        // and no run learned to win (0 % in 1v1 on three seeds).
        Entry("viper-vance", "Viper Vance", 1.0f, 1.2f, "#8d5524", "#1e8449", "#a3e635")             // quick, picks off the weakest
            with { Sliders = new(60, 45, 90, 55, 40) },
        Entry("shadow-kid", "Shadow Kid", 0.7f, 1.5f, "#d19a6a", "#2d3436", "#00cec9", masked: true)  // elusive: avoids exchanges, outlasts
            with { Sliders = new(25, 60, 50, 40, 90) },
        Entry("the-brawler", "The Brawler", 1.1f, 0.95f, "#e8b98a", "#c0392b", "#34495e")           // all-out attack
            with { Sliders = new(90, 40, 50, 70, 35) },
        Entry("golden-titan", "Golden Titan", 1.6f, 0.6f, "#a0522d", "#b7950b", "#17202a")           // super-heavyweight: holds the centre
            with { Sliders = new(45, 90, 50, 20, 60) },
    ];

    /// <summary>Name of the profile each built-in wrestler ships with.</summary>
    public const string SignatureProfile = "signature";

    /// <summary>Where the trained models and their evaluations (roster.json) are: Roster/ beside the assembly, copied from src/Ringside.Assets/Roster.</summary>
    public static string ModelsDir => Path.Combine(AppContext.BaseDirectory, "Roster");

    public static string ModelPath(RosterEntry entry) => Path.Combine(ModelsDir, entry.Name + ".safetensors");

    public static RosterEntry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>The entry's GLB; the same bytes on every call.</summary>
    public static byte[] Build(RosterEntry entry) => FighterModelBuilder.Build(entry.Look).ToGlb();

    private static RosterEntry Entry(string name, string displayName, float size, float speed, string skin, string outfit, string accent, bool masked = false) =>
        new(name, displayName, size, speed, Colour.FromHex(skin), Colour.FromHex(outfit), Colour.FromHex(accent), masked);
}
