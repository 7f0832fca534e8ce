using System.Numerics;
using System.Text.Json.Nodes;

namespace Ringside.Assets;

/// <summary>A skeleton joint. <paramref name="Parent"/> is -1 for the root; parents come before their children.
/// Bind-pose joints carry no rotation, so a joint's bind transform is just its world position.</summary>
public sealed record FighterJoint(string Name, int Parent, Vector3 BindPosition);

public sealed record FighterMaterial(string Name, Colour Colour, float Metallic, float Roughness);

/// <summary>One flat-coloured triangle list; every vertex is bound rigidly to one joint.</summary>
public sealed record FighterPrimitive(FighterMaterial Material, Vector3[] Positions, Vector3[] Normals, byte[] Joints, ushort[] Indices);

/// <summary>A clip sampled at <paramref name="Times"/> (seconds, ascending, from 0): a rotation per joint and key
/// (<c>Rotations[joint][key]</c>) and the root's translation per key. Interpolated linearly.</summary>
public sealed record FighterClip(string Name, float[] Times, Quaternion[][] Rotations, Vector3[] RootTranslations)
{
    public float Duration => Times[^1];
}

/// <summary>A rigged, animated low-poly fighter, in metres, Y up, facing +Z, feet on y = 0.</summary>
public sealed class FighterModel(FighterLook look, IReadOnlyList<FighterJoint> joints, IReadOnlyList<FighterPrimitive> primitives, IReadOnlyList<FighterClip> clips)
{
    public FighterLook Look { get; } = look;
    public IReadOnlyList<FighterJoint> Joints { get; } = joints;
    public IReadOnlyList<FighterPrimitive> Primitives { get; } = primitives;
    public IReadOnlyList<FighterClip> Clips { get; } = clips;

    /// <summary>Bounding box of the bind-pose mesh.</summary>
    public (Vector3 Min, Vector3 Max) Bounds()
    {
        var min = new Vector3(float.PositiveInfinity);
        var max = new Vector3(float.NegativeInfinity);
        foreach (FighterPrimitive primitive in Primitives)
            foreach (Vector3 p in primitive.Positions)
            {
                min = Vector3.Min(min, p);
                max = Vector3.Max(max, p);
            }
        return (min, max);
    }

    public byte[] ToGlb()
    {
        var glb = new GlbWriter();
        var gltfPrimitives = new JsonArray();
        foreach (FighterPrimitive primitive in Primitives)
            gltfPrimitives.Add(WritePrimitive(glb, primitive));

        // Joint i is node i, so skin joint indices, JOINTS_0 values and node indices are the same numbers.
        for (int j = 0; j < Joints.Count; j++)
        {
            FighterJoint joint = Joints[j];
            var node = new JsonObject { ["name"] = joint.Name };
            Vector3 local = joint.Parent < 0 ? joint.BindPosition : joint.BindPosition - Joints[joint.Parent].BindPosition;
            if (local != Vector3.Zero)
                node["translation"] = Floats(local.X, local.Y, local.Z);
            int[] children = Enumerable.Range(0, Joints.Count).Where(c => Joints[c].Parent == j).ToArray();
            if (children.Length > 0)
                node["children"] = new JsonArray(children.Select(c => (JsonNode)c).ToArray());
            glb.Add("nodes", node);
        }

        var inverseBind = new List<float>();
        foreach (FighterJoint joint in Joints)
        {
            // System.Numerics matrices are row-major with row vectors, which is exactly glTF's column-major layout.
            Matrix4x4 m = Matrix4x4.CreateTranslation(-joint.BindPosition);
            inverseBind.AddRange([m.M11, m.M12, m.M13, m.M14, m.M21, m.M22, m.M23, m.M24, m.M31, m.M32, m.M33, m.M34, m.M41, m.M42, m.M43, m.M44]);
        }
        int mesh = glb.Add("meshes", new JsonObject { ["name"] = "fighter", ["primitives"] = gltfPrimitives });
        int skin = glb.Add("skins", new JsonObject
        {
            ["name"] = "skeleton",
            ["inverseBindMatrices"] = glb.AddFloats(inverseBind.ToArray(), AccessorType.Mat4),
            ["skeleton"] = 0,
            ["joints"] = new JsonArray(Enumerable.Range(0, Joints.Count).Select(j => (JsonNode)j).ToArray()),
        });
        // The skinned mesh node sits at the scene root: parent transforms would not move a skinned mesh anyway.
        int meshNode = glb.Add("nodes", new JsonObject { ["name"] = "fighter", ["mesh"] = mesh, ["skin"] = skin });
        glb.Json["scene"] = glb.Add("scenes", new JsonObject { ["name"] = "fighter", ["nodes"] = new JsonArray(0, meshNode) });

        foreach (FighterClip clip in Clips)
            WriteClip(glb, clip);
        return glb.ToArray();
    }

