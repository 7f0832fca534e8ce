using System.Net.WebSockets;
using System.Text.Json.Nodes;

namespace Ringside.Server.Tests;

/// <summary>
/// A cluster of real processes on one PostgreSQL database (RINGSIDE_TEST_POSTGRES): an api node and two workers, as
/// <c>ringside serve --role api|worker</c> runs them (docs/SERVER.md, Cluster).
/// </summary>
public sealed class ClusterTests
{
    private sealed class Cluster : IDisposable
    {
        private readonly List<string> _dirs = [];
        public ServerProcess Api { get; }
        public Dictionary<string, ServerProcess> Workers { get; } = [];
        public HttpClient Client { get; }

        private Cluster(Dictionary<string, string> settings)
        {
            Api = Start(settings, "api", "api");
            Client = new HttpClient { BaseAddress = Api.Url };
        }

        private ServerProcess Start(Dictionary<string, string> settings, string role, string node)
        {
            string dir = Directory.CreateTempSubdirectory($"ringside-cluster-{node}-").FullName;
            _dirs.Add(dir);
            return new ServerProcess(dir, ServerProcess.FreePort(), settings, "--role", role, "--node", node);
        }

        /// <summary>The api node first (it creates the schema), then the workers, each on its own port and data folder.</summary>
        public static async Task<Cluster> StartAsync(int workers = 2)
        {
            var settings = new Dictionary<string, string>
            {
                ["Ringside__Database__Provider"] = "postgres",
                ["Ringside__Database__ConnectionString"] = Postgres.NewDatabase(),
                ["Ringside__Cluster__CheckinIntervalSeconds"] = "1",
                ["Ringside__Cluster__CheckinMisfireThresholdSeconds"] = "4",
                ["Ringside__Cluster__PollSeconds"] = "1",
                // Most job messages (metrics, decisions) are larger: they travel by sequence and are read from the table.
                ["Ringside__Cluster__MaxNotifyBytes"] = "1000",
            };
            var cluster = new Cluster(settings);
            try
            {
                await cluster.Api.WaitHealthyAsync(cluster.Client);
                for (int i = 1; i <= workers; i++)
                {
                    var worker = cluster.Start(settings, "worker", $"worker-{i}");
                    cluster.Workers[$"worker-{i}"] = worker;
                    await worker.WaitHealthyAsync(cluster.Client);
                }
                return cluster;
            }
            catch
            {
                cluster.Dispose(); // no process outlives a failed start
                throw;
            }
        }

        public string Logs => string.Join("\n", Workers.Select(w => $"--- {w.Key}:\n{w.Value.Log}").Prepend("--- api:\n" + Api.Log));

        public void Dispose()
        {
            Client.Dispose();
            foreach (var w in Workers.Values) w.Dispose();
            Api.Dispose();
            foreach (var dir in _dirs) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A job of the first fighter, queued at once, of so many PPO iterations (8,192 steps each).</summary>
    private static async Task<(long Fighter, long Job)> QueueJobAsync(HttpClient client, string profile, int iterations, int seed)
    {
        long fighter = (long)(await client.GetJson("/api/fighters"))[0]!["id"]!;
        var job = await client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = profile, total_steps = iterations * 8192, seed, execute = true });
        return (fighter, (long)job["id"]!);
    }

