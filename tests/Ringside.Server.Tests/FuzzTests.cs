using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Ringside.Cli.Bench.Soak;
using Ringside.Server.Data;
using Ringside.Server.Realtime;
using Xunit.Abstractions;

namespace Ringside.Server.Tests;

public sealed class SqliteFuzzTests(ITestOutputHelper output) : FuzzTests(output, postgres: false);
public sealed class PostgresFuzzTests(ITestOutputHelper output) : FuzzTests(output, postgres: true);

/// <summary>
/// Issue 15's property: no input gets a 5xx. A seeded generator (<see cref="HostileInputs"/>, shared with
/// <c>ringside bench soak</c>) sends 200 hostile bodies to every write operation and 60 hostile queries to every read
/// operation of /openapi/v1.json (so a new endpoint is covered without touching this test); every refused request must
/// leave every stored count as it was, and the server must be healthy after. Training jobs do not run here (no worker)
/// and the one live-match slot is held by a long match, so that nothing changes the counts behind the requests' back.
/// </summary>
public abstract class FuzzTests(ITestOutputHelper output, bool postgres) : IDisposable
{
    private const int Seed = 15;
    private const int BodiesPerWrite = 200, QueriesPerRead = 60;

    private readonly RingsideFactory _server = new(new()
    {
        ["Ringside:Training:RunWorker"] = "false",
        ["Ringside:Limits:MaxLiveMatches"] = "1",
        // Bodies of a few megabytes are enough to reach every limit below the real 32 MiB one.
        ["Ringside:Limits:MaxBodyBytes"] = (4 * 1024 * 1024).ToString(),
    }, postgres: postgres);

    private static readonly string[] Tables =
    [
        "fighters", "episodes", "fight_frames", "model_checkpoints", "training_metrics", "fighter_profiles", "training_jobs", "api_keys", "replays",
        "matches", "match_participants", "ratings",
    ];

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task No_hostile_request_gets_a_5xx_or_changes_what_is_stored()
    {
        var client = _server.CreateClient();
        var fixtures = await Fixtures.CreateAsync(client);
        var document = await client.GetJson("/openapi/v1.json");
        var operations = ApiOperation.FromOpenApi(document);
        Assert.Contains(operations, o => o.Method == "POST" && o.Path == "/api/fighters"); // the document is what this test reads
        var inputs = new HostileInputs(Seed, fixtures.ValidValue, longStringBytes: 2 * 1024 * 1024);
        var failures = new List<string>();
        int sent = 0;
        string counts = await CountsAsync();
        // Deletes last: they remove the fixtures the other operations aim at.
        foreach (var op in operations.OrderBy(o => o.Method == "DELETE"))
        {
            for (int i = 0; i < (op.Writes ? BodiesPerWrite : QueriesPerRead); i++)
            {
                var request = op.Writes ? inputs.Write(op) : inputs.Read(op);
                if (await SendAsync(client, request) is not var (status, text)) continue;
                sent++;
                var after = await CountsAsync();
                if (status >= 500) failures.Add($"{status} for {request}: {Cut(text)}");
                else if (status is < 200 or >= 300 && after != counts) failures.Add($"{status} for {request} changed what is stored: {counts} -> {after}");
                counts = after; // an accepted request may change what is stored
            }
        }
        output.WriteLine($"{sent} hostile requests over {operations.Count} operations; {failures.Count} failures");
        foreach (var f in failures.Take(40)) output.WriteLine(f);
        Assert.True(failures.Count == 0, $"{failures.Count} of {sent} hostile requests failed:\n{string.Join("\n", failures.Take(40))}");
        var health = await client.GetJson("/health");
        Assert.Equal("healthy", (string)health["status"]!);
    }

