using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Ringside.Server.Realtime;

/// <summary>Training sessions' performance and room settings, bound from Ringside:Sessions (docs/SERVER.md, Settings).</summary>
public sealed class TrainingSessionOptions
{
    public int MaxConnectionsPerSession { get; set; } = 50;
    public int MaxTotalConnections { get; set; } = 1000;
    /// <summary>Messages kept per session for /history (oldest dropped first).</summary>
    public int MetricsHistorySize { get; set; } = 10_000;
    /// <summary>Bytes of messages (as spectators receive them) kept per session for /history, beside the count (oldest dropped first).</summary>
    public long HistoryBudgetBytes { get; set; } = 8 * 1024 * 1024;
    /// <summary>Bytes of history kept across all sessions; past it the largest history drops its oldest messages first.</summary>
    public long TotalHistoryBudgetBytes { get; set; } = 128 * 1024 * 1024;
    /// <summary>Sessions that outside trainers may have open at once (training jobs' sessions are not counted against it).</summary>
    public int MaxSessions { get; set; } = 1000;
    /// <summary>Largest message a trainer may publish into a session (its JSON body); larger ones get 413.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;
    public int CleanupIntervalSeconds { get; set; } = 60;
    /// <summary>A session with no activity and no spectators for this long is removed by the clean-up.</summary>
    public int SessionTimeoutSeconds { get; set; } = 3600;
    /// <summary>The same for a finished session (completed, failed, cancelled or stopped, as every finished job's is).</summary>
    public int FinishedSessionTimeoutSeconds { get; set; } = 120;
    /// <summary>Messages a slow spectator may have waiting before it is closed.</summary>
    public int ConnectionQueueSize { get; set; } = 1024;
}

/// <summary>One stored message of a session: what /history returns and what spectators received.</summary>
public sealed record SessionMessage(long Sequence, string Type, DateTime Timestamp, int? Episode, JsonElement Data)
{
    /// <summary>Its size as spectators receive it: what the history's byte budget counts.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public int Bytes { get; init; }
}

/// <summary>A training session (docs/SERVER.md, Training sessions): metadata, a bounded history, spectators with subscriptions, an optional password room.</summary>
public sealed class TrainingSession
{
    public required string Id { get; init; }
    public string TrainingId { get; set; } = "";
    public string Algorithm { get; set; } = "PPO";
    public int ModelGeneration { get; set; }
    public long TotalEpisodes { get; set; }
    public string Status { get; set; } = "active";
    public long? TrainingJobId { get; init; }
    public DateTime CreatedAt { get; init; } = DateTime.UtcNow;
    public DateTime LastActivity { get; set; } = DateTime.UtcNow;
    public int MaxSpectators { get; set; }
    public string? RoomCode { get; init; }
    internal byte[]? PasswordHash { get; init; }
    public bool PasswordProtected => PasswordHash is not null;
    internal readonly object Gate = new();
    internal readonly LinkedList<SessionMessage> History = new();
    internal long HistoryBytes;
    internal readonly ConcurrentDictionary<Guid, Spectator> Spectators = new();
    internal long NextSequence;

    public int SpectatorCount => Spectators.Count;

    /// <summary>Messages held for /history.</summary>
    public int MessageCount { get { lock (Gate) return History.Count; } }

    public bool CheckPassword(string? password) =>
        PasswordHash is null || password is not null && CryptographicOperations.FixedTimeEquals(PasswordHash, TrainingSessions.Hash(password));
}

/// <summary>A spectator's connection and the message types it wants (all when empty).</summary>
public sealed class Spectator(WsConnection connection)
{
    public WsConnection Connection { get; } = connection;
    public HashSet<string> Subscriptions { get; } = [];
    public bool Wants(string type) { lock (Subscriptions) return Subscriptions.Count == 0 || Subscriptions.Contains(type); }
}

/// <summary>
/// The training sessions of the server. Training jobs publish into "job-N" sessions by themselves; outside trainers
/// create sessions and post to them. Messages are stored in order in a bounded history and broadcast to spectators
/// in the same order (a spectator that cannot keep up is closed, never served out of order).
/// </summary>
public sealed class TrainingSessions(TrainingSessionOptions options, SessionStore? store = null)
{
    public static readonly string[] MessageTypes = ["training_metrics", "bot_decision", "graph_update", "training_status", "connection_status", "error"];
    private readonly ConcurrentDictionary<string, TrainingSession> _sessions = new();
    private long _published;
    private long _historyBytes;
    private readonly object _trimming = new(); // taken before any session's Gate, never while holding one
    private readonly DateTime _started = DateTime.UtcNow;

