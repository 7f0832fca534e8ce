using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace Ringside.Assets;

/// <summary>Outcome of <see cref="GlbValidator.Validate"/>: errors, or what the file contains.</summary>
public sealed record GlbValidation(IReadOnlyList<string> Errors, IReadOnlyList<string> ClipNames, int MeshCount, int SkinCount, int NodeCount)
{
    public bool IsValid => Errors.Count == 0;

    /// <summary>All six standard clips are present; otherwise the viewer should fall back (e.g. a static pose).</summary>
    public bool HasStandardClips => IsValid && FighterClips.Standard.All(ClipNames.Contains);
}

/// <summary>
/// Checks an uploaded GLB before it is stored and served: the binary container, the JSON, that every
/// buffer range and index reference stays inside the file, and that there is something to draw. It does not
/// replace the Khronos validator; it makes sure a browser will not be handed a file that breaks the loader.
/// </summary>
public static class GlbValidator
{
    private const int HeaderLength = 12, ChunkHeaderLength = 8, MaxErrors = 20;

    public static GlbValidation Validate(ReadOnlySpan<byte> bytes, long maxBytes)
    {
        var errors = new List<string>();
        GlbValidation Fail(string message)
        {
            errors.Add(message);
            return new GlbValidation(errors, [], 0, 0, 0);
        }

        if (bytes.Length > maxBytes)
            return Fail($"File is too large: {bytes.Length} bytes, the limit is {maxBytes} bytes.");
        if (bytes.Length < HeaderLength + ChunkHeaderLength)
            return Fail($"File is too short to be a GLB: {bytes.Length} bytes, a GLB header and JSON chunk header need {HeaderLength + ChunkHeaderLength}.");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (magic != GlbWriter.Magic)
            return Fail($"Not a GLB file: bad magic 0x{magic:x8}, expected 0x{GlbWriter.Magic:x8} ('glTF').");
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        if (version != 2)
            return Fail($"Unsupported GLB version {version}: only glTF 2.0 (container version 2) is supported.");
        uint declaredLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (declaredLength != bytes.Length)
            return Fail($"Header length mismatch: the header says {declaredLength} bytes but the file has {bytes.Length}.");

        uint jsonLength = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        uint jsonType = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
        if (jsonType != GlbWriter.JsonChunkType)
            return Fail($"The first chunk must be JSON (0x{GlbWriter.JsonChunkType:x8}), found chunk type 0x{jsonType:x8}.");
        long jsonEnd = HeaderLength + ChunkHeaderLength + (long)jsonLength;
        if (jsonLength == 0 || jsonEnd > bytes.Length)
            return Fail($"JSON chunk length {jsonLength} is out of bounds: {bytes.Length - HeaderLength - ChunkHeaderLength} bytes follow the chunk header.");

        // An optional BIN chunk follows; the spec says to ignore chunks of unknown type.
        long binLength = 0;
        if (bytes.Length - jsonEnd >= ChunkHeaderLength)
        {
            int at = (int)jsonEnd;
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[at..]);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(at + 4)..]);
            if (type == GlbWriter.BinChunkType)
            {
                if (at + ChunkHeaderLength + (long)length > bytes.Length)
                    return Fail($"BIN chunk length {length} is out of bounds: {bytes.Length - at - ChunkHeaderLength} bytes follow the chunk header.");
                binLength = length;
            }
        }

        // Trailing zeros are tolerated: some exporters pad the JSON chunk with them instead of spaces.
        ReadOnlySpan<byte> json = bytes.Slice(HeaderLength + ChunkHeaderLength, (int)jsonLength).TrimEnd((byte)0);
        if (!Utf8.IsValid(json)) // JsonDocument only notices bad UTF-8 inside strings when they are read
            return Fail("JSON chunk is invalid JSON: it is not valid UTF-8 text.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            return Fail($"JSON chunk is invalid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                return Fail("JSON chunk is invalid: the top level must be an object.");
            return new GltfChecker(document.RootElement, binLength, errors).Check();
        }
    }

    /// <summary>Walks the glTF JSON; never throws on unexpected types, it reports them.</summary>
    private sealed class GltfChecker(JsonElement root, long binLength, List<string> errors)
    {
        private static readonly Dictionary<long, int> ComponentSizes = new() { [5120] = 1, [5121] = 1, [5122] = 2, [5123] = 2, [5125] = 4, [5126] = 4 };
        private static readonly Dictionary<string, int> ComponentCounts = new()
        {
            ["SCALAR"] = 1,
            ["VEC2"] = 2,
            ["VEC3"] = 3,
            ["VEC4"] = 4,
            ["MAT2"] = 4,
            ["MAT3"] = 9,
            ["MAT4"] = 16,
        };

        public GlbValidation Check()
        {
            if (!root.TryGetProperty("asset", out JsonElement asset) || asset.ValueKind != JsonValueKind.Object)
                Error("Missing asset object: asset.version must be \"2.0\".");
            else if (!asset.TryGetProperty("version", out JsonElement version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
                Error($"asset.version must be \"2.0\", found {(asset.TryGetProperty("version", out version) ? version.GetRawText() : "nothing")}.");

            long[] bufferLengths = CheckBuffers();
            CheckAccessors(CheckBufferViews(bufferLengths));
            CheckReferences();

            int meshCount = Count("meshes");
            if (meshCount == 0)
                Error("The file contains no meshes: there is nothing to draw.");
            var clipNames = Items("animations")
                .Select(a => a.Item.TryGetProperty("name", out JsonElement n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "")
                .Where(n => n.Length > 0).ToArray();
            if (errors.Count > MaxErrors)
            {
                int more = errors.Count - MaxErrors;
                errors.RemoveRange(MaxErrors, more);
                errors.Add($"… and {more} more errors.");
            }
            return new GlbValidation(errors, clipNames, meshCount, Count("skins"), Count("nodes"));
        }

        private long[] CheckBuffers()
        {
            var lengths = new long[Count("buffers")];
            foreach (var (i, buffer) in Items("buffers"))
            {
                lengths[i] = Integer(buffer, "byteLength", $"buffer {i}") ?? 0;
                if (buffer.TryGetProperty("uri", out _))
                    Error($"buffer {i} has a uri: only self-contained GLB files are accepted, with data in the BIN chunk.");
                else if (i != 0)
                    Error($"buffer {i} has no uri, but only buffer 0 can refer to the BIN chunk.");
                else if (lengths[i] > binLength)
                    Error($"buffer 0 declares {lengths[i]} bytes but the BIN chunk has {binLength}.");
            }
            return lengths;
        }

        private (long Length, long? Stride)[] CheckBufferViews(long[] bufferLengths)
        {
            var views = new (long Length, long? Stride)[Count("bufferViews")];
            foreach (var (i, view) in Items("bufferViews"))
            {
                string where = $"bufferView {i}";
                long? buffer = Integer(view, "buffer", where, required: true);
                long offset = Integer(view, "byteOffset", where) ?? 0;
                long length = Integer(view, "byteLength", where, required: true) ?? 0;
                views[i] = (length, Integer(view, "byteStride", where));
                if (buffer is null)
                    continue;
                if (buffer >= bufferLengths.Length)
                    Error($"{where} refers to buffer {buffer}, which does not exist.");
                else if (offset + length > bufferLengths[buffer.Value])
                    Error($"{where} (bytes {offset}..{offset + length}) lies outside buffer {buffer} ({bufferLengths[buffer.Value]} bytes).");
            }
            return views;
        }

        private void CheckAccessors((long Length, long? Stride)[] views)
        {
            foreach (var (i, accessor) in Items("accessors"))
            {
                string where = $"accessor {i}";
                long? componentType = Integer(accessor, "componentType", where, required: true);
                long count = Integer(accessor, "count", where, required: true) ?? 0;
                string type = accessor.TryGetProperty("type", out JsonElement t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                if (componentType is not null && !ComponentSizes.ContainsKey(componentType.Value))
                    Error($"{where} has unknown componentType {componentType}.");
                if (!ComponentCounts.ContainsKey(type))
                    Error($"{where} has unknown type \"{type}\".");
                if (count < 1)
                    Error($"{where} has count {count}; it must be at least 1.");
                long? view = Integer(accessor, "bufferView", where);
                if (view is null || componentType is null || !ComponentSizes.TryGetValue(componentType.Value, out int componentSize) || !ComponentCounts.TryGetValue(type, out int components) || count < 1)
                    continue;
                if (view >= views.Length)
                {
                    Error($"{where} refers to bufferView {view}, which does not exist.");
                    continue;
                }
                long elementSize = componentSize * components;
                var (viewLength, stride) = views[view.Value];
                long offset = Integer(accessor, "byteOffset", where) ?? 0;
                long end = offset + (count - 1) * Math.Max(stride ?? 0, elementSize) + elementSize;
                if (end > viewLength)
                    Error($"{where} needs bytes {offset}..{end} of bufferView {view}, which has {viewLength} bytes.");
            }
        }

        /// <summary>Every index into another array points at an existing item, and nodes form a forest.</summary>
        private void CheckReferences()
        {
            int nodeCount = Count("nodes");
            var parent = Enumerable.Repeat(-1, nodeCount).ToArray();
            foreach (var (i, node) in Items("nodes"))
            {
                Reference(node, "mesh", "meshes", $"node {i}");
                Reference(node, "skin", "skins", $"node {i}");
                foreach (long child in IndexList(node, "children", "nodes", $"node {i}"))
                {
                    if (parent[child] >= 0 || child == i)
                        Error($"node {child} has more than one parent or is its own child; nodes must form a tree.");
                    parent[child] = i;
                }
            }
            for (int i = 0; i < nodeCount; i++) // a cycle never reaches a root
            {
                int steps = 0;
                for (int n = i; n >= 0 && steps <= nodeCount; n = parent[n])
                    steps++;
                if (steps > nodeCount)
                {
                    Error($"node {i} is part of a cycle; nodes must form a tree.");
                    break;
                }
            }
            foreach (var (i, mesh) in Items("meshes"))
            {
                if (!mesh.TryGetProperty("primitives", out JsonElement primitives) || primitives.ValueKind != JsonValueKind.Array || primitives.GetArrayLength() == 0)
                {
                    Error($"mesh {i} has no primitives.");
                    continue;
                }
                int p = 0;
                foreach (JsonElement primitive in primitives.EnumerateArray())
                {
                    string where = $"mesh {i} primitive {p++}";
                    if (primitive.ValueKind != JsonValueKind.Object || !primitive.TryGetProperty("attributes", out JsonElement attributes) || attributes.ValueKind != JsonValueKind.Object)
                    {
                        Error($"{where} has no attributes.");
                        continue;
                    }
                    foreach (JsonProperty attribute in attributes.EnumerateObject())
                        Reference(attributes, attribute.Name, "accessors", $"{where} attribute");
                    Reference(primitive, "indices", "accessors", where);
                    Reference(primitive, "material", "materials", where);
                }
            }
            foreach (var (i, skin) in Items("skins"))
            {
                Reference(skin, "inverseBindMatrices", "accessors", $"skin {i}");
                IndexList(skin, "joints", "nodes", $"skin {i}");
            }
            foreach (var (i, scene) in Items("scenes"))
                IndexList(scene, "nodes", "nodes", $"scene {i}");
            Reference(root, "scene", "scenes", "the document");
            foreach (var (i, animation) in Items("animations"))
            {
                string where = $"animation {i}";
                int samplerCount = animation.TryGetProperty("samplers", out JsonElement samplers) && samplers.ValueKind == JsonValueKind.Array ? samplers.GetArrayLength() : 0;
                foreach (var (s, sampler) in Items(animation, "samplers", where))
                {
                    Reference(sampler, "input", "accessors", $"{where} sampler {s}");
                    Reference(sampler, "output", "accessors", $"{where} sampler {s}");
                }
                foreach (var (c, channel) in Items(animation, "channels", where))
                {
                    long? sampler = Integer(channel, "sampler", $"{where} channel {c}", required: true);
                    if (sampler >= samplerCount)
                        Error($"{where} channel {c} refers to sampler {sampler}, which does not exist.");
                    if (channel.TryGetProperty("target", out JsonElement target) && target.ValueKind == JsonValueKind.Object)
                        Reference(target, "node", "nodes", $"{where} channel {c} target");
                }
            }
            foreach (var (i, image) in Items("images"))
                if (image.TryGetProperty("uri", out JsonElement uri) && !(uri.ValueKind == JsonValueKind.String && uri.GetString()!.StartsWith("data:", StringComparison.Ordinal)))
                    Error($"image {i} refers to an external file: only self-contained GLB files are accepted.");
        }

        private void Reference(JsonElement owner, string property, string collection, string where)
        {
            long? index = Integer(owner, property, where);
            if (index is not null && index >= Count(collection))
                Error($"{where} {property} refers to {collection} {index}, which does not exist.");
        }

        private IEnumerable<long> IndexList(JsonElement owner, string property, string collection, string where)
        {
            if (!owner.TryGetProperty(property, out JsonElement list))
                return [];
            if (list.ValueKind != JsonValueKind.Array)
            {
                Error($"{where} {property} must be an array.");
                return [];
            }
            var valid = new List<long>();
            foreach (JsonElement item in list.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long index) || index < 0 || index >= Count(collection))
                    Error($"{where} {property} contains {item.GetRawText()}, which is not a valid index into {collection}.");
                else
                    valid.Add(index);
            }
            return valid;
        }

        private long? Integer(JsonElement owner, string property, string where, bool required = false)
        {
            if (!owner.TryGetProperty(property, out JsonElement value))
            {
                if (required)
                    Error($"{where} is missing {property}.");
                return null;
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number) && number >= 0)
                return number;
            Error($"{where} {property} must be a non-negative integer, found {value.GetRawText()}.");
            return null;
        }

        private int Count(string collection) =>
            root.TryGetProperty(collection, out JsonElement array) && array.ValueKind == JsonValueKind.Array ? array.GetArrayLength() : 0;

        private IEnumerable<(int Index, JsonElement Item)> Items(string collection) => Items(root, collection, "the document");

        private IEnumerable<(int Index, JsonElement Item)> Items(JsonElement owner, string property, string where)
        {
            if (!owner.TryGetProperty(property, out JsonElement array))
                return [];
            if (array.ValueKind != JsonValueKind.Array)
            {
                Error($"{property} in {where} must be an array.");
                return [];
            }
            return array.EnumerateArray().Select((item, i) => (i, item)).Where(x =>
            {
                if (x.item.ValueKind == JsonValueKind.Object)
                    return true;
                Error($"{property}[{x.i}] in {where} must be an object.");
                return false;
            }).ToArray();
        }

        private void Error(string message)
        {
            if (!errors.Contains(message))
                errors.Add(message);
        }
    }
}