    /// <summary>A spectator on the api node: every message of the job's session from the first, until the job's final status.</summary>
    private static async Task<List<JsonNode>> WatchUntilFinishedAsync(Uri node, long jobId)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{node.Authority}/ws/job-{jobId}?after_sequence=0"), CancellationToken.None);
        var messages = new List<JsonNode>();
        while (await socket.ReceiveJson(timeoutMs: 300_000) is { } message)
        {
            if (message["sequence"] is null) continue; // connection_status: this connection's, not the session's
            messages.Add(message);
            if ((string?)message["type"] == "training_status" && (string?)message["data"]!["status"] is "completed" or "failed" or "cancelled") break;
        }
        return messages;
    }

    [Fact]
    public async Task Six_jobs_queued_on_the_api_node_spread_over_two_workers_and_its_spectators_get_every_message_in_order()
    {
        using var cluster = await Cluster.StartAsync();
        var client = cluster.Client;
        const int Iterations = 5;
        var jobs = new List<long>();
        for (int i = 0; i < 6; i++) jobs.Add((await QueueJobAsync(client, $"spread-{i}", Iterations, seed: i + 1)).Job);
        var streams = await Task.WhenAll(jobs.Select(id => WatchUntilFinishedAsync(cluster.Api.Url, id)));

        var workers = new HashSet<string>();
        foreach (var (id, messages) in jobs.Zip(streams))
        {
            var job = await client.GetJson($"/api/training-jobs/{id}");
            Assert.True((string)job["status"]! == "completed", $"job {id}: {job}\n{cluster.Logs}");
            workers.Add((string)job["worker"]!);
            // In order, none twice, none missing: the session's sequence numbers from 1 without a gap.
            Assert.Equal(Enumerable.Range(1, messages.Count).Select(n => (long)n), messages.Select(m => (long)m["sequence"]!));
            Assert.All(messages, m => Assert.Equal($"job-{id}", (string)m["session_id"]!));
            var iterations = messages.Where(m => (string)m["type"]! == "training_metrics").Select(m => (int)m["data"]!["iteration"]!);
            Assert.Equal(Enumerable.Range(1, Iterations), iterations);
            Assert.Equal(["pending", "queued", "running", "completed"], messages.Where(m => (string)m["type"]! == "training_status").Select(m => (string)m["data"]!["status"]!));
        }
        Assert.Equal(["worker-1", "worker-2"], workers.Order());

        var status = await client.GetJson("/status");
        Assert.Equal("api", (string)status["role"]!);
        Assert.Equal(["worker-1", "worker-2"], status["nodes"]!.AsArray().Select(n => (string)n!["name"]!).Order());
    }

    [Fact]
    public async Task A_job_whose_worker_is_killed_resumes_on_the_other_worker_from_its_checkpoint_and_its_model_is_served_by_the_api_node()
    {
        using var cluster = await Cluster.StartAsync();
        var client = cluster.Client;
        const int Iterations = 40;
        var (fighter, jobId) = await QueueJobAsync(client, "failover", Iterations, seed: 3);
        // Past a checkpoint (every 2 iterations) and well before the end.
        var running = await client.WaitForJob(jobId, j => (int)j["iteration"]! >= 7);
        string first = (string)running["worker"]!;
        cluster.Workers[first].Kill();
        Assert.True((int)running["iteration"]! < Iterations, "the job finished before the kill; make it longer");

        var done = await client.WaitForJob(jobId, j => (string)j["status"]! == "completed", timeoutSeconds: 300);
        string second = (string)done["worker"]!;
        Assert.NotEqual(first, second);
        Assert.Equal(2, (int)done["attempts"]!);
        Assert.Contains($"Training job {jobId}: its checkpoint was fetched from the database", cluster.Workers[second].Log);
        Assert.Contains("resumes from its checkpoint", cluster.Workers[second].Log);
        var metrics = (await client.GetJson($"/api/training-jobs/{jobId}/metrics")).AsArray();
        Assert.Equal(Enumerable.Range(1, Iterations), metrics.Select(m => (int)m!["iteration_number"]!));

        // The api node never had the model on its disk: it reads it from the database.
        var model = await client.GetAsync($"/api/fighter-profiles/{fighter}/failover/model");
        Assert.Equal(200, (int)model.StatusCode);
        Assert.True((await model.Content.ReadAsByteArrayAsync()).Length > 1000);
        var decision = await client.PostJson($"/api/fighters/{fighter}/inference", new { observation = Api.Observation(), profile_name = "failover" }, status: 200);
        Assert.Equal(1, (int)decision["model_info"]!["model_version"]!);
        var nodes = (await client.GetJson("/health"))["nodes"]!.AsArray();
        // The dead worker is listed as not alive until a live one recovers its jobs, which removes its check-in row.
        Assert.DoesNotContain(nodes, n => (string)n!["name"]! == first && (bool)n["alive"]!);
    }
}
