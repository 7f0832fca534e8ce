namespace Ringside.Sim;

/// <summary>
/// A fighter's metadata as the server stores it (docs/CONTRACT.md, Fighter metadata) (<c>{"size": 1.0, "speed": 1.0}</c>). Both are multipliers
/// in [0.5, 2]; <see cref="Stats"/> turns them into physics, as docs/CONTRACT.md documents.
/// </summary>
public readonly record struct FighterSpec(float Size = 1f, float Speed = 1f)
{
    public const float MinMultiplier = 0.5f;
    public const float MaxMultiplier = 2f;

    public static FighterSpec Standard => new(1f, 1f);

    /// <summary>Throws <see cref="ArgumentException"/> naming the field at fault.</summary>
    public void Validate(string? name = null)
    {
        string who = name is null ? "fighter" : $"fighter '{name}'";
        Check(Size, "size");
        Check(Speed, "speed");

        void Check(float value, string field)
        {
            if (!float.IsFinite(value))
                throw new ArgumentException($"{who}: {field} must be a finite number, got {value}.", field);
            if (value < MinMultiplier || value > MaxMultiplier)
                throw new ArgumentException($"{who}: {field} must be between {MinMultiplier} and {MaxMultiplier}, got {value}.", field);
        }
    }

    public FighterStats Stats => FighterStats.From(this);
}

/// <summary>
/// Physical properties derived from a <see cref="FighterSpec"/>. Bigger fighters are heavier, reach further
/// and hit harder but are slower; faster fighters accelerate and run faster.
/// </summary>
public readonly record struct FighterStats(
    float Radius, float Mass, float MaxSpeed, float Reach, float Damage, float Knockback)
{
    public static FighterStats From(FighterSpec spec)
    {
        float size = spec.Size, speed = spec.Speed;
        return new FighterStats(
            Radius: ArenaRules.BaseRadius * size,
            Mass: size * size,
            MaxSpeed: ArenaRules.BaseMaxSpeed * speed / MathF.Sqrt(size),
            Reach: ArenaRules.BaseReach * size,
            Damage: ArenaRules.BaseDamage * size,
            Knockback: ArenaRules.BaseKnockback * size);
    }
}

/// <summary>The constants of the arena's physics (SI units: metres, seconds). See docs/CONTRACT.md.</summary>
public static class ArenaRules
{
    public const int TicksPerSecond = 30;
    public const float Dt = 1f / TicksPerSecond;

    /// <summary>Half the side of the square ring: the ring spans [-5, 5] m on both axes.</summary>
    public const float RingHalfSize = 5f;

    public const float MaxHealth = 100f;
    public const float BaseRadius = 0.5f;
    public const float BaseMaxSpeed = 3.5f;
    /// <summary>Gap between the two bodies' surfaces within which an attack lands.</summary>
    public const float BaseReach = 0.6f;
    public const float BaseDamage = 10f;
    /// <summary>Velocity change given to a defender of mass 1 by a standard hit.</summary>
    public const float BaseKnockback = 9f;
    /// <summary>Upper bound on a single hit's velocity change, whatever the mass ratio.</summary>
    public const float MaxKnockbackSpeed = 15f;
    /// <summary>Ticks between two attacks (1/3 s): shorter than a knocked-back opponent needs to come back into reach.</summary>
    public const int AttackCooldownTicks = 10;

    /// <summary>Velocity kept per tick (friction): a knocked-back fighter slides about a metre.</summary>
    public const float Damping = 0.8f;
    /// <summary>A fighter leaving the ring faster than this breaks through the ropes (ring-out); slower, the ropes stop it.</summary>
    public const float RopeBreakSpeed = 5f;
    /// <summary>Distance to the ropes under which a fighter counts as near the edge (reward term near_edge).</summary>
    public const float EdgeZone = 1f;
    /// <summary>An elimination within this many ticks of a hit is credited to the hitter.</summary>
    public const int CreditTicks = 3 * TicksPerSecond;

    /// <summary>Velocity scale of observations: 10 m/s maps to 1.</summary>
    public const float ObservedSpeedScale = 10f;

    /// <summary>Reach-margin scale of observations: 2 m maps to 1.</summary>
    public const float ObservedMarginScale = 2f;

    public const int DefaultMaxTicks = 60 * TicksPerSecond;
}
