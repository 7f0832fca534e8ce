using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace Ringside.Cli.Bench.Cluster;

/// <summary>
/// <c>ringside bench cluster</c>: a local cluster of real processes on a PostgreSQL server (docs/SERVER.md, Cluster).
/// Throughput: the same batch of small training jobs queued on the api node, with 1, 2, ... N workers (one job at a
/// time each, one trainer thread per job), timed from the first job queued to the last completed. Failover: a longer
/// job's worker is SIGKILLed after its first checkpoint; timed until another worker starts the job's next attempt and
/// until that attempt records its first iteration.
/// </summary>
public static class BenchClusterCommand
{
    private const int StepsPerIteration = 8192;

    public sealed record Settings(string Postgres, int Workers, int Jobs, int Iterations, int Episodes, double CheckinSeconds, bool Json);

    public static Command Create()
    {
        var workers = new Option<int>("--workers") { Description = "Measure throughput with 1 to this many workers; failover needs at least 2.", DefaultValueFactory = _ => 2 };
        var jobs = new Option<int>("--jobs") { Description = "Training jobs queued for each throughput run.", DefaultValueFactory = _ => 6 };
        var iterations = new Option<int>("--iterations") { Description = $"PPO iterations ({StepsPerIteration} steps) of each throughput job.", DefaultValueFactory = _ => 8 };
        var episodes = new Option<int>("--episodes") { Description = "Evaluation episodes per line-up of each job's checkups and final evaluation.", DefaultValueFactory = _ => 20 };
        var checkin = new Option<double>("--checkin")
        { Description = "The nodes' Quartz check-in interval in seconds (the server's default, 10; a dead worker is noticed after it plus 7.5 s).", DefaultValueFactory = _ => 10 };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Connection string of a PostgreSQL server the bench may create databases on (default: $RINGSIDE_TEST_POSTGRES; " +
                          "scripts/postgres.sh start DIR PORT prints one).",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("cluster", "Jobs per minute of a local cluster with 1..N workers, and the time from a worker's death to its job running again.")
            { workers, jobs, iterations, episodes, checkin, postgres, json };
        command.SetAction(p => Output.Guard(() =>
        {
            var s = Validate(p.GetValue(postgres) ?? Environment.GetEnvironmentVariable("RINGSIDE_TEST_POSTGRES"), p.GetValue(workers), p.GetValue(jobs),
                p.GetValue(iterations), p.GetValue(episodes), p.GetValue(checkin), p.GetValue(json));
            return BenchHost.Run(() => MeasureAsync(s), s.Json, Print);
        }));
        return command;
    }

    private static Settings Validate(string? postgres, int workers, int jobs, int iterations, int episodes, double checkin, bool json)
    {
        if (string.IsNullOrWhiteSpace(postgres))
            throw new ArgumentException("--postgres is required (or RINGSIDE_TEST_POSTGRES): start a server with scripts/postgres.sh start DIR PORT.");
        if (workers is < 1 or > 8) throw new ArgumentException($"--workers must be 1 to 8, got {workers}.");
        if (jobs is < 1 or > 100) throw new ArgumentException($"--jobs must be 1 to 100, got {jobs}.");
        if (iterations is < 1 or > 1000) throw new ArgumentException($"--iterations must be 1 to 1000, got {iterations}.");
        if (episodes is < 1 or > 1000) throw new ArgumentException($"--episodes must be 1 to 1000, got {episodes}.");
        if (!(checkin >= 0.5) || !double.IsFinite(checkin) || checkin > 600) throw new ArgumentException($"--checkin must be 0.5 to 600 seconds, got {checkin}.");
        return new Settings(postgres, workers, jobs, iterations, episodes, checkin, json);
    }

    public sealed record ThroughputResult(int Workers, int Jobs, long StepsPerJob, double Seconds, double JobsPerMinute, Dictionary<string, int> JobsPerWorker);

    /// <param name="SecondsToNextAttempt">from the SIGKILL until another worker started the job's next attempt.</param>
    /// <param name="SecondsToProgress">from the SIGKILL until that attempt recorded an iteration.</param>
    public sealed record FailoverResult(string Killed, string TookOver, int KilledAtIteration, int IterationAtNextAttempt, double CheckinSeconds,
        double SecondsToNextAttempt, double SecondsToProgress, int Attempts, bool Completed);

    public sealed record Report(BenchHost.Machine Machine, int TrainerThreadsPerJob, int EvaluationEpisodes, IReadOnlyList<ThroughputResult> Throughput,
        double? Speedup, FailoverResult? Failover);

    private static Dictionary<string, string> NodeSettings(Settings s) => new()
    {
        ["Ringside__Training__Threads"] = "1", // one core per job: two workers can use both of this machine's cores
        ["Ringside__Training__MaxConcurrentJobs"] = "1",
        ["Ringside__Training__CheckpointEvery"] = "2",
        ["Ringside__Training__EvaluationEpisodes"] = s.Episodes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Ringside__Cluster__CheckinIntervalSeconds"] = s.CheckinSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Logging__LogLevel__Default"] = "Warning",
    };

