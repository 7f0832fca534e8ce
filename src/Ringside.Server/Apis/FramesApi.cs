using System.Data;
using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <summary>One frame of a fighter in an episode (docs/SERVER.md, Endpoints).</summary>
public sealed record FrameRequest(long? EpisodeId, int? FrameNumber, double[]? FighterPosition, double? FighterHealth,
    double[]? FighterVelocity = null, JsonElement? EnemiesState = null, double[]? ActionVector = null, double? RewardDelta = null,
    double? CumulativeReward = null, double[]? ObservationVector = null);

public sealed record FrameBatchRequest(FrameRequest[]? Frames);

public sealed record FramesStored(int Inserted, long[] EpisodeIds);

/// <summary>
/// Fight frames. A game at 60 fps posting one request per frame was a known bottleneck, so besides the
/// single-frame endpoint there is a batch endpoint: many frames in one request, stored in one transaction.
/// </summary>
public static class FramesApi
{
    public static void MapFramesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api").WithTags("Fight frames");
        api.MapPost("fight-frames", PostOne).WithName("recordFrame")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Record one frame");
        api.MapPost("fight-frames/batch", PostBatch).Accepts<FrameBatchRequest>("application/json").WithName("recordFrameBatch")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Record many frames at once (all or nothing)");
        api.MapGet("episodes/{id:long}/frames", List).WithName("listEpisodeFrames").WithSummary("Frames of an episode in order (skip/limit)");
    }

    public static async Task<Results<Created<FightFrame>, ProblemHttpResult>> PostOne(FrameRequest body, Database db)
    {
        var v = new Validation();
        Validate(body, "", v);
        if (!v.Ok) return Problems.Invalid(v);
        var result = await StoreAsync([RowOf(body)], db);
        if (result is not null) return result;
        var frame = await db.ReadAsync(c => c.QuerySingleAsync<FightFrame>(
            "SELECT * FROM fight_frames WHERE episode_id = @EpisodeId AND frame_number = @FrameNumber", body));
        return TypedResults.Created($"/api/episodes/{frame.EpisodeId}/frames", frame);
    }

    /// <summary>The batch endpoint reads its body itself (<see cref="FrameBatchReader"/>): same fields, same problems, several times faster.</summary>
    public static async Task<Results<Created<FramesStored>, ProblemHttpResult>> PostBatch(HttpRequest request, Database db, RingsideOptions options)
    {
        byte[] body = await ReadBodyAsync(request, options.Limits.MaxBodyBytes);
        var v = new Validation();
        var rows = FrameBatchReader.Read(body, options.Limits.MaxFramesPerBatch, v);
        if (!v.Ok) return Problems.Invalid(v);
        var problem = await StoreAsync(rows, db);
        if (problem is not null) return problem;
        long[] episodes = rows.Select(f => f.EpisodeId).Distinct().ToArray();
        return TypedResults.Created($"/api/episodes/{episodes[0]}/frames", new FramesStored(rows.Count, episodes));
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, long maxBytes)
    {
        if (request.ContentLength is { } length and > 0 && length <= maxBytes)
        {
            var buffer = new byte[length];
            await request.Body.ReadExactlyAsync(buffer);
            return buffer;
        }
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy); // Kestrel stops a body of unknown length at the limit
        return copy.ToArray();
    }

    private static void Validate(FrameRequest f, string prefix, Validation v)
    {
        v.Required(f.EpisodeId, prefix + "episode_id");
        v.Required(f.FrameNumber, prefix + "frame_number");
        v.Range(f.FrameNumber, 0, int.MaxValue, prefix + "frame_number");
        Vector(f.FighterPosition, 2, 3, prefix + "fighter_position", v, required: true);
        v.Required(f.FighterHealth, prefix + "fighter_health");
        v.Finite(f.FighterHealth, prefix + "fighter_health");
        Vector(f.FighterVelocity, 2, 3, prefix + "fighter_velocity", v, required: false);
        if (f.EnemiesState is { ValueKind: not (JsonValueKind.Array or JsonValueKind.Null) }) v.Add(prefix + "enemies_state", "must be an array.");
        Vector(f.ActionVector, 0, 32, prefix + "action_vector", v, required: false);
        v.Finite(f.RewardDelta, prefix + "reward_delta");
        v.Finite(f.CumulativeReward, prefix + "cumulative_reward");
        Vector(f.ObservationVector, Contract.ObservationSize, Contract.ObservationSize, prefix + "observation_vector", v, required: false);
    }

    private static void Vector(double[]? values, int min, int max, string field, Validation v, bool required)
    {
        if (values is null) { if (required) v.Add(field, "is required."); return; }
        if (values.Length < min || values.Length > max)
            v.Add(field, min == max ? $"must have exactly {min} numbers (contract v1), got {values.Length}." : $"must have {min} to {max} numbers, got {values.Length}.");
        else if (Array.FindIndex(values, d => !double.IsFinite(d)) is var bad and >= 0) v.Add($"{field}[{bad}]", "must be a finite number.");
    }

    /// <summary>Stores validated frames in one transaction; a problem (unknown episode, duplicate frame) stores none.</summary>
    private static async Task<ProblemHttpResult?> StoreAsync(IReadOnlyList<FrameRow> frames, Database db)
    {
        try
        {
            return await db.WriteAsync(async (c, t) =>
            {
                var episodes = frames.Select(f => f.EpisodeId).Distinct().ToArray();
                foreach (var id in episodes)
                    if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM episodes WHERE id = @id", new { id }, t) == 0)
                    {
                        int index = frames.ToList().FindIndex(f => f.EpisodeId == id);
                        return Problems.NotFound("episode", id, frames.Count == 1 ? "episode_id" : $"frames[{index}].episode_id");
                    }
                await EpisodeStore.InsertFramesAsync(c, t, frames);
                return null;
            });
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            var duplicate = frames.GroupBy(f => (f.EpisodeId, f.FrameNumber)).FirstOrDefault(g => g.Count() > 1)?.Key;
            string message = duplicate is { } d
                ? $"frame {d.FrameNumber} of episode {d.EpisodeId} appears twice in the request; nothing was stored."
                : "a frame with this episode_id and frame_number is already stored; nothing was stored.";
            return Problems.Conflict(frames.Count == 1 ? "frame_number" : "frames", message);
        }
    }

    /// <summary>A frame's column values from a request (validated: episode, number, position and health present).</summary>
    internal static FrameRow RowOf(FrameRequest f) => new(f.EpisodeId!.Value, f.FrameNumber!.Value, EpisodeStore.NumberArray(f.FighterPosition!), f.FighterHealth!.Value,
        f.FighterVelocity is { } v ? EpisodeStore.NumberArray(v) : "[0,0]", f.EnemiesState is { ValueKind: JsonValueKind.Array } e ? e.GetRawText() : "[]",
        EpisodeStore.NumberArray(f.ActionVector ?? []), f.RewardDelta ?? 0, f.CumulativeReward ?? 0, f.ObservationVector is { } o ? EpisodeStore.NumberArray(o) : null);

    public static Task<Results<Ok<IEnumerable<FightFrame>>, ProblemHttpResult>> List(long id, Database db, RingsideOptions options,
        HttpResponse response, int skip = 0, int limit = 500) =>
        Paging.PageAsync<FightFrame>(db, options, response, id, skip, limit, "episode", "SELECT id FROM episodes WHERE id = @id",
            "SELECT COUNT(*) FROM fight_frames WHERE episode_id = @id",
            "SELECT * FROM fight_frames WHERE episode_id = @id ORDER BY frame_number LIMIT @limit OFFSET @skip");
}
