using System.Numerics;
using static Ringside.Assets.Bone;

namespace Ringside.Assets;

/// <summary>
/// A keyframe pose: Euler angles in degrees per bone. X pitches (negative swings a hanging limb forward,
/// positive bends a knee or tips the body forward), Y twists (positive turns to the fighter's left),
/// Z tilts sideways (positive raises a left limb outwards). <see cref="Both"/> mirrors a left-side value to the right.
/// </summary>
internal sealed class Pose
{
    private readonly Vector3[] _angles;

    private Pose(Vector3[] angles, float slide, float lift)
    {
        _angles = angles;
        Slide = slide;
        Lift = lift;
    }

    public static Pose Rest { get; } = new(new Vector3[FighterModelBuilder.JointNames.Count], 0, 0);

    /// <summary>Root movement along the facing axis (+Z), metres at size 1.</summary>
    public float Slide { get; }

    /// <summary>Height of the lowest point of the body above the floor (a jump), metres at size 1.</summary>
    public float Lift { get; }

    public Vector3 this[int bone] => _angles[bone];

    public Pose Set(Bone bone, float x, float y = 0, float z = 0)
    {
        var angles = (Vector3[])_angles.Clone();
        angles[(int)bone] = new Vector3(x, y, z);
        return new Pose(angles, Slide, Lift);
    }

    public Pose Both(Bone left, float x, float y = 0, float z = 0) => Set(left, x, y, z).Set(Opposite(left), x, -y, -z);

    /// <summary>The same pose with left and right exchanged (the second half of a walk cycle).</summary>
    public Pose Mirrored()
    {
        var angles = new Vector3[_angles.Length];
        for (int b = 0; b < angles.Length; b++)
            angles[(int)Opposite((Bone)b)] = _angles[b] * new Vector3(1, -1, -1);
        return new Pose(angles, Slide, Lift);
    }

    public Pose Slid(float slide) => new(_angles, slide, Lift);

    public Pose Lifted(float lift) => new(_angles, Slide, lift);

    private static Bone Opposite(Bone bone) => bone switch
    {
        UpperArmL => UpperArmR,
        UpperArmR => UpperArmL,
        LowerArmL => LowerArmR,
        LowerArmR => LowerArmL,
        UpperLegL => UpperLegR,
        UpperLegR => UpperLegL,
        LowerLegL => LowerLegR,
        LowerLegR => LowerLegL,
        _ => bone,
    };
}

/// <summary>The six standard clips, authored as a few key poses each. Every key is put on the floor by
/// skinning the mesh and lifting the root until its lowest vertex touches y = 0 (plus the pose's lift),
/// so bent knees never push feet through the floor and a fallen fighter lies on it, whatever the build.</summary>
internal static class FighterAnimations
{
    // Fists up, elbows in, knees soft.
    private static readonly Pose Guard = Pose.Rest
        .Set(Spine, 4).Set(Chest, 4).Set(Neck, -4).Set(Head, -2)
        .Both(UpperArmL, -40, 0, 6).Both(LowerArmL, -100, -35)
        .Both(UpperLegL, -12, 0, 4).Both(LowerLegL, 22);

    private static readonly Pose Recoil = Guard
        .Set(Spine, -8).Set(Chest, -10).Set(Neck, -12).Set(Head, -18, 8)
        .Both(UpperArmL, -20, 0, 28).Both(LowerArmL, -55)
        .Both(UpperLegL, -20, 0, 4).Both(LowerLegL, 32);

    private static readonly Pose ArmsUp = Pose.Rest
        .Set(Chest, -6).Set(Head, -12)
        .Both(UpperArmL, 0, 0, 150).Both(LowerArmL, 0, 0, 15);

