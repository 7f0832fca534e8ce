using System.Data.Common;
using System.Text.Json;
using Dapper;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Inference;
using Ringside.Server.Profiles;
using Ringside.Sim;

namespace Ringside.Server.Training;

/// <summary>
/// Tests only: moments of a job's life at which a test makes something happen (the default does nothing), so that a
/// race is forced rather than hoped for.
/// </summary>
public class TrainingJobHooks
{
    /// <summary>After the model is trained, evaluated and copied, just before the completion is stored.</summary>
    public virtual Task BeforeCompleteAsync(long jobId) => Task.CompletedTask;
    /// <summary>When an attempt of the job has ended, whatever its outcome.</summary>
    public virtual void AttemptEnded(long jobId) { }
}

/// <summary>What a running job reports each iteration (for live streams).</summary>
public sealed record JobProgress(TrainingJob Job, ArenaIterationMetrics Metrics);

/// <summary>
/// Runs one training job with the real arena trainer: commits progress and metrics every iteration, saves a resumable
/// checkpoint every few iterations, resumes from it after a crash, stops at the next iteration when cancelled, and on
/// completion evaluates the model against the baseline bots and creates or updates the profile.
/// </summary>
public sealed class TrainingJobRunner(Database db, RingsideOptions options, TrainingEvents events, ModelCache models, TrainingJobHooks hooks,
    ILogger<TrainingJobRunner> log)
{

    public async Task RunAsync(long jobId, CancellationToken shutdown)
    {
        try { await RunAttemptAsync(jobId, shutdown); }
        finally { hooks.AttemptEnded(jobId); }
    }

    private async Task RunAttemptAsync(long jobId, CancellationToken shutdown)
    {
        string runDir = Path.Combine(options.RunsDir, $"job-{jobId}");
        var job = await JobStore.StartAttemptAsync(db, jobId, runDir, options.Cluster.NodeName);
        if (job is null) { log.LogInformation("Training job {Job} is no longer queued; nothing to run.", jobId); return; }
        var fighter = await db.ReadAsync(c => FighterStore.FindAsync(c, job.FighterId));
        if (fighter is null) { await JobStore.SetStatusAsync(db, jobId, JobStatus.Failed, "the fighter was deleted."); return; }
        events.Publish(job);

        string modelPath = Path.Combine(runDir, ArenaTraining.ModelFile);
        // In a cluster the last checkpoint may have been saved by another worker (one that died): it is in the database.
        if (options.QuartzClustered && await JobCheckpoints.RestoreAsync(db, jobId, runDir))
            log.LogInformation("Training job {Job}: its checkpoint was fetched from the database.", jobId);
        bool resume = File.Exists(modelPath);
        int resumedAt = 0;
        if (resume)
        {
            resumedAt = ArenaTraining.ResumeIteration(runDir);
            // Iterations after the checkpoint will run again: drop their metrics so each iteration is recorded once.
            await db.WriteAsync((c, t) => c.ExecuteAsync("DELETE FROM training_metrics WHERE training_job_id = @jobId AND iteration_number > @resumedAt",
                new { jobId, resumedAt }, t));
            log.LogInformation("Training job {Job} resumes from its checkpoint at iteration {Iteration} (attempt {Attempt}).", jobId, resumedAt, job.Attempts);
        }
        else log.LogInformation("Training job {Job} starts: {Steps} steps for fighter {Fighter}, profile '{Profile}'.", jobId, job.TotalSteps, job.FighterId, job.ProfileName);

        var training = Options(job, FighterStore.SpecOf(fighter), runDir);
        long episodes = 0;
        using var cancelled = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown, cancelled.Token);
        try
        {
            var result = await Task.Factory.StartNew(
                () => ArenaTraining.Run(training, m => { episodes = m.Ppo.Episodes; OnIteration(job, m, cancelled); }, resume, stop.Token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            if (cancelled.IsCancellationRequested && await IsSupersededAsync(job))
            {
                // Another node took the job over (this one missed its cluster check-ins and was taken for dead): it owns the job now.
                log.LogWarning("Training job {Job}: attempt {Attempt} on this node was superseded by a later attempt; it stops here.", jobId, job.Attempts);
                return;
            }
            if (cancelled.IsCancellationRequested || await IsCancelledAsync(jobId))
            {
                log.LogInformation("Training job {Job} was cancelled at step {Steps}.", jobId, result.Steps);
                events.Publish(await JobStore.FindAsync(db, jobId) ?? job);
                return;
            }
            if (shutdown.IsCancellationRequested)
            {
                // The process is stopping: the checkpoint is saved; the job runs on from it at the next start.
                await db.WriteAsync((c, t) => c.ExecuteAsync("UPDATE training_jobs SET status = 'queued', updated_at = @now WHERE id = @jobId AND status = 'running'",
                    new { jobId, now = DateTime.UtcNow }, t));
                log.LogInformation("Training job {Job} paused by shutdown at step {Steps}; it resumes at the next start.", jobId, result.Steps);
                return;
            }
            await CompleteAsync(job, training, result, episodes);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Training job {Job} failed.", jobId);
            await JobStore.SetStatusAsync(db, jobId, JobStatus.Failed, ServerPaths.Redact(e.Message));
            events.Publish(await JobStore.FindAsync(db, jobId) ?? job);
        }
    }

    private ArenaTrainingOptions Options(TrainingJob job, FighterSpec spec, string runDir)
    {
        var weights = JsonSerializer.Deserialize<Dictionary<string, float>>(job.RewardWeights.GetRawText()) ?? [];
        return new ArenaTrainingOptions
        {
            Personality = job.GetPersonality(),
            Mode = TrainingModes.Parse(job.TrainingMode),
            Weights = RewardWeights.Default.With(weights),
            Fighter = spec,
            Steps = job.TotalSteps,
            MaxTime = job.MaxMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null,
            Seed = (ulong)job.Seed,
            CheckpointEvery = Math.Max(1, options.Training.CheckpointEvery),
            EvaluateEverySteps = Math.Max(1, job.TotalSteps / Math.Max(1, job.Epochs)), // one checkup per epoch
            EvaluationEpisodes = Math.Max(1, options.Training.EvaluationEpisodes),
            OutDir = runDir,
            Ppo = ArenaTraining.DefaultPpo with { LearningRate = (float)job.LearningRate, Threads = Math.Max(1, options.Training.Threads) },
            FaultInjection = CrashAt(job),
            CheckpointSaved = options.QuartzClustered
                ? _ => JobCheckpoints.SaveAsync(db, job.Id, runDir, options.Cluster.NodeName).GetAwaiter().GetResult()
                : null,
        };
    }

    /// <summary>Ringside:Training:CrashAt, for the crash tests: ends the process at that point, like kill -9.</summary>
    private Action<string, int>? CrashAt(TrainingJob job)
    {
        if (options.Training.CrashAt is not { Length: > 0 } spec || job.Attempts > 1) return null;
        var parts = spec.Split('@');
        if (parts.Length != 2 || !ArenaTraining.FaultPoints.Contains(parts[0]) || !int.TryParse(parts[1], out int at))
            throw new InvalidOperationException($"Ringside:Training:CrashAt '{spec}' is not point@iteration with a point of {string.Join(", ", ArenaTraining.FaultPoints)}.");
        return (point, iteration) =>
        {
            if (point == parts[0] && iteration == at) Environment.FailFast($"crash test: job {job.Id} at {point} of iteration {iteration}");
        };
    }

    /// <summary>Runs on the trainer's thread after every iteration: one UPDATE (which also tells whether the job was cancelled) and one INSERT.</summary>
    private void OnIteration(TrainingJob job, ArenaIterationMetrics line, CancellationTokenSource cancelled)
    {
        var m = line.Ppo;
        double? Finite(double x) => double.IsFinite(x) ? x : null;
        job.Iteration = m.Iteration;
        job.StepsDone = m.GlobalStep;
        job.Progress = Math.Min(100, 100.0 * m.GlobalStep / Math.Max(1, job.TotalSteps));
        job.Sps = m.Sps;
        job.RecentReward = Finite(m.MeanReturn);
        job.WinRate = Finite(m.WinRate);
        job.UpdatedAt = DateTime.UtcNow;
        bool stillRunning = db.WriteAsync(async (c, t) =>
        {
            int changed = await c.ExecuteAsync("""
                UPDATE training_jobs SET iteration = @Iteration, steps_done = @StepsDone, progress = @Progress, sps = @Sps,
                    recent_reward = @RecentReward, win_rate = @WinRate, updated_at = @UpdatedAt
                WHERE id = @Id AND status = 'running' AND attempts = @Attempts
                """, job, t);
            if (changed == 0) return false; // cancelled, or superseded by a later attempt on another node
            await c.ExecuteAsync("""
                INSERT INTO training_metrics (fighter_id, training_job_id, iteration_number, global_step, avg_reward_last_100, win_rate_last_100,
                    loss, policy_loss, value_loss, policy_entropy, approx_kl, sps, reward_terms, eval_vs_chaser, eval_vs_cautious, eval_free_for_all, recorded_at)
                VALUES (@FighterId, @JobId, @Iteration, @GlobalStep, @Reward, @WinRate, @Loss, @PolicyLoss, @ValueLoss, @Entropy, @ApproxKl,
                    @Sps, @Terms, @EvalVsChaser, @EvalVsCautious, @EvalFreeForAll, @Now)
                """, new
            {
                job.FighterId,
                JobId = job.Id,
                m.Iteration,
                m.GlobalStep,
                Reward = Finite(m.MeanReturn),
                WinRate = Finite(m.WinRate),
                Loss = Finite(TotalLoss(m, ArenaTraining.DefaultPpo)),
                PolicyLoss = Finite(m.PolicyLoss),
                ValueLoss = Finite(m.ValueLoss),
                Entropy = Finite(m.Entropy),
                ApproxKl = Finite(m.ApproxKl),
                m.Sps,
                Terms = JsonSerializer.Serialize(line.RewardTerms),
                EvalVsChaser = line.Checkup?.VsChaser,
                EvalVsCautious = line.Checkup?.VsCautious,
                EvalFreeForAll = line.Checkup?.FreeForAll,
                Now = DateTime.UtcNow,
            }, t);
            return true;
        }).GetAwaiter().GetResult();
        if (!stillRunning) cancelled.Cancel();
        else events.Publish(job, line);
    }

    /// <summary>PPO's total loss as the trainer minimises it: policy + vf_coef · value − ent_coef · entropy.</summary>
    internal static double TotalLoss(IterationMetrics m, PpoConfig ppo) => m.PolicyLoss + ppo.VfCoef * m.ValueLoss - ppo.EntCoef * m.Entropy;

    private async Task<bool> IsCancelledAsync(long jobId) => (await JobStore.FindAsync(db, jobId))?.Status == JobStatus.Cancelled;

    private async Task<bool> IsSupersededAsync(TrainingJob attempt) =>
        (await JobStore.FindAsync(db, attempt.Id)) is { } now && now.Status != JobStatus.Cancelled && now.Attempts != attempt.Attempts;

    /// <summary>What a finished run leaves to store: the evaluated model, copied into the models folder, and its replays.</summary>
    /// <param name="Now">the time the completion is stored, taken inside its transaction.</param>
    private sealed record Completion(TrainingJob Job, ArenaTrainingOptions Training, ArenaTrainingResult Result, ProfileEvaluation Evaluation,
        double MeanReward, string ModelPath, long EpisodesTrained, IReadOnlyList<EvaluationReplay> Replays, DateTime Now);

    /// <summary>
    /// Evaluates the best checkpoint against each baseline bot, copies it as the profile's next model and records an
    /// evaluation episode per bot; then stores it all in one transaction, unless the job was cancelled meanwhile.
    /// </summary>
    private async Task CompleteAsync(TrainingJob job, ArenaTrainingOptions training, ArenaTrainingResult result, long episodes)
    {
        var evaluation = ProfileEvaluation.Run(result.BestModelPath, training.Seed, training.EffectiveWeights, training.MaxTicks,
            options.Training.EvaluationEpisodes);
        double meanReward = double.IsFinite(result.MeanReturn) ? result.MeanReturn : evaluation.MeanReward;
        string modelPath = CopyModel(job, result.BestModelPath);
        byte[] modelBytes = await File.ReadAllBytesAsync(modelPath);
        var replays = RecordEvaluationEpisodes(modelPath, training, job.ProfileName);
        // Episodes of this attempt: a resumed job counts from its checkpoint.
        var run = new Completion(job, training, result, evaluation, meanReward, modelPath, episodes, replays, default);

        await hooks.BeforeCompleteAsync(job.Id);
        var profile = await db.WriteAsync<FighterProfile?>(async (c, t) =>
        {
            var done = run with { Now = DateTime.UtcNow };
            // The completion is claimed first: a cancel that landed meanwhile wins, and then nothing of this run is stored.
            if (!await ClaimCompletionAsync(c, t, done)) return null;
            bool bestSoFar = await IsBestSoFarAsync(c, t, done);
            var p = await SaveProfileAsync(c, t, done);
            await ModelFiles.StoreAsync(c, t, done.ModelPath, modelBytes);
            await InsertCheckpointAsync(c, t, done, p);
            await c.ExecuteAsync("UPDATE fighters SET model_version = model_version + 1 WHERE id = @FighterId", new { p.FighterId }, t);
            await StoreEvaluationReplaysAsync(c, t, job, p, done.Replays, bestSoFar, done.Now);
            return p;
        });
        if (profile is null)
        {
            File.Delete(modelPath);
            log.LogInformation("Training job {Job} was cancelled while it completed; its model is not stored.", job.Id);
        }
        else
        {
            models.Invalidate(job.FighterId);
            log.LogInformation("Training job {Job} completed: profile '{Profile}' v{Version}, win rate {WinRate:P0} against the baselines.",
                job.Id, profile.ProfileName, profile.ModelVersion, evaluation.WinRate);
        }
        events.Publish(await JobStore.FindAsync(db, job.Id) ?? job);
    }

    /// <summary>The best checkpoint, copied under a new name in the models folder (a profile's model file is never overwritten).</summary>
    private string CopyModel(TrainingJob job, string bestModelPath)
    {
        string modelPath = ModelFiles.NewPath(options, $"fighter-{job.FighterId}-job-{job.Id}");
        File.Copy(bestModelPath, modelPath, overwrite: false);
        return modelPath;
    }

    /// <summary>running → completed with the final numbers; false when the job is no longer running (cancelled).</summary>
    private static async Task<bool> ClaimCompletionAsync(DbConnection c, DbTransaction t, Completion done) =>
        await c.ExecuteAsync("""
            UPDATE training_jobs SET status = 'completed', progress = 100, iteration = @Iterations, steps_done = @Steps,
                final_reward = @Reward, final_win_rate = @WinRate, completed_at = @Now, updated_at = @Now
            WHERE id = @Id AND status = 'running' AND attempts = @Attempts
            """, new { done.Job.Id, done.Job.Attempts, done.Result.Iterations, done.Result.Steps, Reward = done.MeanReward, done.Evaluation.WinRate, done.Now }, t) == 1;

    /// <summary>Whether the new model beats every earlier model of the profile against the baselines (its replays are tagged so).</summary>
    private static async Task<bool> IsBestSoFarAsync(DbConnection c, DbTransaction t, Completion done)
    {
        double? previousBest = await c.ExecuteScalarAsync<double?>(
            "SELECT MAX(win_rate) FROM model_checkpoints WHERE fighter_id = @FighterId AND profile_name = @ProfileName",
            new { done.Job.FighterId, done.Job.ProfileName }, t);
        return previousBest is null || done.Evaluation.WinRate > previousBest;
    }

    /// <summary>Creates the job's profile, or updates it: the job's personality, the new model as its next version, its evaluation.</summary>
    private static async Task<FighterProfile> SaveProfileAsync(DbConnection c, DbTransaction t, Completion done)
    {
        var job = done.Job;
        var p = await ProfileStore.FindAsync(c, job.FighterId, job.ProfileName, t);
        bool exists = p is not null;
        p ??= new FighterProfile { FighterId = job.FighterId, ProfileName = job.ProfileName, CreatedAt = done.Now };
        p.SetPersonality(done.Training.Personality);
        p.TrainingMode = job.TrainingMode;
        p.RewardWeights = job.RewardWeights;
        p.ModelPath = done.ModelPath;
        p.ModelVersion += 1;
        p.WinRate = done.Evaluation.WinRate;
        p.AvgReward = done.MeanReward;
        p.TotalEpisodes += done.EpisodesTrained;
        p.Evaluation = done.Evaluation.Evaluation;
        p.Fingerprint = done.Evaluation.Fingerprint;
        p.UpdatedAt = done.Now;
        if (!exists) await ProfileStore.InsertAsync(c, t, p);
        else await c.ExecuteAsync($"""
            UPDATE fighter_profiles SET {PersonalityColumns.Assignments}, training_mode = @TrainingMode, reward_weights = @RewardWeights,
                model_path = @ModelPath, model_version = @ModelVersion, win_rate = @WinRate, avg_reward = @AvgReward, total_episodes = @TotalEpisodes,
                evaluation = @Evaluation, fingerprint = @Fingerprint, updated_at = @UpdatedAt
            WHERE id = @Id
            """, p, t);
        return p;
    }

    /// <summary>The model_checkpoints row of the new version (what the fighter's best-model endpoint ranks).</summary>
    private static Task InsertCheckpointAsync(DbConnection c, DbTransaction t, Completion done, FighterProfile p) =>
        c.ExecuteAsync("""
            INSERT INTO model_checkpoints (fighter_id, profile_name, model_version, training_iteration, win_rate, avg_reward,
                total_episodes_trained, total_steps, weights_path, training_mode, created_at)
            VALUES (@FighterId, @ProfileName, @ModelVersion, @Iteration, @WinRate, @AvgReward, @TotalEpisodes, @Steps, @ModelPath, @TrainingMode, @Now)
            """, new
        {
            p.FighterId,
            p.ProfileName,
            p.ModelVersion,
            Iteration = done.Result.Iterations,
            p.WinRate,
            p.AvgReward,
            p.TotalEpisodes,
            done.Result.Steps,
            p.ModelPath,
            p.TrainingMode,
            done.Now
        }, t);

    /// <summary>A recorded evaluation episode, stored as a replay with the profile's update.</summary>
    private sealed record EvaluationReplay(string Bot, ulong Seed, MatchResult Result, byte[] Data);

    /// <summary>One evaluation episode against each baseline bot, played by the new model and recorded.</summary>
    private static List<EvaluationReplay> RecordEvaluationEpisodes(string modelPath, ArenaTrainingOptions training, string name)
    {
        var me = Fighters.Load(modelPath, 1, training.Seed, Fighters.Greedy);
        var replays = new List<EvaluationReplay>();
        foreach (var (bot, k) in ProfileEvaluation.Baselines.Select((b, k) => (b, k)))
        {
            ulong seed = SplitMix64.Mix(training.Seed ^ 0x5EED, (ulong)k) & Http.Json.MaxSafeInteger; // the replay's seed goes out in the API
            var config = new ArenaConfig { Fighters = [me.Spec, FighterSpec.Standard], MaxTicks = training.MaxTicks };
            using var match = new Match(config, seed, [new PolicyController(me.Policy), Bots.Create(bot, FighterSpec.Standard, seed)], [name, bot]);
            var result = match.Run();
            using var bytes = new MemoryStream();
            match.ToReplay().Save(bytes);
            replays.Add(new EvaluationReplay(bot, seed, result, bytes.ToArray()));
        }
        return replays;
    }

    /// <summary>Tags (docs/SERVER.md, Replays): "evaluation", the opponent, "milestone:vN" (the model version), "best_so_far" for the profile's best.</summary>
    private static async Task StoreEvaluationReplaysAsync(DbConnection c, DbTransaction t, TrainingJob job, FighterProfile profile,
        IReadOnlyList<EvaluationReplay> replays, bool bestSoFar, DateTime now)
    {
        foreach (var r in replays)
        {
            var tags = new List<string> { "evaluation", $"vs:{r.Bot}", $"milestone:v{profile.ModelVersion}" };
            if (bestSoFar) tags.Add("best_so_far");
            await c.ExecuteAsync(
                "INSERT INTO replays (kind, training_job_id, fighter_ids, profile_ids, fighters, seed, ticks, winner_slot, outcome, tags, data, created_at) " +
                "VALUES ('evaluation', @JobId, @Fighters, @Profiles, 2, @Seed, @Ticks, @Winner, @Outcome, @Tags, @Data, @Now)", new
                {
                    JobId = job.Id,
                    Fighters = JsonSerializer.Serialize(new[] { job.FighterId }),
                    Profiles = JsonSerializer.Serialize(new[] { profile.Id }),
                    Seed = (long)r.Seed,
                    Ticks = r.Result.Frames,
                    Winner = r.Result.Winner,
                    Outcome = r.Result.Winner >= 0 ? "win" : "draw",
                    Tags = JsonSerializer.Serialize(tags),
                    r.Data,
                    Now = now,
                }, t);
        }
    }

    /// <summary>A policy (network or bot) acting for one fighter of a match.</summary>
    private sealed class PolicyController(IPolicy policy) : IFighterController
    {
        private readonly int[] _action = new int[1];
        public int Decide(ReadOnlySpan<float> observation)
        {
            policy.Act(observation, 1, _action);
            return _action[0];
        }
    }
}
