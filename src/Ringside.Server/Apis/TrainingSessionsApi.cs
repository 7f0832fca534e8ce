using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Realtime;
using Ringside.Server.Training;

namespace Ringside.Server.Apis;

public sealed record CreateSessionRequest(string? SessionId = null, string? TrainingId = null, string? Algorithm = null, int? ModelGeneration = null,
    long? TotalEpisodes = null, bool? PasswordProtected = null, int? MaxSpectators = null);

public sealed record UpdateSessionRequest(string? Status = null, long? TotalEpisodes = null, int? ModelGeneration = null);

/// <summary>A session; in the list, a password room is private: no id, room code or training id (docs/SERVER.md, Security model).</summary>
public sealed record SessionView(string? SessionId, string? TrainingId, string Algorithm, int ModelGeneration, long TotalEpisodes, string Status,
    long? TrainingJobId, int Spectators, int MaxSpectators, bool PasswordProtected, string? RoomCode, DateTime CreatedAt, DateTime LastActivity,
    string? RoomPassword = null)
{
    public static SessionView Of(TrainingSession s, string? password = null) => new(s.Id, s.TrainingId, s.Algorithm, s.ModelGeneration, s.TotalEpisodes,
        s.Status, s.TrainingJobId, s.SpectatorCount, s.MaxSpectators, s.PasswordProtected, s.RoomCode, s.CreatedAt, s.LastActivity, password);

    /// <summary>What the list shows of a session to someone who may not know its password.</summary>
    public static SessionView Listed(TrainingSession s) => s.PasswordProtected
        ? Of(s) with { SessionId = null, TrainingId = null, RoomCode = null, TrainingJobId = null }
        : Of(s);
}

public sealed record HistoryPage(string SessionId, int Total, int Offset, int Limit, IReadOnlyList<SessionMessage> Messages);

/// <param name="Connections">open WebSockets of every stream: session spectators, live-match viewers and players, replay viewers.</param>
public sealed record ServerStatus(int Connections, StatusConnections ConnectionsByStream, int Sessions, int ActiveSessions, long MessagesPublished,
    double MessagesPerSecond, int LiveMatches, int MaxConnectionsPerSession, int MaxTotalConnections, long SlowClientsClosed, string Role, string Node, IReadOnlyList<ClusterNode> Nodes,
    ServerMemory Memory, int SessionStoreBacklog, long SessionHistoryBytes);

public sealed record StatusConnections(int Sessions, int Matches, int Replays);

/// <param name="WorkingSetBytes">the process's resident memory.</param>
/// <param name="GcHeapBytes">the managed heap after the last garbage collection (of any generation: it may still hold dead old objects).</param>
/// <param name="GcLiveAfterFullBytes">objects alive at the last full collection: its heap size less the free space between
/// them (0 before the first).</param>
/// <param name="GcFragmentedBytes">free space inside the managed heap after the last collection: it counts in the heap and
/// the working set but holds nothing (the large-object heap is not compacted by default).</param>
/// <param name="GcCommittedBytes">memory the garbage collector holds from the system.</param>
/// <param name="SqliteBytes">memory SQLite's allocator holds (page caches); 0 on PostgreSQL.</param>
public sealed record ServerMemory(long WorkingSetBytes, long GcHeapBytes, long GcLiveAfterFullBytes, long GcFragmentedBytes, long GcCommittedBytes, long SqliteBytes)
{
    public static ServerMemory Now(Database db)
    {
        var gc = GC.GetGCMemoryInfo();
        var full = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        return new ServerMemory(Environment.WorkingSet, gc.HeapSizeBytes, full.HeapSizeBytes - full.FragmentedBytes, gc.FragmentedBytes, gc.TotalCommittedBytes,
            db.NativeBytes);
    }
}

