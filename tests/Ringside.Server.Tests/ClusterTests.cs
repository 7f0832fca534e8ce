using System.Net.Http.Headers;
using System.Net.Http.Json;
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
        /// <summary>Api nodes after the first: "api-2", ...</summary>
        public Dictionary<string, ServerProcess> MoreApis { get; } = [];
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
        /// <param name="settings">more settings for every node (Ringside__Section__Key).</param>
        public static async Task<Cluster> StartAsync(int workers = 2, int apis = 1, Dictionary<string, string>? settings = null)
        {
            settings = new Dictionary<string, string>(settings ?? [])
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
                for (int i = 2; i <= apis; i++)
                {
                    var api = cluster.Start(settings, "api", $"api-{i}");
                    cluster.MoreApis[$"api-{i}"] = api;
                    await api.WaitHealthyAsync(cluster.Client);
                }
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

        public string Logs => string.Join("\n", MoreApis.Concat(Workers).Select(w => $"--- {w.Key}:\n{w.Value.Log}").Prepend("--- api:\n" + Api.Log));

        public void Dispose()
        {
            Client.Dispose();
            foreach (var w in Workers.Values.Concat(MoreApis.Values)) w.Dispose();
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

    private const string Key = "rk_cluster_test_key_0123456789";

    private static HttpClient ClientOf(ServerProcess node) =>
        new() { BaseAddress = node.Url, DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", Key) } };

    /// <summary>A WebSocket to a node's stream of a match, with the key as a browser sends it (a subprotocol) or as a script does (a header).</summary>
    private static async Task<ClientWebSocket> ConnectAsync(ServerProcess node, long match, string query = "", bool keyAsSubprotocol = false, string? key = Key)
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (key is not null && keyAsSubprotocol) { socket.Options.AddSubProtocol("ringside"); socket.Options.AddSubProtocol($"ringside.key.{key}"); }
        else if (key is not null) socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        await socket.ConnectAsync(new Uri($"ws://{node.Url.Authority}/ws/matches/{match}{query}"), CancellationToken.None);
        return socket;
    }

    /// <summary>The HTTP status a node answers a WebSocket request with when it does not accept it.</summary>
    private static async Task<int> RefusedWithAsync(ServerProcess node, long match, string query = "", string? key = Key)
    {
        try { using var socket = await ConnectAsync(node, match, query, key: key); }
        catch (WebSocketException)
        {
            using var probe = new ClientWebSocket();
            probe.Options.CollectHttpResponseDetails = true;
            if (key is not null) probe.Options.SetRequestHeader("Authorization", $"Bearer {key}");
            try { await probe.ConnectAsync(new Uri($"ws://{node.Url.Authority}/ws/matches/{match}{query}"), CancellationToken.None); }
            catch (WebSocketException) { return (int)probe.HttpStatusCode; }
        }
        Assert.Fail($"node {node.Url} accepted the WebSocket of match {match}{query}");
        return 0;
    }

    private static async Task WaitForMatchConnectionsAsync(HttpClient node, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        int open;
        while ((open = (int)(await node.GetJson("/status"))["connections_by_stream"]!["matches"]!) != count && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal(count, open);
    }

    [Fact]
    public async Task A_live_match_on_one_api_node_is_played_and_watched_through_the_other_to_its_end()
    {
        using var cluster = await Cluster.StartAsync(workers: 0, apis: 2, settings: new()
        {
            ["Ringside__Security__RequireApiKey"] = "always",
            ["Ringside__Security__ApiKey"] = Key,
        });
        var hostNode = cluster.Api;
        var otherNode = cluster.MoreApis["api-2"];
        using var host = ClientOf(hostNode);
        using var other = ClientOf(otherNode);
        var fighters = (await host.GetJson("/api/fighters")).AsArray();
        var created = await host.PostJson("/api/matches", new
        {
            fighters = new object[]
            {
                new { fighter_id = (long)fighters[0]!["id"]!, controller = "human" },
                new { fighter_id = (long)fighters[1]!["id"]!, controller = "bot", bot = "chaser" },
            },
            seed = 7,
            max_seconds = 3,
            speed = 2,
        });
        long id = (long)created["id"]!;
        string token = (string)created["player_tokens"]!["0"]!;

        // Any node says where the match runs.
        var record = await other.GetJson($"/api/matches/{id}");
        Assert.Equal("api", (string)record["node"]!);
        Assert.Equal(hostNode.Url.GetLeftPart(UriPartial.Authority), (string)record["node_url"]!);

        // The relaying node keeps the access policy, and what the host refuses is refused through it too.
        Assert.Equal(401, await RefusedWithAsync(otherNode, id, key: null));
        Assert.Equal(403, await RefusedWithAsync(otherNode, id, "?player_token=not-a-token"));
        Assert.Equal(404, await RefusedWithAsync(otherNode, id + 1000));

        // A spectator (key in a header) and the player (key as a browser sends it), both through the other node.
        using var spectator = await ConnectAsync(otherNode, id);
        var info = await spectator.ReceiveJson();
        Assert.Equal("match_info", (string)info!["type"]!);
        using var player = await ConnectAsync(otherNode, id, $"?player_token={Uri.EscapeDataString(token)}", keyAsSubprotocol: true);
        Assert.Equal("ringside", player.SubProtocol);
        var playerInfo = await player.ReceiveJson();
        Assert.Equal(0, (int)playerInfo!["you"]!);
        await player.SendText("""{"type":"input","action":9}""");
        await player.SendText("""{"type":"nonsense"}"""); // answered by the host's match, relayed back
        JsonNode? reply;
        do reply = await player.ReceiveJson(); while (reply is not null && (string)reply["type"]! != "error");
        Assert.Contains("unknown message type", (string)reply!["message"]!);

        // Every message to match_end, in order.
        var messages = new List<JsonNode> { info };
        while (await spectator.ReceiveJson() is { } message)
        {
            messages.Add(message);
            if ((string)message["type"]! == "match_end") break;
        }
        Assert.Equal("match_start", (string)messages[1]["type"]!);
        Assert.Equal("match_end", (string)messages[^1]["type"]!);
        var ticks = messages.Where(m => (string)m["type"]! == "state").Select(m => (int)m["tick"]!).ToList();
        Assert.NotEmpty(ticks);
        Assert.Equal(ticks.Order().Distinct(), ticks);
        Assert.True(ticks[^1] <= (int)messages[^1]["ticks"]!);

        // Closing the clients closes their relays to the host: no connection is left on either node.
        await spectator.CloseAsync(WebSocketCloseStatus.NormalClosure, "seen it", CancellationToken.None);
        await player.CloseAsync(WebSocketCloseStatus.NormalClosure, "played it", CancellationToken.None);
        await WaitForMatchConnectionsAsync(other, 0);
        await WaitForMatchConnectionsAsync(host, 0);

        // The finished match is in the database: every node reads it.
        var finished = await other.GetJson($"/api/matches/{id}");
        Assert.Equal("finished", (string)finished["status"]!);
        Assert.Equal(2, finished["participants"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_fighter_model_uploaded_to_one_api_node_is_served_byte_identical_by_the_other()
    {
        using var cluster = await Cluster.StartAsync(workers: 0, apis: 2);
        using var other = new HttpClient { BaseAddress = cluster.MoreApis["api-2"].Url };
        byte[] glb = Ringside.Assets.DefaultRoster.Build(Ringside.Assets.DefaultRoster.Entries[0]);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(glb) { Headers = { ContentType = new MediaTypeHeaderValue("model/gltf-binary") } }, "file", "brand-new.glb" },
            { new StringContent("Brand New"), "name" },
        };
        var fighter = await (await cluster.Client.PostAsync("/api/fighters/upload", form)).Json200(201);
        string file = (string)fighter["glb_filename"]!;

        var served = await other.GetAsync($"/fighters/{file}");
        Assert.Equal(200, (int)served.StatusCode);
        Assert.Equal("model/gltf-binary", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(glb, await served.Content.ReadAsByteArrayAsync());
        // Registering the same file on the other node finds the fighter that the upload made.
        var registered = await other.PostJson("/api/fighters", new { glb_filename = file, name = "Brand New", metadata_json = new { } }, status: 200);
        Assert.Equal((long)fighter["id"]!, (long)registered["id"]!);
        Assert.Equal(404, (int)(await other.GetAsync("/fighters/never-uploaded.glb")).StatusCode);
    }

    // ---- a trainer's training sessions, served by every api node ----

    /// <summary>A spectator of a session on one node, from its first message.</summary>
    private static async Task<ClientWebSocket> WatchAsync(ServerProcess node, string idOrRoom, string query = "")
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{node.Url.Authority}/ws/{idOrRoom}?after_sequence=0{query}"), CancellationToken.None);
        Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!);
        return socket;
    }

    /// <summary>The next <paramref name="count"/> messages of the session (connection_status, this connection's own, left out).</summary>
    private static async Task<List<JsonNode>> ReceiveMessagesAsync(ClientWebSocket socket, int count)
    {
        var messages = new List<JsonNode>();
        while (messages.Count < count && await socket.ReceiveJson() is { } message)
            if (message["sequence"] is not null) messages.Add(message);
        return messages;
    }

    /// <summary>
    /// True when the server ends the stream before any further session message. (A server-side close cancels the
    /// connection's pending receive, which aborts the socket rather than completing the close handshake, on one node too.)
    /// </summary>
    private static async Task<bool> EndsWithoutMessagesAsync(ClientWebSocket socket)
    {
        try { return (await ReceiveMessagesAsync(socket, 1)).Count == 0; }
        catch (WebSocketException) { return true; }
    }

    /// <summary>The HTTP status a node answers a session's WebSocket request with when it does not accept it.</summary>
    private static async Task<int> SessionStreamRefusedWithAsync(ServerProcess node, string idOrRoom, string query)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        try { await socket.ConnectAsync(new Uri($"ws://{node.Url.Authority}/ws/{idOrRoom}?{query}"), CancellationToken.None); }
        catch (WebSocketException) { return (int)socket.HttpStatusCode; }
        Assert.Fail($"node {node.Url} accepted the stream of {idOrRoom}?{query}");
        return 0;
    }

    [Fact]
    public async Task A_trainers_session_created_on_one_api_node_takes_messages_on_both_and_every_spectator_gets_them_once_in_one_order()
    {
        using var cluster = await Cluster.StartAsync(workers: 0, apis: 2);
        using var a = new HttpClient { BaseAddress = cluster.Api.Url };
        using var b = new HttpClient { BaseAddress = cluster.MoreApis["api-2"].Url };
        await a.PostJson("/api/training/sessions", new { session_id = "shared", training_id = "outside", total_episodes = 100 });
        Assert.Equal("outside", (string)(await b.GetJson("/api/training/sessions/shared"))["training_id"]!);
        using var onA = await WatchAsync(cluster.Api, "shared");
        using var onB = await WatchAsync(cluster.MoreApis["api-2"], "shared");

        // Over MaxNotifyBytes (1000 in these clusters) a message travels by its number and is read from the table.
        static object Metrics(int episode) => new { episode, reward = episode * 0.5, note = episode % 5 == 0 ? new string('x', 2000) : "" };
        var accepted = new List<long>();
        const int Alternating = 20, Concurrent = 40;
        for (int i = 0; i < Alternating; i++)
            accepted.Add((long)(await (i % 2 == 0 ? a : b).PostJson("/api/training/sessions/shared/metrics", Metrics(i), status: 202))["sequence"]!);
        var posts = Enumerable.Range(Alternating, Concurrent)
            .Select(i => (i % 2 == 0 ? a : b).PostJson("/api/training/sessions/shared/metrics", Metrics(i), status: 202));
        accepted.AddRange((await Task.WhenAll(posts)).Select(m => (long)m["sequence"]!));
        const int Total = Alternating + Concurrent;
        Assert.Equal(Enumerable.Range(1, Total).Select(n => (long)n), accepted.Order()); // numbered once each, no gap

        var seenOnA = await ReceiveMessagesAsync(onA, Total);
        var seenOnB = await ReceiveMessagesAsync(onB, Total);
        Assert.Equal(Enumerable.Range(1, Total).Select(n => (long)n), seenOnA.Select(m => (long)m["sequence"]!));
        Assert.Equal(seenOnA.Select(m => m.ToJsonString()), seenOnB.Select(m => m.ToJsonString()));
        // Posted one after the other, they keep the order they were posted in, whichever node took them.
        Assert.Equal(Enumerable.Range(0, Alternating), seenOnA.Take(Alternating).Select(m => (int)m["data"]!["episode"]!));
        Assert.Equal(Enumerable.Range(0, Total), seenOnA.Select(m => (int)m["data"]!["episode"]!).Order());

        var historyOnA = await a.GetJson("/api/training/sessions/shared/history?limit=1000");
        var historyOnB = await b.GetJson("/api/training/sessions/shared/history?limit=1000");
        Assert.Equal(Total, (int)historyOnA["total"]!);
        Assert.Equal(historyOnA.ToJsonString(), historyOnB.ToJsonString());
        Assert.Equal(seenOnA.Select(m => (long)m["sequence"]!), historyOnB["messages"]!.AsArray().Select(m => (long)m!["sequence"]!));

        // A status set on one node is every node's, and its training_status message reaches both spectators.
        await b.PutAsJsonAsync("/api/training/sessions/shared", new { status = "completed", total_episodes = 60 });
        Assert.Equal("completed", (string)(await ReceiveMessagesAsync(onA, 1))[0]["data"]!["status"]!);
        Assert.Equal("completed", (string)(await ReceiveMessagesAsync(onB, 1))[0]["data"]!["status"]!);
        var onNodeA = await a.GetJson("/api/training/sessions/shared");
        Assert.Equal(("completed", 60L), ((string)onNodeA["status"]!, (long)onNodeA["total_episodes"]!));
        Assert.Equal(404, (int)(await b.GetAsync("/api/training/sessions/never-created")).StatusCode);
    }

    [Fact]
    public async Task A_password_room_and_the_session_cap_hold_on_every_api_node_and_a_delete_on_one_closes_the_spectators_of_the_other()
    {
        using var cluster = await Cluster.StartAsync(workers: 0, apis: 2, settings: new() { ["Ringside__Sessions__MaxSessions"] = "2" });
        var nodeA = cluster.Api;
        var nodeB = cluster.MoreApis["api-2"];
        using var a = new HttpClient { BaseAddress = nodeA.Url };
        using var b = new HttpClient { BaseAddress = nodeB.Url };
        var room = await b.PostJson("/api/training/sessions", new { session_id = "room", password_protected = true });
        string code = (string)room["room_code"]!, password = (string)room["room_password"]!;

        Assert.Equal(403, (int)(await a.GetAsync("/api/training/sessions/room?password=wrong")).StatusCode);
        Assert.Equal(403, (int)(await a.GetAsync("/api/training/sessions/room/history")).StatusCode);
        Assert.Equal(403, await SessionStreamRefusedWithAsync(nodeA, code, "password=wrong"));
        Assert.Equal("room", (string)(await a.GetJson($"/api/training/sessions/room?password={password}"))["session_id"]!);
        using var spectator = await WatchAsync(nodeA, code, $"&password={password}"); // by its room code, on the node that did not create it

        // The cap counts the cluster's sessions, wherever they were created; the id is the cluster's too.
        await a.PostJson("/api/training/sessions", new { session_id = "second" });
        await b.PostJson("/api/training/sessions", new { session_id = "room" }, status: 409);
        await b.PostJson("/api/training/sessions", new { session_id = "third" }, status: 409);
        Assert.Equal(2, (await b.GetJson("/api/training/sessions")).AsArray().Count);

        Assert.Equal(204, (int)(await b.DeleteAsync("/api/training/sessions/room")).StatusCode);
        Assert.True(await EndsWithoutMessagesAsync(spectator));
        Assert.Equal(404, (int)(await a.GetAsync($"/api/training/sessions/room?password={password}")).StatusCode);
        Assert.Equal(404, (int)(await a.PostAsJsonAsync("/api/training/sessions/room/metrics", new { episode = 1 })).StatusCode);
        await a.PostJson("/api/training/sessions", new { session_id = "third" }); // the deleted one no longer counts
    }
}
