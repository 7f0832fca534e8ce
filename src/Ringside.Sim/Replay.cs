using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringside.Sim;

/// <summary>A replay file that cannot be read, with the reason.</summary>
public sealed class ReplayFormatException(string message) : Exception(message);

/// <summary>
/// A match recorded compactly as its episode seed, its configuration and every fighter's action per tick,
/// plus a hash of the state after each tick so that a re-simulation can be checked frame by frame.
/// </summary>
/// <remarks>
/// File layout (little-endian): "RSRP", format version (u16), header length (u32), UTF-8 JSON header,
/// actions packed two per byte (low nibble first) in [tick, fighter] order, one u64 state hash per tick,
/// and a CRC-32 of everything before it. About 1 + 8 bytes per tick for a 1v1 match.
/// </remarks>
public sealed class Replay
{
    public const ushort FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "RSRP"u8;

    public int ContractVersion { get; init; } = Contract.Version;
    public required ulong EpisodeSeed { get; init; }
    public required ArenaConfig Config { get; init; }
    public required IReadOnlyList<string> FighterNames { get; init; }
    /// <summary>Actions in [tick, fighter] order.</summary>
    public required byte[] Actions { get; init; }
    /// <summary>State hash after each tick.</summary>
    public required ulong[] FrameHashes { get; init; }
    public int Winner { get; init; } = -1;

    public int Ticks => FrameHashes.Length;

    /// <summary>Re-simulates the match and yields the spawn frame (tick 0) and then one frame per tick.</summary>
    public IEnumerable<Frame> Frames()
    {
        using var arena = Start(out var buffers, out var actions);
        yield return Match.CaptureFrame(arena, 0);
        for (int t = 0; t < Ticks; t++)
        {
            StepTick(arena, buffers, actions, t);
            yield return Match.CaptureFrame(arena, t + 1);
        }
    }

    /// <summary>Re-simulates every tick and compares its state hash; returns the first tick that differs, or null.</summary>
    public int? FirstMismatch()
    {
        using var arena = Start(out var buffers, out var actions);
        for (int t = 0; t < Ticks; t++)
        {
            StepTick(arena, buffers, actions, t);
            if (arena.StateHash(0) != FrameHashes[t]) return t + 1;
            if (arena.IsFinished(0) && t + 1 < Ticks) return t + 2;
        }
        return null;
    }

    private ArenaBatch Start(out StepBuffers buffers, out int[] actions)
    {
        if (ContractVersion != Contract.Version)
            throw new ReplayFormatException($"replay uses contract v{ContractVersion}; this build simulates v{Contract.Version}.");
        var arena = new ArenaBatch(Config, 1, 1, autoReset: false);
        arena.ResetArena(0, EpisodeSeed);
        buffers = new StepBuffers(Config.FighterCount);
        actions = new int[Config.FighterCount];
        return arena;
    }

    private void StepTick(ArenaBatch arena, StepBuffers buffers, int[] actions, int t)
    {
        int f = Config.FighterCount;
        for (int s = 0; s < f; s++) actions[s] = Actions[t * f + s];
        arena.Step(actions, buffers);
    }

    // ----------------------------------------------------------------------------------------------
    // File format
    // ----------------------------------------------------------------------------------------------

    private sealed record Header(
        [property: JsonPropertyName("contract_version")] int ContractVersion,
        [property: JsonPropertyName("episode_seed")] ulong EpisodeSeed,
        [property: JsonPropertyName("fighters")] FighterEntry[] Fighters,
        [property: JsonPropertyName("max_ticks")] int MaxTicks,
        [property: JsonPropertyName("end_when_eliminated_mask")] int EndWhenEliminatedMask,
        [property: JsonPropertyName("ticks")] int Ticks,
        [property: JsonPropertyName("winner")] int Winner);

