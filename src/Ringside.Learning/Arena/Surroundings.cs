using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>What a learner (slot 0 of its arena) has around it: the measures that evaluation and the style terms share.</summary>
public static class Surroundings
{
    /// <summary>
    /// The nearest enemy still standing: its centre distance from the learner, its health, whether its attack is ready (off
    /// cooldown: it can strike on the coming tick) and its strike margin (the gap between the bodies minus its reach: at or
    /// below 0 the learner is within its reach). A fighter sees the last two as the enemy's cooldown and its own reach
    /// margin. NaN, NaN, false and NaN when no enemy is standing.
    /// </summary>
    public static (float Distance, float Health, bool Ready, float StrikeMargin) NearestEnemy(ArenaBatch batch, int arena, int fighters)
    {
        var me = batch.Fighter(arena * fighters);
        float best = float.NaN, health = float.NaN, strikeMargin = float.NaN;
        bool ready = false;
        for (int s = 1; s < fighters; s++)
        {
            var them = batch.Fighter(arena * fighters + s);
            if (!them.Alive) continue;
            float dx = them.X - me.X, dy = them.Y - me.Y, d = MathF.Sqrt(dx * dx + dy * dy);
            if (float.IsNaN(best) || d < best)
                (best, health, ready, strikeMargin) = (d, them.Health, them.Cooldown == 0, d - me.Radius - them.Radius - them.Reach);
        }
        return (best, health, ready, strikeMargin);
    }

    /// <summary>
    /// The learner's choice of target: 0 without one (fewer than two enemies standing, or all equally healthy); +1 when its
    /// nearest enemy, whom a swing hits, is the weakest one standing; −1 when it is not.
    /// </summary>
    public static int TargetChoice(ArenaBatch batch, int arena, int fighters)
    {
        var me = batch.Fighter(arena * fighters);
        int living = 0, nearest = -1;
        float nearestD = float.MaxValue, weakest = float.MaxValue, strongest = float.MinValue;
        for (int s = 1; s < fighters; s++)
        {
            var them = batch.Fighter(arena * fighters + s);
            if (!them.Alive) continue;
            living++;
            float dx = them.X - me.X, dy = them.Y - me.Y, d = dx * dx + dy * dy;
            if (d < nearestD) { nearestD = d; nearest = s; }
            weakest = MathF.Min(weakest, them.Health);
            strongest = MathF.Max(strongest, them.Health);
        }
        if (living < 2 || !(strongest > weakest)) return 0;
        return batch.Fighter(arena * fighters + nearest).Health <= weakest ? 1 : -1;
    }
}
