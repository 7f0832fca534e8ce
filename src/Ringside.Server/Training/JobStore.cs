using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Training;

/// <summary>The state changes of a training job, each one a single conditional UPDATE so that racing writers never clash.</summary>
public static class JobStore
{
    public static Task<TrainingJob?> FindAsync(Database db, long id) =>
        db.ReadAsync(c => c.QuerySingleOrDefaultAsync<TrainingJob>("SELECT * FROM training_jobs WHERE id = @id", new { id }));

    /// <summary>pending → queued; false when the job was not pending.</summary>
    public static Task<bool> MarkQueuedAsync(Database db, long id) =>
        db.WriteAsync(async (c, t) => await c.ExecuteAsync(
            "UPDATE training_jobs SET status = 'queued', updated_at = @now WHERE id = @id AND status = 'pending'",
            new { id, now = DateTime.UtcNow }, t) == 1);

    /// <summary>Cancels a job that has not finished; a running job notices at its next progress update.</summary>
    public static Task<bool> MarkCancelledAsync(Database db, long id) =>
        db.WriteAsync(async (c, t) => await c.ExecuteAsync("""
            UPDATE training_jobs SET status = 'cancelled', completed_at = @now, updated_at = @now
            WHERE id = @id AND status IN ('pending', 'queued', 'running')
            """, new { id, now = DateTime.UtcNow }, t) == 1);

    /// <summary>queued/running → running for one more attempt on <paramref name="worker"/>; null when the job is no longer wanted.</summary>
    public static Task<TrainingJob?> StartAttemptAsync(Database db, long id, string runDir, string worker) =>
        db.WriteAsync(async (c, t) =>
        {
            var now = DateTime.UtcNow;
            int changed = await c.ExecuteAsync("""
                UPDATE training_jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, @now),
                    run_dir = @runDir, worker = @worker, updated_at = @now
                WHERE id = @id AND status IN ('queued', 'running')
                """, new { id, now, runDir, worker }, t);
            return changed == 0 ? null : await c.QuerySingleAsync<TrainingJob>("SELECT * FROM training_jobs WHERE id = @id", new { id }, t);
        });

    /// <summary>Jobs that should be running (queued, or running when the last process stopped).</summary>
    public static Task<IEnumerable<long>> UnfinishedAsync(Database db) =>
        db.ReadAsync(c => c.QueryAsync<long>("SELECT id FROM training_jobs WHERE status IN ('queued', 'running') ORDER BY id"));

    public static Task SetStatusAsync(Database db, long id, string status, string? error = null) =>
        db.WriteAsync((c, t) => c.ExecuteAsync("""
            UPDATE training_jobs SET status = @status, error_message = COALESCE(@error, error_message), updated_at = @now,
                completed_at = CASE WHEN @final THEN @now ELSE completed_at END
            WHERE id = @id AND status <> 'cancelled'
            """, new { id, status, error, final = JobStatus.IsFinal(status), now = DateTime.UtcNow }, t));
}
