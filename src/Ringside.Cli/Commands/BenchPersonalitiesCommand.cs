using System.CommandLine;
using System.Globalization;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside bench personalities</c>: does each slider do what docs/CONTRACT.md says? For each slider, a profile at 10
/// and one at 90 (the others at 50) are trained with the same recipe, seed and budget, then evaluated (seeded, playing as
/// they do in the arena) and the slider's measures printed side by side with the direction the contract states.
/// </summary>
public static class BenchPersonalitiesCommand
{
    /// <summary>A slider's measure: where it comes from and which way the slider should move it.</summary>
    /// <param name="MinRatio">issue 13's bar where it sets one: at 90 at least this many times the figure at 10.</param>
    /// <param name="MinDifference">issue 13's bar where it sets one: at 90 at least this much more than at 10.</param>
    private sealed record Measure(string Slider, string Name, string LineUp, Func<BehaviourFingerprint, double> Of, int Direction,
        double MinRatio = 0, double MinDifference = 0)
    {
        public bool Holds(double at10, double at90) =>
            (Direction > 0 ? at90 > at10 : at90 < at10) && (MinRatio == 0 || at90 >= MinRatio * at10) && (MinDifference == 0 || at90 - at10 >= MinDifference);
    }

    private static readonly Measure[] Measures =
    [
        new("aggression", "attacks_per_second", "duels", f => f.AttacksPerSecond, +1, MinRatio: 1.5),
        new("aggression", "mean_distance_to_nearest_enemy", "duels", f => f.MeanDistanceToNearestEnemy, -1),
        new("positioning", "mean_distance_to_edge", "duels", f => f.MeanDistanceToEdge, +1, MinDifference: 1.0),
        new("targeting", "hits_on_weakest", "free_for_all", f => f.HitsOnWeakest, +1),
        new("risk_tolerance", "time_exposed", "duels", f => f.TimeExposed, +1),
        new("risk_tolerance", "damage_taken_per_episode", "duels", f => f.DamageTakenPerEpisode, +1),
        new("endurance", "health_kept", "duels", f => f.HealthKept, +1),
        new("endurance", "seconds_survived", "free_for_all", f => f.SecondsSurvived, +1),
    ];

    private static readonly string[] Sliders = ["aggression", "positioning", "targeting", "risk_tolerance", "endurance"];