    private sealed record FighterEntry(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("size")] float Size,
        [property: JsonPropertyName("speed")] float Speed,
        [property: JsonPropertyName("weights")] float[] Weights);

    public void Save(string path)
    {
        using var file = File.Create(path);
        Save(file);
    }

    public void Save(Stream stream)
    {
        int f = Config.FighterCount;
        var header = new Header(ContractVersion, EpisodeSeed,
            Enumerable.Range(0, f).Select(s =>
            {
                var w = new float[RewardWeights.Count];
                (Config.Weights?[s] ?? RewardWeights.Default).CopyTo(w);
                return new FighterEntry(FighterNames[s], Config.Fighters[s].Size, Config.Fighters[s].Speed, w);
            }).ToArray(),
            Config.MaxTicks, Config.EndWhenEliminatedMask, Ticks, Winner);
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);

        int packedLength = (Actions.Length + 1) / 2;
        var bytes = new byte[4 + 2 + 4 + json.Length + packedLength + 8 * Ticks + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(span[6..], json.Length);
        json.CopyTo(span[10..]);
        var packed = span.Slice(10 + json.Length, packedLength);
        for (int k = 0; k < Actions.Length; k++)
            packed[k / 2] |= (byte)(Actions[k] << (4 * (k & 1)));
        var hashes = span.Slice(10 + json.Length + packedLength, 8 * Ticks);
        for (int t = 0; t < Ticks; t++) BinaryPrimitives.WriteUInt64LittleEndian(hashes[(8 * t)..], FrameHashes[t]);
        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32.Compute(span[..^4]));
        stream.Write(bytes);
    }

    public static Replay Load(string path)
    {
        if (!File.Exists(path)) throw new ReplayFormatException($"replay file '{path}' does not exist.");
        return Load(File.ReadAllBytes(path));
    }

    public static Replay Load(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 14 || !bytes[..4].SequenceEqual(Magic))
            throw new ReplayFormatException("not a Ringside replay (missing the RSRP signature).");
        if (Crc32.Compute(bytes[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]))
            throw new ReplayFormatException("replay is corrupt or truncated (checksum mismatch).");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != FormatVersion)
            throw new ReplayFormatException($"replay format v{version} is not supported (this build reads v{FormatVersion}).");
        int jsonLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        if (jsonLength <= 0 || jsonLength > bytes.Length - 14)
            throw new ReplayFormatException("replay header length is out of range.");

        Header header;
        try { header = JsonSerializer.Deserialize<Header>(bytes.Slice(10, jsonLength)) ?? throw new JsonException("empty header"); }
        catch (JsonException e) { throw new ReplayFormatException($"replay header is not valid JSON: {e.Message}"); }
        if (header.Fighters is null || header.Ticks < 0)
            throw new ReplayFormatException("replay header lacks fighters or ticks.");

        int f = header.Fighters.Length;
        ArenaConfig config;
        try
        {
            config = new ArenaConfig
            {
                Fighters = header.Fighters.Select(x => new FighterSpec(x.Size, x.Speed)).ToArray(),
                Weights = header.Fighters.Select(x => x.Weights is { Length: RewardWeights.Count }
                    ? RewardWeights.FromSpan(x.Weights)
                    : throw new ArgumentException($"fighter '{x.Name}' needs {RewardWeights.Count} reward weights.")).ToArray(),
                MaxTicks = header.MaxTicks,
                EndWhenEliminatedMask = header.EndWhenEliminatedMask,
            };
            config.Validate();
        }
        catch (ArgumentException e) { throw new ReplayFormatException($"replay header is invalid: {e.Message}"); }

        long expected = 10L + jsonLength + ((long)header.Ticks * f + 1) / 2 + 8L * header.Ticks + 4;
        if (expected != bytes.Length)
            throw new ReplayFormatException($"replay body has {bytes.Length} bytes; its header implies {expected}.");
        int actionCount = header.Ticks * f, packedLength = (actionCount + 1) / 2;

        var packed = bytes.Slice(10 + jsonLength, packedLength);
        var actions = new byte[actionCount];
        for (int k = 0; k < actionCount; k++)
        {
            actions[k] = (byte)((packed[k / 2] >> (4 * (k & 1))) & 0xF);
            if (!Contract.IsValidAction(actions[k]))
                throw new ReplayFormatException($"replay action {k} is {actions[k]}, outside 0-{Contract.ActionCount - 1}.");
        }
        var hashBytes = bytes.Slice(10 + jsonLength + packedLength, 8 * header.Ticks);
        var hashes = new ulong[header.Ticks];
        for (int t = 0; t < hashes.Length; t++) hashes[t] = BinaryPrimitives.ReadUInt64LittleEndian(hashBytes[(8 * t)..]);

        return new Replay
        {
            ContractVersion = header.ContractVersion,
            EpisodeSeed = header.EpisodeSeed,
            Config = config,
            FighterNames = header.Fighters.Select(x => x.Name ?? "").ToArray(),
            Actions = actions,
            FrameHashes = hashes,
            Winner = header.Winner,
        };
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected, as zip and PNG use), kept here so the simulation needs no package.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFFu;
        foreach (byte b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
