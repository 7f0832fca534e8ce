using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ringside.Assets.Tests;

public class GlbWriterTests
{
    /// <summary>One triangle, no skin, no clips: the smallest useful GLB.</summary>
    internal static byte[] MinimalGlb()
    {
        var glb = new GlbWriter();
        int position = glb.AddFloats([0, 0, 0, 1, 0, 0, 0, 1, 0], AccessorType.Vec3, BufferTarget.ArrayBuffer, withMinMax: true);
        int indices = glb.AddUnsignedShorts([0, 1, 2], AccessorType.Scalar, BufferTarget.ElementArrayBuffer);
        var primitive = new JsonObject { ["attributes"] = new JsonObject { ["POSITION"] = position }, ["indices"] = indices };
        int mesh = glb.Add("meshes", new JsonObject { ["primitives"] = new JsonArray(primitive) });
        int node = glb.Add("nodes", new JsonObject { ["mesh"] = mesh });
        glb.Json["scene"] = glb.Add("scenes", new JsonObject { ["nodes"] = new JsonArray(node) });
        return glb.ToArray();
    }

    [Fact]
    public void Header_and_chunks_follow_the_glb_layout_with_the_right_padding()
    {
        byte[] bytes = MinimalGlb();
        Assert.Equal(0x46546C67u, Gltf.U32(bytes, 0));
        Assert.Equal("glTF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(2u, Gltf.U32(bytes, 4));
        Assert.Equal((uint)bytes.Length, Gltf.U32(bytes, 8));

        int jsonLength = (int)Gltf.U32(bytes, 12);
        Assert.Equal("JSON", Encoding.ASCII.GetString(bytes, 16, 4));
        Assert.Equal(0, jsonLength % 4);
        string json = Encoding.UTF8.GetString(bytes, 20, jsonLength);
        Assert.Equal(json.TrimEnd(), json.TrimEnd(' ')); // padding is spaces only
        using JsonDocument document = JsonDocument.Parse(json);
        Assert.Equal("2.0", document.RootElement.GetProperty("asset").GetProperty("version").GetString());

        int binAt = 20 + jsonLength;
        int binLength = (int)Gltf.U32(bytes, binAt);
        Assert.Equal("BIN\0", Encoding.ASCII.GetString(bytes, binAt + 4, 4));
        Assert.Equal(0, binLength % 4);
        Assert.Equal(bytes.Length, binAt + 8 + binLength);
        // 36 bytes of positions, then 6 bytes of indices padded with two zeros.
        Assert.Equal(44, binLength);
        Assert.Equal(new byte[] { 0, 0 }, bytes[^2..]);
        Assert.Equal(binLength, document.RootElement.GetProperty("buffers")[0].GetProperty("byteLength").GetInt32());
    }

    [Fact]
    public void Accessors_get_aligned_views_with_stride_and_target_only_where_glTF_wants_them()
    {
        var glb = new GlbWriter();
        glb.AddUnsignedBytes([1, 2, 3], AccessorType.Scalar);                        // 3 bytes: the next view must be realigned
        glb.AddFloats([1, 2, 3, 4], AccessorType.Vec4, BufferTarget.ArrayBuffer);
        glb.AddUnsignedShorts([0, 1, 2], AccessorType.Scalar, BufferTarget.ElementArrayBuffer);
        glb.AddFloats([0.5f, 0.25f, -1, 2], AccessorType.Scalar, withMinMax: true);
        Gltf gltf = Gltf.Parse(glb.ToArray());

        JsonElement views = gltf.Array("bufferViews");
        Assert.Equal(new[] { 0, 4, 20, 28 }, views.EnumerateArray().Select(v => v.GetProperty("byteOffset").GetInt32()));
        Assert.Equal(16, views[1].GetProperty("byteStride").GetInt32());
        Assert.Equal(34962, views[1].GetProperty("target").GetInt32());
        Assert.Equal(34963, views[2].GetProperty("target").GetInt32());
        Assert.False(views[2].TryGetProperty("byteStride", out _));
        Assert.False(views[3].TryGetProperty("target", out _));

        JsonElement floats = gltf.Accessor(3);
        Assert.Equal(-1, floats.GetProperty("min")[0].GetSingle());
        Assert.Equal(2, floats.GetProperty("max")[0].GetSingle());
        Assert.Equal(new double[] { 0.5, 0.25, -1, 2 }, gltf.Read(3));
        Assert.Equal(new double[] { 1, 2, 3 }, gltf.Read(0));
        Assert.Equal("VEC4", gltf.Accessor(1).GetProperty("type").GetString());
        Assert.Equal(1, gltf.Accessor(1).GetProperty("count").GetInt32());
    }

    [Fact]
    public void Malformed_accessor_data_is_refused()
    {
        var glb = new GlbWriter();
        Assert.Throws<ArgumentException>(() => glb.AddFloats([1, 2], AccessorType.Vec3));               // not whole elements
        Assert.Throws<ArgumentException>(() => glb.AddFloats([], AccessorType.Scalar));                 // glTF needs count ≥ 1
        Assert.Throws<ArgumentException>(() => glb.AddUnsignedBytes([1, 2, 3], AccessorType.Vec3, BufferTarget.ArrayBuffer)); // 3-byte vertex stride
    }

    [Fact]
    public void A_writer_without_binary_data_writes_a_json_only_glb()
    {
        var glb = new GlbWriter();
        byte[] bytes = glb.ToArray();
        Assert.Equal((uint)bytes.Length, Gltf.U32(bytes, 8));
        Assert.Equal(20 + (int)Gltf.U32(bytes, 12), bytes.Length);
        Assert.False(Gltf.Parse(bytes).Root.TryGetProperty("buffers", out _));
    }
}