    public static FighterClip[] Build(Vector3[] bind, (Vector3 Position, int Joint)[] vertices)
    {
        FighterClip Clip(string name, params (float Time, Pose Pose)[] keys) => Sample(name, keys, bind, vertices);

        // Breathing: the chest rises and the knees give a little.
        Pose inhale = Guard.Set(Chest, 0).Set(Spine, 3).Both(UpperArmL, -42, 0, 11).Both(UpperLegL, -15, 0, 4).Both(LowerLegL, 28);

        // Left foot forward, right arm forward; the chest counter-twists the hips.
        Pose contact = Guard
            .Set(Hips, 0, -5).Set(Chest, 4, 6)
            .Set(UpperLegL, -28, 0, 3).Set(LowerLegL, 10).Set(UpperLegR, 20, 0, -3).Set(LowerLegR, 18)
            .Set(UpperArmL, -28, 0, 8).Set(UpperArmR, -55, 0, -8);
        Pose passing = Guard
            .Set(UpperLegL, -2, 0, 3).Set(LowerLegL, 8).Set(UpperLegR, -22, 0, -3).Set(LowerLegR, 60);

        // A right straight: load the right shoulder back, then twist through and extend.
        Pose windup = Guard.Set(Chest, 4, -12).Set(UpperArmR, -45, 0, -18).Set(LowerArmR, -115);
        Pose strike = Guard
            .Set(Spine, 10, 8).Set(Chest, 6, 22)
            .Set(UpperArmR, -88, 0, 4).Set(LowerArmR, -4).Set(UpperArmL, -45, 0, 12).Set(LowerArmL, -110)
            .Set(UpperLegL, -25, 0, 4).Set(LowerLegL, 25).Set(UpperLegR, 14, 0, -4).Set(LowerLegR, 12);
        Pose retract = strike.Set(UpperArmR, -80, 0, 0).Set(LowerArmR, -40);

        // Knocked out: stagger, knees buckle, topple backwards (root pitched), land on the back.
        Pose stagger = Recoil.Set(Head, -30, 10);
        Pose buckle = Pose.Rest
            .Set(Spine, 18).Set(Chest, 10).Set(Neck, 10).Set(Head, 20, 12)
            .Both(UpperArmL, -8, 0, 6).Both(LowerArmL, -15)
            .Both(UpperLegL, -45, 0, 6).Both(LowerLegL, 85);
        Pose falling = Pose.Rest
            .Set(Root, -50).Set(Spine, 5).Set(Head, -10, 15)
            .Both(UpperArmL, -60, 0, 40).Both(LowerArmL, -30)
            .Both(UpperLegL, -35, 0, 6).Both(LowerLegL, 50).Slid(0.2f);
        // Feet slide forward as the body goes back, keeping the body near the fighter's spot in the ring.
        Pose down = Pose.Rest
            .Set(Root, -90).Set(Head, 0, 30)
            .Both(UpperArmL, -15, 0, 75).Both(LowerArmL, -20)
            .Both(UpperLegL, -10, 0, 8).Both(LowerLegL, 12).Slid(0.5f);

        Pose crouch = Guard.Set(Spine, 14).Both(UpperArmL, 20, 0, 12).Both(LowerArmL, -25).Both(UpperLegL, -45, 0, 5).Both(LowerLegL, 85);
        Pose jump = ArmsUp.Both(UpperLegL, -15, 0, 5).Both(LowerLegL, 35).Lifted(0.3f);
        Pose land = ArmsUp.Both(UpperLegL, -35, 0, 5).Both(LowerLegL, 65);
        Pose pump = ArmsUp.Both(UpperArmL, 0, 0, 140).Both(LowerArmL, -35, 0, 10);

        return
        [
            Clip(FighterClips.Idle, (0, Guard), (1f, inhale), (2f, Guard)),
            Clip(FighterClips.Walk, (0, contact), (0.2f, passing), (0.4f, contact.Mirrored()), (0.6f, passing.Mirrored()), (0.8f, contact)),
            Clip(FighterClips.Attack, (0, Guard), (0.1f, windup), (0.18f, strike), (0.25f, retract), (0.35f, Guard)),
            Clip(FighterClips.Hit, (0, Guard), (0.08f, Recoil), (0.3f, Guard)),
            Clip(FighterClips.Knockout, (0, Guard), (0.12f, stagger), (0.45f, buckle), (0.8f, falling), (1f, down.Lifted(0.04f)), (1.2f, down)),
            Clip(FighterClips.Victory, (0, Guard), (0.2f, crouch), (0.45f, jump), (0.7f, land), (1f, ArmsUp), (1.25f, pump), (1.5f, ArmsUp)),
        ];
    }

