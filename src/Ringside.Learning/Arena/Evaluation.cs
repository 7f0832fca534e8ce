using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>How a policy plays, measured over evaluation episodes (win rates, and a behaviour fingerprint; docs/CONTRACT.md, What each slider does).</summary>
/// <param name="RungOutPerEpisode">share of episodes in which the policy went over the ropes (risk tolerance).</param>
/// <param name="HealthKept">health at the end of an episode, 0 when eliminated, averaged (endurance).</param>
/// <param name="SecondsSurvived">seconds in the ring per episode (endurance).</param>
/// <param name="HitsOnWeakest">share of landed hits whose target was the weakest enemy standing, when there was a
/// choice (two or more enemies with different health): targeting, in free-for-alls; NaN without such a hit.</param>
/// <param name="DistanceWhenHurt">mean distance to the nearest enemy while below half health (risk tolerance: trade or back
/// off); NaN if never hurt.</param>
/// <param name="TimeExposed">share of the time in the ring spent where the nearest enemy could strike: within its reach,
/// its attack off cooldown (risk tolerance: stand and trade, or keep out of reach until it can strike first).</param>
public sealed record BehaviourFingerprint(
    double AttacksPerSecond,
    double MeanDistanceToEdge,
    double MeanDistanceToNearestEnemy,
    double DamageDealtPerEpisode,
    double DamageTakenPerEpisode,
    double RungOutPerEpisode = 0,
    double HealthKept = 0,
    double SecondsSurvived = 0,
    double HitsOnWeakest = double.NaN,
    double DistanceWhenHurt = double.NaN,
    double TimeExposed = 0);

public sealed record EvaluationResult(
    string Opponents,
    int Fighters,
    int Episodes,
    double WinRate,
    double DrawRate,
    double MeanReward,
    double MeanSeconds,
    int KnockoutsDealt,
    int RingOutsDealt,
    int KnockedOut,
    int RungOut,
    BehaviourFingerprint Fingerprint,
    /// <summary>Wins decided on health at the time limit (the rest were won by eliminating everyone).</summary>
    int WinsByDecision,
    /// <summary>Draws at the time limit, the fighters standing level on health: a standoff. The other draws ended with
    /// everyone going down on the same tick (<see cref="DrawsAllDown"/>).</summary>
    int DrawsAtTimeLimit)
{
    /// <summary>Episodes lost: neither won nor drawn.</summary>
    public double LossRate => Math.Max(0, 1 - WinRate - DrawRate); // not −0.0000001 from rounding

    /// <summary>Draws in which the last fighters went down together, such as a double knockout.</summary>
    public int DrawsAllDown => (int)Math.Round(DrawRate * Episodes) - DrawsAtTimeLimit;
}

/// <summary>What to evaluate against. Opponent slot s (1..fighters-1) is <c>Opponents[(s-1) % Opponents.Count]</c>.</summary>
public sealed record EvaluationOptions
{
    public required IReadOnlyList<string> Opponents { get; init; }
    public int Fighters { get; init; } = 2;
    public int Episodes { get; init; } = 200;
    public ulong Seed { get; init; } = 1;
    public FighterSpec Learner { get; init; } = FighterSpec.Standard;
    public FighterSpec Opponent { get; init; } = FighterSpec.Standard;
    public RewardWeights Weights { get; init; } = RewardWeights.Default;
    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;

    public void Validate()
    {
        if (Episodes < 1) throw new ArgumentException($"episodes must be at least 1, got {Episodes}.", "episodes");
        if (Fighters is < ArenaConfig.MinFighters or > ArenaConfig.MaxFighters)
            throw new ArgumentException($"fighters must be {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters}, got {Fighters}.", "fighters");
        if (Opponents.Count == 0) throw new ArgumentException("name at least one opponent.", "vs");
        foreach (var o in Opponents)
            if (!Bots.IsBot(o)) throw new ArgumentException($"unknown opponent '{o}'; expected one of {string.Join(", ", Bots.Names)}.", "vs");
    }
}

/// <summary>
/// Plays a policy (slot 0) against bots for a number of seeded episodes, all arenas stepped as one batch,
/// and measures results and behaviour. Episode k uses episode seed Mix(seed, k), so runs are repeatable.
/// </summary>
public static class Evaluation
{
    /// <summary>Evaluates <paramref name="policy"/> against the bots named in the options.</summary>
    public static EvaluationResult Run(IPolicy policy, EvaluationOptions options)
    {
        options.Validate();
        var opponents = options.Opponents
            .Select((name, k) => (Policy: Bot(name, options.Opponent, options.Seed, k), Spec: options.Opponent))
            .ToArray();
        return Run(policy, opponents, string.Join(",", options.Opponents), options);
    }

