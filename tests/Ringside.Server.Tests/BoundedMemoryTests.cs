using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Ringside.Server.Realtime;

namespace Ringside.Server.Tests;

/// <summary>
/// What keeps a session's memory bounded (docs/SERVER.md, Limits): a size limit per published message, a byte budget
/// for the history beside its count, a size limit per WebSocket message, and finished sessions cleaned up sooner.
/// </summary>
public sealed class BoundedMemoryTests : IDisposable
{
    private const int MaxMessageBytes = 2048, HistoryBudgetBytes = 4096;

    private readonly RingsideFactory _server = new(new()
    {
        ["Ringside:Sessions:MaxMessageBytes"] = MaxMessageBytes.ToString(),
        ["Ringside:Sessions:HistoryBudgetBytes"] = HistoryBudgetBytes.ToString(),
    });

    private readonly HttpClient _client;

    public BoundedMemoryTests() => _client = _server.CreateClient();

    public void Dispose() => _server.Dispose();

    private async Task<string> NewSession() =>
        (string)(await _client.PostJson("/api/training/sessions", new { training_id = "t", algorithm = "PPO", total_episodes = 10 }))["session_id"]!;

    private static string Message(int episode, int padding) => JsonSerializer.Serialize(new { episode, note = new string('x', padding) });

    [Fact]
    public async Task A_session_message_over_the_limit_gets_413_and_is_not_stored()
    {
        string id = await NewSession();
        await (await _client.PostRaw($"/api/training/sessions/{id}/metrics", Message(1, MaxMessageBytes))).Problem(413, "body");
        Assert.Equal(0, (int)(await _client.GetJson($"/api/training/sessions/{id}/history"))["total"]!);
        await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 2, note = new string('x', MaxMessageBytes - 100) }, status: 202);
        Assert.Equal(1, (int)(await _client.GetJson($"/api/training/sessions/{id}/history"))["total"]!);
    }

    [Fact]
    public async Task The_history_keeps_the_newest_messages_within_its_byte_budget()
    {
        string id = await NewSession();
        for (int e = 1; e <= 20; e++) await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = e, note = new string('x', 900) }, status: 202);
        var history = await _client.GetJson($"/api/training/sessions/{id}/history?limit=100");
        var episodes = history["messages"]!.AsArray().Select(m => (int)m!["episode"]!).ToArray();
        // About 1 KB each: four fit in 4 KB; the count alone (10,000) would have kept all twenty.
        Assert.InRange(episodes.Length, 2, 4);
        Assert.Equal(Enumerable.Range(21 - episodes.Length, episodes.Length), episodes);
        var session = _server.Services.GetRequiredService<TrainingSessions>().Find(id)!;
        Assert.True(session.HistoryBytes <= HistoryBudgetBytes, $"{session.HistoryBytes} bytes held");
    }

    [Fact]
    public async Task A_websocket_message_over_the_limit_gets_an_error_and_the_connection_stays_open()
    {
        string id = await NewSession();
        var socket = await _server.ConnectWebSocketAsync($"/ws/{id}");
        Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!);
        await socket.SendText("{\"type\":\"subscribe\",\"message_types\":[\"" + new string('x', WsConnection.MaxInboundBytes) + "\"]}");
        var error = await socket.ReceiveJson();
        Assert.Equal("error", (string)error!["type"]!);
        Assert.Contains("at most", (string)error["message"]!);
        Assert.Equal(WebSocketState.Open, socket.State);
        await socket.SendText("{\"type\":\"subscribe\",\"message_types\":[\"training_metrics\"]}");
        Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!); // still read and answered
    }

    [Fact]
    public void A_finished_session_is_cleaned_up_after_the_shorter_timeout()
    {
        var sessions = new TrainingSessions(new TrainingSessionOptions { SessionTimeoutSeconds = 3600, FinishedSessionTimeoutSeconds = 0 });
        var finished = sessions.Create("finished", "t", "PPO", 0, 1, false, null).Session!;
        var active = sessions.Create("active", "t", "PPO", 0, 1, false, null).Session!;
        finished.Status = "completed";
        finished.LastActivity = active.LastActivity = DateTime.UtcNow.AddSeconds(-1);
        Assert.Equal(1, sessions.CleanUp(_ => false));
        Assert.Null(sessions.Find("finished"));
        Assert.NotNull(sessions.Find("active"));
    }

    [Fact]
    public async Task Past_the_session_cap_a_new_session_gets_409_and_a_job_still_gets_its_own()
    {
        using var capped = new RingsideFactory(new() { ["Ringside:Sessions:MaxSessions"] = "2" });
        var client = capped.CreateClient();
        await client.PostJson("/api/training/sessions", new { training_id = "a" });
        await client.PostJson("/api/training/sessions", new { training_id = "b" });
        var refused = await (await client.PostRaw("/api/training/sessions", """{"training_id":"c"}""")).Problem(409, "session_id");
        Assert.Contains("limit of 2 sessions", refused.ToJsonString());
        var sessions = capped.Services.GetRequiredService<TrainingSessions>();
        Assert.Equal(2, sessions.All.Count);
        sessions.GetOrCreateForJob(7, "job", 1); // a job's session is the job's, whatever outside trainers hold
        Assert.NotNull(sessions.Find("job-7"));
    }

    [Fact]
    public void Past_the_total_history_budget_the_largest_history_drops_its_oldest_and_every_session_keeps_its_newest()
    {
        var sessions = new TrainingSessions(new TrainingSessionOptions { HistoryBudgetBytes = 1 << 20, TotalHistoryBudgetBytes = 20_000 });
        var big = sessions.Create("big", "t", "PPO", 0, 1, false, null).Session!;
        var small = sessions.Create("small", "t", "PPO", 0, 1, false, null).Session!;
        for (int e = 1; e <= 3; e++) sessions.Publish(small, "training_metrics", new { episode = e, note = new string('s', 500) }, e);
        for (int e = 1; e <= 40; e++) sessions.Publish(big, "training_metrics", new { episode = e, note = new string('b', 1000) }, e);
        Assert.InRange(sessions.HistoryBytes, 1, 20_000);
        Assert.Equal(big.HistoryBytes + small.HistoryBytes, sessions.HistoryBytes);
        Assert.Equal(3, small.MessageCount); // the small history was never the largest
        var kept = sessions.History(big, null, null, null, null, null, 0, 100).Page.Select(m => m.Episode).ToArray();
        Assert.Equal(40, kept[^1]);
        Assert.Equal(Enumerable.Range(41 - kept.Length, kept.Length).Select(e => (int?)e), kept);
        Assert.True(sessions.Delete("big", "test"));
        Assert.Equal(small.HistoryBytes, sessions.HistoryBytes); // a removed session's bytes no longer count
    }
}
