using Quartz;
using Ringside.Server.Data;

namespace Ringside.Server.Training;

/// <summary>
/// Puts training jobs on Quartz.NET, whose persistent store lives in the server's database: a job survives restarts,
/// is recovered after a crash (RequestRecovery), and can be shared by several worker processes (clustering).
/// </summary>
public sealed class JobQueue(ISchedulerFactory schedulers, Database db, TrainingEvents events, ILogger<JobQueue> log)
{
    public const string Group = "training";

    public static JobKey KeyOf(long jobId) => new($"training-job-{jobId}", Group);

    /// <summary>pending → queued and scheduled; null when the job was not pending.</summary>
    public async Task<TrainingJob?> EnqueueAsync(long jobId)
    {
        if (!await JobStore.MarkQueuedAsync(db, jobId)) return null;
        await ScheduleAsync(jobId);
        var job = await JobStore.FindAsync(db, jobId);
        if (job is not null) events.Publish(job);
        return job;
    }

    private async Task ScheduleAsync(long jobId)
    {
        var scheduler = await schedulers.GetScheduler();
        var key = KeyOf(jobId);
        if (await scheduler.Exists(key)) return; // already stored: waiting, running, or to be recovered
        var job = JobBuilder.Create<TrainingQuartzJob>()
            .WithIdentity(key)
            .UsingJobData(TrainingQuartzJob.JobIdKey, jobId)
            .RequestRecovery(true) // re-run after a hard crash; the runner resumes from the job's checkpoint
            .StoreDurably(false)
            .Build();
        var trigger = TriggerBuilder.Create()
            .WithIdentity($"training-job-{jobId}-trigger", Group)
            .ForJob(job)
            .StartNow()
            .WithSimpleSchedule(x => x.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
            .Build();
        await scheduler.ScheduleJob(job, trigger);
    }

    /// <summary>
    /// Marks the job cancelled (the runner stops at its next iteration, in any process) and removes it from the queue;
    /// null when it had already finished (completed, failed or cancelled meanwhile).
    /// </summary>
    public async Task<TrainingJob?> CancelAsync(long jobId)
    {
        // The database decides: once this row says cancelled, no attempt runs on and no completion lands.
        if (!await JobStore.MarkCancelledAsync(db, jobId)) return null;
        await RemoveFromSchedulerAsync(jobId);
        var job = await JobStore.FindAsync(db, jobId);
        if (job is not null) events.Publish(job);
        return job;
    }

    /// <summary>
    /// Interrupts a running firing and deletes the Quartz job: only a shortcut, since the runner stops at its next
    /// iteration and a later firing finds the job cancelled. So Quartz's own races with a firing that is ending (its
    /// fired-trigger row deleted under the interrupt request, the job deleted by its completion, its cancellation source
    /// disposed as the interrupt reaches it) are logged, not failed.
    /// </summary>
    private async Task RemoveFromSchedulerAsync(long jobId)
    {
        try
        {
            var scheduler = await schedulers.GetScheduler();
            try { await scheduler.Interrupt(KeyOf(jobId)); }
            catch (ObjectDisposedException) { } // the firing ended between Quartz finding it and cancelling it: nothing to interrupt
            await scheduler.DeleteJob(KeyOf(jobId));
        }
        catch (Exception e) when (e is SchedulerException or System.Data.Common.DbException)
        {
            log.LogWarning(e, "Training job {Job} is cancelled, but Quartz could not interrupt or delete it; it stops at its next iteration.", jobId);
        }
    }

    /// <summary>
    /// At start: schedules again every job the database says should run but Quartz no longer holds (a graceful
    /// shutdown ends a firing normally, so Quartz forgets it; the job itself paused at a checkpoint).
    /// </summary>
    public async Task RequeueUnfinishedAsync()
    {
        foreach (long id in await JobStore.UnfinishedAsync(db))
        {
            log.LogInformation("Training job {Job} was unfinished; it is queued again.", id);
            await ScheduleAsync(id);
        }
    }
}

/// <summary>The Quartz job: runs one training job by its id.</summary>
[DisallowConcurrentExecution]
public sealed class TrainingQuartzJob(TrainingJobRunner runner) : IJob
{
    public const string JobIdKey = "job_id";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await runner.RunAsync(context.MergedJobDataMap.GetLong(JobIdKey), cancellationToken);
}
