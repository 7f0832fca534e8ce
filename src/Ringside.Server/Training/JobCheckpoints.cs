using Dapper;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;

namespace Ringside.Server.Training;

/// <summary>
/// A clustered job's latest resumable checkpoint in the database (job_checkpoints: the policy, its optimiser file and
/// the best checkup's model), so that the worker that takes over a dead worker's job resumes where it left off; the
/// run folder on each worker is the working copy.
/// </summary>
public static class JobCheckpoints
{
    private sealed record Row(int Iteration, byte[] Model, byte[] Optimizer, byte[]? Best);

    /// <summary>Copies the run folder's checkpoint (just saved by the trainer) into the database.</summary>
    public static Task SaveAsync(Database db, long jobId, string runDir, string node)
    {
        string model = Path.Combine(runDir, ArenaTraining.ModelFile), best = Path.Combine(runDir, ArenaTraining.BestFile);
        var row = new
        {
            jobId,
            iteration = ArenaTraining.ResumeIteration(runDir),
            model = File.ReadAllBytes(model),
            optimizer = File.ReadAllBytes(Checkpoint.OptimizerPath(model)),
            best = File.Exists(best) ? File.ReadAllBytes(best) : null,
            node,
            now = DateTime.UtcNow,
        };
        return db.WriteAsync((c, t) => c.ExecuteAsync("""
            INSERT INTO job_checkpoints (training_job_id, iteration, model, optimizer, best, saved_by, saved_at)
            VALUES (@jobId, @iteration, @model, @optimizer, @best, @node, @now)
            ON CONFLICT (training_job_id) DO UPDATE SET iteration = excluded.iteration, model = excluded.model, optimizer = excluded.optimizer,
                best = excluded.best, saved_by = excluded.saved_by, saved_at = excluded.saved_at
            """, row, t));
    }

    /// <summary>
    /// Puts the stored checkpoint into the run folder when it is newer than the folder's own (none, or one left by an
    /// earlier attempt on this node); true when it did.
    /// </summary>
    public static async Task<bool> RestoreAsync(Database db, long jobId, string runDir)
    {
        int? stored = await db.ReadAsync(c => c.ExecuteScalarAsync<int?>("SELECT iteration FROM job_checkpoints WHERE training_job_id = @jobId", new { jobId }));
        string model = Path.Combine(runDir, ArenaTraining.ModelFile);
        if (stored is null || File.Exists(Checkpoint.OptimizerPath(model)) && ArenaTraining.ResumeIteration(runDir) >= stored) return false;
        var row = await db.ReadAsync(c => c.QuerySingleAsync<Row>(
            "SELECT iteration, model, optimizer, best FROM job_checkpoints WHERE training_job_id = @jobId", new { jobId }));
        Directory.CreateDirectory(runDir);
        Write(Checkpoint.OptimizerPath(model), row.Optimizer);
        Write(model, row.Model);
        string best = Path.Combine(runDir, ArenaTraining.BestFile);
        if (row.Best is { } b) Write(best, b);
        else File.Delete(best);
        return true;
    }

    /// <summary>The latest checkpoint's policy of a job (spectating a job that runs on another node), or null.</summary>
    public static Task<byte[]?> LatestModelAsync(Database db, long jobId) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<byte[]?>("SELECT model FROM job_checkpoints WHERE training_job_id = @jobId", new { jobId }));

    private static void Write(string path, byte[] data)
    {
        string partial = path + ".partial";
        File.WriteAllBytes(partial, data);
        File.Move(partial, path, overwrite: true);
    }
}
