using System.CommandLine;
using System.Globalization;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside bench personalities</c>: does each slider do what docs/CONTRACT.md says? For each slider, a profile at 10
/// and one at 90 (the others at 50) are trained with the same recipe, seed and budget, then evaluated (greedy, seeded)
/// and the slider's measures printed side by side with the direction the contract states.
/// </summary>
public static class BenchPersonalitiesCommand
{
    /// <summary>A slider's measure: where it comes from and which way the slider should move it.</summary>
    private sealed record Measure(string Slider, string Name, string LineUp, Func<BehaviourFingerprint, double> Of, int Direction);

    private static readonly Measure[] Measures =
    [
        new("aggression", "attacks_per_second", "duels", f => f.AttacksPerSecond, +1),
        new("aggression", "mean_distance_to_nearest_enemy", "duels", f => f.MeanDistanceToNearestEnemy, -1),
        new("positioning", "mean_distance_to_edge", "duels", f => f.MeanDistanceToEdge, +1),
        new("targeting", "hits_on_weakest", "free_for_all", f => f.HitsOnWeakest, +1),
        new("risk_tolerance", "rung_out_per_episode", "free_for_all", f => f.RungOutPerEpisode, +1),
        new("risk_tolerance", "damage_taken_per_episode", "duels", f => f.DamageTakenPerEpisode, +1),
        new("endurance", "health_kept", "duels", f => f.HealthKept, +1),
        new("endurance", "seconds_survived", "free_for_all", f => f.SecondsSurvived, +1),
    ];

    private static readonly string[] Sliders = ["aggression", "positioning", "targeting", "risk_tolerance", "endurance"];

    public static Command Create()
    {
        var steps = new Option<long>("--steps") { Description = "Training steps per profile.", DefaultValueFactory = _ => 6 * ArenaTraining.DefaultEpochSteps };
        var seed = new Option<int>("--seed") { Description = "Training seed (the same for every profile).", DefaultValueFactory = _ => 1 };
        var episodes = new Option<int>("--episodes") { Description = "Evaluation episodes per line-up.", DefaultValueFactory = _ => 200 };
        var only = new Option<string?>("--sliders") { Description = "Only these sliders (comma-separated)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("personalities", "Trains a low (10) and a high (90) profile per slider, others at 50, and prints the measures each slider should move.")
            { steps, seed, episodes, only, json };
        command.SetAction(p => Output.Guard(() => Run(p.GetValue(steps), (ulong)p.GetValue(seed), p.GetValue(episodes), Output.SplitList(p.GetValue(only)), p.GetValue(json))));
        return command;
    }

    private static int Run(long steps, ulong seed, int episodes, string[] only, bool json)
    {
        if (steps <= 0) throw new ArgumentException($"--steps must be positive, got {steps}.");
        if (episodes < 1) throw new ArgumentException($"--episodes must be at least 1, got {episodes}.");
        foreach (var s in only)
            if (!Sliders.Contains(s)) throw new ArgumentException($"--sliders: unknown slider '{s}'; expected {string.Join(", ", Sliders)}.");
        var rows = new List<object>();
        foreach (string slider in Sliders.Where(s => only.Length == 0 || only.Contains(s)))
        {
            var low = TrainAndEvaluate(slider, 10, steps, seed, episodes, json);
            var high = TrainAndEvaluate(slider, 90, steps, seed, episodes, json);
            foreach (var m in Measures.Where(m => m.Slider == slider))
            {
                double a = m.Of(low[m.LineUp]), b = m.Of(high[m.LineUp]);
                bool moved = m.Direction > 0 ? b > a : b < a;
                rows.Add(new
                {
                    slider,
                    measure = m.Name,
                    line_up = m.LineUp,
                    at_10 = a,
                    at_90 = b,
                    ratio = a != 0 ? b / a : double.NaN,
                    difference = b - a,
                    expected = m.Direction > 0 ? "up" : "down",
                    moved_as_stated = moved
                });
                if (!json) Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{slider,-15} {m.Name,-32} ({m.LineUp,-12}) at 10: {a,8:F3}  at 90: {b,8:F3}  ({(b / a),5:F2}x, {b - a:+0.000;-0.000})  expected {(m.Direction > 0 ? "up  " : "down")} {(moved ? "ok" : "NOT MET")}"));
            }
        }
        if (json) Output.WriteJson(new { steps, seed, episodes, measures = rows });
        return 0;
    }

    /// <summary>Trains a profile with <paramref name="slider"/> at <paramref name="value"/> and the others at 50; its fingerprint per line-up.</summary>
    private static Dictionary<string, BehaviourFingerprint> TrainAndEvaluate(string slider, float value, long steps, ulong seed, int episodes, bool quiet)
    {
        float S(string name) => name == slider ? value : 50f;
        var personality = new Personality(S("aggression"), S("positioning"), S("targeting"), S("risk_tolerance"), S("endurance"));
        string dir = Path.Combine(Path.GetTempPath(), $"ringside-personality-{Environment.ProcessId}-{slider}-{value}");
        try
        {
            var options = new ArenaTrainingOptions { Personality = personality, Seed = seed, Steps = steps, OutDir = dir, CheckpointEvery = int.MaxValue };
            var result = ArenaTraining.Run(options);
            var network = Checkpoint.Load(result.BestModelPath).Network;
            EvaluationResult Play(IReadOnlyList<string> opponents, int fighters) => Evaluation.Run(new NetworkPolicy(network, episodes, seed, greedy: true), new EvaluationOptions
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
            return new()
            {
                ["duels"] = Average(chaser.Fingerprint, cautious.Fingerprint),
                ["free_for_all"] = ffa.Fingerprint,
            };
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
    }

    private static BehaviourFingerprint Average(BehaviourFingerprint a, BehaviourFingerprint b) => new(
        (a.AttacksPerSecond + b.AttacksPerSecond) / 2, (a.MeanDistanceToEdge + b.MeanDistanceToEdge) / 2,
        (a.MeanDistanceToNearestEnemy + b.MeanDistanceToNearestEnemy) / 2, (a.DamageDealtPerEpisode + b.DamageDealtPerEpisode) / 2,
        (a.DamageTakenPerEpisode + b.DamageTakenPerEpisode) / 2, (a.RungOutPerEpisode + b.RungOutPerEpisode) / 2,
        (a.HealthKept + b.HealthKept) / 2, (a.SecondsSurvived + b.SecondsSurvived) / 2, double.NaN);
}
