namespace Ringside.Sim;

/// <summary>
/// The contract's reward terms (docs/CONTRACT.md, "Rewards"), each measured separately per fighter and step. The reward is
/// the weighted sum <c>sum_k weight_k * term_k</c>; docs/CONTRACT.md says what each term counts.
/// </summary>
public enum RewardTerm
{
    /// <summary>Seconds survived this step (dt while in the ring).</summary>
    Survival,
    /// <summary>Hits landed this step.</summary>
    AttackHit,
    /// <summary>Opponents eliminated this step (knocked out, or rung out within 3 s of our hit).</summary>
    Knockout,
    /// <summary>Damage taken this step in standard hits (damage / 10).</summary>
    DamageTaken,
    /// <summary>Seconds spent within 1 m of the ropes this step.</summary>
    NearEdge,
    /// <summary>1 on the step this fighter leaves the ring.</summary>
    RingOut,
}

/// <summary>One weight per <see cref="RewardTerm"/>. The defaults: +1, +2, +10, -1, -3, -10 (docs/CONTRACT.md, "Rewards").</summary>
public readonly record struct RewardWeights(
    float Survival, float AttackHit, float Knockout, float DamageTaken, float NearEdge, float RingOut)
{
    public const int Count = 6;

    public static readonly string[] TermNames = ["survival", "attack_hit", "knockout", "damage_taken", "near_edge", "ring_out"];

    public static RewardWeights Default => new(1f, 2f, 10f, -1f, -3f, -10f);

    public float this[RewardTerm term] => term switch
    {
        RewardTerm.Survival => Survival,
        RewardTerm.AttackHit => AttackHit,
        RewardTerm.Knockout => Knockout,
        RewardTerm.DamageTaken => DamageTaken,
        RewardTerm.NearEdge => NearEdge,
        RewardTerm.RingOut => RingOut,
        _ => throw new ArgumentOutOfRangeException(nameof(term)),
    };

    public void CopyTo(Span<float> destination)
    {
        destination[0] = Survival; destination[1] = AttackHit; destination[2] = Knockout;
        destination[3] = DamageTaken; destination[4] = NearEdge; destination[5] = RingOut;
    }

    public static RewardWeights FromSpan(ReadOnlySpan<float> w) => new(w[0], w[1], w[2], w[3], w[4], w[5]);

    public RewardWeights Scale(RewardWeights factors) => new(
        Survival * factors.Survival, AttackHit * factors.AttackHit, Knockout * factors.Knockout,
        DamageTaken * factors.DamageTaken, NearEdge * factors.NearEdge, RingOut * factors.RingOut);

    public void Validate()
    {
        Span<float> w = stackalloc float[Count];
        CopyTo(w);
        for (int k = 0; k < Count; k++)
            if (!float.IsFinite(w[k]))
                throw new ArgumentException($"reward weight {TermNames[k]} must be a finite number, got {w[k]}.", TermNames[k]);
    }

    /// <summary>Term name to weight, in term order.</summary>
    public Dictionary<string, float> ToDictionary()
    {
        Span<float> w = stackalloc float[Count];
        CopyTo(w);
        var map = new Dictionary<string, float>(Count);
        for (int k = 0; k < Count; k++) map[TermNames[k]] = w[k];
        return map;
    }

    /// <summary>These weights with some terms set directly (a job's or a profile's reward customisation).</summary>
    /// <exception cref="ArgumentException">an unknown term or a weight that is not finite; ParamName is the term.</exception>
    public RewardWeights With(IReadOnlyDictionary<string, float>? overrides)
    {
        if (overrides is null || overrides.Count == 0) return this;
        Span<float> w = stackalloc float[Count];
        CopyTo(w);
        foreach (var (term, value) in overrides)
        {
            int k = Array.IndexOf(TermNames, term);
            if (k < 0) throw new ArgumentException($"unknown reward term '{term}'; expected {string.Join(", ", TermNames)}.", term);
            if (!float.IsFinite(value)) throw new ArgumentException($"reward weight {term} must be a finite number, got {value}.", term);
            w[k] = value;
        }
        return FromSpan(w);
    }

    /// <summary>The weights of a personality under a training mode: seed weights x personality factors x mode factors.</summary>
    public static RewardWeights For(Personality personality, TrainingMode mode = TrainingMode.Tactical) =>
        Default.Scale(personality.Factors()).Scale(mode.Factors());
}

