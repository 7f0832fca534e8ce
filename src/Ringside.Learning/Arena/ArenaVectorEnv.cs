using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>How the arena is set up for a learner: its fighter, its reward weights, and whom it fights.</summary>
public sealed record ArenaEnvOptions
{
    /// <summary>Arenas stepped together; one learner per arena.</summary>
    public int Envs { get; init; } = 64;
    /// <summary>
    /// Fighters per arena, the learner included (2-8). With several counts the arenas are split evenly between
    /// them, e.g. [2, 4]: half duels, half four-fighter free-for-alls.
    /// </summary>
    public IReadOnlyList<int> Fighters { get; init; } = [2];
    public FighterSpec Learner { get; init; } = FighterSpec.Standard;
    public FighterSpec Opponent { get; init; } = FighterSpec.Standard;
    public RewardWeights Weights { get; init; } = RewardWeights.Default;
    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;
    /// <summary>Bots an opponent is drawn from at the start of each episode.</summary>
    public IReadOnlyList<string> Bots { get; init; } = ["chaser", "cautious", "random"];
    /// <summary>Probability that an opponent is one of the learner's past checkpoints, when there are any.</summary>
    public double SelfPlayRatio { get; init; }
    /// <summary>
    /// Training only, not a contract term: added to the learner's reward on an episode's last step, + for a win (last
    /// standing, or ahead on health at the time limit), − for a loss, nothing for a draw. Without it a fighter paid per
    /// second alive is as well off with a safe draw as with a win, and learns to wait out careful opponents. Charging a
    /// draw as a loss was tried (session 9, docs/BENCHMARKS.md): it won more duels against a stronger-trained fighter
    /// but undid the positioning slider, whose fighters then left the centre to force a result.
    /// </summary>
    public float OutcomeReward { get; init; }
    /// <summary>Training only, not a contract term: the personality's style terms (see <see cref="Arena.Style"/>).</summary>
    public Style Style { get; init; }
    /// <summary>Rewards are multiplied by this before the learner sees them (returns stay unscaled).</summary>
    public float RewardScale { get; init; } = 0.1f;
    public int SimThreads { get; init; } = 1;

    public void Validate()
    {
        if (Fighters.Count == 0) throw new ArgumentException("name at least one fighter count.", "fighters");
        if (Envs < Fighters.Count) throw new ArgumentException($"envs must be at least {Fighters.Count} (one per fighter count), got {Envs}.", "envs");
        foreach (int f in Fighters)
            if (f is < ArenaConfig.MinFighters or > ArenaConfig.MaxFighters)
                throw new ArgumentException($"fighters must be {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters}, got {f}.", "fighters");
        if (Bots.Count == 0 && SelfPlayRatio < 1)
            throw new ArgumentException("opponents: name at least one bot, or self-play only.", "opponents");
        foreach (var bot in Bots)
            if (!Sim.Bots.IsBot(bot)) throw new ArgumentException($"unknown opponent '{bot}'; expected {string.Join(", ", Sim.Bots.Names)} or self.", "opponents");
        if (!(SelfPlayRatio is >= 0 and <= 1)) throw new ArgumentException($"self-play ratio must be 0 to 1, got {SelfPlayRatio}.", "self_play_ratio");
        if (!float.IsFinite(OutcomeReward) || OutcomeReward < 0) throw new ArgumentException($"outcome reward must be 0 or more, got {OutcomeReward}.", "outcome_reward");
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
    private const int IdleOpponent = -1;

    /// <summary>The arenas with one fighter count: env rows [EnvOffset, EnvOffset + batch.ArenaCount).</summary>
    private sealed class Group
    {
        public required ArenaBatch Batch { get; init; }
        public required StepBuffers Buffers { get; init; }
        public required int[] Actions { get; init; }
        public required int Fighters { get; init; }
        public required int EnvOffset { get; init; }
        /// <summary>Opponent of each agent row: index into the bots, or bots + p for pool policy p.</summary>
        public required int[] OpponentKind { get; init; }
        /// <summary>[agent][bot kind]: one instance per row so that random bots keep their own streams.</summary>
        public required IFighterController[][] Bots { get; init; }
        /// <summary>Per arena, the learner's choice of target at the start of the step (<see cref="Surroundings.TargetChoice"/>).</summary>
        public required int[] TargetChoice { get; init; }
        /// <summary>Per arena, whether it finished on the last step (its state is already the next episode's).</summary>
        public required bool[] Finished { get; init; }
        /// <summary>Per arena, the learner's <see cref="Style.StandingRate"/> after the last step that did not finish it.</summary>
        public required float[] StandingRate { get; init; }
    }

    private readonly ArenaEnvOptions options;
    private readonly Group[] groups;
    private readonly List<IPolicy> pool = [];
    private readonly float[] gatherObservations;
    private readonly int[] gatherActions;
    private readonly (Group Group, int Agent)[] gatherRows;
    private Rng rng = new(0);
    private bool opponentsDecided;

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
        groups = new Group[options.Fighters.Count];
        int offset = 0, opponents = 0;
        for (int g = 0; g < groups.Length; g++)
        {
            int arenas = options.Envs * (g + 1) / groups.Length - options.Envs * g / groups.Length;
            groups[g] = CreateGroup(options.Fighters[g], arenas, offset);
            offset += arenas;
            opponents += arenas * (options.Fighters[g] - 1);
        }
        gatherObservations = new float[opponents * ObsSize];
        gatherActions = new int[opponents];
        gatherRows = new (Group, int)[opponents];
        episodeReturn = new float[options.Envs];
        episodeLength = new int[options.Envs];
        completed = new EpisodeEnd[options.Envs];
    }