    private static FighterClip Sample(string name, (float Time, Pose Pose)[] keys, Vector3[] bind, (Vector3 Position, int Joint)[] vertices)
    {
        int jointCount = bind.Length;
        var rotations = new Quaternion[jointCount][];
        for (int j = 0; j < jointCount; j++)
        {
            rotations[j] = new Quaternion[keys.Length];
            for (int k = 0; k < keys.Length; k++)
            {
                Quaternion q = FromEuler(keys[k].Pose[j]);
                // Neighbouring keys in the same hemisphere, so interpolation takes the short way round.
                if (k > 0 && Quaternion.Dot(q, rotations[j][k - 1]) < 0)
                    q = -q;
                rotations[j][k] = q;
            }
        }
        var rootTranslations = new Vector3[keys.Length];
        for (int k = 0; k < keys.Length; k++)
        {
            var slid = new Vector3(0, 0, keys[k].Pose.Slide);
            float lowest = LowestPoint(bind, vertices, rotations.Select(r => r[k]).ToArray(), slid);
            rootTranslations[k] = slid + new Vector3(0, keys[k].Pose.Lift - lowest, 0);
        }
        return new FighterClip(name, keys.Select(k => k.Time).ToArray(), rotations, rootTranslations);
    }

    /// <summary>Lowest y of the skinned mesh with these joint rotations and root translation.</summary>
    internal static float LowestPoint(Vector3[] bind, (Vector3 Position, int Joint)[] vertices, Quaternion[] rotations, Vector3 rootTranslation)
    {
        var skinning = new Matrix4x4[bind.Length];
        var world = new Matrix4x4[bind.Length];
        for (int j = 0; j < bind.Length; j++)
        {
            int parent = FighterModelBuilder.Parents[j];
            Vector3 offset = parent < 0 ? rootTranslation : bind[j] - bind[parent];
            Matrix4x4 local = Matrix4x4.CreateFromQuaternion(rotations[j]) * Matrix4x4.CreateTranslation(offset);
            world[j] = parent < 0 ? local : local * world[parent];
            skinning[j] = Matrix4x4.CreateTranslation(-bind[j]) * world[j];
        }
        float lowest = float.PositiveInfinity;
        foreach (var (position, joint) in vertices)
            lowest = Math.Min(lowest, Vector3.Transform(position, skinning[joint]).Y);
        return lowest;
    }

    /// <summary>Rotation Y·X·Z (Z applied first), computed in double and rounded to 6 decimals so the
    /// bytes do not depend on the last bit of a platform's sine.</summary>
    private static Quaternion FromEuler(Vector3 degrees)
    {
        static (double X, double Y, double Z, double W) Axis(double deg, int axis)
        {
            double half = deg * Math.PI / 360, s = Math.Sin(half), c = Math.Cos(half);
            return axis switch { 0 => (s, 0, 0, c), 1 => (0, s, 0, c), _ => (0, 0, s, c) };
        }
        static (double X, double Y, double Z, double W) Multiply((double X, double Y, double Z, double W) a, (double X, double Y, double Z, double W) b) => (
            a.W * b.X + a.X * b.W + a.Y * b.Z - a.Z * b.Y,
            a.W * b.Y - a.X * b.Z + a.Y * b.W + a.Z * b.X,
            a.W * b.Z + a.X * b.Y - a.Y * b.X + a.Z * b.W,
            a.W * b.W - a.X * b.X - a.Y * b.Y - a.Z * b.Z);

        var q = Multiply(Multiply(Axis(degrees.Y, 1), Axis(degrees.X, 0)), Axis(degrees.Z, 2));
        double x = Math.Round(q.X, 6), y = Math.Round(q.Y, 6), z = Math.Round(q.Z, 6), w = Math.Round(q.W, 6);
        double length = Math.Sqrt(x * x + y * y + z * z + w * w);
        return new Quaternion((float)(x / length), (float)(y / length), (float)(z / length), (float)(w / length));
    }
}
