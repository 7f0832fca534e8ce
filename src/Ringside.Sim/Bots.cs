namespace Ringside.Sim;

/// <summary>
/// Anything that picks a fighter's action from its contract-v1 observation: a scripted bot, a human's
/// input, a trained network. Called once per tick while the fighter is in the ring.
/// </summary>
public interface IFighterController
{
    int Decide(ReadOnlySpan<float> observation);
}

/// <summary>The scripted baseline opponents (docs/BENCHMARKS.md), used for training and for evaluation.</summary>
public static class Bots
{
    public static readonly string[] Names = ["idle", "random", "chaser", "cautious"];

    public static bool IsBot(string name) => Array.IndexOf(Names, name.Trim().ToLowerInvariant()) >= 0;

    /// <summary>Creates the bot <paramref name="name"/> for a fighter of <paramref name="spec"/>; its randomness comes from <paramref name="seed"/>.</summary>
    public static IFighterController Create(string name, FighterSpec spec, ulong seed) => name.Trim().ToLowerInvariant() switch
    {
        "idle" => new IdleBot(),
        "random" => new RandomBot(seed),
        "chaser" => new ChaserBot(spec),
        "cautious" => new CautiousBot(spec),
        _ => throw new ArgumentException($"unknown bot '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name)),
    };

    /// <summary>The nearest enemy of an observation in metres relative to us; false if none is left.</summary>
    internal static bool NearestEnemy(ReadOnlySpan<float> obs, out float dx, out float dy, out float health)
    {
        const float metres = 2f * ArenaRules.RingHalfSize;
        dx = obs[Contract.EnemyBlockOffset] * metres;
        dy = obs[Contract.EnemyBlockOffset + 1] * metres;
        health = obs[Contract.EnemyBlockOffset + 2] * ArenaRules.MaxHealth;
        return health > 0f;
    }

    /// <summary>Centre distance at which an attack surely lands on a standard-size enemy.</summary>
    internal static float StrikeDistance(FighterStats me) => me.Radius + me.Reach + 0.9f * ArenaRules.BaseRadius;
}

/// <summary>Stands still and never attacks.</summary>
public sealed class IdleBot : IFighterController
{
    public int Decide(ReadOnlySpan<float> observation) => Contract.Idle;
}

/// <summary>Uniformly random actions from its own seeded stream.</summary>
public sealed class RandomBot(ulong seed) : IFighterController
{
    private SplitMix64 rng = new(seed);
    public int Decide(ReadOnlySpan<float> observation) => rng.NextInt(Contract.ActionCount);
}

/// <summary>Goes for the nearest enemy and attacks whenever it is in reach.</summary>
public sealed class ChaserBot(FighterSpec spec) : IFighterController
{
    private readonly float strike = Bots.StrikeDistance(spec.Stats);

    public int Decide(ReadOnlySpan<float> observation)
    {
        if (!Bots.NearestEnemy(observation, out float dx, out float dy, out _)) return Contract.Idle;
        return dx * dx + dy * dy <= strike * strike ? Contract.Attack : Contract.MoveToward(dx, dy);
    }
}

/// <summary>
/// Holds the middle of the ring: walks back to the centre when near the ropes, retreats (towards the
/// centre) from a healthier enemy, attacks whatever comes into reach, and otherwise waits half-way
/// between the centre and the nearest enemy rather than chasing it to the ropes.
/// </summary>
public sealed class CautiousBot(FighterSpec spec) : IFighterController
{
    private readonly float strike = Bots.StrikeDistance(spec.Stats);

    public int Decide(ReadOnlySpan<float> observation)
    {
        float x = observation[0] * ArenaRules.RingHalfSize, y = observation[1] * ArenaRules.RingHalfSize;
        float myHealth = observation[2] * ArenaRules.MaxHealth;
        float toRopes = ArenaRules.RingHalfSize - MathF.Max(MathF.Abs(x), MathF.Abs(y));
        if (toRopes < 1.5f) return Contract.MoveToward(-x, -y);
        if (!Bots.NearestEnemy(observation, out float dx, out float dy, out float enemyHealth))
            return Contract.MoveToward(-x, -y);

        float d2 = dx * dx + dy * dy;
        if (d2 <= strike * strike) return Contract.Attack;
        if (enemyHealth > myHealth + 20f && d2 < 9f) return Contract.MoveToward(-dx - x, -dy - y);

        // Wait at the midpoint of the centre and the enemy: meet it there, never at the ropes.
        float targetX = 0.5f * (x + dx) - x, targetY = 0.5f * (y + dy) - y;
        return targetX * targetX + targetY * targetY < 0.04f ? Contract.Idle : Contract.MoveToward(targetX, targetY);
    }
}
