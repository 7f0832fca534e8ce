using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;

namespace Ringside.Server.Tests;

/// <summary>Seed 003's training sessions through the REST API and real WebSocket clients.</summary>
public sealed class SessionTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private readonly HttpClient _client = server.CreateClient();

    private Task<WebSocket> Connect(string path) =>
        server.ConnectWebSocketAsync(path);

    private static Task<JsonNode?> Receive(WebSocket socket) => socket.ReceiveJson();

    private static Task Send(WebSocket socket, string text) => socket.SendText(text);

    private async Task<string> NewSession(object? body = null) =>
        (string)(await _client.PostJson("/api/training/sessions", body ?? new { training_id = "t", algorithm = "PPO", total_episodes = 100 }))["session_id"]!;

    private async Task ConnectWebSocketExpecting(string path, HttpStatusCode status)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Connect(path));
        Assert.Contains(((int)status).ToString(), e.Message);
    }

    [Fact]
    public async Task Deleting_a_session_closes_its_spectators_with_a_close_frame_that_says_why()
    {
        string id = await NewSession();
        using var socket = await Connect($"/ws/{id}");
        Assert.Equal("connection_status", (string)(await Receive(socket))!["type"]!);
        await _client.DeleteAsync($"/api/training/sessions/{id}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await socket.ReceiveAsync(new byte[1 << 16], timeout.Token);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType); // a close frame, not a cut connection
        Assert.Equal(WebSocketCloseStatus.NormalClosure, result.CloseStatus);
        Assert.Equal("the session was deleted", result.CloseStatusDescription);
        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
    }

    [Fact]
    public async Task Sessions_are_created_listed_updated_deleted_and_report_status()
    {
        string id = await NewSession(new { session_id = "my_training_001", training_id = "my_training_001", algorithm = "DQN", model_generation = 2, total_episodes = 1000 });
        Assert.Equal("my_training_001", id);
        await (await _client.PostAsJsonAsync("/api/training/sessions", new { session_id = id })).Problem(409, "session_id");
        await (await _client.PostAsJsonAsync("/api/training/sessions", new { session_id = "bad id!" })).Problem(400, "session_id");
        Assert.Contains((await _client.GetJson("/api/training/sessions")).AsArray(), s => (string)s!["session_id"]! == id);
        Assert.Equal("DQN", (string)(await _client.GetJson($"/api/training/sessions/{id}"))["algorithm"]!);
        var updated = await (await _client.PutAsJsonAsync($"/api/training/sessions/{id}", new { status = "paused" })).Json200();
        Assert.Equal("paused", (string)updated["status"]!);
        await (await _client.PutAsJsonAsync($"/api/training/sessions/{id}", new { status = "sleeping" })).Problem(400, "status");
        var status = await _client.GetJson("/status");
        Assert.True((int)status["sessions"]! >= 1);
        Assert.True((long)status["messages_published"]! >= 1); // the status change was published
        Assert.Equal(HttpStatusCode.NoContent, (await _client.DeleteAsync($"/api/training/sessions/{id}")).StatusCode);
        await (await _client.GetAsync($"/api/training/sessions/{id}")).Problem(404, "session_id");
    }

    [Fact]
    public async Task History_filters_by_type_time_and_episode_and_pages_in_order()
    {
        string id = await NewSession();
        DateTime before = DateTime.UtcNow;
        for (int e = 1; e <= 30; e++)
        {
            await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = e, current_reward = e * 1.5, win_rate = 50.0 }, status: 202);
            if (e % 10 == 0) await _client.PostJson($"/api/training/sessions/{id}/graph_update", new { graph_id = "reward_progress", episode = e }, status: 202);
        }
        await _client.PostJson($"/api/training/sessions/{id}/bot_decision", new { action_probabilities = new { move_e = 0.7, attack = 0.3 }, selected_action = "move_e" }, status: 202);
        await (await _client.PostRaw($"/api/training/sessions/{id}/metrics", "[1,2]")).Problem(400, "body");

        var all = await _client.GetJson($"/api/training/sessions/{id}/history?limit=1000");
        Assert.Equal(34, (int)all["total"]!);
        var sequences = all["messages"]!.AsArray().Select(m => (long)m!["sequence"]!).ToList();
        Assert.Equal(sequences.OrderBy(x => x), sequences);

        var metrics = await _client.GetJson($"/api/training/sessions/{id}/history?message_type=training_metrics&episode_min=11&episode_max=20&offset=2&limit=5");
        Assert.Equal(10, (int)metrics["total"]!);
        Assert.Equal(new[] { 13, 14, 15, 16, 17 }, metrics["messages"]!.AsArray().Select(m => (int)m!["episode"]!));
        Assert.All(metrics["messages"]!.AsArray(), m => Assert.Equal("training_metrics", (string)m!["type"]!));

        var graphs = await _client.GetJson($"/api/training/sessions/{id}/history?message_type=graph_update");
        Assert.Equal(3, (int)graphs["total"]!);
        var none = await _client.GetJson($"/api/training/sessions/{id}/history?end_time={Uri.EscapeDataString(before.AddSeconds(-5).ToString("O"))}");
        Assert.Equal(0, (int)none["total"]!);
        var recent = await _client.GetJson($"/api/training/sessions/{id}/history?start_time={Uri.EscapeDataString(before.AddSeconds(-5).ToString("O"))}");
        Assert.Equal(34, (int)recent["total"]!);
        await (await _client.GetAsync($"/api/training/sessions/{id}/history?message_type=gossip")).Problem(400, "message_type");
    }

    [Fact]
    public async Task Spectators_subscribe_to_types_get_errors_for_bad_messages_and_receive_in_order()
    {
        string id = await NewSession();
        using var all = await Connect($"/ws/{id}?user_name=Spectator1");
        using var picky = await Connect($"/ws/{id}?user_name=Spectator2");
        Assert.Equal("connection_status", (string)(await Receive(all))!["type"]!);
        Assert.Equal("connected", (string)(await Receive(picky))!["data"]!["status"]!);

        await Send(picky, "{nonsense");
        Assert.Equal("error", (string)(await Receive(picky))!["type"]!);
        await Send(picky, "{\"type\":\"subscribe\",\"message_types\":[\"telepathy\"]}");
        Assert.Equal("error", (string)(await Receive(picky))!["type"]!);
        await Send(picky, "{\"type\":\"subscribe\",\"message_types\":[\"training_metrics\"]}"); // still open after the errors
        Assert.Equal("subscribed", (string)(await Receive(picky))!["data"]!["status"]!);

        for (int e = 1; e <= 20; e++)
        {
            await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = e }, status: 202);
            await _client.PostJson($"/api/training/sessions/{id}/graph_update", new { episode = e }, status: 202);
        }
        var got = new List<(string Type, int Episode)>();
        for (int i = 0; i < 40; i++) { var m = (await Receive(all))!; got.Add(((string)m["type"]!, (int)m["data"]!["episode"]!)); }
        Assert.Equal(Enumerable.Range(1, 20).SelectMany(e => new[] { ("training_metrics", e), ("graph_update", e) }), got);
        for (int e = 1; e <= 20; e++)
        {
            var m = (await Receive(picky))!;
            Assert.Equal("training_metrics", (string)m["type"]!);
            Assert.Equal(e, (int)m["data"]!["episode"]!);
        }
    }

    [Fact]
    public async Task A_late_or_returning_spectator_gets_the_stored_messages_it_missed_then_the_live_ones_without_gap_or_repeat()
    {
        string id = await NewSession();
        for (int e = 1; e <= 5; e++)
        {
            await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = e }, status: 202);
            await _client.PostJson($"/api/training/sessions/{id}/graph_update", new { episode = e }, status: 202);
        }
        // A page that opens after the job made progress: everything it asked for, in order, then the live stream.
        using (var late = await Connect($"/ws/{id}?after_sequence=0&message_types=training_metrics"))
        {
            Assert.Equal("connected", (string)(await Receive(late))!["data"]!["status"]!);
            await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 6 }, status: 202);
            var episodes = new List<int>();
            long last = 0;
            for (int i = 0; i < 6; i++)
            {
                var m = (await Receive(late))!;
                Assert.Equal("training_metrics", (string)m["type"]!);
                Assert.True((long)m["sequence"]! > last);
                last = (long)m["sequence"]!;
                episodes.Add((int)m["data"]!["episode"]!);
            }
            Assert.Equal(Enumerable.Range(1, 6), episodes);

            // Reconnecting after the last message it saw: only what came since.
            await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 7 }, status: 202);
            using var back = await Connect($"/ws/{id}?after_sequence={last}&message_types=training_metrics");
            Assert.Equal("connected", (string)(await Receive(back))!["data"]!["status"]!);
            Assert.Equal(7, (int)(await Receive(back))!["data"]!["episode"]!);
        }
        // Without after_sequence only new messages come, as before.
        using var plain = await Connect($"/ws/{id}");
        Assert.Equal("connected", (string)(await Receive(plain))!["data"]!["status"]!);
        await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 8 }, status: 202);
        Assert.Equal(8, (int)(await Receive(plain))!["data"]!["episode"]!);
        await ConnectWebSocketExpecting($"/ws/{id}?after_sequence=-1", HttpStatusCode.BadRequest);
        await ConnectWebSocketExpecting($"/ws/{id}?message_types=telepathy", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Password_rooms_and_connection_limits_are_enforced()
    {
        var room = await _client.PostJson("/api/training/sessions", new { training_id = "secret", password_protected = true, max_spectators = 2 });
        string id = (string)room["session_id"]!, code = (string)room["room_code"]!, password = (string)room["room_password"]!;
        Assert.True((bool)room["password_protected"]!);
        Assert.Null((await _client.GetJson($"/api/training/sessions/{id}?password={password}"))["room_password"]); // shown once, at creation

        await ConnectWebSocketExpecting($"/ws/{id}", HttpStatusCode.Forbidden);
        await ConnectWebSocketExpecting($"/ws/{id}?password=wrong", HttpStatusCode.Forbidden);
        using var first = await Connect($"/ws/{id}?password={password}");
        using var second = await Connect($"/ws/{code}?password={password}"); // the room code works as the address too
        Assert.Equal(id, (string)(await Receive(second))!["session_id"]!);
        await ConnectWebSocketExpecting($"/ws/{id}?password={password}", HttpStatusCode.TooManyRequests); // max_spectators = 2
        await ConnectWebSocketExpecting("/ws/no-such-session", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_training_job_is_a_session_that_publishes_metrics_decisions_and_status_by_itself()
    {
        long fighter = (long)(await _client.PostJson("/api/fighters", new { glb_filename = server.NewGlb() }))["id"]!;
        var job = await _client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = "watched", total_steps = 4 * 8192, seed = 2 });
        long jobId = (long)job["id"]!;
        using var socket = await Connect($"/ws/job-{jobId}?user_name=coach"); // the session exists as soon as the job does
        Assert.Equal("connection_status", (string)(await Receive(socket))!["type"]!);
        await _client.PostAsync($"/api/training-jobs/{jobId}/execute", null);
        var seen = new Dictionary<string, int>();
        JsonNode? decision = null;
        while (true)
        {
            // Between two messages the job trains an iteration, or evaluates its model: minutes on a slow, busy machine.
            var m = await socket.ReceiveJson(timeoutMs: 300_000) ?? throw new Xunit.Sdk.XunitException("closed");
            string type = (string)m["type"]!;
            seen[type] = seen.GetValueOrDefault(type) + 1;
            if (type == "bot_decision") decision = m["data"];
            if (type == "training_status" && (string)m["data"]!["status"]! == "completed") break;
        }
        Assert.Equal(4, seen["training_metrics"]);
        Assert.Equal(4, seen["graph_update"]);
        Assert.NotNull(decision);
        var probabilities = decision!["action_probabilities"]!.AsObject();
        Assert.Equal(10, probabilities.Count);
        Assert.Equal(1.0, probabilities.Sum(p => (double)p.Value!), 2);
        Assert.Contains((string)decision["selected_action"]!, probabilities.Select(p => p.Key));
        var history = await _client.GetJson($"/api/training/sessions/job-{jobId}/history?message_type=training_metrics");
        Assert.Equal(4, (int)history["total"]!);
    }
}
