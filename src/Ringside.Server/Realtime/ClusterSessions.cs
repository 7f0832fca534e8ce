using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Npgsql;
using Ringside.Server.Data;
using Ringside.Server.Training;

namespace Ringside.Server.Realtime;

/// <summary>
/// Carries training jobs' session messages between the nodes of a cluster through PostgreSQL (docs/SERVER.md,
/// Cluster). The node that publishes a job's message stores it in session_messages under the session's next sequence
/// and NOTIFYs it in the same transaction (an advisory lock per session orders the publishers of all nodes); every node
/// LISTENs and delivers the messages to its own copy of the session in sequence order, each once. What a
/// notification does not carry (a message over NOTIFY's 8000-byte limit goes by its sequence alone) or what a node
/// missed (a gap: it started or reconnected late) it reads from session_messages.
/// </summary>
public sealed class ClusterSessions(Database db, TrainingSessions sessions, TrainingSessionOptions sessionOptions, RingsideOptions options,
    ILogger<ClusterSessions> log) : BackgroundService
{
    public const string NotifyChannel = "ringside_sessions";
    private const long LockNamespace = 7468322; // the session advisory locks' first key (Schema's upgrade lock is 7468321)
    private const string CatchUp = "";

    private sealed record Outgoing(string SessionId, string Type, DateTime Timestamp, int? Episode, JsonElement Data);
    private sealed record Notice(string S, long Q, Wire? M);
    /// <summary>A message as a notification carries it.</summary>
    private sealed record Wire(string Type, DateTime Timestamp, int? Episode, JsonElement Data);

    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<string> _incoming = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Sends a message to the session on every node (this one included) in the order this node publishes them.</summary>
    public void Publish(TrainingSession session, string type, object data, int? episode = null) =>
        _outgoing.Writer.TryWrite(new Outgoing(session.Id, type, DateTime.UtcNow, episode,
            JsonSerializer.SerializeToElement(data, data.GetType(), Http.Json.Options)));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WriteAsync(stoppingToken), ListenAsync(stoppingToken), DeliverAsync(stoppingToken));

    // ---- publishing: store and notify in one transaction ----

    private async Task WriteAsync(CancellationToken token)
    {
        try
        {
            while (await _outgoing.Reader.WaitToReadAsync(token))
            {
                var batch = new List<Outgoing>();
                while (batch.Count < 256 && _outgoing.Reader.TryRead(out var m)) batch.Add(m);
                try { await db.WriteAsync((c, t) => StoreAndNotifyAsync(c, t, batch), CancellationToken.None); }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Could not publish {Count} training-session messages to the cluster.", batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    private async Task StoreAndNotifyAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, List<Outgoing> batch)
    {
        var newest = new Dictionary<string, long>();
        foreach (var m in batch)
        {
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(@ns, hashtext(@SessionId))", new { ns = (int)LockNamespace, m.SessionId }, t);
            long sequence = await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(sequence), 0) + 1 FROM session_messages WHERE session_id = @SessionId",
                new { m.SessionId }, t);
            await c.ExecuteAsync("""
                INSERT INTO session_messages (session_id, sequence, type, timestamp, episode, data)
                VALUES (@SessionId, @sequence, @Type, @Timestamp, @Episode, @Data)
                """, new { m.SessionId, sequence, m.Type, m.Timestamp, m.Episode, Data = m.Data.GetRawText() }, t);
            string payload = JsonSerializer.Serialize(new Notice(m.SessionId, sequence, new Wire(m.Type, m.Timestamp, m.Episode, m.Data)));
            if (Encoding.UTF8.GetByteCount(payload) > options.Cluster.MaxNotifyBytes)
                payload = JsonSerializer.Serialize(new Notice(m.SessionId, sequence, null)); // too big for NOTIFY: the receivers read it by sequence
            await c.ExecuteAsync("SELECT pg_notify(@channel, @payload)", new { channel = NotifyChannel, payload }, t);
            newest[m.SessionId] = sequence;
        }
        foreach (var (sessionId, sequence) in newest) // the history is bounded in the database as in memory
            await c.ExecuteAsync("DELETE FROM session_messages WHERE session_id = @sessionId AND sequence <= @oldest",
                new { sessionId, oldest = sequence - sessionOptions.MetricsHistorySize }, t);
    }

    // ---- receiving: one LISTEN connection, reopened when it drops ----

    private async Task ListenAsync(CancellationToken token)
    {
        var dedicated = new NpgsqlConnectionStringBuilder(db.ConnectionString) { Pooling = false, KeepAlive = 10 };
        while (!token.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(dedicated.ConnectionString);
                await connection.OpenAsync(token);
                connection.Notification += (_, e) => _incoming.Writer.TryWrite(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection)) await listen.ExecuteNonQueryAsync(token);
                _incoming.Writer.TryWrite(CatchUp); // what was published before LISTEN took hold (start-up, a reconnect) comes from the table
                while (true) await connection.WaitAsync(token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested) { }
            catch (Exception e)
            {
                log.LogWarning(e, "The cluster's session notifications were interrupted; listening again in a second.");
                await Task.Delay(TimeSpan.FromSeconds(1), token).ContinueWith(_ => { });
            }
        }
    }

    private async Task DeliverAsync(CancellationToken token)
    {
        try
        {
            await foreach (string payload in _incoming.Reader.ReadAllAsync(token))
            {
                try
                {
                    if (payload == CatchUp) await CatchUpAsync();
                    else if (JsonSerializer.Deserialize<Notice>(payload) is { } notice) await DeliverAsync(notice);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Could not deliver a cluster session message ({Payload}).", payload.Length > 200 ? payload[..200] : payload);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    private async Task DeliverAsync(Notice notice)
    {
        var session = await SessionAsync(notice.S);
        if (session is null) return;
        long delivered = sessions.LastSequence(session);
        if (notice.Q <= delivered) return; // seen already (the catch-up read it, or a duplicate)
        if (notice.M is { } m && notice.Q == delivered + 1) Deliver(session, new SessionMessage(notice.Q, m.Type, m.Timestamp, m.Episode, m.Data));
        else await ReadMissedAsync(session, delivered, notice.Q);
    }

    /// <summary>Every job session's messages stored after the last one this node delivered.</summary>
    private async Task CatchUpAsync()
    {
        var newest = await db.ReadAsync(c => c.QueryAsync<(string SessionId, long Sequence)>(
            "SELECT session_id, MAX(sequence) FROM session_messages WHERE session_id LIKE 'job-%' GROUP BY session_id"));
        foreach (var (sessionId, sequence) in newest)
            if (await SessionAsync(sessionId) is { } session && sequence > sessions.LastSequence(session))
                await ReadMissedAsync(session, sessions.LastSequence(session), sequence);
    }

    private async Task ReadMissedAsync(TrainingSession session, long after, long upTo)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<SessionStore.MessageRow>(
            "SELECT * FROM session_messages WHERE session_id = @Id AND sequence > @after AND sequence <= @upTo ORDER BY sequence",
            new { session.Id, after, upTo }));
        foreach (var row in rows) Deliver(session, row.ToMessage());
    }

    private void Deliver(TrainingSession session, SessionMessage message)
    {
        if (!sessions.Deliver(session, message)) return;
        if (message.Type == "training_status" && message.Data.TryGetProperty("status", out var status) && status.GetString() is { } s)
            session.Status = s;
    }

    /// <summary>The job's session on this node, created from the job's row the first time this node hears of it.</summary>
    private async Task<TrainingSession?> SessionAsync(string sessionId)
    {
        if (sessions.Find(sessionId) is { } known) return known;
        if (!sessionId.StartsWith("job-", StringComparison.Ordinal) || !long.TryParse(sessionId.AsSpan(4), out long jobId)) return null;
        return await JobStore.FindAsync(db, jobId) is { } job ? JobSessions.SessionOf(sessions, job) : null;
    }
}
