using System.Numerics;

namespace Ringside.Assets;

/// <summary>Skeleton joints, in node order (parents first).</summary>
internal enum Bone { Root, Hips, Spine, Chest, Neck, Head, UpperArmL, LowerArmL, UpperArmR, LowerArmR, UpperLegL, LowerLegL, UpperLegR, LowerLegR }

/// <summary>Builds a low-poly skinned wrestler: boxes and prisms per body part, each bound rigidly to one bone.</summary>
public static class FighterModelBuilder
{
    /// <summary>Height of a size-1 fighter in metres.</summary>
    public const float NormalHeight = 1.8f;

    // No dots in names: three.js strips '.' from node names when it binds animation tracks.
    public static IReadOnlyList<string> JointNames { get; } =
    [
        "root", "hips", "spine", "chest", "neck", "head", "upper_arm_l", "lower_arm_l", "upper_arm_r", "lower_arm_r",
        "upper_leg_l", "lower_leg_l", "upper_leg_r", "lower_leg_r",
    ];

    internal static readonly int[] Parents = [-1, 0, 1, 2, 3, 4, 3, 6, 3, 8, 1, 10, 1, 12];

    // Material slots, one glTF primitive each.
    private const int Skin = 0, Outfit = 1, Accent = 2, Detail = 3;

    // Positions are rounded to 1/4096 m: exact in float and in JSON min/max, and immune to last-bit
    // differences between the maths libraries of different platforms.
    private const float Grid = 4096f;

    public static FighterModel Build(FighterLook look)
    {
        if (!(look.Size >= 0.5f && look.Size <= 2f))
            throw new ArgumentOutOfRangeException(nameof(look), look.Size, "Size must be between 0.5 and 2.");
        if (!(look.Speed >= 0.5f && look.Speed <= 2f))
            throw new ArgumentOutOfRangeException(nameof(look), look.Speed, "Speed must be between 0.5 and 2.");

        // Everything is built for size 1 and scaled at the end, so proportions depend on speed only.
        var bind = new Vector3[JointNames.Count];
        var mesh = new MeshBuilder();
        BuildBody(look.Speed, look.Masked, bind, mesh);
        FighterClip[] clips = FighterAnimations.Build(bind, mesh.AllVertices());

        float size = look.Size;
        FighterJoint[] joints = bind.Select((p, j) => new FighterJoint(JointNames[j], Parents[j], Snap(p * size))).ToArray();
        FighterMaterial[] materials =
        [
            new("skin", look.Skin, 0f, 0.7f),
            new("outfit", look.Outfit, 0f, 0.5f),
            new("accent", look.Accent, 0.3f, 0.4f),
            new("detail", Colour.FromHex("#1b1b1f"), 0f, 0.6f),
        ];
        FighterPrimitive[] primitives = materials.Select((material, slot) => new FighterPrimitive(
            material,
            mesh.Positions[slot].Select(p => Snap(p * size)).ToArray(),
            mesh.Normals[slot].ToArray(),
            mesh.Joints[slot].ToArray(),
            mesh.Indices[slot].ToArray())).Where(p => p.Positions.Length > 0).ToArray();
        FighterClip[] scaled = clips.Select(c => c with { RootTranslations = c.RootTranslations.Select(t => Snap(t * size)).ToArray() }).ToArray();
        return new FighterModel(look, joints, primitives, scaled);
    }

    internal static Vector3 Snap(Vector3 v) => new(MathF.Round(v.X * Grid) / Grid, MathF.Round(v.Y * Grid) / Grid, MathF.Round(v.Z * Grid) / Grid);

