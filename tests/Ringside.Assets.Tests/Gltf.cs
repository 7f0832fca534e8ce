using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ringside.Assets.Tests;

/// <summary>A test-side GLB reader, written independently of the code under test, plus a poser that
/// evaluates node transforms and animation channels and skins the mesh like a viewer would.</summary>
internal sealed class Gltf
{
    private Gltf(JsonElement root, byte[] bin)
    {
        Root = root;
        Bin = bin;
    }

    public JsonElement Root { get; }
    public byte[] Bin { get; }

    public static Gltf Parse(byte[] glb)
    {
        var (json, bin) = Unpack(glb);
        return new Gltf(JsonDocument.Parse(json).RootElement.Clone(), bin);
    }

    /// <summary>Splits a GLB into its JSON text and BIN bytes, asserting the container layout.</summary>
    public static (string Json, byte[] Bin) Unpack(byte[] glb)
    {
        Assert.Equal(0x46546C67u, U32(glb, 0));
        Assert.Equal(2u, U32(glb, 4));
        Assert.Equal((uint)glb.Length, U32(glb, 8));
        int jsonLength = (int)U32(glb, 12);
        Assert.Equal(0x4E4F534Au, U32(glb, 16));
        Assert.Equal(0, jsonLength % 4);
        string json = Encoding.UTF8.GetString(glb, 20, jsonLength);
        int at = 20 + jsonLength;
        if (at == glb.Length)
            return (json, []);
        int binLength = (int)U32(glb, at);
        Assert.Equal(0x004E4942u, U32(glb, at + 4));
        Assert.Equal(0, binLength % 4);
        Assert.Equal(glb.Length, at + 8 + binLength);
        return (json, glb[(at + 8)..]);
    }

    /// <summary>Packs JSON and BIN into a GLB without any checks, so tests can build broken files.</summary>
    public static byte[] Pack(string json, byte[] bin)
    {
        var jsonBytes = Encoding.UTF8.GetBytes(json).ToList();
        while (jsonBytes.Count % 4 != 0)
            jsonBytes.Add((byte)' ');
        var glb = new List<byte>();
        void Word(uint value) => glb.AddRange(BitConverter.GetBytes(value));
        Word(0x46546C67);
        Word(2);
        Word((uint)(12 + 8 + jsonBytes.Count + (bin.Length > 0 ? 8 + bin.Length : 0)));
        Word((uint)jsonBytes.Count);
        Word(0x4E4F534A);
        glb.AddRange(jsonBytes);
        if (bin.Length > 0)
        {
            Word((uint)bin.Length);
            Word(0x004E4942);
            glb.AddRange(bin);
        }
        return glb.ToArray();
    }

    /// <summary>Parses, lets <paramref name="edit"/> change the JSON, and packs again with the same BIN.</summary>
    public static byte[] Edit(byte[] glb, Action<JsonObject> edit)
    {
        var (json, bin) = Unpack(glb);
        var node = JsonNode.Parse(json)!.AsObject();
        edit(node);
        return Pack(node.ToJsonString(), bin);
    }

