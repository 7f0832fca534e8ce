using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Ringside.Assets.Tests;

public class GlbValidatorTests
{
    private const long Limit = 1_000_000;

    private static readonly byte[] Fighter = DefaultRoster.Build(DefaultRoster.Entries[0]);

    private static string SingleError(byte[] glb, long limit = Limit)
    {
        GlbValidation result = GlbValidator.Validate(glb, limit);
        Assert.False(result.IsValid);
        Assert.False(result.HasStandardClips);
        return Assert.Single(result.Errors);
    }

    private static string Errors(byte[] glb)
    {
        GlbValidation result = GlbValidator.Validate(glb, Limit);
        Assert.False(result.IsValid);
        return string.Join("\n", result.Errors);
    }

    private static byte[] WithUInt32(byte[] glb, int at, uint value)
    {
        byte[] copy = (byte[])glb.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), value);
        return copy;
    }

    [Fact]
    public void Accepts_a_minimal_glb_without_clips_and_reports_missing_standard_clips()
    {
        GlbValidation result = GlbValidator.Validate(GlbWriterTests.MinimalGlb(), Limit);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Empty(result.ClipNames);
        Assert.False(result.HasStandardClips);
        Assert.Equal((1, 0, 1), (result.MeshCount, result.SkinCount, result.NodeCount));
    }

    [Fact]
    public void Reports_the_clips_it_finds_and_needs_all_six_for_standard_clips()
    {
        byte[] fiveClips = Gltf.Edit(Fighter, json => json["animations"]!.AsArray().RemoveAt(5));
        GlbValidation result = GlbValidator.Validate(fiveClips, Limit);
        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal(FighterClips.Standard.Take(5), result.ClipNames);
        Assert.False(result.HasStandardClips);
    }

    [Fact]
    public void Rejects_a_file_over_the_size_limit() =>
        Assert.Contains("too large", SingleError(Fighter, limit: Fighter.Length - 1));

    [Theory]
    [InlineData(0)]
    [InlineData(12)]
    [InlineData(19)]
    public void Rejects_a_file_too_short_for_a_header(int length) =>
        Assert.Contains("too short", SingleError(Fighter[..length]));

    [Fact]
    public void Rejects_bad_magic()
    {
        byte[] png = (byte[])Fighter.Clone();
        Encoding.ASCII.GetBytes("\x89PNG").CopyTo(png, 0);
        Assert.Contains("magic", SingleError(png));
    }

    [Fact]
    public void Rejects_glTF_1_container_version() =>
        Assert.Contains("version 1", SingleError(WithUInt32(Fighter, 4, 1)));

    [Fact]
    public void Rejects_a_header_length_that_differs_from_the_file_length()
    {
        Assert.Contains("length mismatch", SingleError(WithUInt32(Fighter, 8, (uint)Fighter.Length + 4)));
        Assert.Contains("length mismatch", SingleError(Fighter[..^4])); // truncated upload
    }

    [Fact]
    public void Rejects_a_first_chunk_that_is_not_JSON() =>
        Assert.Contains("first chunk must be JSON", SingleError(WithUInt32(Fighter, 16, GlbWriter.BinChunkType)));

    [Theory]
    [InlineData(0u)]
    [InlineData(0x7fff_fff0u)]
    [InlineData(uint.MaxValue)]
    public void Rejects_a_JSON_chunk_length_out_of_bounds(uint length) =>
        Assert.Contains("JSON chunk length", SingleError(WithUInt32(Fighter, 12, length)));

    [Fact]
    public void Rejects_a_BIN_chunk_length_out_of_bounds()
    {
        int binHeader = 20 + (int)Gltf.U32(Fighter, 12);
        Assert.Contains("BIN chunk length", SingleError(WithUInt32(Fighter, binHeader, (uint)Fighter.Length)));
    }

    [Theory]
    [InlineData("{\"asset\": {\"version\": \"2.0\"")]
    [InlineData("not json at all")]
    [InlineData("{\"asset\": {\"version\": \"2.0\"}} trailing")]
    public void Rejects_invalid_JSON(string json) =>
        Assert.Contains("invalid JSON", SingleError(Gltf.Pack(json, [])));

    [Fact]
    public void Rejects_JSON_that_is_not_an_object() =>
        Assert.Contains("top level must be an object", SingleError(Gltf.Pack("[1, 2]", [])));

    [Theory]
    [InlineData("1.0")]
    [InlineData("2")]
    [InlineData(null)]
    public void Rejects_a_missing_or_wrong_asset_version(string? version)
    {
        byte[] glb = Gltf.Edit(Fighter, json =>
        {
            if (version is null)
                json["asset"]!.AsObject().Remove("version");
            else
                json["asset"]!["version"] = version;
        });
        Assert.Contains("asset.version must be \"2.0\"", SingleError(glb));
        Assert.Contains("asset.version", SingleError(Gltf.Edit(Fighter, json => json.Remove("asset"))));
    }

    [Fact]
    public void Rejects_a_buffer_view_outside_the_buffer()
    {
        byte[] glb = Gltf.Edit(Fighter, json => json["bufferViews"]![0]!["byteOffset"] = Gltf.Parse(Fighter).Bin.Length - 8);
        string errors = Errors(glb);
        Assert.Contains("bufferView 0", errors);
        Assert.Contains("outside buffer 0", errors);
    }

    [Fact]
    public void Rejects_a_buffer_larger_than_the_BIN_chunk() =>
        Assert.Contains("BIN chunk has", Errors(Gltf.Edit(Fighter, json => json["buffers"]![0]!["byteLength"] = 1 << 24)));

    [Fact]
    public void Rejects_an_accessor_outside_its_buffer_view()
    {
        string errors = Errors(Gltf.Edit(Fighter, json => json["accessors"]![0]!["count"] = 1_000_000));
        Assert.Contains("accessor 0 needs bytes", errors);
        Assert.Contains("bufferView 0", errors);
    }

    [Fact]
    public void Rejects_a_file_without_meshes()
    {
        byte[] glb = Gltf.Pack("{\"asset\":{\"version\":\"2.0\"},\"nodes\":[{}],\"scenes\":[{\"nodes\":[0]}],\"scene\":0}", []);
        Assert.Contains("no meshes", SingleError(glb));
    }

    [Fact]
    public void Rejects_references_to_items_that_do_not_exist()
    {
        Assert.Contains("refers to meshes 7", Errors(Gltf.Edit(Fighter, json => json["nodes"]!.AsArray().Last()!["mesh"] = 7)));
        Assert.Contains("not a valid index into nodes", Errors(Gltf.Edit(Fighter, json => json["skins"]![0]!["joints"]!.AsArray().Add(99))));
        Assert.Contains("refers to accessors", Errors(Gltf.Edit(Fighter, json => json["animations"]![0]!["samplers"]![0]!["output"] = 100_000)));
        Assert.Contains("must be a non-negative integer", Errors(Gltf.Edit(Fighter, json => json["accessors"]![0]!["bufferView"] = "zero")));
    }

    [Fact]
    public void Rejects_node_cycles_and_shared_children()
    {
        Assert.Contains("tree", Errors(Gltf.Edit(Fighter, json => json["nodes"]![1]!["children"]!.AsArray().Add(0))));
        Assert.Contains("tree", Errors(Gltf.Edit(Fighter, json => json["nodes"]!.AsArray().Last()!["children"] = new JsonArray(2))));
    }

    [Fact]
    public void Rejects_external_resources()
    {
        Assert.Contains("self-contained", Errors(Gltf.Edit(Fighter, json => json["buffers"]![0]!["uri"] = "../../etc/passwd")));
        Assert.Contains("self-contained", Errors(Gltf.Edit(Fighter, json => json["images"] = new JsonArray(new JsonObject { ["uri"] = "https://example.com/a.png" }))));
    }

    [Fact]
    public void Never_throws_on_corrupted_files()
    {
        var random = new Random(1234);
        for (int trial = 0; trial < 300; trial++)
        {
            byte[] corrupt = (byte[])(trial % 2 == 0 ? Fighter : GlbWriterTests.MinimalGlb()).Clone();
            int flips = 1 + random.Next(8);
            for (int f = 0; f < flips; f++)
                corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            GlbValidation result = GlbValidator.Validate(corrupt, Limit); // must not throw
            Assert.Equal(result.IsValid, result.Errors.Count == 0);
        }
    }

    [Fact]
    public void Caps_the_number_of_errors_reported()
    {
        byte[] glb = Gltf.Edit(Fighter, json =>
        {
            foreach (JsonNode? accessor in json["accessors"]!.AsArray())
                accessor!["count"] = 1_000_000;
        });
        GlbValidation result = GlbValidator.Validate(glb, Limit);
        Assert.Equal(21, result.Errors.Count);
        Assert.Contains("more errors", result.Errors[^1]);
    }
}