    private static void BuildBody(float speed, bool masked, Vector3[] bind, MeshBuilder mesh)
    {
        const float h = NormalHeight;
        // Builds: limbs 1.32× thicker at speed 0.5 and 0.76× at speed 2; torsos change less; the hips sit at
        // 40% (slow) to 50% (fast) of the height. Rounded so that every platform computes the same numbers.
        float bulk = (float)Math.Round(Math.Pow(speed, -0.4), 4);
        float torso = (float)Math.Round(Math.Sqrt(bulk), 4);
        float hipY = (float)Math.Round((0.45 + 0.05 * Math.Log2(speed)) * h, 4);

        float neckY = 0.835f * h, shoulderY = neckY - 0.035f, headBaseY = 0.86f * h, headTopY = h - 0.025f;
        float span = neckY - hipY, waistY = hipY + 0.22f * span, chestY = hipY + 0.55f * span;
        float armR = 0.08f * bulk, thighR = 0.095f * bulk, calfR = 0.07f * bulk;
        float chestHalfWidth = 0.34f * torso, shoulderX = chestHalfWidth + 0.75f * armR;
        float elbowY = shoulderY - 0.175f * h, wristY = elbowY - 0.13f * h, fistBottomY = wristY - 0.05f * h;
        float legX = MathF.Max(0.1f, thighR + 0.012f), kneeY = 0.52f * hipY, bootTopY = 0.45f * kneeY;

        void Joint(Bone bone, float x, float y) => bind[(int)bone] = new Vector3(x, y, 0);
        Joint(Bone.Root, 0, 0); // on the floor between the feet: moving the root moves the whole fighter
        Joint(Bone.Hips, 0, hipY + 0.06f);
        Joint(Bone.Spine, 0, hipY + 0.3f * span);
        Joint(Bone.Chest, 0, chestY);
        Joint(Bone.Neck, 0, neckY);
        Joint(Bone.Head, 0, headBaseY);

        // Torso: trunks and belt on the hips, belly on the spine, a chest that widens to the shoulders.
        float trunksHalfWidth = MathF.Max(legX + thighR + 0.01f, 0.23f * torso);
        mesh.Box(Bone.Hips, Outfit, 0, 0, hipY - 0.13f, waistY, new(trunksHalfWidth, 0.14f * torso));
        mesh.Box(Bone.Hips, Accent, 0, 0, waistY - 0.035f, waistY + 0.035f, new(trunksHalfWidth + 0.012f, 0.152f * torso));
        mesh.Box(Bone.Spine, Skin, 0, 0, waistY, chestY, new(0.22f * torso, 0.13f * torso), new(0.26f * torso, 0.14f * torso));
        mesh.Box(Bone.Chest, Skin, 0, 0, chestY - 0.02f, neckY, new(0.26f * torso, 0.14f * torso), new(chestHalfWidth, 0.13f * torso));
        mesh.Cylinder(Bone.Neck, Skin, 0, 0, neckY - 0.03f, headBaseY + 0.03f, 0.065f * torso, 0.06f * torso);

        // Head: a box narrower at the jaw; eyes on the +Z face show which way the fighter looks.
        var jaw = new Vector2(0.095f, 0.105f);
        var crown = new Vector2(0.11f, 0.115f);
        mesh.Box(Bone.Head, masked ? Accent : Skin, 0, 0, headBaseY, headTopY, jaw, crown);
        float eyeY = headBaseY + 0.6f * (headTopY - headBaseY);
        Vector2 eyeHalf = Vector2.Lerp(jaw, crown, 0.6f);
        if (masked) // the luchador mask's eye trim
        {
            mesh.Box(Bone.Head, Outfit, 0, 0, eyeY - 0.03f, eyeY + 0.03f, eyeHalf + new Vector2(0.006f));
            eyeHalf += new Vector2(0.006f);
        }
        else // hair
            mesh.Box(Bone.Head, Detail, 0, -0.004f, headTopY - 0.03f, h, crown + new Vector2(0.008f));
        foreach (float side in (ReadOnlySpan<float>)[1f, -1f])
            mesh.Box(Bone.Head, Detail, side * 0.046f, eyeHalf.Y + 0.003f, eyeY - 0.011f, eyeY + 0.011f, new(0.018f, 0.007f));

        // Limbs hang straight down in the bind pose; +X is the fighter's left (glTF: facing +Z, -X is right).
        foreach (var (side, upperArm, lowerArm, upperLeg, lowerLeg) in (ReadOnlySpan<(float, Bone, Bone, Bone, Bone)>)
                 [(1f, Bone.UpperArmL, Bone.LowerArmL, Bone.UpperLegL, Bone.LowerLegL), (-1f, Bone.UpperArmR, Bone.LowerArmR, Bone.UpperLegR, Bone.LowerLegR)])
        {
            float armX = side * shoulderX, legCentreX = side * legX;
            Joint(upperArm, armX, shoulderY);
            Joint(lowerArm, armX, elbowY);
            Joint(upperLeg, legCentreX, hipY);
            Joint(lowerLeg, legCentreX, kneeY);

            mesh.Cylinder(upperArm, Skin, armX, 0, elbowY - 0.01f, shoulderY + 0.6f * armR, 0.8f * armR, armR);
            mesh.Cylinder(lowerArm, Skin, armX, 0, wristY, elbowY + 0.02f, 0.68f * armR, 0.8f * armR);
            mesh.Box(lowerArm, Accent, armX, 0.005f, fistBottomY, wristY + 0.03f, new(0.7f * armR + 0.01f, 0.75f * armR + 0.012f));

            mesh.Cylinder(upperLeg, Skin, legCentreX, 0, kneeY - 0.02f, hipY + 0.02f, 0.75f * thighR, thighR);
            mesh.Cylinder(lowerLeg, Skin, legCentreX, 0, bootTopY - 0.01f, kneeY + 0.02f, 0.8f * calfR, calfR);
            mesh.Box(lowerLeg, Accent, legCentreX, 0.012f, kneeY - 0.05f, kneeY + 0.045f, new(1.15f * calfR, 1.2f * calfR)); // knee pad
            mesh.Cylinder(lowerLeg, Outfit, legCentreX, 0, 0.06f, bootTopY, 0.85f * calfR + 0.008f, 0.9f * calfR + 0.008f); // boot
            mesh.Box(lowerLeg, Outfit, legCentreX, 0.045f, 0, 0.085f, new(0.055f * torso, 0.12f)); // foot, toes forward
        }
    }
}

