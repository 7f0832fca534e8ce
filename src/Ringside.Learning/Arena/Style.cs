using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>
/// Training only, not a contract term: the part of a personality that the contract's reward terms cannot express,
/// paid to the learner per step so that each slider shows in how it fights (docs/CONTRACT.md, "What each slider does").
/// The contract's terms price outcomes (hits, eliminations, damage); a fighter paid only for outcomes learns the one
/// way to win that they reward, whatever its sliders. These terms price the behaviour itself, each in proportion to
/// the slider's distance from 50, so that a neutral personality gets none of them.
/// </summary>
/// <param name="PerSwing">paid per attack swung, charged below 0 (aggression: swing freely, or only when it pays).</param>
/// <param name="ForCloseness">above 0, paid per second for standing near the nearest enemy and charged for standing away
/// (aggression: press); below 0, paid per second for distance from the nearest enemy while it has more health than that
/// enemy (aggression: a point fighter, who gets ahead and then keeps away, and wins on health at the time limit rather than
/// by knockout). Only while ahead: paid to keep away at all times, the fighter never swung and could not win.</param>
/// <param name="ForCentre">above 0, paid per second for distance from the ropes beyond <see cref="NeutralEdgeDistance"/> and
/// charged within it (positioning: hold the centre); below 0, charged per second for each metre between the fighter and
/// <see cref="WorkingDistance"/> from the ropes (positioning: work the ropes). A band near the ropes, not a pull onto
/// them: pulled all the way (a charge for any distance from them), the fighter stood on the ropes, where the chaser's
/// knockback put it out of the ring, and lost every duel.</param>
/// <param name="PerHitOnWeakest">paid per hit on the weakest of several enemies, charged per hit on another one
/// (targeting: finish the weakest, or spread the damage).</param>
/// <param name="ForExposure">paid per second while the nearest enemy could strike the fighter: its attack is ready (off
/// cooldown) and the fighter is within its reach (risk tolerance above 50: a risk-taker stands and trades where it can be
/// hit). The fighter sees both conditions: its reach margin and the enemy's cooldown.</param>
/// <param name="ForHealth">paid per second for the health kept, and credited for it on a win (endurance above 50: last;
/// below, nothing).</param>
/// <param name="ForHealthAtWin">credited on a win only, per second of the time limit left, for the health kept (risk
/// tolerance below 50: a careful fighter values coming out of a fight whole). It replaced a charge per second for standing
/// in a ready enemy's reach (plus a margin), which was a knife edge: too small and the fighter fought as a neutral one
/// does, too large and it kept out of reach and lost its duels.</param>
public readonly record struct Style(
    float PerSwing, float ForCloseness, float ForCentre, float PerHitOnWeakest, float ForExposure, float ForHealth, float ForHealthAtWin)
{
    /// <summary>No style terms: the contract's reward alone.</summary>
    public static Style None => default;

    public bool IsNone => this == default;

    /// <summary>Distance (centre to centre) at and beyond which a fighter counts as away from its nearest enemy.</summary>
    public const float FarDistance = 4f;

    /// <summary>Distance from the ropes paid nothing by <see cref="ForCentre"/> above 0: nearer costs, farther pays.</summary>
    public const float NeutralEdgeDistance = 3f;

    /// <summary>
    /// Where a low-positioning fighter works, in metres from the ropes: near them but beyond a standard hit's knockback
    /// (about 0.75 m at the rope-break speed), so that working the ropes does not mean being put over them.
    /// </summary>
    public const float WorkingDistance = 2f;

    /// <summary>
    /// The style of a personality. With d = slider / 50 − 1 (−1 to +1, 0 neutral) each term is its coefficient × d, in the
    /// units of the contract's reward terms (a standard hit taken costs 1).
    /// </summary>
    public static Style For(Personality p)
    {
        static float D(float slider) => slider / 50f - 1f;
        float a = D(p.Aggression), pos = D(p.Positioning), t = D(p.Targeting), r = D(p.RiskTolerance), e = D(p.Endurance);
        return new Style(
            PerSwing: 0.5f * a,
            ForCloseness: (a > 0 ? 4f : 12f) * a,
            ForCentre: (pos > 0 ? 12f : 2.4f) * pos,
            PerHitOnWeakest: 2f * t,
            ForExposure: 4f * MathF.Max(r, 0f),
            ForHealth: 2f * MathF.Max(e, 0f),
            ForHealthAtWin: 2f * MathF.Max(-r, 0f));
    }

    /// <summary>
    /// The style reward of the learner of <paramref name="arena"/> for the step just taken; <paramref name="targetChoiceAtStart"/>
    /// is its <see cref="Surroundings.TargetChoice"/> at the start of the step.
    /// </summary>
    public float Reward(ArenaBatch batch, int arena, int fighters, int targetChoiceAtStart)
    {
        var me = batch.Fighter(arena * fighters);
        float reward = (me.Events.HasFlag(FighterEvents.Attacked) ? PerSwing : 0f)
                     + (me.Events.HasFlag(FighterEvents.HitLanded) ? PerHitOnWeakest * targetChoiceAtStart : 0f);
        if (!me.Alive) return reward;
        var (nearest, nearestHealth, enemyReady, strikeMargin) = Surroundings.NearestEnemy(batch, arena, fighters);
        float near = float.IsNaN(nearest) ? 0f : 1f - MathF.Min(nearest, FarDistance) / FarDistance; // 1 touching, 0 far or none
        float edge = me.DistanceToRopes;
        float closeness = ForCloseness >= 0 ? ForCloseness * (near - 0.5f)
                        : me.Health > nearestHealth ? -ForCloseness * (1f - near) : 0f; // ahead on health (false with no enemy: NaN)
        float perSecond = closeness
                        + (ForCentre >= 0 ? CentrePay(edge) : ForCentre * MathF.Abs(edge - WorkingDistance))
                        + (enemyReady && strikeMargin <= 0f ? ForExposure : 0f)
                        + ForHealth * me.Health / ArenaRules.MaxHealth;
        return reward + perSecond * ArenaRules.Dt;
    }

    /// <summary>
    /// Per second, what the learner of <paramref name="arena"/> is paid for where it stands and the health it has, which a
    /// winner is credited for the rest of the time limit: high positioning's pay for the centre (not its charge near the
    /// ropes); for low positioning, up to its charge's coefficient at <see cref="WorkingDistance"/> from the ropes, falling
    /// to nothing 2 m from there (a narrower band, 1 m, was rarely where a fight ended, and taught nothing); endurance's pay
    /// for health, and low risk tolerance's credit for it.
    /// </summary>
    public float StandingRate(ArenaBatch batch, int arena, int fighters)
    {
        var me = batch.Fighter(arena * fighters);
        if (!me.Alive) return 0f;
        float edge = me.DistanceToRopes;
        float place = ForCentre >= 0 ? CentrePay(edge)
                                     : -ForCentre * (1f - MathF.Abs(edge - WorkingDistance) / WorkingDistance); // within 2 m of the band
        return MathF.Max(place, 0f) + (ForHealth + ForHealthAtWin) * me.Health / ArenaRules.MaxHealth;
    }

    /// <summary>High positioning's pay per second <paramref name="edge"/> metres from the ropes (a charge nearer than <see cref="NeutralEdgeDistance"/>).</summary>
    private float CentrePay(float edge) => ForCentre * (edge - NeutralEdgeDistance) / (ArenaRules.RingHalfSize - NeutralEdgeDistance);
}