    public static uint U32(byte[] bytes, int at) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));

    public JsonElement Array(string name) => Root.TryGetProperty(name, out JsonElement a) ? a : JsonDocument.Parse("[]").RootElement;

    public JsonElement Accessor(int index) => Root.GetProperty("accessors")[index];

    public static int Components(string type) => type switch
    {
        "SCALAR" => 1,
        "VEC2" => 2,
        "VEC3" => 3,
        "VEC4" => 4,
        "MAT4" => 16,
        _ => throw new InvalidDataException(type),
    };

    public static int ComponentSize(int componentType) => componentType switch
    {
        5120 or 5121 => 1,
        5122 or 5123 => 2,
        5125 or 5126 => 4,
        _ => throw new InvalidDataException(componentType.ToString()),
    };

    /// <summary>All component values of an accessor as doubles, honouring byteStride.</summary>
    public double[] Read(int accessorIndex)
    {
        JsonElement accessor = Accessor(accessorIndex);
        JsonElement view = Root.GetProperty("bufferViews")[accessor.GetProperty("bufferView").GetInt32()];
        int componentType = accessor.GetProperty("componentType").GetInt32();
        int components = Components(accessor.GetProperty("type").GetString()!);
        int size = ComponentSize(componentType);
        int stride = view.TryGetProperty("byteStride", out JsonElement s) ? s.GetInt32() : size * components;
        int start = Int(view, "byteOffset") + Int(accessor, "byteOffset");
        int count = accessor.GetProperty("count").GetInt32();
        var values = new double[count * components];
        for (int e = 0; e < count; e++)
            for (int c = 0; c < components; c++)
            {
                var at = Bin.AsSpan(start + e * stride + c * size);
                values[e * components + c] = componentType switch
                {
                    5126 => BinaryPrimitives.ReadSingleLittleEndian(at),
                    5121 => at[0],
                    5123 => BinaryPrimitives.ReadUInt16LittleEndian(at),
                    5125 => BinaryPrimitives.ReadUInt32LittleEndian(at),
                    _ => throw new InvalidDataException(componentType.ToString()),
                };
            }
        return values;
    }

    public Vector3[] ReadVec3(int accessor) => Chunk(Read(accessor), 3).Select(v => new Vector3((float)v[0], (float)v[1], (float)v[2])).ToArray();

    public Quaternion[] ReadQuaternions(int accessor) => Chunk(Read(accessor), 4).Select(v => new Quaternion((float)v[0], (float)v[1], (float)v[2], (float)v[3])).ToArray();

    /// <summary>Column-major glTF matrices in System.Numerics' row-vector convention (the same 16 numbers in order).</summary>
    public Matrix4x4[] ReadMatrices(int accessor) => Chunk(Read(accessor), 16).Select(m => new Matrix4x4(
        (float)m[0], (float)m[1], (float)m[2], (float)m[3], (float)m[4], (float)m[5], (float)m[6], (float)m[7],
        (float)m[8], (float)m[9], (float)m[10], (float)m[11], (float)m[12], (float)m[13], (float)m[14], (float)m[15])).ToArray();

    public static int Int(JsonElement owner, string name, int fallback = 0) => owner.TryGetProperty(name, out JsonElement v) ? v.GetInt32() : fallback;

    private static IEnumerable<double[]> Chunk(double[] values, int size) => values.Chunk(size);

    public int[] Parents()
    {
        JsonElement nodes = Array("nodes");
        var parents = Enumerable.Repeat(-1, nodes.GetArrayLength()).ToArray();
        for (int i = 0; i < parents.Length; i++)
            if (nodes[i].TryGetProperty("children", out JsonElement children))
                foreach (JsonElement child in children.EnumerateArray())
                {
                    Assert.True(parents[child.GetInt32()] == -1, $"node {child} has two parents");
                    parents[child.GetInt32()] = i;
                }
        return parents;
    }

    public JsonElement Animation(string name) => Array("animations").EnumerateArray().Single(a => a.GetProperty("name").GetString() == name);

    /// <summary>World matrices of all nodes, with the clip's channels sampled at <paramref name="time"/> (null: bind pose).</summary>
    public Matrix4x4[] WorldMatrices(string? clip, float time)
    {
        JsonElement nodes = Array("nodes");
        int count = nodes.GetArrayLength();
        var translation = new Vector3[count];
        var rotation = new Quaternion[count];
        for (int i = 0; i < count; i++)
        {
            translation[i] = nodes[i].TryGetProperty("translation", out JsonElement t) ? new Vector3(t[0].GetSingle(), t[1].GetSingle(), t[2].GetSingle()) : Vector3.Zero;
            rotation[i] = nodes[i].TryGetProperty("rotation", out JsonElement r) ? new Quaternion(r[0].GetSingle(), r[1].GetSingle(), r[2].GetSingle(), r[3].GetSingle()) : Quaternion.Identity;
        }
        if (clip is not null)
        {
            JsonElement animation = Animation(clip);
            foreach (JsonElement channel in animation.GetProperty("channels").EnumerateArray())
            {
                JsonElement sampler = animation.GetProperty("samplers")[channel.GetProperty("sampler").GetInt32()];
                double[] times = Read(sampler.GetProperty("input").GetInt32());
                int output = sampler.GetProperty("output").GetInt32();
                int node = channel.GetProperty("target").GetProperty("node").GetInt32();
                int k = System.Array.FindLastIndex(times, t => t <= time + 1e-6);
                int next = Math.Min(k + 1, times.Length - 1);
                float f = next == k ? 0 : (float)((time - times[k]) / (times[next] - times[k]));
                switch (channel.GetProperty("target").GetProperty("path").GetString())
                {
                    case "translation":
                        Vector3[] v = ReadVec3(output);
                        translation[node] = Vector3.Lerp(v[k], v[next], Math.Clamp(f, 0, 1));
                        break;
                    case "rotation":
                        Quaternion[] q = ReadQuaternions(output);
                        rotation[node] = Quaternion.Slerp(q[k], q[next], Math.Clamp(f, 0, 1));
                        break;
                }
            }
        }
        int[] parents = Parents();
        var world = new Matrix4x4[count];
        var done = new bool[count];
        Matrix4x4 World(int i)
        {
            if (!done[i])
            {
                Matrix4x4 local = Matrix4x4.CreateFromQuaternion(rotation[i]) * Matrix4x4.CreateTranslation(translation[i]);
                world[i] = parents[i] < 0 ? local : local * World(parents[i]);
                done[i] = true;
            }
            return world[i];
        }
        for (int i = 0; i < count; i++)
            World(i);
        return world;
    }

    /// <summary>Every vertex of the skinned mesh, posed: Σ weight · (IBM · jointWorld) · position.</summary>
    public List<Vector3> SkinnedVertices(string? clip = null, float time = 0)
    {
        Matrix4x4[] world = WorldMatrices(clip, time);
        JsonElement skin = Array("skins")[0];
        int[] joints = skin.GetProperty("joints").EnumerateArray().Select(j => j.GetInt32()).ToArray();
        Matrix4x4[] inverseBind = ReadMatrices(skin.GetProperty("inverseBindMatrices").GetInt32());
        var skinning = joints.Select((node, j) => inverseBind[j] * world[node]).ToArray();
        var result = new List<Vector3>();
        foreach (JsonElement primitive in Array("meshes")[0].GetProperty("primitives").EnumerateArray())
        {
            JsonElement attributes = primitive.GetProperty("attributes");
            Vector3[] positions = ReadVec3(attributes.GetProperty("POSITION").GetInt32());
            double[] jointIndices = Read(attributes.GetProperty("JOINTS_0").GetInt32());
            double[] weights = Read(attributes.GetProperty("WEIGHTS_0").GetInt32());
            for (int v = 0; v < positions.Length; v++)
            {
                Vector3 sum = Vector3.Zero;
                for (int k = 0; k < 4; k++)
                    if (weights[v * 4 + k] > 0)
                        sum += (float)weights[v * 4 + k] * Vector3.Transform(positions[v], skinning[(int)jointIndices[v * 4 + k]]);
                result.Add(sum);
            }
        }
        return result;
    }

    public static (Vector3 Min, Vector3 Max) Bounds(IEnumerable<Vector3> points) =>
        points.Aggregate((Min: new Vector3(float.MaxValue), Max: new Vector3(float.MinValue)), (b, p) => (Vector3.Min(b.Min, p), Vector3.Max(b.Max, p)));
}
