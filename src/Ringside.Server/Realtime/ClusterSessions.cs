using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Npgsql;
using Ringside.Server.Data;
using Ringside.Server.Training;

namespace Ringside.Server.Realtime;

/// <summary>
/// Carries training sessions between the nodes of a cluster through PostgreSQL (docs/SERVER.md, Cluster): a job's,
/// which its worker publishes, and a trainer's, which any api node creates, publishes to and deletes. The node that
/// publishes a message stores it in session_messages under the session's next sequence and NOTIFYs it in the same
/// transaction (an advisory lock per session orders the publishers of all nodes); every node LISTENs and delivers the
/// messages to its own copy of the session in sequence order, each once. What a notification does not carry (a message
/// over NOTIFY's 8000-byte limit goes by its sequence alone) or what a node missed (a gap: it started or reconnected
/// late) it reads from session_messages. A trainer's session is a row of training_sessions that a node loads, with its
/// history, when a request first asks for it; a change or a deletion of the row is notified too (sequence 0).
/// </summary>
public sealed class ClusterSessions(Database db, TrainingSessions sessions, TrainingSessionOptions sessionOptions, RingsideOptions options,
    ILogger<ClusterSessions> log) : BackgroundService
{
    public const string NotifyChannel = "ringside_sessions";
    private const int LockNamespace = 7468322; // the session advisory locks' first key (Schema's upgrade lock is 7468321)
    private const int CreationLock = 7468323; // one creator at a time across the cluster, so that MaxSessions holds

    /// <param name="Stored">a trainer's message: completed with the message once this node has it, or null when its session is gone.</param>
    private sealed record Outgoing(string SessionId, string Type, DateTime Timestamp, int? Episode, JsonElement Data, TaskCompletionSource<SessionMessage?>? Stored);
    /// <summary>A notification: message <c>Q</c> of session <c>S</c> (<c>M</c> when it fits), or with <c>Q</c> = 0, "the session's row changed or went".</summary>
    private sealed record Notice(string S, long Q, Wire? M);
    /// <summary>A message as a notification carries it.</summary>
    private sealed record Wire(string Type, DateTime Timestamp, int? Episode, JsonElement Data);

    /// <summary>What the delivery loop does, one at a time: every change to this node's copies goes through it, in order.</summary>
    private abstract record Incoming;
    private sealed record Notified(string Payload) : Incoming;
    private sealed record CatchUp : Incoming;
    private sealed record PublishedHere(string SessionId, SessionMessage Message, TaskCompletionSource<SessionMessage?> Stored) : Incoming;
    private sealed record LoadWanted(string IdOrRoom, TaskCompletionSource<TrainingSession?> Loaded) : Incoming;

    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<Incoming> _incoming = Channel.CreateUnbounded<Incoming>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>
    /// Now, to PostgreSQL's precision (microseconds): a message's timestamp is then the same whether a node has it from a
    /// notification or from the table.
    /// </summary>
    private static DateTime Now()
    {
        var now = DateTime.UtcNow;
        return new DateTime(now.Ticks - now.Ticks % 10, DateTimeKind.Utc);
    }

    /// <summary>Sends a job's message to the session on every node (this one included) in the order this node publishes them.</summary>
    public void Publish(TrainingSession session, string type, object data, int? episode = null) =>
        _outgoing.Writer.TryWrite(new Outgoing(session.Id, type, Now(), episode,
            JsonSerializer.SerializeToElement(data, data.GetType(), Http.Json.Options), null));

    /// <summary>
    /// Sends a trainer's message to the session on every node; completes once it is stored and delivered here (the
    /// trainer then finds it in this node's /history), with null when the session was deleted before it was stored.
    /// </summary>
    public Task<SessionMessage?> PublishAsync(TrainingSession session, string type, object data, int? episode)
    {
        var stored = new TaskCompletionSource<SessionMessage?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _outgoing.Writer.TryWrite(new Outgoing(session.Id, type, Now(), episode,
            JsonSerializer.SerializeToElement(data, data.GetType(), Http.Json.Options), stored));
        return stored.Task;
    }

    // ---- a trainer's sessions: rows every node reads ----

    /// <summary>Stores a new session for the whole cluster (its id and the MaxSessions cap are the cluster's) and holds it here.</summary>
    public async Task<(TrainingSession? Session, string? Password, TrainingSessions.Refusal Refused)> CreateAsync(string? id, string trainingId,
        string algorithm, int generation, long totalEpisodes, bool passwordProtected, int? maxSpectators)
    {
        var (session, password) = sessions.NewSession(id, trainingId, algorithm, generation, totalEpisodes, passwordProtected, maxSpectators);
        var refused = await db.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(@CreationLock, 0)", new { CreationLock }, t);
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM training_sessions WHERE training_job_id IS NULL", transaction: t) >= sessionOptions.MaxSessions)
                return TrainingSessions.Refusal.Full;
            int inserted = await c.ExecuteAsync("""
                INSERT INTO training_sessions (id, training_id, algorithm, model_generation, total_episodes, status, training_job_id,
                    max_spectators, room_code, password_hash, created_at)
                VALUES (@Id, @TrainingId, @Algorithm, @ModelGeneration, @TotalEpisodes, @Status, @TrainingJobId, @MaxSpectators,
                    @RoomCode, @PasswordHash, @CreatedAt)
                ON CONFLICT (id) DO NOTHING
                """, SessionStore.SessionRow.Of(session), t);
            return inserted == 0 ? TrainingSessions.Refusal.Exists : TrainingSessions.Refusal.None;
        });
        if (refused != TrainingSessions.Refusal.None) return (null, null, refused);
        // Loaded through the delivery loop like any other node's session: a message another node posts at once is not missed.
        var held = await LoadAsync(session.Id);
        return held is null ? (null, null, TrainingSessions.Refusal.Exists) : (held, password, TrainingSessions.Refusal.None);
    }

    /// <summary>A session by id or room code, from this node's memory or else from the database with its history (then held here).</summary>
    public Task<TrainingSession?> LoadAsync(string idOrRoom)
    {
        var loaded = new TaskCompletionSource<TrainingSession?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _incoming.Writer.TryWrite(new LoadWanted(idOrRoom, loaded));
        return loaded.Task;
    }

    /// <summary>Every session of the cluster: this node's copy where it holds one, else the stored row (not held here).</summary>
    public async Task<IReadOnlyCollection<TrainingSession>> ListAsync()
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<SessionStore.SessionRow>("SELECT * FROM training_sessions"));
        var listed = rows.Select(row => sessions.Find(row.Id) is { } held && held.Id == row.Id ? held : row.ToSession()).ToDictionary(s => s.Id);
        foreach (var job in sessions.All.Where(s => s.TrainingJobId is not null)) listed.TryAdd(job.Id, job); // a job's row is written in batches
        return listed.Values;
    }

    /// <summary>Stores a session's changed metadata; every node that holds it reads it again.</summary>
    public Task SaveAsync(TrainingSession session) => db.WriteAsync(async (c, t) =>
    {
        await c.ExecuteAsync("UPDATE training_sessions SET total_episodes = @TotalEpisodes, model_generation = @ModelGeneration, status = @Status WHERE id = @Id",
            new { session.TotalEpisodes, session.ModelGeneration, session.Status, session.Id }, t);
        await NotifyRowChangedAsync(c, t, session.Id);
    });

    /// <summary>Deletes a session with its history for the whole cluster; every node that holds it closes its spectators.</summary>
    public async Task<bool> DeleteAsync(string id, string reason)
    {
        bool existed = await db.WriteAsync(async (c, t) =>
        {
            // Under the session's lock: a message being stored now lands before the deletion, never after it.
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(@ns, hashtext(@id))", new { ns = LockNamespace, id }, t);
            await c.ExecuteAsync("DELETE FROM session_messages WHERE session_id = @id", new { id }, t);
            int deleted = await c.ExecuteAsync("DELETE FROM training_sessions WHERE id = @id", new { id }, t);
            if (deleted > 0) await NotifyRowChangedAsync(c, t, id);
            return deleted > 0;
        });
        return sessions.Drop(id, reason) | existed;
    }

    private static Task NotifyRowChangedAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, string sessionId) =>
        c.ExecuteAsync("SELECT pg_notify(@channel, @payload)", new { channel = NotifyChannel, payload = JsonSerializer.Serialize(new Notice(sessionId, 0, null)) }, t);

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
                try
                {
                    var stored = await db.WriteAsync((c, t) => StoreAndNotifyAsync(c, t, batch), CancellationToken.None);
                    // The publisher delivers its own messages at once rather than after its notification's round trip.
                    foreach (var (m, sequence) in batch.Zip(stored))
                        if (m.Stored is { } waiter)
                        {
                            if (sequence is null) waiter.TrySetResult(null);
                            else _incoming.Writer.TryWrite(new PublishedHere(m.SessionId, new SessionMessage(sequence.Value, m.Type, m.Timestamp, m.Episode, m.Data), waiter));
                        }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Could not publish {Count} training-session messages to the cluster.", batch.Count);
                    foreach (var m in batch) m.Stored?.TrySetException(e);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    /// <summary>Each message's sequence, or null for a trainer's session that is gone (deleted before its turn).</summary>
    private async Task<List<long?>> StoreAndNotifyAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, List<Outgoing> batch)
    {
        var stored = new List<long?>();
        var newest = new Dictionary<string, long>();
        // Every session's lock first, in the keys' order: two nodes whose batches share sessions wait, never deadlock.
        string[] ids = batch.Select(m => m.SessionId).Distinct().ToArray();
        foreach (int key in await c.QueryAsync<int>("SELECT DISTINCT hashtext(id) AS k FROM unnest(@ids) AS id ORDER BY k", new { ids }, t))
            await c.ExecuteAsync("SELECT pg_advisory_xact_lock(@ns, @key)", new { ns = LockNamespace, key }, t);
        foreach (var m in batch)
        {
            // A job's row is written in batches and may lag its first messages; a trainer's exists from its creation until deleted.
            if (m.Stored is not null && await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM training_sessions WHERE id = @SessionId", new { m.SessionId }, t) == 0)
            {
                stored.Add(null);
                continue;
            }
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
            stored.Add(sequence);
        }
        foreach (var (sessionId, sequence) in newest) // the history is bounded in the database as in memory
            await c.ExecuteAsync("DELETE FROM session_messages WHERE session_id = @sessionId AND sequence <= @oldest",
                new { sessionId, oldest = sequence - sessionOptions.MetricsHistorySize }, t);
        return stored;
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
                connection.Notification += (_, e) => _incoming.Writer.TryWrite(new Notified(e.Payload));
                await using (var listen = new NpgsqlCommand($"LISTEN {NotifyChannel}", connection)) await listen.ExecuteNonQueryAsync(token);
                _incoming.Writer.TryWrite(new CatchUp()); // what was published before LISTEN took hold (start-up, a reconnect) comes from the table
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
            await foreach (var item in _incoming.Reader.ReadAllAsync(token))
            {
                try
                {
                    switch (item)
                    {
                        case CatchUp: await CatchUpAsync(); break;
                        case Notified(var payload) when JsonSerializer.Deserialize<Notice>(payload) is { } notice:
                            if (notice.Q == 0) await ReloadAsync(notice.S);
                            else await DeliverAsync(notice);
                            break;
                        case PublishedHere(var sessionId, var message, var stored):
                            if (Held(sessionId) is { } session) await DeliverAsync(session, message);
                            stored.TrySetResult(message);
                            break;
                        case LoadWanted(var idOrRoom, var loaded):
                            try { loaded.TrySetResult(await HoldAsync(idOrRoom)); }
                            catch (Exception e) { loaded.TrySetException(e); throw; }
                            break;
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    log.LogError(e, "Could not deliver a cluster session message ({Item}).", item.ToString() is { Length: > 200 } text ? text[..200] : item);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested) { }
    }

    private async Task DeliverAsync(Notice notice)
    {
        var session = await SessionAsync(notice.S);
        if (session is null) return;
        if (notice.M is { } m) await DeliverAsync(session, new SessionMessage(notice.Q, m.Type, m.Timestamp, m.Episode, m.Data));
        else if (notice.Q > sessions.LastSequence(session)) await ReadMissedAsync(session, sessions.LastSequence(session), notice.Q);
    }

    /// <summary>Delivers the message if it is the next one here; after a gap, what is missing first, from the table.</summary>
    private async Task DeliverAsync(TrainingSession session, SessionMessage message)
    {
        long delivered = sessions.LastSequence(session);
        if (message.Sequence <= delivered) return; // seen already (the catch-up read it, or a duplicate)
        if (message.Sequence == delivered + 1) Deliver(session, message);
        else await ReadMissedAsync(session, delivered, message.Sequence);
    }

    /// <summary>Every held session's messages stored after the last one this node delivered; held sessions deleted meanwhile go.</summary>
    private async Task CatchUpAsync()
    {
        string[] held = sessions.All.Where(s => s.TrainingJobId is null).Select(s => s.Id).ToArray();
        foreach (string id in held) await ReloadAsync(id);
        var newest = await db.ReadAsync(c => c.QueryAsync<(string SessionId, long Sequence)>(
            "SELECT session_id, MAX(sequence) FROM session_messages WHERE session_id LIKE 'job-%' OR session_id = ANY(@held) GROUP BY session_id", new { held }));
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

    /// <summary>A trainer's session held here reads its row again: its metadata changed, or it was deleted (then its spectators are closed).</summary>
    private async Task ReloadAsync(string sessionId)
    {
        if (Held(sessionId) is not { TrainingJobId: null } session) return;
        var row = await db.ReadAsync(c => c.QueryFirstOrDefaultAsync<SessionStore.SessionRow>("SELECT * FROM training_sessions WHERE id = @sessionId", new { sessionId }));
        if (row is null) { sessions.Drop(sessionId, "the session was deleted"); return; }
        session.TotalEpisodes = row.TotalEpisodes;
        session.ModelGeneration = row.ModelGeneration;
        session.Status = row.Status;
    }

    /// <summary>The session held here, or the stored one (a job's, or a trainer's by id or room code) loaded with its history.</summary>
    private async Task<TrainingSession?> HoldAsync(string idOrRoom)
    {
        if (sessions.Find(idOrRoom) is { } known) return known;
        if (idOrRoom.StartsWith("job-", StringComparison.Ordinal))
        {
            if (await SessionAsync(idOrRoom) is not { } job) return null;
            long newest = await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(sequence), 0) FROM session_messages WHERE session_id = @idOrRoom", new { idOrRoom }));
            if (newest > sessions.LastSequence(job)) await ReadMissedAsync(job, sessions.LastSequence(job), newest);
            return job;
        }
        var stored = await db.ReadAsync<(SessionStore.SessionRow Row, List<SessionMessage> History)?>(async c =>
        {
            var row = await c.QueryFirstOrDefaultAsync<SessionStore.SessionRow>(
                "SELECT * FROM training_sessions WHERE (id = @idOrRoom OR room_code = @idOrRoom) AND training_job_id IS NULL ORDER BY id = @idOrRoom DESC LIMIT 1", new { idOrRoom });
            if (row is null) return null;
            var history = (await c.QueryAsync<SessionStore.MessageRow>(
                    "SELECT * FROM session_messages WHERE session_id = @Id ORDER BY sequence DESC LIMIT @Keep", new { row.Id, Keep = sessionOptions.MetricsHistorySize }))
                .Reverse().Select(m => m.ToMessage()).ToList();
            return (row, history);
        });
        if (stored is not { } found) return null;
        sessions.Restore(found.Row.ToSession(), found.History);
        return Held(found.Row.Id);
    }

    private TrainingSession? Held(string sessionId) => sessions.Find(sessionId) is { } s && s.Id == sessionId ? s : null;

    /// <summary>The session on this node: a trainer's only when held here (loaded by a request); a job's created from the job's row the first time this node hears of it.</summary>
    private async Task<TrainingSession?> SessionAsync(string sessionId)
    {
        if (Held(sessionId) is { } known) return known;
        if (!sessionId.StartsWith("job-", StringComparison.Ordinal) || !long.TryParse(sessionId.AsSpan(4), out long jobId)) return null;
        return await JobStore.FindAsync(db, jobId) is { } job ? JobSessions.SessionOf(sessions, job) : null;
    }
}
