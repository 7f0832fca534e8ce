using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Ringside.Sim;

namespace Ringside.Server.Tests;

/// <summary>Live matches, replays and their streams through real WebSocket clients.</summary>
public sealed class SqliteRealtimeTests(SqliteServer server) : RealtimeTests(server), IClassFixture<SqliteServer>;
public sealed class PostgresRealtimeTests(PostgresServer server) : RealtimeTests(server), IClassFixture<PostgresServer>;

public abstract class RealtimeTests(RingsideFactory server)
{
    private readonly HttpClient _client = server.CreateClient();

    private async Task<WebSocket> Connect(string path)
    {
        var ws = server.Server.CreateWebSocketClient();
        return await ws.ConnectAsync(new Uri(server.Server.BaseAddress, path.Replace("http", "ws")), CancellationToken.None);
    }

    private static Task<JsonNode?> Receive(WebSocket socket) => socket.ReceiveJson();

    /// <summary>The next message of a type, skipping others (states keep coming meanwhile).</summary>
    private static async Task<JsonNode> Next(WebSocket socket, string type)
    {
        while (true)
        {
            var message = await Receive(socket) ?? throw new Xunit.Sdk.XunitException($"the stream closed before a {type} message");
            if ((string)message["type"]! == type) return message;
        }
    }

    private static Task Send(WebSocket socket, string text) => socket.SendText(text);

    /// <summary>Reads messages until match_end, passing each state to <paramref name="onState"/>.</summary>
    private static async Task<JsonNode> UntilEnd(WebSocket socket, Func<JsonNode, Task>? onState = null)
    {
        while (true)
        {
            var message = await Receive(socket) ?? throw new Xunit.Sdk.XunitException("the stream closed before match_end");
            string type = (string)message["type"]!;
            if (type == "match_end") return message;
            if (type == "state" && onState is not null) await onState(message);
        }
    }

    private async Task<long> Fighter() =>
        (long)(await _client.PostJson("/api/fighters", new { glb_filename = server.NewGlb() }))["id"]!;

    [Fact]
    public async Task A_live_match_between_bots_streams_states_and_stores_result_ratings_episodes_and_replay()
    {
        long a = await Fighter(), b = await Fighter(), c = await Fighter();
        var created = await _client.PostJson("/api/matches", new
        {
            fighters = new object[]
            {
                new { fighter_id = a, controller = "bot", bot = "chaser" }, new { fighter_id = b, controller = "bot", bot = "random" },
                new { fighter_id = c, controller = "default" },
            },
            // It starts when the spectator has joined, so the spectator sees it run from the first tick.
            seed = 11,
            max_seconds = 20,
            speed = 5,
            wait_for_spectator = true,
        });
        long id = (long)created["id"]!;
        Assert.Empty(created["player_tokens"]!.AsObject());
        Assert.Equal("bot", (string)created["fighters"]![2]!["controller"]!); // default AI without a trained profile is the chaser

        using var spectator = await Connect((string)created["ws_url"]!);
        var info = await Receive(spectator);
        Assert.Equal("match_info", (string)info!["type"]!);
        int states = 0, lastTick = -1;
        var end = await UntilEnd(spectator, state =>
        {
            states++;
            int tick = (int)state["tick"]!;
            Assert.True(tick > lastTick, "states arrive in order");
            lastTick = tick;
            Assert.Equal(3, state["fighters"]!.AsArray().Count);
            return Task.CompletedTask;
        });
        Assert.True(states > 10);
        int ticks = (int)end["ticks"]!;
        long replayId = (long)end["replay_id"]!;

        var match = await _client.GetJson($"/api/matches/{id}");
        Assert.Equal("finished", (string)match["status"]!);
        Assert.Equal(ticks, (int)match["ticks"]!);
        var participants = match["participants"]!.AsArray();
        Assert.Equal(3, participants.Count);
        Assert.Contains(participants, p => (int)p!["placement"]! == 1);
        Assert.All(participants, p => Assert.NotEqual((double)p!["rating_before"]!, (double)p["rating_after"]!));

        var history = (await _client.GetJson($"/api/matches?fighter_id={a}")).AsArray();
        Assert.Contains(history, m => (long)m!["id"]! == id);
        var ratings = (await _client.GetJson("/api/ratings")).AsArray();
        Assert.Contains(ratings, r => (string)r!["player"]! == "bot:chaser");

        var stats = await _client.GetJson($"/api/fighters/{a}/stats");
        Assert.Equal(1, (long)stats["total_episodes"]!);
        Assert.True((long)stats["total_frames"]! > 0);

        // The stored replay re-simulates the match exactly: its last frame is the end the stream showed.
        var replay = await _client.GetJson($"/api/replays/{replayId}");
        Assert.Equal(ticks, (int)replay["ticks"]!);
        var slots = replay["slots"]!.AsArray();
        Assert.Equal(new[] { a, b, c }, slots.Select(s => (long)s!["fighter_id"]!));
        Assert.Equal("bot:chaser", (string)slots[0]!["controller"]!);
        var page = await _client.GetJson($"/api/replays/{replayId}/frames?offset={ticks}&limit=10");
        Assert.Equal(ticks + 1, (int)page["total"]!);
        Assert.Equal(ticks, (int)page["frames"]![0]!["tick"]!);
        var listed = (await _client.GetJson($"/api/replays?fighter_id={b}&kind=match")).AsArray();
        Assert.Contains(listed, r => (long)r!["id"]! == replayId);
        Assert.Empty((await _client.GetJson($"/api/replays?fighter_id={b}&kind=evaluation")).AsArray());
    }

