namespace Ringside.Sim;

/// <summary>
/// Everything that defines a match apart from its seed and actions: the fighters (2-8, one per slot),
/// each fighter's reward weights, and the time limit.
/// </summary>
public sealed record ArenaConfig
{
    public const int MinFighters = 2;
    public const int MaxFighters = 8;

    public required IReadOnlyList<FighterSpec> Fighters { get; init; }

    /// <summary>Reward weights per slot; null gives every fighter the default weights (docs/CONTRACT.md, Rewards).</summary>
    public IReadOnlyList<RewardWeights>? Weights { get; init; }

    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;

    /// <summary>
    /// Slots whose elimination ends the episode at once, as a bit mask (bit i = slot i). Training uses it to
    /// end an episode when the learner is out; a normal match leaves it 0 and runs to the last fighter.
    /// </summary>
    public int EndWhenEliminatedMask { get; init; }

    public int FighterCount => Fighters.Count;

    public static ArenaConfig Standard(int fighters) =>
        new() { Fighters = Enumerable.Repeat(FighterSpec.Standard, fighters).ToArray() };

    /// <summary>Throws <see cref="ArgumentException"/> with the field at fault.</summary>
    public void Validate()
    {
        if (Fighters is null || Fighters.Count < MinFighters || Fighters.Count > MaxFighters)
            throw new ArgumentException($"an arena holds {MinFighters} to {MaxFighters} fighters, got {Fighters?.Count ?? 0}.", "fighters");
        for (int i = 0; i < Fighters.Count; i++) Fighters[i].Validate($"#{i}");
        if (Weights is not null)
        {
            if (Weights.Count != Fighters.Count)
                throw new ArgumentException($"one reward weight set per fighter: {Fighters.Count} fighters, {Weights.Count} weight sets.", "weights");
            foreach (var w in Weights) w.Validate();
        }
        if (MaxTicks < 1)
            throw new ArgumentException($"max_ticks must be at least 1, got {MaxTicks}.", "max_ticks");
        if ((EndWhenEliminatedMask >> Fighters.Count) != 0 || EndWhenEliminatedMask < 0)
            throw new ArgumentException("end_when_eliminated_mask names a slot that does not exist.", "end_when_eliminated_mask");
    }
}