/// <summary>Training sessions (docs/SERVER.md, Training sessions): sessions, posting metrics, history, status, and the WS /ws/{session_id} stream.</summary>
public static class TrainingSessionsApi
{
    public static void MapTrainingSessionsApi(this WebApplication app)
    {
        var api = app.MapGroup("api/training/sessions").WithTags("Training sessions");
        api.MapPost("", Create).WithName("createTrainingSession").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a training session (password_protected: a spectator room with a code)");
        api.MapGet("", List).WithName("listTrainingSessions").WithSummary("Training sessions (every training job is one: job-N)");
        api.MapGet("{id}", Get).WithName("getTrainingSession").ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("A session (a password room's needs its password: password or X-Room-Password)");
        api.MapPut("{id}", Update).WithName("updateTrainingSession").WithSummary("Update a session's status");
        api.MapDelete("{id}", Delete).WithName("deleteTrainingSession").WithSummary("Delete a session (its spectators are disconnected)");
        api.MapPost("{id}/metrics", (string id, JsonElement body, HttpRequest request, SessionDirectory s, RingsideOptions o) => Post(id, "training_metrics", body, request, s, o)).WithName("publishSessionMetrics")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Publish training metrics");
        api.MapPost("{id}/bot_decision", (string id, JsonElement body, HttpRequest request, SessionDirectory s, RingsideOptions o) => Post(id, "bot_decision", body, request, s, o)).WithName("publishSessionBotDecision")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Publish a bot decision");
        api.MapPost("{id}/graph_update", (string id, JsonElement body, HttpRequest request, SessionDirectory s, RingsideOptions o) => Post(id, "graph_update", body, request, s, o)).WithName("publishSessionGraphUpdate")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Publish a graph update");
        api.MapGet("{id}/history", History).WithName("getSessionHistory").ProducesProblem(StatusCodes.Status403Forbidden)
            .WithSummary("Stored messages (message_type, start_time, end_time, episode_min, episode_max, offset, limit)");
        app.MapGet("/status", Status).WithName("getServerStatus").WithTags("Training sessions").WithSummary("Connections, sessions and messages per second");
        app.Map("/ws/{sessionId}", Stream).ExcludeFromDescription();
    }

    private static ProblemHttpResult Missing(string id) => Problems.Field(404, "session_id", $"training session '{id}' does not exist.");