    /// <summary>The bot <paramref name="name"/> as the <paramref name="index"/>-th opponent of a line-up, seeded as every evaluation seeds it.</summary>
    public static IPolicy Bot(string name, FighterSpec spec, ulong seed, int index) =>
        new BotPolicy(name, spec, SplitMix64.Mix(seed ^ 0xB07, (ulong)index));

    /// <summary>
    /// Evaluates <paramref name="policy"/> (slot 0) against any policies: opponent slot s plays
    /// <c>opponents[(s - 1) % opponents.Count]</c> with that fighter's spec. Bots and checkpoints alike.
    /// </summary>
    public static EvaluationResult Run(IPolicy policy, IReadOnlyList<(IPolicy Policy, FighterSpec Spec)> opponents, string label, EvaluationOptions options)
    {
        if (options.Episodes < 1) throw new ArgumentException($"episodes must be at least 1, got {options.Episodes}.", "episodes");
        if (opponents.Count == 0) throw new ArgumentException("name at least one opponent.", "vs");
        int f = options.Fighters, n = options.Episodes, obsSize = Contract.ObservationSize;
        var specs = Enumerable.Range(0, f).Select(s => s == 0 ? options.Learner : opponents[(s - 1) % opponents.Count].Spec).ToArray();
        var weights = Enumerable.Range(0, f).Select(s => s == 0 ? options.Weights : RewardWeights.Default).ToArray();
        var config = new ArenaConfig { Fighters = specs, Weights = weights, MaxTicks = options.MaxTicks, EndWhenEliminatedMask = 1 };
        config.Validate();
        using var batch = new ArenaBatch(config, n, threads: 1, autoReset: false);
        for (int a = 0; a < n; a++) batch.ResetArena(a, SplitMix64.Mix(options.Seed, (ulong)a));
        var buffers = new StepBuffers(batch.AgentCount);
        batch.WriteObservations(buffers.Observations);
        var opponentObs = new float[batch.AgentCount * obsSize];
        var opponentActions = new int[batch.AgentCount];
        var opponentRows = new int[batch.AgentCount];

        var actions = new int[batch.AgentCount];
        var learnerObs = new float[n * obsSize];
        var learnerActions = new int[n];
        var rows = new int[n];
        double reward = 0, attacks = 0, aliveTicks = 0, edgeSum = 0, nearestSum = 0, dealt = 0, taken = 0, hitsWithChoice = 0, hitsOnWeakest = 0, hurtTicks = 0, hurtNearestSum = 0;
        double exposedTicks = 0;
        var targetChoiceAtStart = new int[n]; // per active row: Surroundings.TargetChoice (+1 the nearest is the weakest, -1 not, 0 no choice)
        float learnerDamage = options.Learner.Stats.Damage;

        while (true)
        {
            int active = 0;
            for (int a = 0; a < n; a++)
            {
                if (batch.IsFinished(a)) continue;
                buffers.Observations.AsSpan(a * f * obsSize, obsSize).CopyTo(learnerObs.AsSpan(active * obsSize, obsSize));
                rows[active++] = a;
            }
            if (active == 0) break;

            policy.Act(learnerObs.AsSpan(0, active * obsSize), active, learnerActions.AsSpan(0, active));
            for (int k = 0; k < active; k++) actions[rows[k] * f] = learnerActions[k];
            for (int p = 0; p < opponents.Count; p++)
            {
                // Every standing fighter that policy p controls acts in one batch.
                int count = 0;
                for (int k = 0; k < active; k++)
                    for (int s = 1 + p; s < f; s += opponents.Count)
                    {
                        int i = rows[k] * f + s;
                        actions[i] = Contract.Idle;
                        if (!batch.Fighter(i).Alive) continue;
                        buffers.Observations.AsSpan(i * obsSize, obsSize).CopyTo(opponentObs.AsSpan(count * obsSize, obsSize));
                        opponentRows[count++] = i;
                    }
                if (count == 0) continue;
                opponents[p].Policy.Act(opponentObs.AsSpan(0, count * obsSize), count, opponentActions.AsSpan(0, count));
                for (int k = 0; k < count; k++) actions[opponentRows[k]] = opponentActions[k];
            }
            if (f > 2)
                for (int k = 0; k < active; k++)
                    targetChoiceAtStart[k] = Surroundings.TargetChoice(batch, rows[k], f);
            batch.Step(actions, buffers);

            var terms = batch.RewardTerms;
            for (int k = 0; k < active; k++)
            {
                int learner = rows[k] * f;
                reward += buffers.Rewards[learner];
                var me = batch.Fighter(learner);
                if (me.Events.HasFlag(FighterEvents.Attacked)) attacks++;
                if (me.Events.HasFlag(FighterEvents.HitLanded))
                {
                    dealt += learnerDamage;
                    if (f > 2 && targetChoiceAtStart[k] != 0) { hitsWithChoice++; if (targetChoiceAtStart[k] > 0) hitsOnWeakest++; }
                }
                taken += terms[learner * RewardWeights.Count + (int)RewardTerm.DamageTaken] * ArenaRules.BaseDamage;
                if (!me.Alive) continue;
                aliveTicks++;
                edgeSum += me.DistanceToRopes;
                var (nearestOrNone, _, ready, strikeMargin) = Surroundings.NearestEnemy(batch, rows[k], f);
                double nearest = float.IsNaN(nearestOrNone) ? 0 : nearestOrNone;
                if (ready && strikeMargin <= 0) exposedTicks++;
                nearestSum += nearest;
                if (me.Health < ArenaRules.MaxHealth / 2) { hurtTicks++; hurtNearestSum += nearest; }
            }
        }

        int wins = 0, decisions = 0, draws = 0, drawsAtTimeLimit = 0, knockedOut = 0, rungOut = 0, koDealt = 0, ringOutDealt = 0;
        double seconds = 0, healthKept = 0;
        for (int a = 0; a < n; a++)
        {
            var result = batch.LastResult(a);
            if (result.Winner == 0) wins++;
            if (result.Winner == 0 && result.TimeLimit) decisions++;
            if (result.IsDraw) draws++;
            if (result.IsDraw && result.TimeLimit) drawsAtTimeLimit++;
            seconds += result.Ticks / (double)ArenaRules.TicksPerSecond;
            var me = batch.Fighter(a * f);
            if (me.Alive) healthKept += me.Health;
            if (me.Elimination == Elimination.Knockout) knockedOut++;
            if (me.Elimination == Elimination.RingOut) rungOut++;
            for (int s = 1; s < f; s++)
            {
                var them = batch.Fighter(a * f + s);
                if (them.Elimination == Elimination.Knockout) koDealt++;
                if (them.Elimination == Elimination.RingOut) ringOutDealt++;
            }
        }

        var fingerprint = new BehaviourFingerprint(
            AttacksPerSecond: aliveTicks > 0 ? attacks / (aliveTicks / ArenaRules.TicksPerSecond) : 0,
            MeanDistanceToEdge: aliveTicks > 0 ? edgeSum / aliveTicks : 0,
            MeanDistanceToNearestEnemy: aliveTicks > 0 ? nearestSum / aliveTicks : 0,
            DamageDealtPerEpisode: dealt / n,
            DamageTakenPerEpisode: taken / n,
            RungOutPerEpisode: (double)rungOut / n,
            HealthKept: healthKept / n,
            SecondsSurvived: aliveTicks / ArenaRules.TicksPerSecond / n,
            HitsOnWeakest: hitsWithChoice > 0 ? hitsOnWeakest / hitsWithChoice : double.NaN,
            DistanceWhenHurt: hurtTicks > 0 ? hurtNearestSum / hurtTicks : double.NaN,
            TimeExposed: aliveTicks > 0 ? exposedTicks / aliveTicks : 0);
        return new EvaluationResult(label, f, n, (double)wins / n, (double)draws / n,
            reward / n, seconds / n, koDealt, ringOutDealt, knockedOut, rungOut, fingerprint, decisions, drawsAtTimeLimit);
    }
}

/// <summary>A scripted bot as an <see cref="IPolicy"/>, so that evaluation and comparison can treat bots and networks alike.</summary>
public sealed class BotPolicy(string name, FighterSpec spec, ulong seed) : IPolicy
{
    public string Name { get; } = Bots.IsBot(name) ? name : throw new ArgumentException($"unknown bot '{name}'.", nameof(name));
    private readonly List<IFighterController> perRow = [];

    public int ObservationSize => Contract.ObservationSize;
    public int ActionCount => Contract.ActionCount;

    public void Act(ReadOnlySpan<float> observations, int batch, Span<int> actions)
    {
        // Stateful bots (random) keep one stream per row so that rows do not share randomness.
        while (perRow.Count < batch) perRow.Add(Bots.Create(name, spec, seed + (ulong)perRow.Count));
        for (int row = 0; row < batch; row++)
            actions[row] = perRow[row].Decide(observations.Slice(row * ObservationSize, ObservationSize));
    }
}
