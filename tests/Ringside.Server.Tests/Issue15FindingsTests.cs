using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;

namespace Ringside.Server.Tests;

/// <summary>Issue 15's smaller findings, each as it should be now.</summary>
public sealed class Issue15FindingsTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private readonly HttpClient _client = server.CreateClient();

    private Task<WebSocket> Connect(string path) =>
        server.ConnectWebSocketAsync(path);

    [Fact]
    public async Task Status_counts_match_viewers_and_session_spectators_as_connections()
    {
        var fighters = (await _client.GetJson("/api/fighters")).AsArray().Select(f => (long)f!["id"]!).Take(2).ToArray();
        long match = (long)(await _client.PostJson("/api/matches", new
        {
            fighters = fighters.Select(id => new { fighter_id = id, controller = "bot", bot = "idle" }).ToArray(),
            max_seconds = 600,
            wait_for_spectator = true,
        }))["id"]!;
        string session = (string)(await _client.PostJson("/api/training/sessions", new { training_id = "t" }))["session_id"]!;
        var before = await _client.GetJson("/status");
        var viewers = new[] { await Connect($"/ws/matches/{match}"), await Connect($"/ws/matches/{match}") };
        foreach (var v in viewers) Assert.Equal("match_info", (string)(await v.ReceiveJson())!["type"]!);
        var spectator = await Connect($"/ws/{session}");
        Assert.Equal("connection_status", (string)(await spectator.ReceiveJson())!["type"]!);

        var status = await _client.GetJson("/status");
        Assert.Equal((int)before["connections"]! + 3, (int)status["connections"]!);
        Assert.Equal((int)before["connections_by_stream"]!["matches"]! + 2, (int)status["connections_by_stream"]!["matches"]!);
        Assert.Equal((int)before["connections_by_stream"]!["sessions"]! + 1, (int)status["connections_by_stream"]!["sessions"]!);
        Assert.True((long)status["memory"]!["working_set_bytes"]! > 0 && (long)status["memory"]!["gc_heap_bytes"]! > 0);

        foreach (var v in viewers) await v.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        await spectator.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        for (int i = 0; i < 100 && (int)(await _client.GetJson("/status"))["connections"]! != (int)before["connections"]!; i++) await Task.Delay(50);
        Assert.Equal((int)before["connections"]!, (int)(await _client.GetJson("/status"))["connections"]!);
    }

    [Theory]
    [InlineData("/api/matches?limit={0}")]
    [InlineData("/api/replays?limit={0}")]
    [InlineData("/api/training-jobs?limit={0}")]
    [InlineData("/api/fighters/1/episodes?limit={0}")]
    [InlineData("/api/episodes/{1}/frames?limit={0}")]
    public async Task Every_list_of_records_takes_a_limit_up_to_the_documented_page_size(string template)
    {
        long episode = (long)(await _client.PostJson("/api/episodes", new { fighter_id = 1 }))["id"]!;
        const int MaxPageSize = 1000; // docs/SERVER.md, Ringside:Limits:MaxPageSize
        Assert.Equal(200, (int)(await _client.GetAsync(string.Format(template, MaxPageSize, episode))).StatusCode);
        await (await _client.GetAsync(string.Format(template, MaxPageSize + 1, episode))).Problem(400, "limit");
    }

    [Theory]
    [InlineData("/api/training/sessions/{1}/history?limit={0}")]
    [InlineData("/api/training-jobs/{2}/metrics?limit={0}")]
    public async Task Every_series_takes_a_limit_up_to_ten_thousand_points(string template)
    {
        string session = (string)(await _client.PostJson("/api/training/sessions", new { training_id = "t" }))["session_id"]!;
        long job = (long)(await _client.PostJson("/api/training-jobs", new { fighter_id = 1, profile_name = "paging", sliders = new { aggression = 50 } }))["id"]!;
        Assert.Equal(200, (int)(await _client.GetAsync(string.Format(template, 10_000, session, job))).StatusCode);
        await (await _client.GetAsync(string.Format(template, 10_001, session, job))).Problem(400, "limit");
    }

    [Fact]
    public async Task A_step_budget_is_rounded_up_to_whole_iterations_and_the_job_says_so()
    {
        var job = await _client.PostJson("/api/training-jobs", new { fighter_id = 1, profile_name = "rounded", sliders = new { aggression = 50 }, total_steps = 100_000 });
        Assert.Equal(8192, (long)job["steps_per_iteration"]!);
        Assert.Equal(13 * 8192, (long)job["total_steps"]!); // 100,000 is 12.2 iterations: the job runs 13, and says 106,496
        var changed = await (await _client.PatchAsync($"/api/training-jobs/{job["id"]}", JsonContent(new { total_steps = 8193 }))).Json200();
        Assert.Equal(2 * 8192, (long)changed["total_steps"]!);
        var exact = await _client.PostJson("/api/training-jobs", new { fighter_id = 1, profile_name = "exact", sliders = new { aggression = 50 }, total_steps = 3 * 8192 });
        Assert.Equal(3 * 8192, (long)exact["total_steps"]!);
    }

    [Theory]
    [InlineData(".glb", 400)]
    [InlineData("..glb", 400)]
    [InlineData("a b.glb", 400)]
    [InlineData("nowhere.glb", 404)]
    public async Task A_fighter_cannot_be_registered_with_a_model_file_that_is_not_there_or_not_a_name(string file, int status)
    {
        int before = (await _client.GetJson("/api/fighters")).AsArray().Count;
        await (await _client.PostAsync("/api/fighters", JsonContent(new { glb_filename = file }))).Problem(status, "glb_filename");
        Assert.Equal(before, (await _client.GetJson("/api/fighters")).AsArray().Count);
        string present = server.NewGlb();
        await _client.PostJson("/api/fighters", new { glb_filename = present }); // a file in the fighters folder registers
    }

    private static StringContent JsonContent(object body) =>
        new(System.Text.Json.JsonSerializer.Serialize(body), System.Text.Encoding.UTF8, "application/json");
}
