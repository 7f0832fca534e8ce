using System.CommandLine;
using System.Globalization;
using Ringside.Learning.Arena;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside bench competence</c>: how long the default recipe takes, in wall-clock seconds of training on this
/// machine, until its periodic checkup first shows a competent fighter: 90 % in 1v1 against the chaser and against
/// the cautious bot, and last standing in 60 % of four-fighter free-for-alls. One run per seed; the spread is reported.
/// </summary>
public static class BenchCompetenceCommand
{
    public static Command Create()
    {
        var seeds = new Option<string>("--seeds") { Description = "Training seeds, one run each.", DefaultValueFactory = _ => "1,2,3" };
        var maxSeconds = new Option<double>("--max-seconds") { Description = "Give up a run after this many seconds of training.", DefaultValueFactory = _ => 180 };
        var keep = new Option<string?>("--keep") { Description = "Keep each run's folder under this directory (run-SEED) instead of deleting it." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("competence", "Seconds of default training until the periodic evaluation first clears the 1v1 bar (90 % vs chaser and cautious) and the free-for-all bar (60 % last standing).")
            { seeds, maxSeconds, keep, json };
        command.SetAction(p => Output.Guard(() => Run(Output.SplitList(p.GetValue(seeds)), p.GetValue(maxSeconds), p.GetValue(keep), p.GetValue(json))));
        return command;
    }

    private sealed record SeedRun(ulong Seed, double? DuelSeconds, long? DuelSteps, double? FreeForAllSeconds, long? FreeForAllSteps,
        double WallSeconds, long Steps, double Sps, IReadOnlyList<Checkup> Checkups);

    private static int Run(string[] seedList, double maxSeconds, string? keep, bool json)
    {
        if (seedList.Length == 0) throw new ArgumentException("--seeds: name at least one seed.");
        var seeds = seedList.Select(s => ulong.TryParse(s, CultureInfo.InvariantCulture, out ulong v) ? v : throw new ArgumentException($"--seeds: '{s}' is not a seed.")).ToArray();
        if (!(maxSeconds > 0) || !double.IsFinite(maxSeconds)) throw new ArgumentException($"--max-seconds must be positive, got {maxSeconds}.");

        var runs = new List<SeedRun>();
        foreach (ulong seed in seeds)
        {
            string dir = keep is not null ? Path.Combine(keep, $"run-{seed}") : Path.Combine(Path.GetTempPath(), $"ringside-competence-{Environment.ProcessId}-{seed}");
            try { runs.Add(RunSeed(seed, maxSeconds, dir, json)); }
            finally { if (keep is null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        }

        var summary = new
        {
            recipe = new
            {
                ArenaTraining.DefaultPpo.LearningRate,
                ArenaTraining.DefaultPpo.UpdateEpochs,
                ArenaTraining.DefaultPpo.EntCoef,
                fighters = new ArenaTrainingOptions { OutDir = "." }.Fighters,
                opponents = ArenaTraining.DefaultOpponents,
                outcome_reward = ArenaTraining.DefaultOutcomeReward,
                evaluate_every_steps = ArenaTraining.DefaultEvaluateEverySteps,
                evaluation_episodes = new ArenaTrainingOptions { OutDir = "." }.EvaluationEpisodes
            },
            machine = new { cores = Environment.ProcessorCount, os = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
            duel_seconds = Spread(runs.Select(r => r.DuelSeconds)),
            free_for_all_seconds = Spread(runs.Select(r => r.FreeForAllSeconds)),
            runs = runs.Select(r => new
            {
                seed = r.Seed,
                duel_seconds = r.DuelSeconds,
                duel_steps = r.DuelSteps,
                free_for_all_seconds = r.FreeForAllSeconds,
                free_for_all_steps = r.FreeForAllSteps,
                wall_seconds = r.WallSeconds,
                steps = r.Steps,
                steps_per_second = r.Sps,
                checkups = r.Checkups.Select(c => new { steps = c.Steps, seconds = c.WallSeconds, vs_chaser = c.VsChaser, vs_cautious = c.VsCautious, free_for_all = c.FreeForAll }),
            }),
        };
        if (json) Output.WriteJson(summary);
        else
        {
            foreach (var r in runs)
                Console.WriteLine($"seed {r.Seed}: 1v1 bar at {Show(r.DuelSeconds, r.DuelSteps)}, free-for-all bar at {Show(r.FreeForAllSeconds, r.FreeForAllSteps)} " +
                                  $"({r.Sps:N0} steps/s)");
            Console.WriteLine($"1v1 bar (90 % vs chaser and cautious): {summary.duel_seconds}; free-for-all bar (60 % last standing): {summary.free_for_all_seconds}");
        }
        return 0;
    }

    private static SeedRun RunSeed(ulong seed, double maxSeconds, string dir, bool quiet)
    {
        double? duelSeconds = null, ffaSeconds = null;
        long? duelSteps = null, ffaSteps = null;
        using var done = new CancellationTokenSource();
        var options = new ArenaTrainingOptions { OutDir = dir, Seed = seed, MaxTime = TimeSpan.FromSeconds(maxSeconds), CheckpointEvery = int.MaxValue };
        var result = ArenaTraining.Run(options, line =>
        {
            if (line.Checkup is not { } c) return;
            if (!quiet) Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {seed}: {c.WallSeconds,5:F1} s {c.Steps / 1e6,5:F1}M steps: {c.VsChaser:P0} vs chaser, {c.VsCautious:P0} vs cautious, {c.FreeForAll:P0} free-for-all"));
            if (duelSeconds is null && c.DuelsPassed) (duelSeconds, duelSteps) = (c.WallSeconds, c.Steps);
            if (ffaSeconds is null && c.FreeForAllPassed) (ffaSeconds, ffaSteps) = (c.WallSeconds, c.Steps);
            if (duelSeconds is not null && ffaSeconds is not null) done.Cancel(); // both bars cleared: the rest of the budget tells nothing
        }, cancellation: done.Token);
        return new SeedRun(seed, duelSeconds, duelSteps, ffaSeconds, ffaSteps, result.WallSeconds, result.Steps, result.Sps, result.Checkups);
    }

    private static string Show(double? seconds, long? steps) =>
        seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:F1} s ({steps / 1e6:F1}M steps)") : "not reached";

    /// <summary>"min / median / max s" over the runs that reached the bar, and how many did.</summary>
    private static string Spread(IEnumerable<double?> values)
    {
        var all = values.ToList();
        var reached = all.Where(v => v is not null).Select(v => v!.Value).Order().ToList();
        if (reached.Count == 0) return $"not reached in {all.Count} runs";
        double median = reached.Count % 2 == 1 ? reached[reached.Count / 2] : (reached[reached.Count / 2 - 1] + reached[reached.Count / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"{reached[0]:F1} / {median:F1} / {reached[^1]:F1} s (min / median / max), reached in {reached.Count} of {all.Count} runs");
    }
}
