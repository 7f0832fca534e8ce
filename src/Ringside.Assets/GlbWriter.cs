using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Ringside.Assets;

/// <summary>glTF accessor element types; the value is the number of components.</summary>
public enum AccessorType { Scalar = 1, Vec2 = 2, Vec3 = 3, Vec4 = 4, Mat4 = 16 }

/// <summary>bufferView targets: vertex attributes and triangle indices; None for animation and skin data.</summary>
public enum BufferTarget { None = 0, ArrayBuffer = 34962, ElementArrayBuffer = 34963 }

/// <summary>
/// Writes a glTF 2.0 binary (.glb). The caller fills <see cref="Json"/> (nodes, meshes, materials…) through
/// <see cref="Add"/> and stores binary data with the Add* accessor methods, each of which appends one
/// 4-byte-aligned bufferView to the single BIN buffer and one accessor describing it.
/// </summary>
public sealed class GlbWriter
{
    public const uint Magic = 0x46546C67;     // "glTF"
    public const uint JsonChunkType = 0x4E4F534A; // "JSON"
    public const uint BinChunkType = 0x004E4942;  // "BIN\0"
    private const int FloatComponent = 5126, UnsignedShortComponent = 5123, UnsignedByteComponent = 5121;

    private readonly MemoryStream _bin = new();

    public JsonObject Json { get; } = new()
    {
        ["asset"] = new JsonObject { ["version"] = "2.0", ["generator"] = "Ringside.Assets" },
    };

    /// <summary>Appends <paramref name="item"/> to the top-level array <paramref name="collection"/> and returns its index.</summary>
    public int Add(string collection, JsonObject item)
    {
        if (Json[collection] is not JsonArray array)
            Json[collection] = array = new JsonArray();
        array.Add(item);
        return array.Count - 1;
    }

    /// <summary>Float accessor. <paramref name="withMinMax"/> is required by glTF for POSITION and animation inputs.</summary>
    public int AddFloats(ReadOnlySpan<float> values, AccessorType type, BufferTarget target = BufferTarget.None, bool withMinMax = false)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        JsonObject accessor = NewAccessor(bytes, FloatComponent, 4, values.Length, type, target);
        if (withMinMax)
        {
            int components = (int)type;
            var min = new JsonArray();
            var max = new JsonArray();
            for (int c = 0; c < components; c++)
            {
                float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
                for (int i = c; i < values.Length; i += components)
                {
                    lo = Math.Min(lo, values[i]);
                    hi = Math.Max(hi, values[i]);
                }
                min.Add(lo);
                max.Add(hi);
            }
            accessor["min"] = min;
            accessor["max"] = max;
        }
        return Add("accessors", accessor);
    }

    public int AddUnsignedShorts(ReadOnlySpan<ushort> values, AccessorType type, BufferTarget target = BufferTarget.None)
    {
        var bytes = new byte[values.Length * 2];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), values[i]);
        return Add("accessors", NewAccessor(bytes, UnsignedShortComponent, 2, values.Length, type, target));
    }

    public int AddUnsignedBytes(ReadOnlySpan<byte> values, AccessorType type, BufferTarget target = BufferTarget.None) =>
        Add("accessors", NewAccessor(values.ToArray(), UnsignedByteComponent, 1, values.Length, type, target));

    private JsonObject NewAccessor(byte[] bytes, int componentType, int componentSize, int valueCount, AccessorType type, BufferTarget target)
    {
        int components = (int)type;
        if (valueCount == 0 || valueCount % components != 0)
            throw new ArgumentException($"{valueCount} values do not make whole {type} elements.");
        // Every bufferView starts on a 4-byte boundary, so every accessor offset is aligned for any component type.
        Pad(_bin, 0);
        var view = new JsonObject { ["buffer"] = 0, ["byteOffset"] = _bin.Length, ["byteLength"] = bytes.Length };
        if (target == BufferTarget.ArrayBuffer)
        {
            int stride = componentSize * components;
            if (stride % 4 != 0)
                throw new ArgumentException($"Vertex attribute elements must be a multiple of 4 bytes, {type} of {componentSize}-byte components is {stride}.");
            view["byteStride"] = stride; // vertex attribute views carry their stride; index and animation views must not
        }
        if (target != BufferTarget.None)
            view["target"] = (int)target;
        _bin.Write(bytes);
        return new JsonObject
        {
            ["bufferView"] = Add("bufferViews", view),
            ["componentType"] = componentType,
            ["count"] = valueCount / components,
            ["type"] = type switch { AccessorType.Scalar => "SCALAR", AccessorType.Mat4 => "MAT4", _ => $"VEC{components}" },
        };
    }

    /// <summary>The complete GLB: 12-byte header, JSON chunk padded with spaces, BIN chunk padded with zeros.</summary>
    public byte[] ToArray()
    {
        Pad(_bin, 0);
        if (_bin.Length > 0)
            Json["buffers"] = new JsonArray(new JsonObject { ["byteLength"] = _bin.Length });
        var json = new MemoryStream();
        json.Write(Encoding.UTF8.GetBytes(Json.ToJsonString()));
        Pad(json, (byte)' ');

        using var glb = new MemoryStream();
        var word = new byte[4];
        void WriteUInt32(uint value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, value);
            glb.Write(word);
        }
        long total = 12 + 8 + json.Length + (_bin.Length > 0 ? 8 + _bin.Length : 0);
        WriteUInt32(Magic);
        WriteUInt32(2);
        WriteUInt32((uint)total);
        WriteUInt32((uint)json.Length);
        WriteUInt32(JsonChunkType);
        glb.Write(json.GetBuffer(), 0, (int)json.Length);
        if (_bin.Length > 0)
        {
            WriteUInt32((uint)_bin.Length);
            WriteUInt32(BinChunkType);
            glb.Write(_bin.GetBuffer(), 0, (int)_bin.Length);
        }
        return glb.ToArray();
    }

    private static void Pad(MemoryStream stream, byte filler)
    {
        while (stream.Length % 4 != 0)
            stream.WriteByte(filler);
    }
}
