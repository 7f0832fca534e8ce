using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;

namespace Ringside.Server.Tests;

/// <summary>
/// Inputs that used to get a 500 (issue 15's fuzz findings): each now gets a 4xx problem, or an error message on an open
/// WebSocket, and stores nothing.
/// </summary>
public sealed class HostileInputTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private readonly HttpClient _client = server.CreateClient();

    private async Task<string> NewSession() =>
        (string)(await _client.PostJson("/api/training/sessions", new { training_id = "t", algorithm = "PPO", total_episodes = 10 }))["session_id"]!;

    private async Task<int> HistoryCount(string id) =>
        (int)(await _client.GetJson($"/api/training/sessions/{id}/history"))["total"]!;

    [Theory]
    [InlineData("metrics", "\"seven\"")]
    [InlineData("metrics", "true")]
    [InlineData("bot_decision", "[1]")]
    [InlineData("graph_update", "{\"n\": 1}")]
    [InlineData("metrics", "1.5")]
    [InlineData("metrics", "99999999999")]
    public async Task A_session_message_whose_episode_is_not_an_integer_is_refused(string type, string episode)
    {
        string id = await NewSession();
        int before = await HistoryCount(id);
        await (await _client.PostRaw($"/api/training/sessions/{id}/{type}", $"{{\"episode\": {episode}, \"current_reward\": 1}}")).Problem(400, "episode");
        Assert.Equal(before, await HistoryCount(id));
        await _client.PostJson($"/api/training/sessions/{id}/{type}", new { episode = 3 }, status: 202); // an integer still goes through
        Assert.Equal(HttpStatusCode.Accepted, (await _client.PostRaw($"/api/training/sessions/{id}/{type}", "{\"episode\": null}")).StatusCode); // null: no episode
    }

    [Theory]
    [InlineData("{\"n\": \"\\ud800\"}", "n")]
    [InlineData("{\"a\": [\"ok\", {\"b\": \"x\\udc00y\"}]}", "a[1].b")]
    public async Task A_session_message_with_a_lone_surrogate_is_refused_and_names_where(string body, string field)
    {
        string id = await NewSession();
        int before = await HistoryCount(id);
        await (await _client.PostRaw($"/api/training/sessions/{id}/metrics", body)).Problem(400, field);
        Assert.Equal(before, await HistoryCount(id));
        Assert.Equal(HttpStatusCode.OK, (await _client.GetAsync($"/api/training/sessions/{id}/history")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_charset_on_a_json_endpoint_gets_415()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/training/sessions") { Content = new StringContent("{\"training_id\": \"t\"}") };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=bogus");
        await (await _client.SendAsync(request)).Problem(415, "content-type");
        var utf8 = new HttpRequestMessage(HttpMethod.Post, "/api/training/sessions") { Content = new StringContent("{\"training_id\": \"t\"}") };
        utf8.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8");
        Assert.Equal(HttpStatusCode.Created, (await _client.SendAsync(utf8)).StatusCode);
    }

    public static TheoryData<string, string> MalformedMultipart()
    {
        const string b = "XyZ";
        string part(string name, string value) => $"--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n";
        return new()
        {
            { "multipart/form-data", part("name", "x") + $"--{b}--\r\n" },                                     // no boundary
            { $"multipart/form-data; boundary={b}", $"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.glb\"\r\n\r\nglTF" }, // truncated
            { $"multipart/form-data; boundary={b}", string.Concat(Enumerable.Range(0, 1100).Select(i => part($"f{i}", "1"))) + $"--{b}--\r\n" }, // > 1,024 fields
            { $"multipart/form-data; boundary={b}", $"--{b}\r\nContent-Disposition: form-data; name=\"name\"\r\nX-Long: {new string('a', 20_000)}\r\n\r\nx\r\n--{b}--\r\n" }, // header over 16 KB
        };
    }

    [Theory]
    [MemberData(nameof(MalformedMultipart))]
    public async Task A_malformed_multipart_upload_gets_400_or_413_and_registers_nothing(string contentType, string body)
    {
        int before = (await _client.GetJson("/api/fighters")).AsArray().Count;
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await _client.PostAsync("/api/fighters/upload", content);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge,
            $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.MediaType ?? "");
        Assert.Equal(before, (await _client.GetJson("/api/fighters")).AsArray().Count);
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_fighters_metadata_is_refused_and_names_where()
    {
        int before = (await _client.GetJson("/api/fighters")).AsArray().Count;
        string glb = (string)(await _client.GetJson("/api/fighters")).AsArray()[0]!["glb_filename"]!;
        await (await _client.PostRaw("/api/fighters", $"{{\"glb_filename\": \"{glb}\", \"metadata_json\": {{\"\\ud800\": 1}}}}")).Problem(400, "metadata_json.?");
        Assert.Equal(before, (await _client.GetJson("/api/fighters")).AsArray().Count);
    }

    [Fact]
    public async Task A_frame_batch_with_a_lone_surrogate_in_a_property_name_is_refused()
    {
        long fighter = (long)(await _client.GetJson("/api/fighters")).AsArray()[0]!["id"]!;
        string Frame(long episode) => $"{{\"episode_id\": {episode}, \"frame_number\": 0, \"fighter_position\": [0, 0], \"fighter_health\": 50, " +
                                      "\"fighter_velocity\": [0, 0], \"enemies_state\": [], \"action_vector\": [0, 0, 0, 0], \"reward_delta\": 0, \"cumulative_reward\": 0}";
        long valid = (long)(await _client.PostJson("/api/episodes", new { fighter_id = fighter }))["id"]!;
        Assert.Equal(HttpStatusCode.Created, (await _client.PostRaw("/api/fight-frames/batch", $"{{\"frames\": [{Frame(valid)}]}}")).StatusCode); // the frame itself is valid
        long episode = (long)(await _client.PostJson("/api/episodes", new { fighter_id = fighter }))["id"]!;
        await (await _client.PostRaw("/api/fight-frames/batch", $"{{\"frames\": [{Frame(episode)}], \"\\ud800\": 1}}")).Problem(400, "body");
        Assert.Equal(0, (int)(await _client.GetJson($"/api/episodes/{episode}/frames")).AsArray().Count);
    }

    [Fact]
    public async Task A_lone_surrogate_on_a_session_websocket_gets_an_error_and_the_connection_stays_open()
    {
        string id = await NewSession();
        var socket = await server.ConnectWebSocketAsync($"/ws/{id}");
        var first = await socket.ReceiveJson(); // connection_status
        Assert.NotNull(first);
        await socket.SendText("{\"type\":\"\\ud800\"}");
        var error = await socket.ReceiveJson();
        Assert.Equal("error", (string)error!["type"]!);
        Assert.Contains("surrogate", (string)error["message"]!);
        Assert.Equal(WebSocketState.Open, socket.State);
        await _client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 1 }, status: 202);
        var next = await socket.ReceiveJson();
        Assert.Equal("training_metrics", (string)next!["type"]!); // still subscribed, still delivered
    }

    [Fact]
    public void A_lone_surrogate_in_a_match_input_is_an_error_message_not_an_exception()
    {
        Assert.Contains("surrogate", Ringside.Server.Realtime.MatchInput.Parse("{\"type\":\"\\ud800\"}", out _));
        Assert.Null(Ringside.Server.Realtime.MatchInput.Parse("{\"type\":\"input\",\"action\":9}", out int action));
        Assert.Equal(9, action);
    }
}
