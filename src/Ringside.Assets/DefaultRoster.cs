namespace Ringside.Assets;

/// <summary>A built-in wrestler. <paramref name="Name"/> is kebab-case and names the file, <c>{Name}.glb</c>.</summary>
public sealed record RosterEntry(string Name, string DisplayName, float Size, float Speed, Colour Skin, Colour Outfit, Colour Accent, bool Masked = false)
{
    public string FileName => $"{Name}.glb";

    public FighterLook Look => new(Size, Speed, Skin, Outfit, Accent, Masked);
}

/// <summary>The wrestlers that ship with Ringside, spanning the sim's size and speed range.</summary>
public static class DefaultRoster
{
    public static IReadOnlyList<RosterEntry> Entries { get; } =
    [
        Entry("iron-mountain", "Iron Mountain", 1.4f, 0.75f, "#c68642", "#1f3a93", "#f1c40f"),     // heavyweight
        Entry("el-relampago", "El Relampago", 0.8f, 1.35f, "#e0ac69", "#16a085", "#e84393", masked: true), // luchador
        Entry("rocket-ray", "Rocket Ray", 1.0f, 1.0f, "#f1c27d", "#ecf0f1", "#e74c3c"),             // the all-rounder
        Entry("big-bertha", "Big Bertha", 1.25f, 0.85f, "#ffdbac", "#8e44ad", "#ff9f1a"),
        Entry("viper-vance", "Viper Vance", 0.9f, 1.2f, "#8d5524", "#1e8449", "#a3e635"),
        Entry("shadow-kid", "Shadow Kid", 0.7f, 1.5f, "#d19a6a", "#2d3436", "#00cec9", masked: true),
        Entry("the-brawler", "The Brawler", 1.1f, 0.95f, "#e8b98a", "#c0392b", "#34495e"),
        Entry("golden-titan", "Golden Titan", 1.6f, 0.6f, "#a0522d", "#b7950b", "#17202a"),         // super-heavyweight
    ];

    public static RosterEntry? Find(string name) => Entries.FirstOrDefault(e => e.Name == name);

    /// <summary>The entry's GLB; the same bytes on every call.</summary>
    public static byte[] Build(RosterEntry entry) => FighterModelBuilder.Build(entry.Look).ToGlb();

    private static RosterEntry Entry(string name, string displayName, float size, float speed, string skin, string outfit, string accent, bool masked = false) =>
        new(name, displayName, size, speed, Colour.FromHex(skin), Colour.FromHex(outfit), Colour.FromHex(accent), masked);
}