    public TrainingSessionOptions Options => options;
    public IReadOnlyCollection<TrainingSession> All => _sessions.Values.ToList();
    public int Connections => _sessions.Values.Sum(s => s.SpectatorCount);
    public long Published => Interlocked.Read(ref _published);
    public double MessagesPerSecond => Published / Math.Max(1, (DateTime.UtcNow - _started).TotalSeconds);
    /// <summary>Bytes of history held across all sessions (at most <see cref="TrainingSessionOptions.TotalHistoryBudgetBytes"/>, give or take a message).</summary>
    public long HistoryBytes => Interlocked.Read(ref _historyBytes);

    internal static byte[] Hash(string password) => SHA256.HashData(Encoding.UTF8.GetBytes(password));

    public enum Refusal { None, Exists, Full }

    /// <summary>
    /// Creates a session; with a password a room code and the password to share are returned once. Refused when the id
    /// is taken or the server holds <see cref="TrainingSessionOptions.MaxSessions"/> sessions of outside trainers.
    /// </summary>
    public (TrainingSession? Session, string? Password, Refusal Refused) Create(string? id, string trainingId, string algorithm, int generation, long totalEpisodes,
        bool passwordProtected, int? maxSpectators, long? jobId = null)
    {
        var (session, password) = NewSession(id, trainingId, algorithm, generation, totalEpisodes, passwordProtected, maxSpectators, jobId);
        lock (_sessions) // the count and the add together: concurrent creations cannot overshoot the cap
        {
            if (_sessions.Values.Count(s => s.TrainingJobId is null) >= options.MaxSessions) return (null, null, Refusal.Full);
            if (!_sessions.TryAdd(session.Id, session)) return (null, null, Refusal.Exists);
        }
        store?.Save(session);
        return (session, password, Refusal.None);
    }

    /// <summary>A session not yet held anywhere (a cluster stores it first: <see cref="ClusterSessions.CreateAsync"/>), with its room's password.</summary>
    public (TrainingSession Session, string? Password) NewSession(string? id, string trainingId, string algorithm, int generation, long totalEpisodes,
        bool passwordProtected, int? maxSpectators, long? jobId = null)
    {
        string? password = passwordProtected ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) : null;
        var session = new TrainingSession
        {
            Id = id ?? $"session-{Guid.NewGuid():N}"[..20],
            TrainingId = trainingId,
            Algorithm = algorithm,
            ModelGeneration = generation,
            TotalEpisodes = totalEpisodes,
            MaxSpectators = Math.Clamp(maxSpectators ?? options.MaxConnectionsPerSession, 1, options.MaxConnectionsPerSession),
            RoomCode = passwordProtected ? RandomNumberGenerator.GetString("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 6) : null,
            PasswordHash = password is null ? null : Hash(password),
            TrainingJobId = jobId,
        };
        return (session, password);
    }

    /// <param name="epochs">the job's epochs, shown as the session's total_episodes (its messages' episode numbers are iterations).</param>
    public TrainingSession GetOrCreateForJob(long jobId, string name, long epochs)
    {
        string id = $"job-{jobId}";
        if (_sessions.TryGetValue(id, out var existing)) return existing;
        var created = new TrainingSession
        {
            Id = id,
            TrainingId = name,
            Algorithm = "PPO",
            TotalEpisodes = epochs,
            TrainingJobId = jobId,
            MaxSpectators = options.MaxConnectionsPerSession,
        };
        var session = _sessions.GetOrAdd(id, created);
        if (ReferenceEquals(session, created)) store?.Save(session);
        return session;
    }

    /// <summary>Stores a session's changed metadata (status, episodes, generation).</summary>
    public void Changed(TrainingSession session) => store?.Save(session);

    /// <summary>Puts back a session stored in the database (before a restart, or by another node of a cluster), with its history.</summary>
    public void Restore(TrainingSession session, IReadOnlyList<SessionMessage> history)
    {
        if (!_sessions.TryAdd(session.Id, session)) return;
        lock (session.Gate)
            foreach (var message in history) Keep(session, message with { Bytes = Frame(session, message).Length });
        session.NextSequence = history.Count > 0 ? history[^1].Sequence : 0;
        session.LastActivity = history.Count > 0 ? history[^1].Timestamp : session.CreatedAt;
        TrimToTotalBudget();
    }

