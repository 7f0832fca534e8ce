namespace Ringside.Sim;

/// <summary>One fighter's state in one frame, as viewers and frame exports see it.</summary>
public sealed record FighterFrame(
    int Slot, float X, float Y, float VelocityX, float VelocityY, float FacingX, float FacingY,
    float Health, int Action, bool Alive, FighterEvents Events, Elimination Elimination);

/// <summary>The state of every fighter after tick <see cref="Tick"/> (tick 0 is the spawn).</summary>
public sealed record Frame(int Tick, IReadOnlyList<FighterFrame> Fighters);

/// <summary>How a match ended: winner slot (-1 draw), frames played, and the hash of the final state.</summary>
public sealed record MatchResult(int Winner, int Frames, ulong StateHash, bool TimeLimit, IReadOnlyList<float> Rewards);

/// <summary>
/// One arena played to its end by controllers (bots, networks, humans) or by externally supplied actions,
/// recorded as a replay. The live game, evaluation and the command line all run matches through this.
/// </summary>
public sealed class Match : IDisposable
{
    private readonly ArenaBatch arena;
    private readonly StepBuffers buffers;
    private readonly int[] actions;
    private readonly IReadOnlyList<IFighterController>? controllers;
    private readonly List<byte> recordedActions = [];
    private readonly List<ulong> frameHashes = [];
    private readonly float[] totalRewards;

    public ArenaConfig Config { get; }
    public ulong Seed { get; }
    public IReadOnlyList<string> Names { get; }

    /// <param name="controllers">One per fighter, or null when every step's actions are supplied by the caller.</param>
    public Match(ArenaConfig config, ulong seed, IReadOnlyList<IFighterController>? controllers = null, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (controllers is not null && controllers.Count != config.FighterCount)
            throw new ArgumentException($"one controller per fighter: {config.FighterCount} fighters, {controllers.Count} controllers.", nameof(controllers));
        if (names is not null && names.Count != config.FighterCount)
            throw new ArgumentException($"one name per fighter: {config.FighterCount} fighters, {names.Count} names.", nameof(names));

        Config = config;
        Seed = seed;
        this.controllers = controllers;
        Names = names ?? Enumerable.Range(0, config.FighterCount).Select(i => $"fighter{i}").ToArray();
        arena = new ArenaBatch(config, arenaCount: 1, threads: 1, autoReset: false);
        arena.ResetArena(0, seed);
        buffers = new StepBuffers(config.FighterCount);
        arena.WriteObservations(buffers.Observations);
        actions = new int[config.FighterCount];
        totalRewards = new float[config.FighterCount];
    }

    public int Tick => arena.Tick(0);
    public bool IsOver => arena.IsFinished(0);
    public int FighterCount => Config.FighterCount;

    /// <summary>The current observation of fighter <paramref name="slot"/> (zeros once it is out).</summary>
    public ReadOnlySpan<float> Observation(int slot) =>
        buffers.Observations.AsSpan(slot * Contract.ObservationSize, Contract.ObservationSize);

    /// <summary>Last step's reward per fighter and its terms ([fighters, 6]).</summary>
    public ReadOnlySpan<float> Rewards => buffers.Rewards;
    public ReadOnlySpan<float> RewardTerms => arena.RewardTerms;
    public IReadOnlyList<float> TotalRewards => totalRewards;
    public ArenaBatch.FighterView Fighter(int slot) => arena.Fighter(slot);

    /// <summary>Steps once with the controllers' decisions.</summary>
    public void Step()
    {
        if (controllers is null) throw new InvalidOperationException("this match has no controllers; pass the actions to Step.");
        for (int s = 0; s < FighterCount; s++)
            actions[s] = arena.Fighter(s).Alive ? controllers[s].Decide(Observation(s)) : Contract.Idle;
        Step(actions);
    }

    /// <summary>Steps once with the given action per fighter (ignored for fighters already out).</summary>
    public void Step(ReadOnlySpan<int> fighterActions)
    {
        if (IsOver) throw new InvalidOperationException("the match is over.");
        if (fighterActions.Length != FighterCount)
            throw new ArgumentException($"one action per fighter: {FighterCount} fighters, {fighterActions.Length} actions.", nameof(fighterActions));
        fighterActions.CopyTo(actions);
        for (int s = 0; s < FighterCount; s++)
            if (!arena.Fighter(s).Alive) actions[s] = Contract.Idle;
        arena.Step(actions, buffers);
        for (int s = 0; s < FighterCount; s++)
        {
            recordedActions.Add((byte)actions[s]);
            totalRewards[s] += buffers.Rewards[s];
        }
        frameHashes.Add(arena.StateHash(0));
    }

    /// <summary>Plays to the end (controllers required).</summary>
    public MatchResult Run()
    {
        while (!IsOver) Step();
        return Result();
    }

    public MatchResult Result()
    {
        if (!IsOver) throw new InvalidOperationException("the match is not over yet.");
        var r = arena.LastResult(0);
        return new MatchResult(r.Winner, r.Ticks, arena.StateHash(0), r.TimeLimit, totalRewards.ToArray());
    }

    public Frame CurrentFrame() => CaptureFrame(arena, Tick);

    public Replay ToReplay() => new()
    {
        EpisodeSeed = Seed,
        Config = Config,
        FighterNames = Names,
        Actions = recordedActions.ToArray(),
        FrameHashes = frameHashes.ToArray(),
        Winner = IsOver ? arena.LastResult(0).Winner : -1,
    };

    internal static Frame CaptureFrame(ArenaBatch arena, int tick)
    {
        var fighters = new FighterFrame[arena.FighterCount];
        for (int s = 0; s < fighters.Length; s++)
        {
            var f = arena.Fighter(s);
            fighters[s] = new FighterFrame(s, f.X, f.Y, f.VelocityX, f.VelocityY, f.FacingX, f.FacingY,
                f.Health, f.LastAction, f.Alive, f.Events, f.Elimination);
        }
        return new Frame(tick, fighters);
    }

    public void Dispose() => arena.Dispose();
}