    private Group CreateGroup(int fighters, int arenas, int envOffset)
    {
        var specs = new FighterSpec[fighters];
        var weights = new RewardWeights[fighters];
        for (int s = 0; s < fighters; s++)
        {
            specs[s] = s == 0 ? options.Learner : options.Opponent;
            weights[s] = s == 0 ? options.Weights : RewardWeights.Default;
        }
        var config = new ArenaConfig { Fighters = specs, Weights = weights, MaxTicks = options.MaxTicks, EndWhenEliminatedMask = 1 };
        var batch = new ArenaBatch(config, arenas, options.SimThreads);
        var bots = new IFighterController[batch.AgentCount][];
        for (int i = 0; i < bots.Length; i++)
            bots[i] = options.Bots.Select(name => Sim.Bots.Create(name, options.Opponent, (ulong)(envOffset * 8 + i) * 7919UL + 17)).ToArray();
        return new Group
        {
            Batch = batch,
            Buffers = new StepBuffers(batch.AgentCount, withFinalObservations: true),
            Actions = new int[batch.AgentCount],
            Fighters = fighters,
            EnvOffset = envOffset,
            OpponentKind = new int[batch.AgentCount],
            Bots = bots,
            TargetChoice = new int[arenas],
            Finished = new bool[arenas],
            StandingRate = new float[arenas],
        };
    }

    public int EnvCount => options.Envs;
    public int ObservationSize => ObsSize;
    public int ActionCount => Contract.ActionCount;
    public ReadOnlySpan<EpisodeEnd> CompletedEpisodes => completed.AsSpan(0, completedCount);
    public ArenaEnvOptions Options => options;

    /// <summary>Past policies of the learner that opponents may be drawn from (self-play).</summary>
    public IReadOnlyList<IPolicy> Pool => pool;

    /// <summary>Opponent rows across all arenas: the capacity a pool policy needs.</summary>
    public int OpponentCapacity => gatherActions.Length;

    /// <summary>Adds a frozen policy to the self-play pool, dropping the oldest beyond <paramref name="capacity"/>.</summary>
    public void AddToPool(IPolicy policy, int capacity = 8)
    {
        if (pool.Count >= capacity) pool.RemoveAt(0);
        pool.Add(policy);
    }

    public void Reset(ulong seed, Span<float> observations)
    {
        opponentsDecided = false;
        rng = new Rng(seed, stream: 0xA7E4A);
        foreach (var g in groups)
        {
            g.Batch.Reset(SplitMix64.Mix(seed, (ulong)g.Fighters));
            g.Batch.WriteObservations(g.Buffers.Observations);
            for (int a = 0; a < g.Batch.ArenaCount; a++) DrawOpponents(g, a);
            CopyLearnerRows(g, observations);
        }
        Array.Clear(episodeReturn);
        Array.Clear(episodeLength);
        completedCount = 0;
    }

    /// <summary>
    /// The opponents decide on the current observations now: the trainer runs this beside its own forward pass (the
    /// self-play pool's forward passes are most of a step's simulation time). Each opponent's policy and bot keeps its own
    /// random stream and nothing else touches their rows, so the actions are the same bits as when <see cref="Step"/>
    /// decides them itself.
    /// </summary>
    public void PrepareStep()
    {
        ActOpponents();
        opponentsDecided = true;
    }

