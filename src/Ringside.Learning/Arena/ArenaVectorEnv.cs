using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>How the arena is set up for a learner: its fighter, its reward weights, and whom it fights.</summary>
public sealed record ArenaEnvOptions
{
    /// <summary>Arenas stepped together; one learner per arena.</summary>
    public int Envs { get; init; } = 64;
    /// <summary>Fighters per arena, the learner included (2-8).</summary>
    public int Fighters { get; init; } = 2;
    public FighterSpec Learner { get; init; } = FighterSpec.Standard;
    public FighterSpec Opponent { get; init; } = FighterSpec.Standard;
    public RewardWeights Weights { get; init; } = RewardWeights.Seed;
    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;
    /// <summary>Bots an opponent is drawn from at the start of each episode.</summary>
    public IReadOnlyList<string> Bots { get; init; } = ["chaser", "cautious", "random"];
    /// <summary>Probability that an opponent is one of the learner's past checkpoints, when there are any.</summary>
    public double SelfPlayRatio { get; init; }
    /// <summary>Rewards are multiplied by this before the learner sees them (returns stay unscaled).</summary>
    public float RewardScale { get; init; } = 0.1f;
    public int SimThreads { get; init; } = 1;

    public void Validate()
    {
        if (Envs < 1) throw new ArgumentException($"envs must be at least 1, got {Envs}.", "envs");
        if (Fighters is < ArenaConfig.MinFighters or > ArenaConfig.MaxFighters)
            throw new ArgumentException($"fighters must be {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters}, got {Fighters}.", "fighters");
        if (Bots.Count == 0 && SelfPlayRatio < 1)
            throw new ArgumentException("opponents: name at least one bot, or self-play only.", "opponents");
        foreach (var bot in Bots)
            if (!Sim.Bots.IsBot(bot)) throw new ArgumentException($"unknown opponent '{bot}'; expected {string.Join(", ", Sim.Bots.Names)} or self.", "opponents");
        if (!(SelfPlayRatio is >= 0 and <= 1)) throw new ArgumentException($"self-play ratio must be 0 to 1, got {SelfPlayRatio}.", "self_play_ratio");
        if (!float.IsFinite(RewardScale) || RewardScale <= 0) throw new ArgumentException($"reward scale must be positive, got {RewardScale}.", "reward_scale");
        Learner.Validate("learner");
        Opponent.Validate("opponent");
        Weights.Validate();
    }
}

/// <summary>
/// The arena as a vector environment for one learner per arena (slot 0; spawns are shuffled, so slot 0
/// has no fixed place). Opponents are scripted bots or frozen past policies of the learner (self-play),
/// drawn anew for every episode; an episode ends when the learner is out or is the last one standing.
/// </summary>
public sealed class ArenaVectorEnv : IVectorEnv, IDisposable
{
    private const int ObsSize = Contract.ObservationSize;

    private readonly ArenaEnvOptions options;
    private readonly ArenaBatch batch;
    private readonly StepBuffers buffers;
    private readonly int[] allActions;
    private readonly int fighters;

    // Opponent of each agent row: index into `bots` for a bot, bots.Length + p for pool policy p.
    private readonly int[] opponentKind;
    private readonly IFighterController[][] botsByAgent; // [agent][bot kind]
    private readonly List<IPolicy> pool = [];
    private readonly float[] gatherObservations;
    private readonly int[] gatherRows, gatherActions;
    private Rng rng = new(0);

    // Episode bookkeeping for the learners.
    private readonly float[] episodeReturn;
    private readonly int[] episodeLength;
    private readonly EpisodeEnd[] completed;
    private int completedCount;
    private readonly double[] termSums = new double[RewardWeights.Count];
    private long termSteps;

    public ArenaVectorEnv(ArenaEnvOptions options)
    {
        options.Validate();
        this.options = options;
        fighters = options.Fighters;
        var specs = new FighterSpec[fighters];
        var weights = new RewardWeights[fighters];
        for (int s = 0; s < fighters; s++)
        {
            specs[s] = s == 0 ? options.Learner : options.Opponent;
            weights[s] = s == 0 ? options.Weights : RewardWeights.Seed;
        }
        var config = new ArenaConfig { Fighters = specs, Weights = weights, MaxTicks = options.MaxTicks, EndWhenEliminatedMask = 1 };
        batch = new ArenaBatch(config, options.Envs, options.SimThreads);
        buffers = new StepBuffers(batch.AgentCount, withFinalObservations: true);
        allActions = new int[batch.AgentCount];
        opponentKind = new int[batch.AgentCount];
        botsByAgent = new IFighterController[batch.AgentCount][];
        for (int i = 0; i < batch.AgentCount; i++)
            botsByAgent[i] = options.Bots.Select(name => Sim.Bots.Create(name, options.Opponent, (ulong)i * 7919UL + 17)).ToArray();
        gatherObservations = new float[batch.AgentCount * ObsSize];
        gatherRows = new int[batch.AgentCount];
        gatherActions = new int[batch.AgentCount];
        episodeReturn = new float[options.Envs];
        episodeLength = new int[options.Envs];
        completed = new EpisodeEnd[options.Envs];
    }