    public static async Task<Results<Created<SessionView>, ProblemHttpResult>> Create(CreateSessionRequest body, SessionDirectory sessions)
    {
        var v = new Validation();
        if (body.SessionId is { } sid && (sid.Length is 0 or > 64 || !sid.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_')))
            v.Add("session_id", "must be 1-64 letters, digits, '-' or '_'.");
        if (body.SessionId?.StartsWith("job-") == true) v.Add("session_id", "ids starting with 'job-' belong to the server's training jobs.");
        v.Range(body.MaxSpectators, 1, sessions.Options.MaxConnectionsPerSession, "max_spectators");
        v.Range(body.TotalEpisodes, 0, Json.MaxSafeInteger, "total_episodes");
        if (body.TrainingId is { Length: > 200 }) v.Add("training_id", "must be at most 200 characters.");
        if (!v.Ok) return Problems.Invalid(v);
        if (body.SessionId is { } existing && await sessions.FindAsync(existing) is not null) return Problems.Conflict("session_id", $"session '{existing}' already exists.");
        var (session, password, refused) = await sessions.CreateAsync(body.SessionId, body.TrainingId ?? "", body.Algorithm ?? "PPO", body.ModelGeneration ?? 0,
            body.TotalEpisodes ?? 0, body.PasswordProtected == true, body.MaxSpectators);
        return refused switch
        {
            TrainingSessions.Refusal.Exists => Problems.Conflict("session_id", $"session '{body.SessionId}' already exists."),
            TrainingSessions.Refusal.Full => Problems.Conflict("session_id",
                $"the server holds its limit of {sessions.Options.MaxSessions} sessions; delete one, or wait for idle ones to expire."),
            _ => TypedResults.Created($"/api/training/sessions/{session!.Id}", SessionView.Of(session, password)),
        };
    }

    public static async Task<Ok<IEnumerable<SessionView>>> List(SessionDirectory sessions) =>
        TypedResults.Ok((await sessions.ListAsync()).OrderBy(s => s.CreatedAt).Select(SessionView.Listed));

    public static async Task<Results<Ok<SessionView>, ProblemHttpResult>> Get(string id, HttpRequest request, SessionDirectory sessions)
    {
        if (await sessions.FindAsync(id) is not { } s || s.Id != id) return Missing(id);
        if (PasswordRefused(s, request) is { } refused) return refused;
        return TypedResults.Ok(SessionView.Of(s));
    }

    /// <summary>
    /// A password room's details, history and stream need its password (query "password", or the header
    /// X-Room-Password, which stays out of request logs); null when this request may see it.
    /// </summary>
    private static ProblemHttpResult? PasswordRefused(TrainingSession session, HttpRequest request)
    {
        string? password = request.Headers["X-Room-Password"].FirstOrDefault() ?? request.Query["password"].FirstOrDefault();
        return session.CheckPassword(password) ? null : Problems.Field(403, "password", "this session is a password-protected room: give its password.");
    }

    public static async Task<Results<Ok<SessionView>, ProblemHttpResult>> Update(string id, UpdateSessionRequest body, SessionDirectory sessions)
    {
        if (await sessions.FindAsync(id) is not { } s || s.Id != id) return Missing(id);
        var v = new Validation();
        if (body.Status is not null and not ("active" or "paused" or "completed" or "failed" or "stopped"))
            v.Add("status", "must be active, paused, completed, failed or stopped.");
        if (s.TrainingJobId is not null && body.Status is not null) v.Add("status", "a training job's session follows its job; cancel the job instead.");
        v.Range(body.TotalEpisodes, 0, Json.MaxSafeInteger, "total_episodes");
        if (!v.Ok) return Problems.Invalid(v);
        if (body.TotalEpisodes is { } total) s.TotalEpisodes = total;
        if (body.ModelGeneration is { } generation) s.ModelGeneration = generation;
        string? changedStatus = body.Status is { } status && status != s.Status ? status : null;
        if (changedStatus is not null) s.Status = changedStatus;
        await sessions.ChangedAsync(s);
        if (changedStatus is not null && await sessions.PublishAsync(s, "training_status", new { status = changedStatus }, null) is null) return Missing(id);
        return TypedResults.Ok(SessionView.Of(s));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(string id, SessionDirectory sessions) =>
        await sessions.DeleteAsync(id, "the session was deleted") ? TypedResults.NoContent() : Missing(id);

    /// <summary>Publishes any JSON object (metrics, bot decisions, graph points; docs/SERVER.md, Training sessions).</summary>
    public static async Task<Results<Accepted<SessionMessage>, ProblemHttpResult>> Post(string id, string type, JsonElement body, HttpRequest request,
        SessionDirectory sessions, RingsideOptions options)
    {
        if (await sessions.FindAsync(id) is not { } s || s.Id != id) return Missing(id);
        // In a cluster a job's session is numbered by the database for every node (docs/SERVER.md, Cluster); only the job writes to it.
        if (s.TrainingJobId is not null && options.QuartzClustered)
            return Problems.Field(409, "session_id", $"session '{id}' belongs to training job {s.TrainingJobId}; in a cluster only the job publishes to it.");
        int limit = sessions.Options.MaxMessageBytes;
        if ((request.ContentLength ?? Encoding.UTF8.GetByteCount(body.GetRawText())) is var size && size > limit)
            return Problems.Field(413, "body", $"is {size} bytes; a session message is at most {limit} bytes (Ringside:Sessions:MaxMessageBytes).");
        if (body.ValueKind != JsonValueKind.Object) return Problems.Field(400, "body", "must be a JSON object.");
        int? episode = null;
        if (body.TryGetProperty("episode", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out int n)) return Problems.Field(400, "episode", "must be an integer (or absent).");
            episode = n;
        }
        if (Utf16.FirstIllFormed(body) is { } illFormed) return Problems.Field(400, illFormed, Utf16.IllFormedMessage);
        foreach (var p in body.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Number && !double.IsFinite(p.Value.GetDouble())) return Problems.Field(400, p.Name, "must be a finite number.");
        // Null: the session was deleted (on another node) before the message's turn came.
        return await sessions.PublishAsync(s, type, body, episode) is { } published
            ? TypedResults.Accepted($"/api/training/sessions/{id}/history", published) : Missing(id);
    }

    public static async Task<Results<Ok<HistoryPage>, ProblemHttpResult>> History(string id, HttpRequest request, SessionDirectory directory, TrainingSessions sessions,
        [FromQuery(Name = "message_type")] string? messageType = null, [FromQuery(Name = "start_time")] DateTime? startTime = null,
        [FromQuery(Name = "end_time")] DateTime? endTime = null, [FromQuery(Name = "episode_min")] int? episodeMin = null,
        [FromQuery(Name = "episode_max")] int? episodeMax = null, int offset = 0, int limit = 100)
    {
        if (await directory.FindAsync(id) is not { } s || s.Id != id) return Missing(id);
        if (PasswordRefused(s, request) is { } refused) return refused;
        var v = new Validation();
        if (messageType is not null && Array.IndexOf(TrainingSessions.MessageTypes, messageType) < 0)
            v.Add("message_type", $"must be one of {string.Join(", ", TrainingSessions.MessageTypes)}.");
        Paging.Series(v, offset, limit);
        if (!v.Ok) return Problems.Invalid(v);
        var (total, page) = sessions.History(s, messageType, startTime?.ToUniversalTime(), endTime?.ToUniversalTime(), episodeMin, episodeMax, offset, limit);
        return TypedResults.Ok(new HistoryPage(id, total, offset, limit, page));
    }

    public static async Task<Ok<ServerStatus>> Status(TrainingSessions sessions, LiveMatches matches, StreamConnections streams, Database db, RingsideOptions options, SessionStore store) =>
        TypedResults.Ok(new ServerStatus(
        streams.Total, new StatusConnections(streams.Of(StreamKind.Session), streams.Of(StreamKind.Match), streams.Of(StreamKind.Replay)),
        sessions.All.Count, sessions.All.Count(s => s.Status is "active" or "running"), sessions.Published,
        Math.Round(sessions.MessagesPerSecond, 2), matches.Running, sessions.Options.MaxConnectionsPerSession, sessions.Options.MaxTotalConnections,
        WsConnection.ClosedTooSlow, options.Cluster.Role, options.Cluster.NodeName, await ClusterNodes.ListAsync(db, options), ServerMemory.Now(db), store.Backlog, sessions.HistoryBytes));

    /// <summary>WS /ws/{session_id or room code}?user_name=&amp;password=: a spectator of a training session.</summary>
    public static async Task Stream(HttpContext context, string sessionId, SessionDirectory directory, TrainingSessions sessions, StreamConnections streams,
        ILogger<WsConnection> log)
    {
        if (!context.WebSockets.IsWebSocketRequest) { await Problems.Field(400, "connection", "this is a WebSocket endpoint: connect with ws://").ExecuteAsync(context); return; }
        var session = await directory.FindAsync(sessionId);
        if (session is null) { await Missing(sessionId).ExecuteAsync(context); return; }
        if (PasswordRefused(session, context.Request) is { } refused) { await refused.ExecuteAsync(context); return; }
        if (sessions.RefuseJoin(session) is { } refusal) { await Problems.Field(429, "session_id", refusal).ExecuteAsync(context); return; }

        var query = context.Request.Query;
        long? afterSequence = null;
        if (query["after_sequence"].FirstOrDefault() is { } after)
        {
            if (!long.TryParse(after, out long value) || value < 0)
            {
                await Problems.Field(400, "after_sequence", "must be a sequence number (0 or more): the last message this client received.").ExecuteAsync(context);
                return;
            }
            afterSequence = value;
        }
        string[] initialTypes = [];
        if (query["message_types"].FirstOrDefault() is { Length: > 0 } list)
        {
            initialTypes = list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (initialTypes.FirstOrDefault(x => Array.IndexOf(TrainingSessions.MessageTypes, x) < 0) is { } bad)
            {
                await Problems.Field(400, "message_types", $"unknown message type '{bad}'; expected {string.Join(", ", TrainingSessions.MessageTypes)}.").ExecuteAsync(context);
                return;
            }
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(AccessPolicy.SubProtocol(context));
        using var counted = streams.Open(StreamKind.Session);
        string user = query["user_name"].FirstOrDefault() is { Length: > 0 and <= 64 } name ? name : "spectator";
        await using var connection = new WsConnection(socket, user, sessions.Options.ConnectionQueueSize);
        var spectator = new Spectator(connection);
        spectator.Subscriptions.UnionWith(initialTypes);
        connection.Start();
        connection.Send(new { type = "connection_status", session_id = session.Id, data = new { status = "connected", user_name = user, spectators = session.SpectatorCount + 1, session = SessionView.Of(session) } });
        // From here on it receives every new message in order, after the stored ones it asked for.
        sessions.Join(session, spectator, afterSequence, sessions.Options.ConnectionQueueSize / 2);
        try
        {
            await connection.ReceiveAsync(text =>
            {
                if (ParseControl(text, out string? action, out string[] types) is { } error) connection.Send(Messages.Error(error));
                else
                {
                    lock (spectator.Subscriptions)
                    {
                        if (action == "subscribe") spectator.Subscriptions.UnionWith(types);
                        else spectator.Subscriptions.ExceptWith(types);
                    }
                    string[] now; lock (spectator.Subscriptions) now = [.. spectator.Subscriptions];
                    connection.Send(new { type = "connection_status", session_id = session.Id, data = new { status = action + "d", subscriptions = now } });
                }
                return Task.CompletedTask;
            }, context.RequestAborted);
        }
        finally
        {
            session.Spectators.TryRemove(connection.Id, out _);
            connection.LogIfTooSlow(log, $"session {session.Id}");
        }
    }

    /// <summary>{"type": "subscribe"|"unsubscribe", "message_types": [...]}; returns what is wrong, or null.</summary>
    private static string? ParseControl(string text, out string? action, out string[] types)
    {
        action = null; types = [];
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
                return "a message is a JSON object with a \"type\".";
            action = t.GetString();
            if (action is not ("subscribe" or "unsubscribe")) return $"unknown message type '{action}'; expected subscribe or unsubscribe.";
            if (!root.TryGetProperty("message_types", out var list) || list.ValueKind != JsonValueKind.Array)
                return "message_types must be an array of message types.";
            types = list.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : "").ToArray();
            if (types.FirstOrDefault(x => Array.IndexOf(TrainingSessions.MessageTypes, x) < 0) is { } bad)
                return $"unknown message type '{bad}'; expected {string.Join(", ", TrainingSessions.MessageTypes)}.";
            return null;
        }
        catch (JsonException e) { return $"the message is not valid JSON: {e.Message}"; }
        catch (InvalidOperationException) { return "the message is not well-formed text (a lone UTF-16 surrogate)."; } // GetString refuses it
    }
}
