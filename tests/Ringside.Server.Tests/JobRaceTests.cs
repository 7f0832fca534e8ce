using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Ringside.Server.Training;

namespace Ringside.Server.Tests;

/// <summary>
/// Cancelling a job races with the job itself: with its completion, and with Quartz ending the firing. Each
/// interleaving is forced here (a hook in the runner, a Quartz that fails), on SQLite and on PostgreSQL, and each must
/// answer what docs/SERVER.md says: 200 and a cancelled job whose run stores nothing, or 409 when it had finished.
/// </summary>
public sealed class JobRaceTests
{
    /// <summary>Holds a job just before its completion is stored until the test lets it go.</summary>
    private sealed class HoldCompletion : TrainingJobHooks
    {
        public readonly TaskCompletionSource Reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource Ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async Task BeforeCompleteAsync(long jobId)
        {
            Reached.TrySetResult();
            await Release.Task;
        }

        public override void AttemptEnded(long jobId) => Ended.TrySetResult();
    }

    private static async Task<long> StartJob(HttpClient client, int iterations, string profile)
    {
        long fighter = (long)(await client.GetJson("/api/fighters"))[0]!["id"]!;
        var job = await client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = profile, total_steps = iterations * 8192, seed = 1, execute = true });
        return (long)job["id"]!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancel_that_lands_while_a_job_completes_wins_and_nothing_of_the_run_is_stored(bool postgres)
    {
        var hold = new HoldCompletion();
        using var server = new RingsideFactory(postgres: postgres, services: s => s.AddSingleton<TrainingJobHooks>(hold));
        var client = server.CreateClient();
        long id = await StartJob(client, 2, "raced");
        await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(120));

        var cancelled = await (await client.PostAsync($"/api/training-jobs/{id}/cancel", null)).Json200();
        Assert.Equal("cancelled", (string)cancelled["status"]!);
        hold.Release.SetResult();

        // The runner finds the job cancelled when it stores the completion, and stores nothing.
        await hold.Ended.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var job = await client.GetJson($"/api/training-jobs/{id}");
        Assert.Equal("cancelled", (string)job["status"]!);
        long fighter = (long)job["fighter_id"]!;
        await (await client.GetAsync($"/api/fighter-profiles/{fighter}/raced")).Problem(404, "profile_name");
        Assert.Equal("cancelled", (string)(await client.GetJson($"/api/training-jobs/{id}"))["status"]!);
        await (await client.PostAsync($"/api/training-jobs/{id}/cancel", null)).Problem(409, "status");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_job_that_completes_before_the_cancel_lands_answers_409_and_keeps_its_profile(bool postgres)
    {
        var hold = new HoldCompletion();
        using var server = new RingsideFactory(postgres: postgres, services: s => s.AddSingleton<TrainingJobHooks>(hold));
        var client = server.CreateClient();
        long id = await StartJob(client, 2, "finished");
        await hold.Reached.Task.WaitAsync(TimeSpan.FromSeconds(120));
        hold.Release.SetResult();
        var job = await client.WaitForJob(id, j => (string)j["status"]! == "completed", timeoutSeconds: 60);
        await (await client.PostAsync($"/api/training-jobs/{id}/cancel", null)).Problem(409, "status");
        Assert.Equal(1, (int)(await client.GetJson($"/api/fighter-profiles/{(long)job["fighter_id"]!}/finished"))["model_version"]!);
    }

    /// <summary>A scheduler whose Interrupt and DeleteJob fail, as Quartz's do when they race with a firing that ends.</summary>
    public class FailingScheduler : DispatchProxy
    {
        public IScheduler Inner { get; set; } = null!;

        protected override object? Invoke(MethodInfo? method, object?[]? args)
        {
            if (method!.Name is nameof(IScheduler.Interrupt) or nameof(IScheduler.DeleteJob))
                throw new JobPersistenceException("injected: the fired trigger was deleted under the request");
            try { return method.Invoke(Inner, args); }
            catch (TargetInvocationException e) { throw e.InnerException!; }
        }
    }

    private sealed class FailingSchedulers(ISchedulerFactory inner) : ISchedulerFactory
    {
        private static IScheduler Wrap(IScheduler scheduler)
        {
            var proxy = DispatchProxy.Create<IScheduler, FailingScheduler>();
            ((FailingScheduler)(object)proxy).Inner = scheduler;
            return proxy;
        }

        public async ValueTask<IScheduler> GetScheduler(CancellationToken cancellationToken = default) => Wrap(await inner.GetScheduler(cancellationToken));
        public async ValueTask<List<IScheduler>> GetAllSchedulers(CancellationToken cancellationToken = default) =>
            (await inner.GetAllSchedulers(cancellationToken)).Select(Wrap).ToList();
        public async ValueTask<IScheduler?> LookupScheduler(string schedName, CancellationToken cancellationToken = default) =>
            await inner.LookupScheduler(schedName, cancellationToken) is { } s ? Wrap(s) : null;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_running_job_is_cancelled_even_when_quartz_fails_to_interrupt_or_delete_it(bool postgres)
    {
        using var server = new RingsideFactory(postgres: postgres, services: s =>
        {
            // JobQueue's scheduler fails; the one that runs the jobs (the hosted service's) is the real one.
            s.AddSingleton(sp => new JobQueue(new FailingSchedulers(sp.GetRequiredService<ISchedulerFactory>()), sp.GetRequiredService<Data.Database>(),
                sp.GetRequiredService<TrainingEvents>(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<JobQueue>>()));
        });
        var client = server.CreateClient();
        long id = await StartJob(client, 400, "stubborn");
        await client.WaitForJob(id, j => (string)j["status"]! == "running" && (int)j["iteration"]! >= 1);
        var cancelled = await (await client.PostAsync($"/api/training-jobs/{id}/cancel", null)).Json200();
        Assert.Equal("cancelled", (string)cancelled["status"]!);
        // The runner notices at its next iteration and its attempt ends; the iteration count then stays put.
        await server.Attempts.WaitAsync(id);
        var after = await client.GetJson($"/api/training-jobs/{id}");
        Assert.Equal("cancelled", (string)after["status"]!);
        int stopped = (int)after["iteration"]!;
        Assert.Equal((int)cancelled["iteration"]!, stopped); // no iteration was recorded after the cancel
        Assert.True(stopped < 400);
    }
}