    public int EnvCount => options.Envs;
    public int ObservationSize => ObsSize;
    public int ActionCount => Contract.ActionCount;
    public ReadOnlySpan<EpisodeEnd> CompletedEpisodes => completed.AsSpan(0, completedCount);
    public ArenaEnvOptions Options => options;

    /// <summary>Past policies of the learner that opponents may be drawn from (self-play).</summary>
    public IReadOnlyList<IPolicy> Pool => pool;

    /// <summary>Adds a frozen policy to the self-play pool, dropping the oldest beyond <paramref name="capacity"/>.</summary>
    public void AddToPool(IPolicy policy, int capacity = 8)
    {
        if (pool.Count >= capacity) pool.RemoveAt(0);
        pool.Add(policy);
    }

    public void Reset(ulong seed, Span<float> observations)
    {
        rng = new Rng(seed, stream: 0xA7E4A);
        batch.Reset(seed);
        batch.WriteObservations(buffers.Observations);
        for (int a = 0; a < EnvCount; a++) { DrawOpponents(a); episodeReturn[a] = 0; episodeLength[a] = 0; }
        CopyLearnerRows(buffers.Observations, observations);
        completedCount = 0;
    }

    public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards,
                     Span<bool> terminals, Span<bool> truncations, Span<float> finalObservations)
    {
        for (int a = 0; a < EnvCount; a++) allActions[a * fighters] = actions[a];
        ActOpponents();
        batch.Step(allActions, buffers);

        completedCount = 0;
        var terms = batch.RewardTerms;
        for (int a = 0; a < EnvCount; a++)
        {
            int learner = a * fighters;
            float reward = buffers.Rewards[learner];
            rewards[a] = reward * options.RewardScale;
            terminals[a] = buffers.Terminals[learner];
            truncations[a] = buffers.Truncations[learner];
            for (int k = 0; k < RewardWeights.Count; k++) termSums[k] += terms[learner * RewardWeights.Count + k];
            episodeReturn[a] += reward;
            episodeLength[a]++;
        }
        termSteps += EnvCount;

        foreach (int a in batch.CompletedArenas)
        {
            var result = batch.LastResult(a);
            completed[completedCount++] = new EpisodeEnd(a, episodeReturn[a], episodeLength[a], result.Winner == 0 ? 1f : 0f);
            episodeReturn[a] = 0;
            episodeLength[a] = 0;
            buffers.FinalObservations.AsSpan(a * fighters * ObsSize, ObsSize).CopyTo(finalObservations.Slice(a * ObsSize, ObsSize));
            DrawOpponents(a);
        }
        CopyLearnerRows(buffers.Observations, observations);
    }

    /// <summary>Mean of each raw reward term per learner step since the last call (metrics), then restarts the count.</summary>
    public void TakeTermMeans(Span<double> means)
    {
        for (int k = 0; k < RewardWeights.Count; k++) { means[k] = termSteps > 0 ? termSums[k] / termSteps : 0; termSums[k] = 0; }
        termSteps = 0;
    }

    private void CopyLearnerRows(float[] source, Span<float> destination)
    {
        for (int a = 0; a < EnvCount; a++)
            source.AsSpan(a * fighters * ObsSize, ObsSize).CopyTo(destination.Slice(a * ObsSize, ObsSize));
    }

    private void DrawOpponents(int arena)
    {
        int botCount = options.Bots.Count;
        for (int s = 1; s < fighters; s++)
        {
            bool selfPlay = pool.Count > 0 && (botCount == 0 || rng.NextDouble() < options.SelfPlayRatio);
            opponentKind[arena * fighters + s] = selfPlay ? botCount + rng.NextInt(pool.Count) : rng.NextInt(botCount);
        }
    }

    private void ActOpponents()
    {
        int botCount = options.Bots.Count;
        float[] obs = buffers.Observations;
        for (int a = 0; a < EnvCount; a++)
            for (int s = 1; s < fighters; s++)
            {
                int i = a * fighters + s;
                int kind = opponentKind[i];
                allActions[i] = kind < botCount ? botsByAgent[i][kind].Decide(obs.AsSpan(i * ObsSize, ObsSize)) : Contract.Idle;
            }

        // Pool policies act in one batch each.
        for (int p = 0; p < pool.Count; p++)
        {
            int count = 0;
            for (int i = 0; i < allActions.Length; i++)
            {
                if (i % fighters == 0 || opponentKind[i] != botCount + p) continue;
                obs.AsSpan(i * ObsSize, ObsSize).CopyTo(gatherObservations.AsSpan(count * ObsSize, ObsSize));
                gatherRows[count++] = i;
            }
            if (count == 0) continue;
            pool[p].Act(gatherObservations.AsSpan(0, count * ObsSize), count, gatherActions.AsSpan(0, count));
            for (int k = 0; k < count; k++) allActions[gatherRows[k]] = gatherActions[k];
        }
    }

    public void Dispose() => batch.Dispose();
}
