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
        Assert.DoesNotContain(result.Checkups, c => c.AllPassed); // too little training to clear a bar: the score decides alone
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
    public void Until_both_clear_every_bar_the_score_decides_then_the_head_to_head()
    {
        Checkup At(int iteration, double chaser, double cautious, double ffa, double vsBest = double.NaN, double lost = double.NaN) =>
            new(iteration, 0, 0, 100, chaser, cautious, ffa, vsBest, lost);
        var passing = At(1, 0.95, 0.97, 0.70);

        Assert.True(At(2, 0.1, 0.1, 0.1).Replaces(null));
        Assert.True(At(2, 0.95, 0.92, 0.65).Replaces(At(1, 0.95, 0.92, 0.55)));     // clears a bar more
        Assert.False(At(2, 0.95, 0.92, 0.55).Replaces(At(1, 0.95, 0.92, 0.58)));    // clears the same, wins less
        Assert.True(At(2, 0.95, 0.92, 0.58).Replaces(At(1, 0.95, 0.92, 0.58)));     // a tie: the later one
        Assert.False(At(2, 0.95, 0.92, 0.55).Replaces(passing));                    // a bar fewer: no duel can make up for it
        Assert.True(At(2, 0.99, 0.96, 0.19).Replaces(At(1, 0.81, 0.79, 0.42)));     // clears the duel bar: first, whatever the free-for-alls
        Assert.False(At(2, 0.81, 0.79, 0.59).Replaces(At(1, 0.90, 0.90, 0.10)));    // and one that does not, however many free-for-alls it wins

        // Both clear every bar: the bots' win rates no longer count, the duels between the two do.
        Assert.True(passing.NeedsHeadToHead(passing));
        Assert.True(At(2, 0.91, 0.90, 0.60, vsBest: 0.40, lost: 0.30).Replaces(passing));
        Assert.False(At(2, 1.0, 1.0, 0.99, vsBest: 0.30, lost: 0.40).Replaces(passing));
        Assert.False(At(2, 1.0, 1.0, 0.99, vsBest: 0.30, lost: 0.30).Replaces(passing)); // it must win more than it loses
    }

    [Fact]
    public void A_head_to_head_is_seeded_and_accounts_for_every_episode()
    {
        var spec = ArenaTraining.DefaultPpo.NetworkSpec(Sim.Contract.ObservationSize, Sim.Contract.ActionCount);
        var a = new ActorCriticNetwork(spec, seed: 3);
        var b = new ActorCriticNetwork(spec, seed: 4);
        var checkup = new Checkup(1, 0, 0, 20, 1, 1, 1);
        var first = checkup.WithHeadToHead(a, b, Sim.FighterSpec.Standard, Sim.RewardWeights.Default, 300);
        var again = checkup.WithHeadToHead(a, b, Sim.FighterSpec.Standard, Sim.RewardWeights.Default, 300);
        Assert.Equal((first.VsBest, first.LostToBest), (again.VsBest, again.LostToBest));
        Assert.InRange(first.VsBest + first.LostToBest, 0, 1);
        Assert.Equal(first.VsBest, first.ToMetrics()["eval_vs_best"]);
        Assert.DoesNotContain("eval_vs_best", checkup.ToMetrics().Keys); // not played: not reported
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