    [Fact]
    public async Task Hostile_messages_on_every_websocket_get_an_error_and_the_connection_stays_open()
    {
        var client = _server.CreateClient();
        var fixtures = await Fixtures.CreateAsync(client);
        string[] messages =
        [
            "", "null", "[]", "42", "\"text\"", "{", "{\"type\":\"\\ud800\"}", "{\"type\":5}", "{\"type\":\"subscribe\",\"message_types\":\"x\"}",
            "{\"type\":\"subscribe\",\"message_types\":[1,null,{}]}", "{\"type\":\"input\",\"action\":\"attack\"}", "{\"type\":\"input\",\"action\":1e400}",
            "{\"type\":\"input\",\"action\":-1}", "{\"type\":\"input\",\"action\":99999999999}", "{\"type\":\"unknown\"}", new string('[', 5000),
            "{\"type\":\"subscribe\",\"message_types\":[\"" + new string('x', 60_000) + "\"]}",
        ];
        foreach (string path in new[] { $"/ws/{fixtures.SessionId}", $"/ws/matches/{fixtures.MatchId}" })
        {
            var socket = await _server.ConnectWebSocketAsync(path);
            foreach (string message in messages)
            {
                await socket.SendText(message);
                var error = await NextOfType(socket, "error");
                Assert.True(error is not null, $"{path}: no error message for {Cut(message)}");
                Assert.Equal(WebSocketState.Open, socket.State);
            }
            await socket.SendAsync(new byte[] { 0xFF, 0xFE, 0x00 }, WebSocketMessageType.Binary, true, CancellationToken.None);
            Assert.NotNull(await NextOfType(socket, "error"));
            Assert.Equal(WebSocketState.Open, socket.State);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        Assert.Equal("healthy", (string)(await client.GetJson("/health"))["status"]!);
    }

    private static async Task<JsonNode?> NextOfType(WebSocket socket, string type)
    {
        while (await socket.ReceiveJson() is { } message)
            if ((string?)message["type"] == type) return message;
        return null;
    }

    /// <summary>The answer, or null for a target the test host cannot even build a request from (a path with NUL: Kestrel answers it 400).</summary>
    private static async Task<(int Status, string Text)?> SendAsync(HttpClient client, HostileRequest r)
    {
        using var message = new HttpRequestMessage(new HttpMethod(r.Method), r.Target);
        if (r.Body is not null)
        {
            message.Content = new ByteArrayContent(r.Body);
            if (r.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", r.ContentType);
        }
        HttpResponseMessage response;
        try { response = await client.SendAsync(message); }
        catch (InvalidOperationException e) when (e.StackTrace?.Contains("TestHost.ClientHandler", StringComparison.Ordinal) == true) { return null; }
        using (response) return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string Cut(string text) => text.Length <= 300 ? text : text[..300] + "...";

    /// <summary>Rows of every table, sessions and their messages held in memory, live matches, and files in the data folder.</summary>
    private async Task<string> CountsAsync()
    {
        var db = _server.Services.GetRequiredService<Database>();
        string sql = "SELECT " + string.Join(", ", Tables.Select(t => $"(SELECT COUNT(*) FROM {t}) AS {t}"));
        var row = (IDictionary<string, object>)await db.ReadAsync(c => c.QuerySingleAsync(sql)); // one round trip
        var rows = Tables.Select(t => $"{t}={row[t]}").ToList();
        var sessions = _server.Services.GetRequiredService<TrainingSessions>().All;
        rows.Add($"sessions={sessions.Count}");
        rows.Add($"session_messages={sessions.Sum(s => s.MessageCount)}");
        rows.Add($"live_matches={_server.Services.GetRequiredService<LiveMatches>().Running}");
        rows.Add($"files={Directory.EnumerateFiles(_server.DataDir, "*", SearchOption.AllDirectories).Count(f => !f.Contains("ringside.db", StringComparison.Ordinal))}");
        return string.Join(' ', rows);
    }

    /// <summary>What the hostile requests aim at, so that they get past "not found" into each endpoint's validation.</summary>
    private sealed record Fixtures(long FighterId, string ProfileName, string GlbFilename, long EpisodeId, long JobId, string SessionId, long MatchId)
    {
        public static async Task<Fixtures> CreateAsync(HttpClient client)
        {
            var fighter = (await client.GetJson("/api/fighters")).AsArray()[0]!;
            long fighterId = (long)fighter["id"]!;
            long episode = (long)(await client.PostJson("/api/episodes", new { fighter_id = fighterId }))["id"]!;
            long job = (long)(await client.PostJson("/api/training-jobs", new { fighter_id = fighterId, profile_name = "fuzz", sliders = new { aggression = 50 } }))["id"]!;
            string session = (string)(await client.PostJson("/api/training/sessions", new { training_id = "fuzz", algorithm = "PPO", total_episodes = 10 }))["session_id"]!;
            // Holds the only live-match slot for the whole run: valid match requests get 429 and no match ends during the fuzz.
            long match = (long)(await client.PostJson("/api/matches", new
            {
                fighters = new[] { new { fighter_id = fighterId, controller = "bot", bot = "idle" }, new { fighter_id = fighterId, controller = "bot", bot = "idle" } },
                max_seconds = 600,
                wait_for_spectator = true,
            }))["id"]!;
            return new Fixtures(fighterId, "signature", (string)fighter["glb_filename"]!, episode, job, session, match);
        }

        public string? ValidValue(string name) => name switch
        {
            "fighter_id" or "fighterId" => FighterId.ToString(),
            "profile_name" or "profileName" => ProfileName,
            "glb_filename" => GlbFilename,
            "episode_id" => EpisodeId.ToString(),
            "job_id" => JobId.ToString(),
            "session_id" or "sessionId" => SessionId,
            _ => null,
        };
    }
}