    private static async Task<Report> MeasureAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        var throughput = new List<ThroughputResult>();
        for (int w = 1; w <= s.Workers; w++) throughput.Add(await ThroughputAsync(s, w));
        var failover = s.Workers >= 2 ? await FailoverAsync(s) : null;
        double? speedup = throughput.Count >= 2 ? Math.Round(throughput[^1].JobsPerMinute / throughput[0].JobsPerMinute, 2) : null;
        return new Report(machine, 1, s.Episodes, throughput, speedup, failover);
    }

    private static async Task<ThroughputResult> ThroughputAsync(Settings s, int workers)
    {
        Console.Error.WriteLine($"bench cluster: {s.Jobs} jobs on {workers} worker(s)...");
        await using var cluster = await LocalCluster.StartAsync(s.Postgres, workers, NodeSettings(s));
        long fighter = (await cluster.GetAsync("/api/fighters"))[0].GetProperty("id").GetInt64();
        var clock = Stopwatch.StartNew();
        var ids = new List<long>();
        for (int j = 0; j < s.Jobs; j++) ids.Add(await cluster.CreateJobAsync(fighter, $"bench-{j}", (long)s.Iterations * StepsPerIteration, j + 1));
        var perWorker = new Dictionary<string, int>();
        foreach (long id in ids)
        {
            var job = await WaitForAsync(cluster, id, j => j.GetProperty("status").GetString() == "completed");
            string worker = job.GetProperty("worker").GetString() ?? "?";
            perWorker[worker] = perWorker.GetValueOrDefault(worker) + 1;
        }
        double seconds = clock.Elapsed.TotalSeconds;
        return new ThroughputResult(workers, s.Jobs, (long)s.Iterations * StepsPerIteration, Math.Round(seconds, 1), Math.Round(s.Jobs / (seconds / 60), 2), perWorker);
    }

    private static async Task<FailoverResult> FailoverAsync(Settings s)
    {
        Console.Error.WriteLine("bench cluster: failover (a worker killed mid-job)...");
        await using var cluster = await LocalCluster.StartAsync(s.Postgres, 2, NodeSettings(s));
        long fighter = (await cluster.GetAsync("/api/fighters"))[0].GetProperty("id").GetInt64();
        long id = await cluster.CreateJobAsync(fighter, "failover", 60L * StepsPerIteration, 7);
        var running = await WaitForAsync(cluster, id, j => j.GetProperty("iteration").GetInt32() >= 5); // past the checkpoint of iteration 4
        string killed = running.GetProperty("worker").GetString()!;
        int killedAt = running.GetProperty("iteration").GetInt32();
        cluster.Kill(killed);
        var clock = Stopwatch.StartNew();
        var moved = await WaitForAsync(cluster, id, j => j.GetProperty("attempts").GetInt32() >= 2, pollMs: 50);
        double toAttempt = clock.Elapsed.TotalSeconds;
        int iterationAtNextAttempt = moved.GetProperty("iteration").GetInt32();
        var progressing = await WaitForAsync(cluster, id, j => j.GetProperty("attempts").GetInt32() >= 2 && j.GetProperty("status").GetString() == "running"
            && j.GetProperty("iteration").GetInt32() != iterationAtNextAttempt || j.GetProperty("status").GetString() == "completed", pollMs: 50);
        double toProgress = clock.Elapsed.TotalSeconds;
        var done = await WaitForAsync(cluster, id, j => j.GetProperty("status").GetString() == "completed");
        return new FailoverResult(killed, done.GetProperty("worker").GetString() ?? "?", killedAt, iterationAtNextAttempt, s.CheckinSeconds, Math.Round(toAttempt, 2),
            Math.Round(toProgress, 2), done.GetProperty("attempts").GetInt32(), true);
    }

    private static async Task<JsonElement> WaitForAsync(LocalCluster cluster, long id, Func<JsonElement, bool> done, int pollMs = 200)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(30))
        {
            var job = await cluster.GetAsync($"/api/training-jobs/{id}");
            if (done(job)) return job;
            if (job.GetProperty("status").GetString() is "failed" or "cancelled") throw new BenchException($"job {id} ended {job}");
            await Task.Delay(pollMs);
        }
        throw new BenchException($"job {id} did not get there in 30 minutes");
    }

    private static void Print(Report r)
    {
        Console.WriteLine($"Cluster on this machine: {r.Machine.Processors} cores{r.Machine.DescribeLoad()}; one trainer thread per job, one job per worker at a time.");
        foreach (var t in r.Throughput)
            Console.WriteLine($"  {t.Workers} worker(s): {t.Jobs} jobs of {t.StepsPerJob:N0} steps in {t.Seconds:0.0} s = {t.JobsPerMinute:0.00} jobs/min " +
                              $"({string.Join(", ", t.JobsPerWorker.OrderBy(k => k.Key).Select(k => $"{k.Key}: {k.Value}"))})");
        if (r.Speedup is { } x) Console.WriteLine($"  speed-up with {r.Throughput[^1].Workers} workers: {x:0.00}x");
        if (r.Failover is { } f)
            Console.WriteLine($"  failover (check-in {f.CheckinSeconds} s): {f.Killed} killed at iteration {f.KilledAtIteration}; {f.TookOver} started the next attempt " +
                              $"{f.SecondsToNextAttempt:0.0} s later (the job then at iteration {f.IterationAtNextAttempt}) and trained on after {f.SecondsToProgress:0.0} s; completed");
    }
}
