namespace Ringside.Cli.Tests;

/// <summary><c>bench personalities</c> trains a low and a high profile per slider and seed and reports each measure per seed.</summary>
[Collection(nameof(CliCollection))]
public class BenchPersonalitiesTests
{
    [Fact]
    public void OneSlider_TwoSeeds_ReportsEachMeasurePerSeedWithItsBar()
    {
        string keep = Directory.CreateTempSubdirectory("ringside-personalities-").FullName;
        var result = Cli.Run("bench", "personalities", "--sliders", "aggression", "--seeds", "4,5", "--steps", "16384", "--episodes", "4", "--keep", keep, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        // --keep leaves each profile's run folder, to look at a surprising fighter afterwards.
        Assert.Equal(["aggression-10-seed-4", "aggression-10-seed-5", "aggression-90-seed-4", "aggression-90-seed-5"],
            Directory.GetDirectories(keep).Select(Path.GetFileName).Order());
        Assert.All(Directory.GetDirectories(keep), d => Assert.True(File.Exists(Path.Combine(d, "best.safetensors")), d));
        Directory.Delete(keep, recursive: true);
        var json = result.Json;
        Assert.Equal([4UL, 5UL], json.GetProperty("seeds").EnumerateArray().Select(s => s.GetUInt64()));
        var measures = json.GetProperty("measures").EnumerateArray().ToArray();
        Assert.Equal(["attacks_per_second", "mean_distance_to_nearest_enemy"], measures.Select(m => m.GetProperty("measure").GetString()));
        Assert.All(measures, m => Assert.Equal("aggression", m.GetProperty("slider").GetString()));
        Assert.Equal(1.5, measures[0].GetProperty("min_ratio").GetDouble());
        bool every = true;
        foreach (var m in measures)
        {
            var perSeed = m.GetProperty("per_seed").EnumerateArray().ToArray();
            Assert.Equal([4UL, 5UL], perSeed.Select(p => p.GetProperty("seed").GetUInt64()));
            foreach (var p in perSeed)
            {
                Assert.True(p.GetProperty("at_10").GetDouble() >= 0);
                Assert.True(p.GetProperty("at_90").GetDouble() >= 0);
                every &= p.GetProperty("moved_as_stated").GetBoolean();
            }
            Assert.Equal(perSeed.Count(p => p.GetProperty("moved_as_stated").GetBoolean()), m.GetProperty("seeds_moved_as_stated").GetInt32());
        }
        Assert.Equal(every, json.GetProperty("every_seed_moved_as_stated").GetBoolean());
        var profiles = json.GetProperty("profiles").EnumerateArray().ToArray();
        Assert.Equal(4, profiles.Length); // 10 and 90, two seeds each
        Assert.Equal([10.0, 10.0, 90.0, 90.0], profiles.Select(p => p.GetProperty("at").GetDouble()));
        Assert.All(profiles, p => Assert.InRange(p.GetProperty("vs_chaser").GetDouble(), 0, 1));
    }

    [Fact]
    public void BadSeeds_AreRefusedWithAMessage()
    {
        var result = Cli.Run("bench", "personalities", "--seeds", "one");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--seeds", result.Err);
    }
}