    /// <summary>A session by id or by room code.</summary>
    public TrainingSession? Find(string idOrRoom) =>
        _sessions.GetValueOrDefault(idOrRoom) ?? _sessions.Values.FirstOrDefault(s => s.RoomCode == idOrRoom);

    public bool Delete(string id, string reason)
    {
        if (!Drop(id, reason)) return false;
        store?.Delete(id);
        return true;
    }

    /// <summary>Removes a session from this node's memory and closes its spectators, leaving the database alone (a cluster deleted it there).</summary>
    public bool Drop(string id, string reason)
    {
        if (!_sessions.TryRemove(id, out var session)) return false;
        Forget(session);
        foreach (var s in session.Spectators.Values) s.Connection.Close(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, reason);
        return true;
    }

    /// <summary>Stores a message in the session's history and sends it to every spectator subscribed to its type.</summary>
    public SessionMessage Publish(TrainingSession session, string type, object data, int? episode = null)
    {
        var element = JsonSerializer.SerializeToElement(data, data.GetType(), Http.Json.Options);
        SessionMessage message;
        byte[] bytes;
        lock (session.Gate) // one order for history and for every spectator
        {
            message = new SessionMessage(++session.NextSequence, type, DateTime.UtcNow, episode, element);
            bytes = Frame(session, message);
            message = message with { Bytes = bytes.Length };
            Keep(session, message);
            session.LastActivity = message.Timestamp;
            foreach (var spectator in session.Spectators.Values)
                if (spectator.Wants(type)) spectator.Connection.Send(bytes);
            store?.Append(session, message); // in order: the store's queue is first in, first out
        }
        Interlocked.Increment(ref _published);
        TrimToTotalBudget();
        return message;
    }

    /// <summary>The sequence of the newest message this node has of the session.</summary>
    public long LastSequence(TrainingSession session) { lock (session.Gate) return session.NextSequence; }

    /// <summary>
    /// Adds a message that another node numbered and stored (a cluster's job sessions: <see cref="ClusterSessions"/>) and
    /// sends it to the spectators; false, and nothing sent, when it is not the next one after what this node has.
    /// </summary>
    public bool Deliver(TrainingSession session, SessionMessage message)
    {
        lock (session.Gate)
        {
            if (message.Sequence <= session.NextSequence) return false;
            session.NextSequence = message.Sequence;
            byte[] bytes = Frame(session, message);
            Keep(session, message with { Bytes = bytes.Length });
            session.LastActivity = message.Timestamp;
            foreach (var spectator in session.Spectators.Values)
                if (spectator.Wants(message.Type)) spectator.Connection.Send(bytes);
        }
        Interlocked.Increment(ref _published);
        TrimToTotalBudget();
        return true;
    }

    /// <summary>Adds a message to the history, then drops the oldest while it holds more than the count or the byte budget allows (never the newest).</summary>
    private void Keep(TrainingSession session, SessionMessage message)
    {
        session.History.AddLast(message);
        session.HistoryBytes += message.Bytes;
        Interlocked.Add(ref _historyBytes, message.Bytes);
        while (session.History.Count > options.MetricsHistorySize || session.HistoryBytes > options.HistoryBudgetBytes && session.History.Count > 1)
            DropOldest(session);
    }

    private void DropOldest(TrainingSession session)
    {
        int bytes = session.History.First!.Value.Bytes;
        session.HistoryBytes -= bytes;
        Interlocked.Add(ref _historyBytes, -bytes);
        session.History.RemoveFirst();
    }

    /// <summary>Past the total budget, the largest histories drop their oldest messages (each keeps its newest).</summary>
    private void TrimToTotalBudget()
    {
        if (HistoryBytes <= options.TotalHistoryBudgetBytes) return;
        lock (_trimming)
            while (HistoryBytes > options.TotalHistoryBudgetBytes && _sessions.Values.MaxBy(s => Volatile.Read(ref s.HistoryBytes)) is { } largest)
                lock (largest.Gate)
                {
                    if (largest.History.Count <= 1) return; // every history is down to its newest message
                    DropOldest(largest);
                }
    }

