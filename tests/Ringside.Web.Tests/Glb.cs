using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Ringside.Assets;

namespace Ringside.Web.Tests;

/// <summary>GLB files for the upload tests: ours, and "foreign" ones (other units, no clip names) made from ours.</summary>
public static class Glb
{
    public static byte[] Roster(string name) => DefaultRoster.Build(DefaultRoster.Find(name)!);

    /// <summary>
    /// A model like a user's export: in centimetres (the scene's root nodes scaled 100×) and with clips that do not
    /// have our names (renamed "Take 001"...), or none at all.
    /// </summary>
    public static byte[] Foreign(string name, bool keepClips = false)
    {
        var (json, bin) = Unpack(Roster(name));
        foreach (var node in json["scenes"]![0]!["nodes"]!.AsArray())
            json["nodes"]![(int)node!]!["scale"] = new JsonArray(100, 100, 100);
        if (keepClips)
        {
            int i = 0;
            foreach (var clip in json["animations"]!.AsArray()) clip!["name"] = $"Take {++i:000}";
        }
        else json.Remove("animations");
        return Pack(json, bin);
    }

    public static (JsonObject Json, byte[] Bin) Unpack(byte[] glb)
    {
        int jsonLength = BinaryPrimitives.ReadInt32LittleEndian(glb.AsSpan(12));
        var json = JsonNode.Parse(Encoding.UTF8.GetString(glb, 20, jsonLength))!.AsObject();
        int at = 20 + jsonLength;
        byte[] bin = at + 8 <= glb.Length ? glb.AsSpan(at + 8, BinaryPrimitives.ReadInt32LittleEndian(glb.AsSpan(at))).ToArray() : [];
        return (json, bin);
    }

    /// <summary>Header, JSON chunk (space-padded to 4 bytes), BIN chunk: glTF 2.0's binary container.</summary>
    public static byte[] Pack(JsonObject json, byte[] bin)
    {
        byte[] text = Encoding.UTF8.GetBytes(json.ToJsonString());
        int jsonLength = (text.Length + 3) & ~3, binLength = (bin.Length + 3) & ~3;
        var glb = new byte[12 + 8 + jsonLength + (bin.Length > 0 ? 8 + binLength : 0)];
        BinaryPrimitives.WriteUInt32LittleEndian(glb, GlbWriter.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(glb.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(glb.AsSpan(8), (uint)glb.Length);
        BinaryPrimitives.WriteInt32LittleEndian(glb.AsSpan(12), jsonLength);
        BinaryPrimitives.WriteUInt32LittleEndian(glb.AsSpan(16), GlbWriter.JsonChunkType);
        glb.AsSpan(20, jsonLength).Fill((byte)' ');
        text.CopyTo(glb, 20);
        if (bin.Length > 0)
        {
            int at = 20 + jsonLength;
            BinaryPrimitives.WriteInt32LittleEndian(glb.AsSpan(at), binLength);
            BinaryPrimitives.WriteUInt32LittleEndian(glb.AsSpan(at + 4), GlbWriter.BinChunkType);
            bin.CopyTo(glb, at + 8);
        }
        return glb;
    }
}
