using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>
/// What a periodic evaluation found: the policy's win rates in 1v1 against the chaser and against the cautious
/// bot, and how often it is last standing in a four-fighter free-for-all against the chaser, the cautious bot and the
/// random bot. Every checkup of a run plays the same seeded episodes, so two checkups compare the policies alone.
/// </summary>
/// <param name="VsBest">the share of 1v1 episodes won against the best checkpoint so far, and <paramref name="LostToBest"/> the
/// share lost to it; NaN when they did not meet (see <see cref="Replaces"/>).</param>
public sealed record Checkup(int Iteration, long Steps, double WallSeconds, int Episodes,
    double VsChaser, double VsCautious, double FreeForAll, double VsBest = double.NaN, double LostToBest = double.NaN)
{
    /// <summary>The bars a competent fighter clears (issue 13): 90 % in both duels, 60 % of free-for-alls.</summary>
    public const double DuelBar = 0.9, FreeForAllBar = 0.6;

    public bool DuelsPassed => VsChaser >= DuelBar && VsCautious >= DuelBar;
    public bool FreeForAllPassed => FreeForAll >= FreeForAllBar;

    /// <summary>
    /// How the best checkpoint is chosen: first whether it clears the 1v1 bar (1 or 0), then the share of the three bars
    /// cleared (each win rate over its bar, capped at 1), then the mean win rate. A model that clears every bar beats one
    /// that shines in one line-up only, and one that wins its duels beats one that does not, whatever their free-for-alls:
    /// a personality that holds the centre loses most free-for-alls by design, and ranked by the share alone, a checkpoint
    /// from early in its training that won 81 % of its duels and 42 % of its free-for-alls beat the final one at 99 % and
    /// 19 % (session 10).
    /// </summary>
    public double Score => (DuelsPassed ? 1 : 0)
                           + (Math.Min(1, VsChaser / DuelBar) + Math.Min(1, VsCautious / DuelBar) + Math.Min(1, FreeForAll / FreeForAllBar)) / 3
                           + 1e-3 * (VsChaser + VsCautious + FreeForAll) / 3;

    public bool AllPassed => DuelsPassed && FreeForAllPassed;

    /// <summary>
    /// Whether this checkup's policy needs to meet the best one's head to head to tell them apart: both clear every bar, so
    /// the bots no longer separate them.
    /// </summary>
    public bool NeedsHeadToHead(Checkup best) => AllPassed && best.AllPassed;

    /// <summary>
    /// Whether this checkup's policy replaces <paramref name="best"/> as the best checkpoint. Until both clear every bar, the
    /// better <see cref="Score"/> (ties: this later, better-trained one). Once both do, the bots no longer tell them apart:
    /// a fighter that beats every bot can still lose most of its duels to one that fights back. They then meet head to head
    /// (<see cref="VsBest"/>), and this one replaces the best if it wins more of those duels than it loses, as AlphaGo
    /// Zero's evaluator gates a new network against the best one so far.
    /// </summary>
    public bool Replaces(Checkup? best) =>
        best is null || (NeedsHeadToHead(best) ? VsBest > LostToBest : Score >= best.Score);

    public Dictionary<string, double> ToMetrics()
    {
        var metrics = new Dictionary<string, double>
        {
            ["eval_vs_chaser"] = VsChaser,
            ["eval_vs_cautious"] = VsCautious,
            ["eval_free_for_all"] = FreeForAll,
            ["eval_score"] = Score,
            ["eval_iteration"] = Iteration,
        };
        if (double.IsFinite(VsBest)) (metrics["eval_vs_best"], metrics["eval_lost_to_best"]) = (VsBest, LostToBest);
        return metrics;
    }

    /// <summary>
    /// Plays <paramref name="episodes"/> seeded episodes of each line-up with the policy of
    /// <paramref name="network"/> (copied: training may go on meanwhile), the three line-ups on parallel threads.
    /// </summary>
    public static Checkup Run(ActorCriticNetwork network, FighterSpec learner, RewardWeights weights, int maxTicks, int episodes,
        int iteration, long steps, double wallSeconds, ulong seed = 0xC4EC)
    {
        var snapshot = network.Clone();
        EvaluationOptions Options(IReadOnlyList<string> opponents, int fighters) => new()
        {
            Opponents = opponents,
            Fighters = fighters,
            Episodes = episodes,
            Seed = seed,
            Learner = learner,
            Weights = weights,
            MaxTicks = maxTicks,
        };
        var lineUps = new[] { Options(["chaser"], 2), Options(["cautious"], 2), Options(["chaser", "cautious", "random"], 4) };
        var rates = new double[lineUps.Length];
        Parallel.For(0, lineUps.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, k =>
            rates[k] = Evaluation.Run(new NetworkPolicy(snapshot, episodes, seed, Fighters.Greedy), lineUps[k]).WinRate);
        return new Checkup(iteration, steps, wallSeconds, episodes, rates[0], rates[1], rates[2]);
    }

    /// <summary>
    /// This checkup with its policy's 1v1 result against the best checkpoint's (<paramref name="best"/>): the same
    /// fighter, <see cref="Episodes"/> seeded episodes.
    /// </summary>
    public Checkup WithHeadToHead(ActorCriticNetwork network, ActorCriticNetwork best, FighterSpec learner, RewardWeights weights, int maxTicks,
        ulong seed = 0xB357)
    {
        var result = Evaluation.Run(new NetworkPolicy(network.Clone(), Episodes, seed, Fighters.Greedy),
            [(new NetworkPolicy(best, Episodes, seed ^ 1, Fighters.Greedy), learner)], "best",
            new EvaluationOptions { Opponents = [], Episodes = Episodes, Seed = seed, Learner = learner, Opponent = learner, Weights = weights, MaxTicks = maxTicks });
        return this with { VsBest = result.WinRate, LostToBest = result.LossRate };
    }
}
