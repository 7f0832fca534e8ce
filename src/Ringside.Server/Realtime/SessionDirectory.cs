namespace Ringside.Server.Realtime;

/// <summary>
/// Where the training-session API finds, creates, publishes to and deletes sessions. On one node that is this node's
/// memory (<see cref="TrainingSessions"/>), answered at once; in a cluster it is the database that every node shares,
/// through <see cref="ClusterSessions"/>, so that any api node serves any session (docs/SERVER.md, Cluster).
/// </summary>
public sealed class SessionDirectory(TrainingSessions sessions, ClusterSessions? cluster = null)
{
    public TrainingSessionOptions Options => sessions.Options;

    /// <summary>A session by id or room code: this node's copy, or in a cluster the stored one, loaded with its history.</summary>
    public ValueTask<TrainingSession?> FindAsync(string idOrRoom) =>
        sessions.Find(idOrRoom) is { } held ? ValueTask.FromResult<TrainingSession?>(held)
        : cluster is null ? ValueTask.FromResult<TrainingSession?>(null)
        : new ValueTask<TrainingSession?>(cluster.LoadAsync(idOrRoom));

    /// <summary>As <see cref="TrainingSessions.Create"/>; in a cluster the id and the <see cref="TrainingSessionOptions.MaxSessions"/> cap are the cluster's.</summary>
    public ValueTask<(TrainingSession? Session, string? Password, TrainingSessions.Refusal Refused)> CreateAsync(string? id, string trainingId,
        string algorithm, int generation, long totalEpisodes, bool passwordProtected, int? maxSpectators) =>
        cluster is null
            ? ValueTask.FromResult(sessions.Create(id, trainingId, algorithm, generation, totalEpisodes, passwordProtected, maxSpectators))
            : new(cluster.CreateAsync(id, trainingId, algorithm, generation, totalEpisodes, passwordProtected, maxSpectators));

    /// <summary>Every session: in a cluster, those of all nodes (spectator counts are this node's).</summary>
    public async ValueTask<IReadOnlyCollection<TrainingSession>> ListAsync() => cluster is null ? sessions.All : await cluster.ListAsync();

    /// <summary>
    /// Publishes a trainer's message; in a cluster it is numbered by the database for every node, and returned once this
    /// node has it (so the trainer reads its own message in /history from here). Null when the session was deleted meanwhile.
    /// </summary>
    public ValueTask<SessionMessage?> PublishAsync(TrainingSession session, string type, object data, int? episode) =>
        cluster is null ? ValueTask.FromResult<SessionMessage?>(sessions.Publish(session, type, data, episode))
        : new(cluster.PublishAsync(session, type, data, episode));

    /// <summary>Stores a session's changed metadata (status, episodes, generation); in a cluster every node's copy follows.</summary>
    public ValueTask ChangedAsync(TrainingSession session)
    {
        if (cluster is null || session.TrainingJobId is not null) { sessions.Changed(session); return ValueTask.CompletedTask; }
        return new(cluster.SaveAsync(session));
    }

    /// <summary>Deletes a session and closes its spectators (a trainer's in a cluster: on every node; a job's stays this node's affair).</summary>
    public ValueTask<bool> DeleteAsync(string id, string reason) =>
        cluster is null || id.StartsWith("job-", StringComparison.Ordinal) ? ValueTask.FromResult(sessions.Delete(id, reason))
        : new(cluster.DeleteAsync(id, reason));

    /// <summary>
    /// Removes expired sessions (<see cref="TrainingSessions.CleanUp"/>). In a cluster a trainer's expired session is
    /// deleted for every node, as a DELETE would; a job's stays this node's affair, as on one node.
    /// </summary>
    public async ValueTask<int> CleanUpAsync(Func<TrainingSession, bool> stillRunning)
    {
        if (cluster is null) return sessions.CleanUp(stillRunning);
        int removed = sessions.CleanUp(s => s.TrainingJobId is null || stillRunning(s));
        foreach (var expired in sessions.Expired(s => s.TrainingJobId is not null))
            if (await cluster.DeleteAsync(expired.Id, "the session expired")) removed++;
        return removed;
    }
}
