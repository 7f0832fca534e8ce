using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Ringside.Learning;

/// <summary>A checkpoint file that cannot be used; the message names the file and what is wrong with it.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One F32 tensor: a shape and its values in row-major order.</summary>
public sealed record SafeTensor(string Name, int[] Shape, float[] Values);

/// <summary>
/// The safetensors format (huggingface.co/docs/safetensors), F32 only: an 8-byte little-endian header length,
/// a JSON header {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}},
/// padded with spaces to a multiple of 8 bytes, then the raw little-endian data. PyTorch and Hugging Face tools read it.
/// </summary>
public static class SafeTensors
{
    private const string MetadataKey = "__metadata__";
    private const long MaxHeaderBytes = 100_000_000; // the reference implementation's limit

    /// <summary>Writes the tensors in the order given, through a temporary file so a crash never leaves half a file.</summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var list = tensors.ToList();
        using var headerBuffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerBuffer))
        {
            json.WriteStartObject();
            json.WriteStartObject(MetadataKey);
            foreach (var (key, value) in metadata) json.WriteString(key, value);
            json.WriteEndObject();
            long offset = 0;
            foreach (var tensor in list)
            {
                if (tensor.Name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is not a tensor name");
                if (tensor.Shape.Aggregate(1L, (product, size) => product * size) != tensor.Values.Length)
                    throw new ArgumentException($"tensor {tensor.Name}: shape [{string.Join(", ", tensor.Shape)}] does not hold {tensor.Values.Length} values");
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += tensor.Values.Length * sizeof(float));
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        while (headerBuffer.Length % 8 != 0) headerBuffer.WriteByte((byte)' ');

        string temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBuffer.Length);
            file.Write(length);
            headerBuffer.Position = 0;
            headerBuffer.CopyTo(file);
            foreach (var tensor in list) WriteLittleEndian(file, tensor.Values);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Reads every tensor and the metadata.</summary>
    /// <exception cref="CheckpointException">the file is missing, truncated, not safetensors, or holds a dtype other than F32.</exception>
    public static (IReadOnlyDictionary<string, SafeTensor> Tensors, IReadOnlyDictionary<string, string> Metadata) Read(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException($"{path}: cannot read the file ({e.Message})", e);
        }
        if (bytes.Length < 8) throw new CheckpointException($"{path}: truncated, {bytes.Length} bytes is shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || (long)headerLength > bytes.Length - 8)
            throw new CheckpointException($"{path}: header length {headerLength} does not fit in a file of {bytes.Length} bytes (truncated, or not safetensors)");
        var data = bytes.AsSpan(8 + (int)headerLength);

        var tensors = new Dictionary<string, SafeTensor>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
            if (header.RootElement.ValueKind != JsonValueKind.Object) throw new CheckpointException($"{path}: the header is not a JSON object");
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == MetadataKey)
                {
                    foreach (var item in entry.Value.EnumerateObject())
                        metadata[item.Name] = item.Value.GetString() ?? throw new CheckpointException($"{path}: metadata '{item.Name}' is not a string");
                    continue;
                }
                string dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
                if (dtype != "F32") throw new CheckpointException($"{path}: tensor {entry.Name} has dtype {dtype}; only F32 is supported");
                int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(size => size.GetInt32()).ToArray();
                long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(offset => offset.GetInt64()).ToArray();
                long count = shape.Aggregate(1L, (product, size) => size < 0 ? -1 : product * size);
                if (offsets.Length != 2 || count < 0 || offsets[0] < 0 || offsets[1] - offsets[0] != count * sizeof(float))
                    throw new CheckpointException($"{path}: tensor {entry.Name} has offsets [{string.Join(", ", offsets)}] that do not match its shape [{string.Join(", ", shape)}]");
                if (offsets[1] > data.Length)
                    throw new CheckpointException($"{path}: truncated, tensor {entry.Name} needs data up to byte {offsets[1]} but the file has {data.Length}");
                tensors[entry.Name] = new SafeTensor(entry.Name, shape, ReadLittleEndian(data[(int)offsets[0]..(int)offsets[1]]));
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"{path}: the header is not valid safetensors JSON ({e.Message})", e);
        }
        return (tensors, metadata);
    }

    private static void WriteLittleEndian(Stream stream, float[] values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values.AsSpan()));
            return;
        }
        Span<byte> buffer = stackalloc byte[4];
        foreach (float value in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer, value);
            stream.Write(buffer);
        }
    }

    private static float[] ReadLittleEndian(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        if (BitConverter.IsLittleEndian) bytes.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]);
        return values;
    }
}