    private static JsonObject WritePrimitive(GlbWriter glb, FighterPrimitive primitive)
    {
        FighterMaterial material = primitive.Material;
        float[] colour = material.Colour.ToLinear();
        int materialIndex = glb.Add("materials", new JsonObject
        {
            ["name"] = material.Name,
            ["pbrMetallicRoughness"] = new JsonObject
            {
                ["baseColorFactor"] = Floats(colour[0], colour[1], colour[2], 1f),
                ["metallicFactor"] = material.Metallic,
                ["roughnessFactor"] = material.Roughness,
            },
        });
        int count = primitive.Positions.Length;
        var joints = new byte[count * 4];
        var weights = new float[count * 4];
        for (int v = 0; v < count; v++)
        {
            // Rigid binding: all weight on one joint; unused slots are joint 0 with weight 0, as the spec asks.
            joints[v * 4] = primitive.Joints[v];
            weights[v * 4] = 1f;
        }
        return new JsonObject
        {
            ["attributes"] = new JsonObject
            {
                ["POSITION"] = glb.AddFloats(Flatten(primitive.Positions), AccessorType.Vec3, BufferTarget.ArrayBuffer, withMinMax: true),
                ["NORMAL"] = glb.AddFloats(Flatten(primitive.Normals), AccessorType.Vec3, BufferTarget.ArrayBuffer),
                ["JOINTS_0"] = glb.AddUnsignedBytes(joints, AccessorType.Vec4, BufferTarget.ArrayBuffer),
                ["WEIGHTS_0"] = glb.AddFloats(weights, AccessorType.Vec4, BufferTarget.ArrayBuffer),
            },
            ["indices"] = glb.AddUnsignedShorts(primitive.Indices, AccessorType.Scalar, BufferTarget.ElementArrayBuffer),
            ["material"] = materialIndex,
        };
    }

    private void WriteClip(GlbWriter glb, FighterClip clip)
    {
        int input = glb.AddFloats(clip.Times, AccessorType.Scalar, withMinMax: true); // shared by every channel
        var samplers = new JsonArray();
        var channels = new JsonArray();
        void Channel(int node, string path, float[] output, AccessorType type)
        {
            channels.Add(new JsonObject { ["sampler"] = samplers.Count, ["target"] = new JsonObject { ["node"] = node, ["path"] = path } });
            samplers.Add(new JsonObject { ["input"] = input, ["output"] = glb.AddFloats(output, type), ["interpolation"] = "LINEAR" });
        }
        // Every clip animates every joint, so a clip fully defines the pose and never inherits one from the last clip.
        for (int j = 0; j < Joints.Count; j++)
            Channel(j, "rotation", clip.Rotations[j].SelectMany(q => new[] { q.X, q.Y, q.Z, q.W }).ToArray(), AccessorType.Vec4);
        Channel(0, "translation", Flatten(clip.RootTranslations), AccessorType.Vec3);
        glb.Add("animations", new JsonObject { ["name"] = clip.Name, ["samplers"] = samplers, ["channels"] = channels });
    }

    private static float[] Flatten(Vector3[] vectors) => vectors.SelectMany(v => new[] { v.X, v.Y, v.Z }).ToArray();

    private static JsonArray Floats(params float[] values) => new(values.Select(v => (JsonNode)v).ToArray());
}