    /// <summary>A removed session's history no longer counts against the total.</summary>
    private void Forget(TrainingSession session)
    {
        lock (session.Gate)
        {
            Interlocked.Add(ref _historyBytes, -session.HistoryBytes);
            session.HistoryBytes = 0;
            session.History.Clear();
        }
    }

    /// <summary>A message as spectators receive it, live or replayed.</summary>
    private static byte[] Frame(TrainingSession session, SessionMessage m) =>
        Messages.Serialize(new { type = m.Type, session_id = session.Id, sequence = m.Sequence, timestamp = m.Timestamp, data = m.Data });

    /// <summary>
    /// Adds a spectator and, in the same step, sends it the stored messages after <paramref name="afterSequence"/> that
    /// it wants (at most <paramref name="maxReplay"/>, the newest): history and live stream join without a gap or a
    /// repeat, so a page that connects late, or reconnects, sees every message it missed, in order.
    /// </summary>
    public int Join(TrainingSession session, Spectator spectator, long? afterSequence, int maxReplay)
    {
        lock (session.Gate)
        {
            session.Spectators[spectator.Connection.Id] = spectator;
            if (afterSequence is not { } after) return 0;
            var missed = session.History.Where(m => m.Sequence > after && spectator.Wants(m.Type)).TakeLast(maxReplay).ToList();
            foreach (var m in missed) spectator.Connection.Send(Frame(session, m));
            return missed.Count;
        }
    }

    /// <summary>History filtered by type, time range and episode range, in order, paged.</summary>
    public (int Total, IReadOnlyList<SessionMessage> Page) History(TrainingSession session, string? type, DateTime? from, DateTime? to,
        int? episodeMin, int? episodeMax, int offset, int limit)
    {
        List<SessionMessage> matching;
        lock (session.Gate)
            matching = session.History.Where(m => (type is null || m.Type == type) && (from is null || m.Timestamp >= from) && (to is null || m.Timestamp <= to)
                && (episodeMin is null || m.Episode >= episodeMin) && (episodeMax is null || m.Episode <= episodeMax)).ToList();
        return (matching.Count, matching.Skip(offset).Take(limit).ToList());
    }

    /// <summary>Why a new spectator cannot join, or null.</summary>
    public string? RefuseJoin(TrainingSession session) =>
        Connections >= options.MaxTotalConnections ? $"the server has reached its limit of {options.MaxTotalConnections} connections."
        : session.SpectatorCount >= session.MaxSpectators ? $"session '{session.Id}' has reached its limit of {session.MaxSpectators} spectators."
        : null;

    /// <summary>
    /// Removes sessions idle past the timeout that nobody watches and no job still runs; a finished session (a finished
    /// job's: its metrics stay in the database) goes after the shorter finished timeout.
    /// </summary>
    public int CleanUp(Func<TrainingSession, bool> stillRunning)
    {
        int removed = 0;
        foreach (var s in Expired(stillRunning))
            if (_sessions.TryRemove(s.Id, out _))
            {
                Forget(s);
                store?.Delete(s.Id);
                removed++;
            }
        return removed;
    }

    /// <summary>The sessions <see cref="CleanUp"/> would remove: idle past their timeout, unwatched, and not kept by <paramref name="stillRunning"/>.</summary>
    public IReadOnlyList<TrainingSession> Expired(Func<TrainingSession, bool> stillRunning)
    {
        var now = DateTime.UtcNow;
        DateTime CutoffOf(TrainingSession s) => now.AddSeconds(-(s.Status is "completed" or "failed" or "cancelled" or "stopped"
            ? options.FinishedSessionTimeoutSeconds : options.SessionTimeoutSeconds));
        return _sessions.Values.Where(s => s.LastActivity < CutoffOf(s) && s.SpectatorCount == 0 && !stillRunning(s)).ToList();
    }
}

/// <summary>Runs the session clean-up every CleanupIntervalSeconds.</summary>
public sealed class SessionCleanup(SessionDirectory sessions, ILogger<SessionCleanup> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Max(1, sessions.Options.CleanupIntervalSeconds)));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                int removed = await sessions.CleanUpAsync(s => s.TrainingJobId is not null && s.Status is "queued" or "running");
                if (removed > 0) log.LogInformation("Removed {Count} expired training sessions.", removed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "The training-session clean-up failed; it runs again at its next tick.");
            }
        }
    }
}
