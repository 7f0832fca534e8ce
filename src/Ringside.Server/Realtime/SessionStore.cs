using System.Text.Json;
using System.Threading.Channels;
using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Realtime;

/// <summary>
/// Keeps the training sessions and their message history in the database, as the training-sessions protocol stores what it broadcasts (docs/SERVER.md, Training sessions), so
/// that a restarted server still has them. Changes are queued and committed in batches by a background writer, off
/// the publish path: a broadcast never waits for the disk. On start the sessions come back with their last
/// <see cref="TrainingSessionOptions.MetricsHistorySize"/> messages; the clean-up later removes the expired ones.
/// </summary>
public sealed class SessionStore(Database db, TrainingSessionOptions options, ILogger<SessionStore> log) : BackgroundService
{
    private abstract record Change;
    private sealed record Saved(SessionRow Row) : Change;
    private sealed record Deleted(string Id) : Change;
    private sealed record Appended(string SessionId, SessionMessage Message) : Change;

    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>How long the writer gathers changes before committing them in one transaction.</summary>
    private static readonly TimeSpan BatchWindow = TimeSpan.FromMilliseconds(200);

    /// <summary>Changes waiting for the background writer (a backlog that grows means the database cannot keep up).</summary>
    public int Backlog => Volatile.Read(ref _backlog);
    private int _backlog;

    public void Save(TrainingSession session) => Queue(new Saved(SessionRow.Of(session)));
    public void Delete(string id) => Queue(new Deleted(id));
    public void Append(TrainingSession session, SessionMessage message) => Queue(new Appended(session.Id, message));

    private void Queue(Change change)
    {
        if (_changes.Writer.TryWrite(change)) Interlocked.Increment(ref _backlog);
    }

