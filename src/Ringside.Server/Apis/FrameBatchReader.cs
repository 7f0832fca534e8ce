using System.Text;
using System.Text.Json;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <summary>
/// Reads a batch of fight frames, {"frames": [...]}, in one pass over the request body, validating as it goes and
/// keeping each array's JSON text as the client sent it (numbers checked finite): no objects per value, nothing
/// formatted again. The batch endpoint's speed target (100,000 frames/s) needs this; the general serializer spends
/// most of a frame's time building arrays and documents that are only written back out as text.
/// </summary>
internal static class FrameBatchReader
{
    private const int MaxErrors = 20;

    public static List<FrameRow> Read(ReadOnlySpan<byte> json, int maxFrames, Validation v)
    {
        var rows = new List<FrameRow>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) { v.Add("body", "must be a JSON object: {\"frames\": [...]}."); return rows; }
            bool sawFrames = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isFrames = reader.ValueTextEquals("frames"u8);
                reader.Read();
                if (!isFrames) { reader.Skip(); continue; }
                sawFrames = true;
                if (reader.TokenType != JsonTokenType.StartArray) { v.Add("frames", "is required: an array of frames."); reader.Skip(); continue; }
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    int index = rows.Count;
                    if (index >= maxFrames) { v.Add("frames", $"holds more than {maxFrames} frames; at most {maxFrames} per request."); return rows; }
                    rows.Add(ReadFrame(ref reader, json, $"frames[{index}].", v));
                    if (v.Errors.Count >= MaxErrors) return rows;
                }
            }
            if (!sawFrames) v.Add("frames", "is required: an array of frames.");
            else if (rows.Count == 0 && v.Ok) v.Add("frames", "must hold at least one frame.");
        }
        catch (JsonException e)
        {
            v.Add("body", $"is not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException) // a property name the reader cannot compare: an escaped lone surrogate
        {
            v.Add("body", Utf16.IllFormedMessage);
        }
        return rows;
    }

    private static FrameRow ReadFrame(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, string prefix, Validation v)
    {
        long? episode = null; int? number = null; double? health = null; double reward = 0, cumulative = 0;
        string? position = null, velocity = null, enemies = null, action = null, observation = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            v.Add(prefix.TrimEnd('.'), "must be a frame object.");
            reader.Skip();
            return default;
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.ValueSpan;
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null) continue;
            if (name.SequenceEqual("episode_id"u8)) episode = Integer(ref reader, prefix + "episode_id", v);
            else if (name.SequenceEqual("frame_number"u8)) number = (int?)Integer(ref reader, prefix + "frame_number", v, int.MaxValue);
            else if (name.SequenceEqual("fighter_health"u8)) health = Number(ref reader, prefix + "fighter_health", v);
            else if (name.SequenceEqual("reward_delta"u8)) reward = Number(ref reader, prefix + "reward_delta", v) ?? 0;
            else if (name.SequenceEqual("cumulative_reward"u8)) cumulative = Number(ref reader, prefix + "cumulative_reward", v) ?? 0;
            else if (name.SequenceEqual("fighter_position"u8)) position = Numbers(ref reader, json, 2, 3, prefix + "fighter_position", v);
            else if (name.SequenceEqual("fighter_velocity"u8)) velocity = Numbers(ref reader, json, 2, 3, prefix + "fighter_velocity", v);
            else if (name.SequenceEqual("action_vector"u8)) action = Numbers(ref reader, json, 0, 32, prefix + "action_vector", v);
            else if (name.SequenceEqual("observation_vector"u8))
                observation = Numbers(ref reader, json, Contract.ObservationSize, Contract.ObservationSize, prefix + "observation_vector", v);
            else if (name.SequenceEqual("enemies_state"u8))
            {
                if (reader.TokenType != JsonTokenType.StartArray) { v.Add(prefix + "enemies_state", "must be an array."); reader.Skip(); continue; }
                long start = reader.TokenStartIndex;
                reader.Skip();
                enemies = Encoding.UTF8.GetString(json[(int)start..(int)reader.BytesConsumed]);
            }
            else reader.Skip(); // fields a game may add are ignored, as the single-frame endpoint does
        }
        if (episode is null) v.Add(prefix + "episode_id", "is required.");
        if (number is null) v.Add(prefix + "frame_number", "is required.");
        if (position is null && !v.Errors.ContainsKey(prefix + "fighter_position")) v.Add(prefix + "fighter_position", "is required.");
        if (health is null && !v.Errors.ContainsKey(prefix + "fighter_health")) v.Add(prefix + "fighter_health", "is required.");
        return new FrameRow(episode ?? 0, number ?? 0, position ?? "[]", health ?? 0, velocity ?? "[0,0]", enemies ?? "[]",
            action ?? "[]", reward, cumulative, observation);
    }

    private static long? Integer(ref Utf8JsonReader reader, string field, Validation v, long max = long.MaxValue)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value) && value >= 0 && value <= max) return value;
        v.Add(field, $"must be a whole number from 0 to {max}.");
        reader.Skip();
        return null;
    }

    private static double? Number(ref Utf8JsonReader reader, string field, Validation v)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out double value) && double.IsFinite(value)) return value;
        v.Add(field, "must be a finite number.");
        reader.Skip();
        return null;
    }

    /// <summary>An array of min..max finite numbers, returned as its JSON text.</summary>
    private static string? Numbers(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int min, int max, string field, Validation v)
    {
        if (reader.TokenType != JsonTokenType.StartArray) { v.Add(field, "must be an array of numbers."); reader.Skip(); return null; }
        long start = reader.TokenStartIndex;
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out double d) || !double.IsFinite(d))
            {
                v.Add($"{field}[{count}]", "must be a finite number.");
                reader.Skip();
                while (reader.TokenType != JsonTokenType.EndArray && reader.Read()) reader.Skip();
                return null;
            }
            count++;
        }
        if (count < min || count > max)
        {
            v.Add(field, min == max ? $"must have exactly {min} numbers (contract v1), got {count}." : $"must have {min} to {max} numbers, got {count}.");
            return null;
        }
        return Encoding.UTF8.GetString(json[(int)start..(int)reader.BytesConsumed]);
    }
}
