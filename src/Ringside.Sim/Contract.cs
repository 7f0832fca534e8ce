namespace Ringside.Sim;

/// <summary>
/// Environment contract v1: the observation layout and the action set, frozen once landed
/// (docs/CONTRACT.md explains every value; tests pin them).
/// </summary>
public static class Contract
{
    public const int Version = 1;

    /// <summary>Own position (2), own health (1), own velocity (2), then 5 nearest living enemies x 5.</summary>
    public const int ObservationSize = 30;
    public const int ActionCount = 10;
    public const int ObservedEnemies = 5;
    public const int ValuesPerEnemy = 5;
    public const int EnemyBlockOffset = 5;

    public const int Idle = 8;
    public const int Attack = 9;

    /// <summary>Action names by index, as they appear in frame exports and the API.</summary>
    public static readonly string[] ActionNames =
        ["move_e", "move_ne", "move_n", "move_nw", "move_w", "move_sw", "move_s", "move_se", "idle", "attack"];

    private const float Diagonal = 0.70710677f;

    /// <summary>Unit vectors of the move actions 0-7: 0 is +x (east), then counter-clockwise in 45 degree steps.</summary>
    public static ReadOnlySpan<float> MoveX => MoveXTable;
    public static ReadOnlySpan<float> MoveY => MoveYTable;

    // Arrays rather than span literals: a span literal of floats allocates on every read in unoptimised builds.
    private static readonly float[] MoveXTable = [1f, Diagonal, 0f, -Diagonal, -1f, -Diagonal, 0f, Diagonal];
    private static readonly float[] MoveYTable = [0f, Diagonal, 1f, Diagonal, 0f, -Diagonal, -1f, -Diagonal];

    public static bool IsValidAction(int action) => (uint)action < ActionCount;

    /// <summary>
    /// The move action whose direction is closest to (dx, dy), without trigonometry so that it is exact on
    /// every machine; <see cref="Idle"/> for a zero vector.
    /// </summary>
    public static int MoveToward(float dx, float dy)
    {
        const float tan22_5 = 0.41421356f;
        float ax = MathF.Abs(dx), ay = MathF.Abs(dy);
        if (!(ax > 0f || ay > 0f)) return Idle; // zero vector, or NaN
        if (float.IsNaN(ax) || float.IsNaN(ay)) return Idle;
        if (ay <= ax * tan22_5) return dx >= 0 ? 0 : 4;
        if (ax <= ay * tan22_5) return dy >= 0 ? 2 : 6;
        if (dx >= 0) return dy >= 0 ? 1 : 7;
        return dy >= 0 ? 3 : 5;
    }
}
