using System.Text.RegularExpressions;

namespace Ringside.Assets.Tests;

public class DefaultRosterTests
{
    private static double Distance(Colour a, Colour b) =>
        Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));

    [Fact]
    public void Roster_has_at_least_six_uniquely_named_wrestlers_within_the_contract_range()
    {
        IReadOnlyList<RosterEntry> roster = DefaultRoster.Entries;
        Assert.True(roster.Count >= 6);
        Assert.Equal(roster.Count, roster.Select(e => e.Name).Distinct().Count());
        Assert.Equal(roster.Count, roster.Select(e => e.DisplayName).Distinct().Count());
        Assert.All(roster, e =>
        {
            Assert.Matches(new Regex("^[a-z0-9]+(-[a-z0-9]+)*$"), e.Name);
            Assert.Equal($"{e.Name}.glb", e.FileName);
            Assert.InRange(e.Size, 0.5f, 2f);
            Assert.InRange(e.Speed, 0.5f, 2f);
        });
        Assert.Contains(roster, e => e.Size >= 1.3f && e.Speed <= 0.8f);  // a big slow heavyweight
        Assert.Contains(roster, e => e.Size <= 0.85f && e.Speed >= 1.3f); // a small fast one
        Assert.Same(roster[0], DefaultRoster.Find(roster[0].Name));
        Assert.Null(DefaultRoster.Find("nobody"));
    }

    [Fact]
    public void Colours_are_distinct_within_each_wrestler_and_across_the_roster()
    {
        IReadOnlyList<RosterEntry> roster = DefaultRoster.Entries;
        foreach (RosterEntry e in roster)
        {
            Assert.True(Distance(e.Skin, e.Outfit) > 60, $"{e.Name}: skin and outfit too close");
            Assert.True(Distance(e.Skin, e.Accent) > 60, $"{e.Name}: skin and accent too close");
            Assert.True(Distance(e.Outfit, e.Accent) > 60, $"{e.Name}: outfit and accent too close");
        }
        for (int i = 0; i < roster.Count; i++)
            for (int j = i + 1; j < roster.Count; j++)
            {
                Assert.True(Distance(roster[i].Outfit, roster[j].Outfit) > 50, $"{roster[i].Name} and {roster[j].Name} wear similar outfits");
                Assert.NotEqual((roster[i].Size, roster[i].Speed), (roster[j].Size, roster[j].Speed));
            }
    }

    [Fact]
    public void Builds_are_deterministic_and_differ_between_wrestlers()
    {
        var first = DefaultRoster.Entries.Select(DefaultRoster.Build).ToList();
        var second = DefaultRoster.Entries.Select(DefaultRoster.Build).ToList();
        for (int i = 0; i < first.Count; i++)
            Assert.Equal(first[i], second[i]);
        Assert.Equal(first.Count, first.Select(Convert.ToBase64String).Distinct().Count());
    }

    [Fact]
    public void Every_roster_glb_passes_the_validator_with_all_standard_clips()
    {
        foreach (RosterEntry entry in DefaultRoster.Entries)
        {
            byte[] glb = DefaultRoster.Build(entry);
            GlbValidation result = GlbValidator.Validate(glb, 1_000_000);
            Assert.True(result.IsValid, $"{entry.Name}: {string.Join("; ", result.Errors)}");
            Assert.True(result.HasStandardClips);
            Assert.Equal(FighterClips.Standard, result.ClipNames);
            Assert.Equal(1, result.MeshCount);
            Assert.Equal(1, result.SkinCount);
            Assert.Equal(FighterModelBuilder.JointNames.Count + 1, result.NodeCount);
            Assert.InRange(glb.Length, 10_000, 200_000);
        }
    }

    [Fact]
    public void Colours_parse_from_hex_and_convert_to_linear()
    {
        Colour c = Colour.FromHex("#FF8000");
        Assert.Equal(new Colour(255, 128, 0), c);
        Assert.Equal("#ff8000", c.Hex);
        Assert.Equal(new[] { 1f, 0.21586f, 0f }, c.ToLinear());
        Assert.Throws<ArgumentException>(() => Colour.FromHex("#12345"));
        Assert.Throws<ArgumentException>(() => Colour.FromHex("#12345g"));
    }
}