/// <summary>Collects flat-shaded faces per material slot; every face gets its own vertices and normal.</summary>
internal sealed class MeshBuilder
{
    public const int Slots = 4;
    public readonly List<Vector3>[] Positions = NewLists<Vector3>();
    public readonly List<Vector3>[] Normals = NewLists<Vector3>();
    public readonly List<byte>[] Joints = NewLists<byte>();
    public readonly List<ushort>[] Indices = NewLists<ushort>();

    private static List<T>[] NewLists<T>() => Enumerable.Range(0, Slots).Select(_ => new List<T>()).ToArray();

    public (Vector3 Position, int Joint)[] AllVertices() =>
        Enumerable.Range(0, Slots).SelectMany(s => Positions[s].Zip(Joints[s], (p, j) => (p, (int)j))).ToArray();

    /// <summary>A box (tapered when <paramref name="topHalf"/> differs) standing on y0, centred on (x, z).</summary>
    public void Box(Bone bone, int slot, float x, float z, float y0, float y1, Vector2 bottomHalf, Vector2? topHalf = null)
    {
        Vector2 top = topHalf ?? bottomHalf;
        Vector2[] Corners(Vector2 half) => [new(x - half.X, z - half.Y), new(x + half.X, z - half.Y), new(x + half.X, z + half.Y), new(x - half.X, z + half.Y)];
        Prism(bone, slot, Corners(bottomHalf), y0, Corners(top), y1);
    }

    /// <summary>An upright prism with <paramref name="sides"/> faces, flat-faced to the front, from radius r0 at y0 to r1 at y1.</summary>
    public void Cylinder(Bone bone, int slot, float x, float z, float y0, float y1, float r0, float r1, int sides = 8)
    {
        Vector2[] Ring(float r) => Enumerable.Range(0, sides).Select(k =>
        {
            double angle = (k + 0.5) * 2 * Math.PI / sides;
            return new Vector2(x + r * (float)Math.Cos(angle), z + r * (float)Math.Sin(angle));
        }).ToArray();
        Prism(bone, slot, Ring(r0), y0, Ring(r1), y1);
    }

    private void Prism(Bone bone, int slot, Vector2[] bottomRing, float y0, Vector2[] topRing, float y1)
    {
        Vector3[] bottom = bottomRing.Select(p => FighterModelBuilder.Snap(new Vector3(p.X, y0, p.Y))).ToArray();
        Vector3[] top = topRing.Select(p => FighterModelBuilder.Snap(new Vector3(p.X, y1, p.Y))).ToArray();
        Vector3 centre = Average(bottom.Concat(top).ToArray());
        int n = bottom.Length;
        for (int k = 0; k < n; k++)
            Face(bone, slot, centre, [bottom[k], bottom[(k + 1) % n], top[(k + 1) % n], top[k]]);
        Face(bone, slot, centre, top);
        Face(bone, slot, centre, bottom);
    }

    /// <summary>A convex polygon as a triangle fan, wound counter-clockwise seen from outside the solid.</summary>
    private void Face(Bone bone, int slot, Vector3 solidCentre, Vector3[] polygon)
    {
        Vector3 normal = Vector3.Zero; // Newell's method: robust for any planar polygon
        for (int i = 0; i < polygon.Length; i++)
        {
            Vector3 a = polygon[i], b = polygon[(i + 1) % polygon.Length];
            normal += new Vector3((a.Y - b.Y) * (a.Z + b.Z), (a.Z - b.Z) * (a.X + b.X), (a.X - b.X) * (a.Y + b.Y));
        }
        normal = Vector3.Normalize(normal);
        if (Vector3.Dot(normal, Average(polygon) - solidCentre) < 0)
        {
            polygon = polygon.Reverse().ToArray();
            normal = -normal;
        }
        int first = Positions[slot].Count;
        if (first + polygon.Length > ushort.MaxValue)
            throw new InvalidOperationException("Too many vertices for 16-bit indices.");
        foreach (Vector3 p in polygon)
        {
            Positions[slot].Add(p);
            Normals[slot].Add(normal);
            Joints[slot].Add((byte)bone);
        }
        for (int i = 1; i + 1 < polygon.Length; i++)
            Indices[slot].AddRange([(ushort)first, (ushort)(first + i), (ushort)(first + i + 1)]);
    }

    private static Vector3 Average(Vector3[] points) => points.Aggregate(Vector3.Zero, (sum, p) => sum + p) / points.Length;
}