    public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards,
                     Span<bool> terminals, Span<bool> truncations, Span<float> finalObservations)
    {
        foreach (var g in groups)
            for (int a = 0; a < g.Batch.ArenaCount; a++) g.Actions[a * g.Fighters] = actions[g.EnvOffset + a];
        if (!opponentsDecided) ActOpponents();
        opponentsDecided = false;

        completedCount = 0;
        var style = options.Style;
        bool styled = !style.IsNone; // a neutral personality (the default recipe) pays none of this
        foreach (var g in groups)
        {
            bool targeting = style.PerHitOnWeakest != 0 && g.Fighters > 2;
            if (targeting)
                for (int a = 0; a < g.Batch.ArenaCount; a++) g.TargetChoice[a] = Surroundings.TargetChoice(g.Batch, a, g.Fighters);
            g.Batch.Step(g.Actions, g.Buffers);
            if (styled)
            {
                Array.Clear(g.Finished);
                foreach (int a in g.Batch.CompletedArenas) g.Finished[a] = true;
            }
            var terms = g.Batch.RewardTerms;
            for (int a = 0; a < g.Batch.ArenaCount; a++)
            {
                int env = g.EnvOffset + a, learner = a * g.Fighters;
                float reward = g.Buffers.Rewards[learner];
                rewards[env] = (styled ? reward + StyleReward(g, a, style, targeting) : reward) * options.RewardScale;
                if (styled && !g.Finished[a]) g.StandingRate[a] = style.StandingRate(g.Batch, a, g.Fighters);
                terminals[env] = g.Buffers.Terminals[learner];
                truncations[env] = g.Buffers.Truncations[learner];
                for (int k = 0; k < RewardWeights.Count; k++) termSums[k] += terms[learner * RewardWeights.Count + k];
                episodeReturn[env] += reward;
                episodeLength[env]++;
            }
            foreach (int a in g.Batch.CompletedArenas)
            {
                int env = g.EnvOffset + a;
                var result = g.Batch.LastResult(a);
                int winner = result.Winner;
                rewards[env] += (winner == 0 ? options.OutcomeReward : winner > 0 ? -options.OutcomeReward : 0f) * options.RewardScale;
                // A winner standing before the time limit is credited its style for the rest of it, as the contract credits
                // survival: paid only while the episode lasts, a style that pays would teach it to drag its fights out.
                if (styled && winner == 0 && !result.TimeLimit)
                    rewards[env] += g.StandingRate[a] * (options.MaxTicks - result.Ticks + 1) * ArenaRules.Dt * options.RewardScale;
                completed[completedCount++] = new EpisodeEnd(env, episodeReturn[env], episodeLength[env], winner == 0 ? 1f : 0f);
                episodeReturn[env] = 0;
                episodeLength[env] = 0;
                g.Buffers.FinalObservations.AsSpan(a * g.Fighters * ObsSize, ObsSize).CopyTo(finalObservations.Slice(env * ObsSize, ObsSize));
                DrawOpponents(g, a);
            }
            CopyLearnerRows(g, observations);
        }
        termSteps += EnvCount;
    }

    /// <summary>The learner's style reward for the step just taken. A finished arena already holds the next episode: it pays no style.</summary>
    private static float StyleReward(Group g, int arena, Style style, bool targeting) =>
        g.Finished[arena] ? 0f : style.Reward(g.Batch, arena, g.Fighters, targeting ? g.TargetChoice[arena] : 0);

    /// <summary>Mean of each raw reward term per learner step since the last call (metrics), then restarts the count.</summary>
    public void TakeTermMeans(Span<double> means)
    {
        for (int k = 0; k < RewardWeights.Count; k++) { means[k] = termSteps > 0 ? termSums[k] / termSteps : 0; termSums[k] = 0; }
        termSteps = 0;
    }

    private static void CopyLearnerRows(Group g, Span<float> destination)
    {
        for (int a = 0; a < g.Batch.ArenaCount; a++)
            g.Buffers.Observations.AsSpan(a * g.Fighters * ObsSize, ObsSize).CopyTo(destination.Slice((g.EnvOffset + a) * ObsSize, ObsSize));
    }

    private void DrawOpponents(Group g, int arena)
    {
        int botCount = options.Bots.Count;
        for (int s = 1; s < g.Fighters; s++)
        {
            bool selfPlay = pool.Count > 0 && (botCount == 0 || rng.NextDouble() < options.SelfPlayRatio);
            g.OpponentKind[arena * g.Fighters + s] =
                selfPlay ? botCount + rng.NextInt(pool.Count)
                : botCount > 0 ? rng.NextInt(botCount)
                : IdleOpponent; // self-play only, and no snapshot yet
        }
    }

    private void ActOpponents()
    {
        int botCount = options.Bots.Count;
        foreach (var g in groups)
        {
            float[] obs = g.Buffers.Observations;
            for (int i = 0; i < g.Actions.Length; i++)
            {
                if (i % g.Fighters == 0) continue;
                int kind = g.OpponentKind[i];
                g.Actions[i] = kind >= 0 && kind < botCount ? g.Bots[i][kind].Decide(obs.AsSpan(i * ObsSize, ObsSize)) : Contract.Idle;
            }
        }

        // Each pool policy acts once per step on all the rows it controls, across groups.
        for (int p = 0; p < pool.Count; p++)
        {
            int count = 0;
            foreach (var g in groups)
                for (int i = 0; i < g.Actions.Length; i++)
                {
                    if (i % g.Fighters == 0 || g.OpponentKind[i] != botCount + p) continue;
                    g.Buffers.Observations.AsSpan(i * ObsSize, ObsSize).CopyTo(gatherObservations.AsSpan(count * ObsSize, ObsSize));
                    gatherRows[count++] = (g, i);
                }
            if (count == 0) continue;
            pool[p].Act(gatherObservations.AsSpan(0, count * ObsSize), count, gatherActions.AsSpan(0, count));
            for (int k = 0; k < count; k++) gatherRows[k].Group.Actions[gatherRows[k].Agent] = gatherActions[k];
        }
    }

    public void Dispose()
    {
        foreach (var g in groups) g.Batch.Dispose();
    }
}