    [Fact]
    public async Task A_replay_streamed_over_websocket_equals_the_same_replay_over_http()
    {
        long a = await Fighter(), b = await Fighter();
        var created = await _client.PostJson("/api/matches", new
        {
            fighters = new object[] { new { fighter_id = a, controller = "bot", bot = "chaser" }, new { fighter_id = b, controller = "bot", bot = "cautious" } },
            seed = 5,
            max_seconds = 10,
            speed = 50,
        });
        using (var watch = await Connect((string)created["ws_url"]!)) await UntilEnd(watch);
        long replayId = (long)(await _client.GetJson($"/api/matches/{(long)created["id"]!}"))["replay_id"]!;

        var http = new JsonArray();
        for (int offset = 0; ; offset += 100)
        {
            var page = await _client.GetJson($"/api/replays/{replayId}/frames?offset={offset}&limit=100");
            foreach (var f in page["frames"]!.AsArray()) http.Add(f!.DeepClone());
            if (offset + 100 >= (int)page["total"]!) break;
        }

        using var stream = await Connect($"/ws/replays/{replayId}/frames?batch_size=64&max_chunk_bytes=8192");
        var ws = new JsonArray();
        int chunks = 0;
        while (await Receive(stream) is { } message)
        {
            if ((string)message["type"]! == "replay_end") { Assert.Equal(http.Count, (int)message["frames"]!); break; }
            Assert.Equal("replay_chunk", (string)message["type"]!);
            Assert.Equal(ws.Count, (int)message["offset"]!);
            var frames = message["frames"]!.AsArray();
            Assert.InRange(frames.Count, 1, 64);
            Assert.True(Encoding.UTF8.GetByteCount(message.ToJsonString()) <= 8192 + 200);
            foreach (var f in frames) ws.Add(f!.DeepClone());
            chunks++;
        }
        Assert.True(chunks > 1);
        Assert.Equal(http.ToJsonString(), ws.ToJsonString());
    }

    [Fact]
    public async Task A_humans_input_changes_the_outcome_and_bad_messages_get_an_error_on_an_open_connection()
    {
        long human = await Fighter(), dummy = await Fighter();
        async Task<(JsonNode End, JsonNode Created)> Play(bool fight)
        {
            var created = await _client.PostJson("/api/matches", new
            {
                fighters = new object[] { new { fighter_id = human, controller = "human" }, new { fighter_id = dummy, controller = "bot", bot = "idle" } },
                seed = 21,
                max_seconds = 15,
                speed = 4,
            });
            string token = (string)created["player_tokens"]!["0"]!;
            using var player = await Connect($"{(string)created["ws_url"]!}?player_token={token}");
            var info = await Receive(player);
            Assert.Equal(0, (int)info!["you"]!);
            await Send(player, "this is not json");
            Assert.Contains("not valid JSON", (string)(await Next(player, "error"))["message"]!);
            await Send(player, "{\"type\":\"input\",\"action\":12}");
            Assert.Contains("0 to 9", (string)(await Next(player, "error"))["message"]!);
            int lastAction = -1;
            var end = await UntilEnd(player, async state =>
            {
                if (!fight) return;
                // Walk at the idle dummy and strike when close: the human plays through the stream, like the browser.
                var me = state["fighters"]![0]!; var it = state["fighters"]![1]!;
                float dx = (float)it["x"]! - (float)me["x"]!, dy = (float)it["y"]! - (float)me["y"]!;
                int action = dx * dx + dy * dy < 1.3f * 1.3f ? Contract.Attack : Contract.MoveToward(dx, dy);
                if (action != lastAction) { await Send(player, $"{{\"type\":\"input\",\"action\":{action}}}"); lastAction = action; }
            });
            return (end, created);
        }

        var (passive, _) = await Play(fight: false);
        Assert.Equal(-1, (int)passive["winner_slot"]!); // two idle fighters: a draw at the time limit
        var (active, _) = await Play(fight: true);
        Assert.Equal(0, (int)active["winner_slot"]!);   // the human's inputs won it
    }

    [Fact]
    public async Task Bad_match_requests_name_the_field()
    {
        long a = await Fighter();
        await (await _client.PostAsJsonAsync("/api/matches", new { fighters = new object[] { new { fighter_id = a, controller = "human" } } })).Problem(400, "fighters");
        await (await _client.PostAsJsonAsync("/api/matches", new { fighters = new object[] { new { fighter_id = a, controller = "human" }, new { fighter_id = a, controller = "wizard" } } })).Problem(400, "fighters[1].controller");
        await (await _client.PostAsJsonAsync("/api/matches", new { fighters = new object[] { new { fighter_id = a, controller = "human" }, new { fighter_id = 99999, controller = "human" } } })).Problem(404, "fighters[1].fighter_id");
        await (await _client.PostAsJsonAsync("/api/matches", new { fighters = new object[] { new { fighter_id = a, controller = "bot", bot = "ninja" }, new { fighter_id = a, controller = "human" } } })).Problem(400, "fighters[0].bot");
        await (await _client.PostAsJsonAsync("/api/matches", new { fighters = new object[] { new { fighter_id = a, controller = "profile", profile_name = "nope" }, new { fighter_id = a, controller = "human" } } })).Problem(404, "fighters[0].profile_name");
        await (await _client.GetAsync("/api/matches/99999")).Problem(404, "id");
        await (await _client.GetAsync("/api/replays/99999/frames")).Problem(404, "id");
        await (await _client.GetAsync("/api/replays?kind=movie")).Problem(400, "kind");
    }
}