    /// <summary>Puts the stored sessions and their recent history back into <paramref name="sessions"/> (at start-up).</summary>
    public async Task RestoreAsync(TrainingSessions sessions)
    {
        var restored = await db.ReadAsync(async c =>
        {
            var list = new List<(SessionRow, List<SessionMessage>)>();
            foreach (var row in await c.QueryAsync<SessionRow>("SELECT * FROM training_sessions ORDER BY created_at"))
            {
                var messages = (await c.QueryAsync<MessageRow>(
                        "SELECT * FROM session_messages WHERE session_id = @Id ORDER BY sequence DESC LIMIT @Keep", new { row.Id, Keep = options.MetricsHistorySize }))
                    .Reverse().Select(m => m.ToMessage()).ToList();
                list.Add((row, messages));
            }
            return list;
        });
        foreach (var (row, messages) in restored) sessions.Restore(row.ToSession(), messages);
        if (restored.Count > 0) log.LogInformation("Restored {Count} training sessions from the database.", restored.Count);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = _changes.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(BatchWindow, stoppingToken);
                await WriteAsync(Drain(), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await WriteAsync(Drain(), CancellationToken.None); // what was queued before the stop
    }

    private List<Change> Drain()
    {
        var batch = new List<Change>();
        while (_changes.Reader.TryRead(out var change)) batch.Add(change);
        Interlocked.Add(ref _backlog, -batch.Count);
        return batch;
    }

    private async Task WriteAsync(List<Change> batch, CancellationToken token)
    {
        if (batch.Count == 0) return;
        try
        {
            await db.WriteAsync(async (c, t) =>
            {
                var newest = new Dictionary<string, long>();
                foreach (var change in batch)
                {
                    switch (change)
                    {
                        case Saved(var row):
                            await c.ExecuteAsync("""
                                INSERT INTO training_sessions (id, training_id, algorithm, model_generation, total_episodes, status, training_job_id,
                                    max_spectators, room_code, password_hash, created_at)
                                VALUES (@Id, @TrainingId, @Algorithm, @ModelGeneration, @TotalEpisodes, @Status, @TrainingJobId, @MaxSpectators,
                                    @RoomCode, @PasswordHash, @CreatedAt)
                                ON CONFLICT (id) DO UPDATE SET training_id = excluded.training_id, algorithm = excluded.algorithm,
                                    model_generation = excluded.model_generation, total_episodes = excluded.total_episodes, status = excluded.status
                                """, row, t);
                            break;
                        case Deleted(var id):
                            await c.ExecuteAsync("DELETE FROM session_messages WHERE session_id = @id", new { id }, t);
                            await c.ExecuteAsync("DELETE FROM training_sessions WHERE id = @id", new { id }, t);
                            newest.Remove(id);
                            break;
                        case Appended(var sessionId, var m):
                            await c.ExecuteAsync("""
                                INSERT INTO session_messages (session_id, sequence, type, timestamp, episode, data)
                                VALUES (@sessionId, @Sequence, @Type, @Timestamp, @Episode, @Data)
                                """, new { sessionId, m.Sequence, m.Type, m.Timestamp, m.Episode, Data = m.Data.GetRawText() }, t);
                            newest[sessionId] = Math.Max(newest.GetValueOrDefault(sessionId), m.Sequence);
                            break;
                    }
                }
                // The history is bounded in the database as in memory.
                foreach (var (sessionId, sequence) in newest)
                    await c.ExecuteAsync("DELETE FROM session_messages WHERE session_id = @sessionId AND sequence <= @oldest",
                        new { sessionId, oldest = sequence - options.MetricsHistorySize }, t);
            }, token);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Sessions keep working in memory; what failed to land is lost from the stored copy only.
            log.LogError(e, "Could not store {Count} training-session changes.", batch.Count);
        }
    }

    /// <summary>A session's row in training_sessions.</summary>
    public sealed class SessionRow
    {
        public string Id { get; set; } = "";
        public string TrainingId { get; set; } = "";
        public string Algorithm { get; set; } = "";
        public int ModelGeneration { get; set; }
        public long TotalEpisodes { get; set; }
        public string Status { get; set; } = "";
        public long? TrainingJobId { get; set; }
        public int MaxSpectators { get; set; }
        public string? RoomCode { get; set; }
        public string? PasswordHash { get; set; }
        public DateTime CreatedAt { get; set; }

        public static SessionRow Of(TrainingSession s) => new()
        {
            Id = s.Id,
            TrainingId = s.TrainingId,
            Algorithm = s.Algorithm,
            ModelGeneration = s.ModelGeneration,
            TotalEpisodes = s.TotalEpisodes,
            Status = s.Status,
            TrainingJobId = s.TrainingJobId,
            MaxSpectators = s.MaxSpectators,
            RoomCode = s.RoomCode,
            PasswordHash = s.PasswordHash is null ? null : Convert.ToHexString(s.PasswordHash),
            CreatedAt = s.CreatedAt,
        };

        public TrainingSession ToSession() => new()
        {
            Id = Id,
            TrainingId = TrainingId,
            Algorithm = Algorithm,
            ModelGeneration = ModelGeneration,
            TotalEpisodes = TotalEpisodes,
            Status = Status,
            TrainingJobId = TrainingJobId,
            MaxSpectators = MaxSpectators,
            RoomCode = RoomCode,
            PasswordHash = PasswordHash is null ? null : Convert.FromHexString(PasswordHash),
            CreatedAt = DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc),
        };
    }

    public sealed class MessageRow
    {
        public string SessionId { get; set; } = "";
        public long Sequence { get; set; }
        public string Type { get; set; } = "";
        public DateTime Timestamp { get; set; }
        public int? Episode { get; set; }
        public string Data { get; set; } = "";

        public SessionMessage ToMessage()
        {
            using var document = JsonDocument.Parse(Data);
            return new SessionMessage(Sequence, Type, DateTime.SpecifyKind(Timestamp, DateTimeKind.Utc), Episode, document.RootElement.Clone());
        }
    }
}
