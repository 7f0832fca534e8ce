using System.Net.WebSockets;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Realtime;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed class ReplayInfo
{
    public long Id { get; set; }
    /// <summary>"match" (a live match) or "evaluation" (a trained model against a baseline bot).</summary>
    public string Kind { get; set; } = "";
    public long? MatchId { get; set; }
    public long? TrainingJobId { get; set; }
    public JsonElement FighterIds { get; set; }
    public JsonElement ProfileIds { get; set; }
    public int Fighters { get; set; }
    public long Seed { get; set; }
    public int Ticks { get; set; }
    public int WinnerSlot { get; set; }
    /// <summary>"win" (someone won) or "draw".</summary>
    public string Outcome { get; set; } = "";
    /// <summary>Tags (docs/SERVER.md, Replays): "match", "evaluation", "best_so_far", "milestone:vN".</summary>
    public JsonElement Tags { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Who is in each slot (name, size, speed, and for matches the fighter and controller): on a single replay only.</summary>
    public List<ReplaySlot>? Slots { get; set; }
}

public sealed record ReplaySlot(int Slot, string Name, float Size, float Speed, long? FighterId, string? Controller);

public sealed record ReplayFrame(int Tick, Messages.FighterState[] Fighters);

public sealed record ReplayFramesPage(long ReplayId, int Total, int Offset, IReadOnlyList<ReplayFrame> Frames);

/// <summary>
/// Replays: stored compactly (seed, fighters, actions) and re-simulated exactly on demand, as pages over HTTP or as a
/// chunked WebSocket stream (two transports, with batch_size and max_chunk_bytes; docs/SERVER.md, Replays).
/// </summary>
public static class ReplaysApi
{
    public static void MapReplaysApi(this WebApplication app)
    {
        var api = app.MapGroup("api/replays").WithTags("Replays");
        api.MapGet("", List).WithName("listReplays").WithSummary("Replays, newest first (fighter_id, profile_id, kind, outcome, tag, from, to, skip, limit)");
        api.MapGet("{id:long}", Get).WithName("getReplay").WithSummary("A replay's description");
        api.MapGet("{id:long}/frames", Frames).WithName("listReplayFrames").WithSummary("Frames re-simulated from the replay (offset, limit)");
        app.Map("/ws/replays/{id:long}/frames", Stream).ExcludeFromDescription();
    }

    private const string Columns = "id, kind, match_id, training_job_id, fighter_ids, profile_ids, fighters, seed, ticks, winner_slot, outcome, tags, created_at";

    public static async Task<Results<Ok<IEnumerable<ReplayInfo>>, ProblemHttpResult>> List(Database db, RingsideOptions options, HttpResponse response,
        [FromQuery(Name = "fighter_id")] long? fighterId = null, [FromQuery(Name = "profile_id")] long? profileId = null,
        string? kind = null, string? outcome = null, string? tag = null, DateTime? from = null, DateTime? to = null, int skip = 0, int limit = 50)
    {
        var v = new Validation();
        Paging.Records(v, options, skip, limit);
        if (kind is not null and not ("match" or "evaluation")) v.Add("kind", "must be match or evaluation.");
        if (outcome is not null and not ("win" or "draw")) v.Add("outcome", "must be win or draw.");
        if (!v.Ok) return Problems.Invalid(v);
        // Only the filters given become conditions (PostgreSQL cannot type a parameter that is only ever NULL).
        // Ids live in JSON arrays: match ",id," inside the array text wrapped in commas (works on SQLite and PostgreSQL).
        var conditions = new List<string>();
        if (kind is not null) conditions.Add("kind = @kind");
        if (outcome is not null) conditions.Add("outcome = @outcome");
        if (fighterId is not null) conditions.Add("',' || substr(fighter_ids, 2, length(fighter_ids) - 2) || ',' LIKE @fighter");
        if (profileId is not null) conditions.Add("',' || substr(profile_ids, 2, length(profile_ids) - 2) || ',' LIKE @profile");
        if (tag is not null) conditions.Add("tags LIKE @tag");
        if (from is not null) conditions.Add("created_at >= @from");
        if (to is not null) conditions.Add("created_at <= @to");
        string Where = conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);
        var args = new
        {
            kind,
            outcome,
            fighter = $"%,{fighterId},%",
            profile = $"%,{profileId},%",
            tag = $"%\"{tag}\"%",
            from = from?.ToUniversalTime(),
            to = to?.ToUniversalTime(),
            skip,
            limit,
        };
        return TypedResults.Ok(await db.ReadAsync(async c =>
        {
            response.Headers["X-Total-Count"] = (await c.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM replays {Where}", args)).ToString();
            return await c.QueryAsync<ReplayInfo>($"SELECT {Columns} FROM replays {Where} ORDER BY id DESC LIMIT @limit OFFSET @skip", args);
        }));
    }

    public static async Task<Results<Ok<ReplayInfo>, ProblemHttpResult>> Get(long id, Database db)
    {
        var info = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ReplayInfo>($"SELECT {Columns} FROM replays WHERE id = @id", new { id }));
        if (info is null || await LoadAsync(db, id) is not { } replay) return Problems.NotFound("replay", id);
        var participants = info.MatchId is { } matchId
            ? (await db.ReadAsync(c => c.QueryAsync<MatchParticipant>("SELECT * FROM match_participants WHERE match_id = @matchId", new { matchId }))).ToDictionary(p => p.Slot)
            : [];
        long?[] fighterIds = JsonSerializer.Deserialize<long?[]>(info.FighterIds.GetRawText()) ?? [];
        info.Slots = replay.Config.Fighters.Select((spec, slot) => new ReplaySlot(slot, replay.FighterNames[slot], spec.Size, spec.Speed,
            participants.GetValueOrDefault(slot)?.FighterId ?? (slot < fighterIds.Length && info.Kind == "match" || slot == 0 ? fighterIds.ElementAtOrDefault(slot) : null),
            participants.GetValueOrDefault(slot)?.Controller ?? (info.Kind == "evaluation" ? (slot == 0 ? "profile" : "bot:" + replay.FighterNames[slot]) : null))).ToList();
        return TypedResults.Ok(info);
    }

    private static async Task<Replay?> LoadAsync(Database db, long id)
    {
        var data = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<byte[]>("SELECT data FROM replays WHERE id = @id", new { id }));
        return data is null ? null : Replay.Load(data);
    }

    public static ReplayFrame ToFrame(Frame frame) => new(frame.Tick, Messages.Fighters(frame));

    public static async Task<Results<Ok<ReplayFramesPage>, ProblemHttpResult>> Frames(long id, Database db, int offset = 0, int limit = 300)
    {
        var v = new Validation();
        Paging.Series(v, offset, limit);
        if (!v.Ok) return Problems.Invalid(v);
        var replay = await LoadAsync(db, id);
        if (replay is null) return Problems.NotFound("replay", id);
        var frames = replay.Frames().Skip(offset).Take(limit).Select(ToFrame).ToList();
        return TypedResults.Ok(new ReplayFramesPage(id, replay.Ticks + 1, offset, frames));
    }

    /// <summary>
    /// WS /ws/replays/{id}/frames?batch_size=&amp;max_chunk_bytes=&amp;offset=: replay_chunk messages of at most batch_size
    /// frames and max_chunk_bytes bytes (a batch is split to fit), then replay_end. Sends wait for the client, so a
    /// slow reader slows only its own stream.
    /// </summary>
    public static async Task Stream(HttpContext context, long id, Database db, StreamConnections streams)
    {
        var q = context.Request.Query;
        var v = new Validation();
        int batchSize = ReadInt(q, "batch_size", 100, 1, 5000, v), maxBytes = ReadInt(q, "max_chunk_bytes", 256 * 1024, 1024, 16 * 1024 * 1024, v),
            offset = ReadInt(q, "offset", 0, 0, int.MaxValue, v);
        if (!v.Ok) { await Problems.Invalid(v).ExecuteAsync(context); return; }
        if (!context.WebSockets.IsWebSocketRequest) { await Problems.Field(400, "connection", "this is a WebSocket endpoint: connect with ws://").ExecuteAsync(context); return; }
        var replay = await LoadAsync(db, id);
        if (replay is null) { await Problems.NotFound("replay", id).ExecuteAsync(context); return; }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(AccessPolicy.SubProtocol(context));
        using var counted = streams.Open(StreamKind.Replay);
        var token = context.RequestAborted;
        var chunk = new List<byte[]>();
        int chunkBytes = 0, chunkOffset = offset, sent = 0, chunks = 0;
        async Task Flush()
        {
            if (chunk.Count == 0) return;
            // {"type":"replay_chunk","replay_id":..,"offset":..,"frames":[f1,f2,...]} assembled from frames serialized once.
            using var buffer = new MemoryStream(chunkBytes + 96);
            buffer.Write(System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"replay_chunk\",\"replay_id\":{id},\"offset\":{chunkOffset},\"frames\":["));
            for (int i = 0; i < chunk.Count; i++) { if (i > 0) buffer.WriteByte((byte)','); buffer.Write(chunk[i]); }
            buffer.Write("]}"u8);
            await socket.SendAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), WebSocketMessageType.Text, true, token);
            sent += chunk.Count; chunks++; chunkOffset += chunk.Count;
            chunk.Clear(); chunkBytes = 0;
        }
        try
        {
            foreach (var frame in replay.Frames().Skip(offset))
            {
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(ToFrame(frame), Json.Options);
                if (chunk.Count > 0 && (chunk.Count >= batchSize || chunkBytes + json.Length + 96 > maxBytes)) await Flush();
                chunk.Add(json); chunkBytes += json.Length + 1;
            }
            await Flush();
            await socket.SendAsync(Messages.Serialize(new { type = "replay_end", replay_id = id, frames = sent, chunks, total = replay.Ticks + 1 }),
                WebSocketMessageType.Text, true, token);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "replay sent", token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
    }

    private static int ReadInt(IQueryCollection q, string name, int fallback, int min, int max, Validation v)
    {
        if (!q.TryGetValue(name, out var text)) return fallback;
        if (!int.TryParse(text, out int value)) { v.Add(name, "must be an integer."); return fallback; }
        v.Range(value, min, max, name);
        return value;
    }
}