/// <summary>
/// The five personality sliders (docs/CONTRACT.md, "Personality → weights"), each 0-100 with 50 neutral. Each slider scales some reward weights
/// by a factor linear in the slider (see <see cref="Factors"/> and docs/CONTRACT.md).
/// </summary>
public readonly record struct Personality(
    float Aggression = 50, float Positioning = 50, float Targeting = 50, float RiskTolerance = 50, float Endurance = 50)
{
    /// <summary>Neutral: every slider at 50 (also what <c>new Personality()</c> gives).</summary>
    public Personality() : this(50, 50, 50, 50, 50) { }

    public static Personality Neutral => new(50, 50, 50, 50, 50);

    public void Validate()
    {
        Check(Aggression, "aggression"); Check(Positioning, "positioning"); Check(Targeting, "targeting");
        Check(RiskTolerance, "risk_tolerance"); Check(Endurance, "endurance");

        static void Check(float value, string field)
        {
            if (!float.IsFinite(value) || value < 0 || value > 100)
                throw new ArgumentException($"{field} must be a number from 0 to 100, got {value}.", field);
        }
    }

    /// <summary>
    /// Multipliers per reward term. With s = slider / 50 (0 to 2, 1 neutral):
    /// aggression raises attack_hit (0.25+0.75s) and knockout (0.5+0.5s) and lowers survival (1.5-0.5s);
    /// positioning raises the near_edge penalty (0.25+0.75s);
    /// targeting raises knockout (0.5+0.5s) and lowers attack_hit (1.25-0.25s): finish opponents, do not spread hits;
    /// risk tolerance lowers damage_taken (1.75-0.75s), ring_out (1.5-0.5s) and near_edge (1.25-0.25s);
    /// endurance raises survival (0.25+0.75s).
    /// </summary>
    public RewardWeights Factors()
    {
        float a = Aggression / 50f, p = Positioning / 50f, t = Targeting / 50f, r = RiskTolerance / 50f, e = Endurance / 50f;
        return new RewardWeights(
            Survival: (1.5f - 0.5f * a) * (0.25f + 0.75f * e),
            AttackHit: (0.25f + 0.75f * a) * (1.25f - 0.25f * t),
            Knockout: (0.5f + 0.5f * a) * (0.5f + 0.5f * t),
            DamageTaken: 1.75f - 0.75f * r,
            NearEdge: (0.25f + 0.75f * p) * (1.25f - 0.25f * r),
            RingOut: 1.5f - 0.5f * r);
    }
}

/// <summary>The training modes (docs/CONTRACT.md, "Training modes"): presets that scale reward terms (and, in training, choose opponents).</summary>
public enum TrainingMode { Survival, Aggression, Tactical, Adaptation, Tournament }

public static class TrainingModes
{
    public static RewardWeights Factors(this TrainingMode mode) => mode switch
    {
        // Stay alive: survival and avoiding damage and ring-outs count more, hitting less.
        TrainingMode.Survival => new(2f, 0.5f, 1f, 1.5f, 1f, 1.5f),
        // Hit and finish: attack and knockout count more, survival less.
        TrainingMode.Aggression => new(0.5f, 2f, 1.5f, 1f, 1f, 1f),
        // The seed weights as they are: balanced.
        TrainingMode.Tactical => new(1f, 1f, 1f, 1f, 1f, 1f),
        // Balanced weights; the trainer varies opponents most in this mode.
        TrainingMode.Adaptation => new(1f, 1f, 1f, 1f, 1f, 1f),
        // Winning is what counts: eliminations both ways weigh more, time alone less.
        TrainingMode.Tournament => new(0.5f, 1f, 1.5f, 1f, 1f, 1.5f),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown training mode"),
    };

    public static string Name(this TrainingMode mode) => mode.ToString().ToLowerInvariant();

    public static TrainingMode Parse(string text) =>
        Enum.TryParse<TrainingMode>(text, ignoreCase: true, out var mode) && Enum.IsDefined(mode)
            ? mode
            : throw new ArgumentException($"unknown training mode '{text}'; expected one of survival, aggression, tactical, adaptation, tournament.", "mode");
}
