using System.Text.Json;
using Ringside.Learning.Arena;

namespace Ringside.Learning.Tests.Arena;

/// <summary>Training evaluates itself at regular points, and the best checkpoint is the one with the best evaluation.</summary>
public sealed class CheckupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ringside-checkup-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private ArenaTrainingOptions Options(long steps, long every) => new()
    {
        OutDir = _dir,
        Steps = steps,
        Seed = 7,
        Fighters = [2, 4],
        EvaluateEverySteps = every,
        EvaluationEpisodes = 6,
        Ppo = ArenaTraining.DefaultPpo with { NumEnvs = 8, NumSteps = 64, NumMinibatches = 2, UpdateEpochs = 1, Threads = 1, GradientShards = 1 },
    };

    [Fact]
    public void Checkups_run_every_interval_and_at_the_end_and_best_is_the_best_checkups_checkpoint()
    {
        var lines = new List<ArenaIterationMetrics>();
        var result = ArenaTraining.Run(Options(steps: 7 * 512, every: 2 * 512), lines.Add);

        // Every second iteration and the last one (7).
        Assert.Equal(new[] { 2, 4, 6, 7 }, result.Checkups.Select(c => c.Iteration));
        Assert.Equal(new[] { 2, 4, 6, 7 }, lines.Where(l => l.Checkup is not null).Select(l => l.Ppo.Iteration));
        foreach (var c in result.Checkups)
        {
            Assert.InRange(c.VsChaser, 0, 1);
            Assert.InRange(c.VsCautious, 0, 1);
            Assert.InRange(c.FreeForAll, 0, 1);
            Assert.Equal(6, c.Episodes);
        }
        var best = result.Checkups.Where(c => c.Score == result.Checkups.Max(x => x.Score)).Last();
        Assert.Equal(best, result.Best);
        Assert.Equal(best.Iteration, lines.Last(l => l.NewBest).Ppo.Iteration); // "new best model saved" was said of it
        Assert.All(lines.Where(l => l.NewBest), l => Assert.NotNull(l.Checkup));

        // best.safetensors holds that checkup and its weights: evaluated again, it scores the same.
        var stored = ArenaTraining.CheckupOf(result.BestModelPath)!;
        Assert.Equal((best.Iteration, best.VsChaser, best.VsCautious, best.FreeForAll), (stored.Iteration, stored.VsChaser, stored.VsCautious, stored.FreeForAll));
        var network = Checkpoint.Load(result.BestModelPath).Network;
        var again = Checkup.Run(network, Sim.FighterSpec.Standard, Options(1, 1).EffectiveWeights, Sim.ArenaRules.DefaultMaxTicks, 6, 0, 0, 0);
        Assert.Equal((best.VsChaser, best.VsCautious, best.FreeForAll), (again.VsChaser, again.VsCautious, again.FreeForAll));

        // metrics.jsonl carries each checkup on its iteration's line.
        var evaluated = File.ReadAllLines(Path.Combine(_dir, ArenaTraining.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.GetProperty("evaluation").ValueKind == JsonValueKind.Object).Select(l => l.GetProperty("iteration").GetInt32());
        Assert.Equal(new[] { 2, 4, 6, 7 }, evaluated);
    }

    [Fact]
    public void A_run_stopped_by_its_time_limit_ends_with_a_checkup_and_its_best_checkpoint()
    {
        var result = ArenaTraining.Run(Options(steps: 100_000_000, every: 1_000_000_000) with { MaxTime = TimeSpan.FromSeconds(1) });
        Assert.True(result.StoppedByTime);
        var last = Assert.Single(result.Checkups); // the interval is never reached: only the final one
        Assert.Equal(result.Iterations, last.Iteration);
        Assert.Equal(last, result.Best);
        Assert.NotNull(ArenaTraining.CheckupOf(result.BestModelPath));
    }
}
