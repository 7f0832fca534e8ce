using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Profiles;
using Ringside.Server.Training;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed record CreateJobRequest(long? FighterId, string? ProfileName, double? Aggression = null, double? Positioning = null,
    double? Targeting = null, double? RiskTolerance = null, double? Endurance = null, string? TrainingMode = null,
    Dictionary<string, double>? RewardWeights = null, int? Epochs = null, long? TotalSteps = null, double? MaxMinutes = null,
    double? LearningRate = null, long? Seed = null, bool? Execute = null) : IPersonalityRequest;

public sealed record UpdateJobRequest(string? Status = null, string? ProfileName = null, int? Epochs = null, long? TotalSteps = null,
    double? MaxMinutes = null, double? LearningRate = null);

/// <summary>
/// Training jobs (docs/SERVER.md, Training jobs): a request to train a profile becomes a durable job, run by the real PPO trainer on
/// Quartz.NET (persistent store in the server's database), with progress committed every iteration.
/// </summary>
public static class TrainingJobsApi
{
    public static void MapTrainingJobsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/training-jobs").WithTags("Training jobs");
        api.MapPost("", Create).WithName("createTrainingJob").ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Create a training job (execute: true also starts it)");
        api.MapGet("", List).WithName("listTrainingJobs").WithSummary("Training jobs, newest first (status, limit)");
        api.MapGet("{id:long}", Get).WithName("getTrainingJob").WithSummary("A job's status and progress");
        api.MapGet("fighter/{fighterId:long}", ListForFighter).WithName("listFighterTrainingJobs").WithSummary("Jobs of a fighter");
        api.MapPatch("{id:long}", Update).WithName("updateTrainingJob").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Change a pending job's settings, or cancel it with status \"cancelled\"");
        api.MapPost("{id:long}/execute", Execute).WithName("executeTrainingJob").ProducesProblem(StatusCodes.Status409Conflict).WithSummary("Queue a pending job to run");
        api.MapPost("{id:long}/cancel", Cancel).WithName("cancelTrainingJob").ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Cancel a job (a running one stops at its next iteration)");
        api.MapGet("{id:long}/metrics", Metrics).WithName("listTrainingJobMetrics")
            .WithSummary("The job's training_metrics, one per iteration (after_iteration, limit), or downsampled to max_points");
    }

    /// <summary>An epoch: a training segment then an evaluation (docs/SERVER.md). The smallest budget is one PPO batch.</summary>
    private static long StepsPerEpoch => ArenaTraining.DefaultEpochSteps;
    private static long MinSteps => ArenaTraining.DefaultPpo.BatchSize;
    private static int EpochsOf(long steps) => (int)Math.Max(1, Math.Round((double)steps / StepsPerEpoch));

    /// <summary>A step budget rounded up to whole PPO iterations: the trainer runs whole iterations, and the job's total_steps says how many steps that is.</summary>
    private static long? WholeIterations(long? steps) => steps is { } s ? (s + MinSteps - 1) / MinSteps * MinSteps : null;

    public static async Task<Results<Created<TrainingJob>, ProblemHttpResult>> Create(CreateJobRequest body, Database db, RingsideOptions options, JobQueue queue, TrainingEvents events)
    {
        var v = new Validation();
        v.Required(body.FighterId, "fighter_id");
        ProfileStore.ValidateName(body.ProfileName, v);
        var setup = PersonalityInput.Read(body, v);
        ValidateBudget(body.Epochs, body.TotalSteps, body.MaxMinutes, body.LearningRate, options, v);
        v.Range(body.Seed, 0, Json.MaxSafeInteger, "seed");
        if (!v.Ok || setup is null) return Problems.Invalid(v);

        var now = DateTime.UtcNow;
        long steps = WholeIterations(body.TotalSteps) ?? (body.Epochs is { } e ? (long)e * StepsPerEpoch : options.Training.DefaultSteps);
        var job = new TrainingJob
        {
            FighterId = body.FighterId!.Value,
            ProfileName = body.ProfileName!,
            Status = JobStatus.Pending,
            Epochs = body.Epochs ?? EpochsOf(steps),
            TotalSteps = steps,
            MaxMinutes = body.MaxMinutes,
            LearningRate = body.LearningRate ?? ArenaTraining.DefaultPpo.LearningRate,
            TrainingMode = setup.Mode.Name(),
            RewardWeights = setup.WeightsJson,
            Seed = body.Seed ?? Random.Shared.NextInt64(1, int.MaxValue),
            CreatedAt = now,
            UpdatedAt = now,
        };
        job.SetPersonality(setup.Personality);

        var result = await db.WriteAsync(async (c, t) =>
        {
            if (await FighterStore.FindAsync(c, job.FighterId, t) is null) return Problems.NotFound("fighter", job.FighterId, "fighter_id");
            job.Id = await c.ExecuteScalarAsync<long>($"""
                INSERT INTO training_jobs (fighter_id, profile_name, status, progress, epochs, total_steps, max_minutes, learning_rate,
                    {PersonalityColumns.Names}, training_mode, reward_weights, seed, created_at, updated_at)
                VALUES (@FighterId, @ProfileName, @Status, 0, @Epochs, @TotalSteps, @MaxMinutes, @LearningRate, {PersonalityColumns.Values},
                    @TrainingMode, @RewardWeights, @Seed, @CreatedAt, @UpdatedAt)
                RETURNING id
                """, job, t);
            return (ProblemHttpResult?)null;
        });
        if (result is not null) return result;
        events.Publish(job); // its session exists from now on, so spectators can wait for it to start
        if (body.Execute == true) job = await queue.EnqueueAsync(job.Id) ?? job;
        return TypedResults.Created($"/api/training-jobs/{job.Id}", job);
    }

    private static void ValidateBudget(int? epochs, long? totalSteps, double? maxMinutes, double? learningRate, RingsideOptions options, Validation v)
    {
        long maxEpochs = options.Training.MaxSteps / StepsPerEpoch;
        v.Range(epochs, 1, maxEpochs, "epochs");
        v.Range(totalSteps, MinSteps, options.Training.MaxSteps, "total_steps");
        v.Range(maxMinutes, 0.01, 24 * 60, "max_minutes");
        v.Range(learningRate, 1e-6, 0.1, "learning_rate");
    }

    public static async Task<Results<Ok<IEnumerable<TrainingJob>>, ProblemHttpResult>> List(Database db, RingsideOptions options, string? status = null, int limit = 100)
    {
        var v = new Validation();
        Paging.Records(v, options, 0, limit);
        if (status is not null && status is not (JobStatus.Pending or JobStatus.Queued or JobStatus.Running or JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled))
            v.Add("status", "must be pending, queued, running, completed, failed or cancelled.");
        if (!v.Ok) return Problems.Invalid(v);
        return TypedResults.Ok(await db.ReadAsync(c => c.QueryAsync<TrainingJob>(
            "SELECT * FROM training_jobs WHERE (@status IS NULL OR status = @status) ORDER BY id DESC LIMIT @limit", new { status, limit })));
    }

    public static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> Get(long id, Database db) =>
        await JobStore.FindAsync(db, id) is { } job ? TypedResults.Ok(job) : Problems.NotFound("training job", id);

    public static async Task<Results<Ok<IEnumerable<TrainingMetric>>, ProblemHttpResult>> Metrics(long id, Database db, HttpResponse response,
        [FromQuery(Name = "after_iteration")] int afterIteration = 0, int limit = 1000, [FromQuery(Name = "max_points")] int? maxPoints = null)
    {
        var v = new Validation();
        Paging.Series(v, afterIteration, limit, "after_iteration");
        v.Range(maxPoints, 10, Paging.MaxSeriesPage, "max_points");
        if (!v.Ok) return Problems.Invalid(v);
        if (await JobStore.FindAsync(db, id) is null) return Problems.NotFound("training job", id);
        return TypedResults.Ok(await db.ReadAsync(async c =>
        {
            long total = await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM training_metrics WHERE training_job_id = @id AND iteration_number > @afterIteration", new { id, afterIteration });
            response.Headers["X-Total-Count"] = total.ToString();
            if (maxPoints is not { } points || total <= points)
                return await c.QueryAsync<TrainingMetric>(
                    "SELECT * FROM training_metrics WHERE training_job_id = @id AND iteration_number > @afterIteration ORDER BY iteration_number LIMIT @limit",
                    new { id, afterIteration, limit });
            // Downsampled on the server: consecutive iterations averaged into at most max_points buckets, so a
            // chart of a run with 100,000 iterations stays light. Each point carries its bucket's last iteration.
            long bucket = (total + points - 1) / points;
            return await c.QueryAsync<TrainingMetric>("""
                SELECT MIN(id) AS id, MIN(fighter_id) AS fighter_id, MIN(training_job_id) AS training_job_id,
                       MAX(iteration_number) AS iteration_number, MAX(global_step) AS global_step,
                       AVG(avg_reward_last_100) AS avg_reward_last_100, AVG(win_rate_last_100) AS win_rate_last_100, AVG(loss) AS loss,
                       AVG(policy_loss) AS policy_loss, AVG(value_loss) AS value_loss, AVG(policy_entropy) AS policy_entropy,
                       AVG(approx_kl) AS approx_kl, AVG(sps) AS sps, AVG(eval_vs_chaser) AS eval_vs_chaser,
                       AVG(eval_vs_cautious) AS eval_vs_cautious, AVG(eval_free_for_all) AS eval_free_for_all, MAX(recorded_at) AS recorded_at
                FROM training_metrics WHERE training_job_id = @id AND iteration_number > @afterIteration
                GROUP BY (iteration_number - @afterIteration - 1) / @bucket ORDER BY MAX(iteration_number)
                """, new { id, afterIteration, bucket });
        }));
    }

    public static async Task<Results<Ok<IEnumerable<TrainingJob>>, ProblemHttpResult>> ListForFighter(long fighterId, Database db) =>
        await db.ReadAsync(async c => await FighterStore.FindAsync(c, fighterId) is null
            ? (Results<Ok<IEnumerable<TrainingJob>>, ProblemHttpResult>)Problems.NotFound("fighter", fighterId, "fighter_id")
            : TypedResults.Ok(await c.QueryAsync<TrainingJob>("SELECT * FROM training_jobs WHERE fighter_id = @fighterId ORDER BY id DESC", new { fighterId })));

    public static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> Update(long id, UpdateJobRequest body, Database db, RingsideOptions options, JobQueue queue)
    {
        var v = new Validation();
        if (body.Status is not null && body.Status != JobStatus.Cancelled)
            v.Add("status", "can only be set to \"cancelled\"; use POST /execute to start a job.");
        if (body.ProfileName is not null) ProfileStore.ValidateName(body.ProfileName, v);
        ValidateBudget(body.Epochs, body.TotalSteps, body.MaxMinutes, body.LearningRate, options, v);
        if (!v.Ok) return Problems.Invalid(v);
        if (body.Status == JobStatus.Cancelled) return await Cancel(id, db, queue);

        return await db.WriteAsync(async (c, t) =>
        {
            var job = await c.QuerySingleOrDefaultAsync<TrainingJob>("SELECT * FROM training_jobs WHERE id = @id", new { id }, t);
            if (job is null) return (Results<Ok<TrainingJob>, ProblemHttpResult>)Problems.NotFound("training job", id);
            if (job.Status != JobStatus.Pending) return Problems.Conflict("status", $"job {id} is {job.Status}; only a pending job's settings can change.");
            job.ProfileName = body.ProfileName ?? job.ProfileName;
            job.TotalSteps = WholeIterations(body.TotalSteps) ?? (body.Epochs is { } e ? e * StepsPerEpoch : job.TotalSteps);
            job.Epochs = body.TotalSteps is null && body.Epochs is { } epochs ? epochs : EpochsOf(job.TotalSteps);
            job.MaxMinutes = body.MaxMinutes ?? job.MaxMinutes;
            job.LearningRate = body.LearningRate ?? job.LearningRate;
            job.UpdatedAt = DateTime.UtcNow;
            await c.ExecuteAsync("""
                UPDATE training_jobs SET profile_name = @ProfileName, total_steps = @TotalSteps, epochs = @Epochs, max_minutes = @MaxMinutes,
                    learning_rate = @LearningRate, updated_at = @UpdatedAt WHERE id = @Id
                """, job, t);
            return TypedResults.Ok(job);
        });
    }

    public static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> Execute(long id, Database db, JobQueue queue)
    {
        var job = await JobStore.FindAsync(db, id);
        if (job is null) return Problems.NotFound("training job", id);
        if (job.Status != JobStatus.Pending) return Problems.Conflict("status", $"job {id} is already {job.Status}.");
        return await queue.EnqueueAsync(id) is { } queued ? TypedResults.Ok(queued)
            : Problems.Conflict("status", $"job {id} was started or cancelled meanwhile.");
    }

    public static async Task<Results<Ok<TrainingJob>, ProblemHttpResult>> Cancel(long id, Database db, JobQueue queue)
    {
        var job = await JobStore.FindAsync(db, id);
        if (job is null) return Problems.NotFound("training job", id);
        if (JobStatus.IsFinal(job.Status)) return Problems.Conflict("status", $"job {id} is already {job.Status}.");
        return await queue.CancelAsync(id) is { } cancelled ? TypedResults.Ok(cancelled)
            : Problems.Conflict("status", $"job {id} finished meanwhile.");
    }
}