    public static Command Create()
    {
        var steps = new Option<long>("--steps") { Description = "Training steps per profile.", DefaultValueFactory = _ => 6 * ArenaTraining.DefaultEpochSteps };
        var seeds = new Option<string>("--seeds") { Description = "Training seeds, comma-separated: every profile is trained once per seed, and each measure is reported per seed.", DefaultValueFactory = _ => "1,2,3" };
        var episodes = new Option<int>("--episodes") { Description = "Evaluation episodes per line-up.", DefaultValueFactory = _ => 200 };
        var only = new Option<string?>("--sliders") { Description = "Only these sliders (comma-separated)." };
        var keep = new Option<string?>("--keep") { Description = "Keep each profile's run folder under this directory (SLIDER-VALUE-seed-SEED) instead of deleting it." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("personalities", "Trains a low (10) and a high (90) profile per slider, others at 50, and prints the measures each slider should move.")
            { steps, seeds, episodes, only, keep, json };
        command.SetAction(p => Output.Guard(() => Run(p.GetValue(steps), ParseSeeds(p.GetValue(seeds)!), p.GetValue(episodes), Output.SplitList(p.GetValue(only)), p.GetValue(keep), p.GetValue(json))));
        return command;
    }

    private static string Expected(Measure m) =>
        m.MinRatio > 0 ? $"up {m.MinRatio}x" : m.MinDifference > 0 ? $"up {m.MinDifference}" : m.Direction > 0 ? "up" : "down";

    private static ulong[] ParseSeeds(string text)
    {
        var parts = Output.SplitList(text);
        if (parts.Length == 0) throw new ArgumentException("--seeds: name at least one seed.");
        return parts.Select(t => ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s
            : throw new ArgumentException($"--seeds: '{t}' is not a seed (a whole number from 0).")).ToArray();
    }

    private static int Run(long steps, ulong[] seeds, int episodes, string[] only, string? keep, bool json)
    {
        if (steps <= 0) throw new ArgumentException($"--steps must be positive, got {steps}.");
        if (episodes < 1) throw new ArgumentException($"--episodes must be at least 1, got {episodes}.");
        foreach (var s in only)
            if (!Sliders.Contains(s)) throw new ArgumentException($"--sliders: unknown slider '{s}'; expected {string.Join(", ", Sliders)}.");
        var rows = new List<object>();
        var profiles = new List<TrainedProfile>();
        bool allMoved = true;
        foreach (string slider in Sliders.Where(s => only.Length == 0 || only.Contains(s)))
        {
            var low = seeds.Select(seed => TrainAndEvaluate(slider, 10, steps, seed, episodes, keep, json)).ToArray();
            var high = seeds.Select(seed => TrainAndEvaluate(slider, 90, steps, seed, episodes, keep, json)).ToArray();
            profiles.AddRange(low.Concat(high));
            foreach (var m in Measures.Where(m => m.Slider == slider))
            {
                double[] a = low.Select(f => m.Of(f.Fingerprints[m.LineUp])).ToArray(), b = high.Select(f => m.Of(f.Fingerprints[m.LineUp])).ToArray();
                bool[] moved = a.Zip(b, m.Holds).ToArray();
                allMoved &= moved.All(x => x);
                rows.Add(new
                {
                    slider,
                    measure = m.Name,
                    line_up = m.LineUp,
                    expected = m.Direction > 0 ? "up" : "down",
                    min_ratio = m.MinRatio,
                    min_difference = m.MinDifference,
                    per_seed = seeds.Select((seed, k) => new { seed, at_10 = a[k], at_90 = b[k], ratio = a[k] != 0 ? b[k] / a[k] : double.NaN, difference = b[k] - a[k], moved_as_stated = moved[k] }),
                    mean_at_10 = a.Average(),
                    mean_at_90 = b.Average(),
                    seeds_moved_as_stated = moved.Count(x => x),
                });
                if (json) continue;
                for (int k = 0; k < seeds.Length; k++)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{slider,-15} {m.Name,-32} ({m.LineUp,-12}) seed {seeds[k],-3} at 10: {a[k],8:F3}  at 90: {b[k],8:F3}  ({b[k] / a[k],5:F2}x, {b[k] - a[k]:+0.000;-0.000})  expected {Expected(m)} {(moved[k] ? "ok" : "NOT MET")}"));
            }
        }
        if (json) Output.WriteJson(new
        {
            steps,
            seeds,
            episodes,
            every_seed_moved_as_stated = allMoved,
            measures = rows,
            profiles = profiles.Select(p => new { p.Slider, at = p.Value, p.Seed, vs_chaser = p.VsChaser, vs_cautious = p.VsCautious, free_for_all = p.FreeForAll })
        });
        else Console.WriteLine(allMoved ? "every measure moved as stated on every seed" : "some measures did NOT move as stated");
        return 0;
    }

    /// <summary>A profile of the bench: its win rates (as evaluated) and its fingerprint per line-up ("duels", "free_for_all").</summary>
    private sealed record TrainedProfile(string Slider, float Value, ulong Seed, double VsChaser, double VsCautious, double FreeForAll,
        Dictionary<string, BehaviourFingerprint> Fingerprints);

    /// <summary>
    /// Trains a profile with <paramref name="slider"/> at <paramref name="value"/> and the others at 50, then evaluates it;
    /// its run folder is kept under <paramref name="keep"/> when that is given.
    /// </summary>
    private static TrainedProfile TrainAndEvaluate(string slider, float value, long steps, ulong seed, int episodes, string? keep, bool quiet)
    {
        float S(string name) => name == slider ? value : 50f;
        var personality = new Personality(S("aggression"), S("positioning"), S("targeting"), S("risk_tolerance"), S("endurance"));
        string dir = keep is not null ? Path.Combine(keep, $"{slider}-{value}-seed-{seed}")
                                      : Path.Combine(Path.GetTempPath(), $"ringside-personality-{Environment.ProcessId}-{slider}-{value}");
        try
        {
            var options = new ArenaTrainingOptions { Personality = personality, Seed = seed, Steps = steps, OutDir = dir, CheckpointEvery = int.MaxValue };
            var result = ArenaTraining.Run(options);
            var network = Checkpoint.Load(result.BestModelPath).Network;
            EvaluationResult Play(IReadOnlyList<string> opponents, int fighters) => Evaluation.Run(new NetworkPolicy(network, episodes, seed, Fighters.Greedy), new EvaluationOptions
            {
                Opponents = opponents,
                Fighters = fighters,
                Episodes = episodes,
                Seed = 0xBE4C,
                Weights = options.EffectiveWeights,
            });
            var chaser = Play(["chaser"], 2);
            var cautious = Play(["cautious"], 2);
            var ffa = Play(["chaser", "cautious", "random"], 4);
            if (!quiet) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{slider} {value}: {result.Steps / 1e6:F1}M steps in {result.WallSeconds:F0} s; wins {chaser.WinRate:P0} vs chaser, {cautious.WinRate:P0} vs cautious, {ffa.WinRate:P0} of free-for-alls"));
            return new TrainedProfile(slider, value, seed, chaser.WinRate, cautious.WinRate, ffa.WinRate, new()
            {
                ["duels"] = Average(chaser.Fingerprint, cautious.Fingerprint),
                ["free_for_all"] = ffa.Fingerprint,
            });
        }
        finally { if (keep is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    private static BehaviourFingerprint Average(BehaviourFingerprint a, BehaviourFingerprint b) => new(
        (a.AttacksPerSecond + b.AttacksPerSecond) / 2, (a.MeanDistanceToEdge + b.MeanDistanceToEdge) / 2,
        (a.MeanDistanceToNearestEnemy + b.MeanDistanceToNearestEnemy) / 2, (a.DamageDealtPerEpisode + b.DamageDealtPerEpisode) / 2,
        (a.DamageTakenPerEpisode + b.DamageTakenPerEpisode) / 2, (a.RungOutPerEpisode + b.RungOutPerEpisode) / 2,
        (a.HealthKept + b.HealthKept) / 2, (a.SecondsSurvived + b.SecondsSurvived) / 2, double.NaN, Mean(a.DistanceWhenHurt, b.DistanceWhenHurt),
        (a.TimeExposed + b.TimeExposed) / 2);

    /// <summary>The mean of two measures that may be missing (NaN): of those present.</summary>
    private static double Mean(double a, double b) => double.IsNaN(a) ? b : double.IsNaN(b) ? a : (a + b) / 2;
}
