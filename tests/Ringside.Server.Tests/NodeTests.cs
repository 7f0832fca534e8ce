using System.Net.Http.Headers;
using System.Net.WebSockets;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Ringside.Server.Data;
using Ringside.Server.Realtime;

namespace Ringside.Server.Tests;

/// <summary>
/// What the cluster's additions (docs/SERVER.md, Cluster) mean for one node on SQLite: a match records its node and is
/// never relayed; an uploaded GLB is also stored in the database and served as before. And the relay's own rules.
/// </summary>
public sealed class NodeTests : IDisposable
{
    private readonly RingsideFactory _server = new(new() { ["Ringside:Cluster:Node"] = "solo" });
    private readonly HttpClient _client;

    public NodeTests() => _client = _server.CreateClient();

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
    }

    private Task<WebSocket> ConnectAsync(string path) =>
        _server.ConnectWebSocketAsync(path.Replace("http", "ws"));

    /// <summary>A match row as another node would have written it.</summary>
    private Task<long> InsertMatchAsync(string node, string? url, DateTime? endedAt = null) =>
        _server.Services.GetRequiredService<Database>().WriteAsync((c, t) => c.ExecuteScalarAsync<long>("""
            INSERT INTO matches (status, seed, max_ticks, created_at, ended_at, node, node_url)
            VALUES (@status, 1, 90, @now, @endedAt, @node, @url) RETURNING id
            """, new { status = endedAt is null ? "running" : "finished", now = DateTime.UtcNow, endedAt, node, url }, t));

    private MatchRelay ClusteredRelay(string name = "solo")
    {
        var options = new RingsideOptions { Cluster = { Node = name, AdvertisedUrl = "http://127.0.0.1:9" } };
        options.Training.Clustered = true;
        var node = new ThisNode(options, _server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>());
        return new MatchRelay(_server.Services.GetRequiredService<Database>(), options, node);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8001", "http://127.0.0.1:8001")]
    [InlineData("http://localhost:8001/", "http://localhost:8001")]
    [InlineData("https://ringside.example:443", "https://ringside.example")]
    [InlineData("http://0.0.0.0:8001", null)]
    [InlineData("http://[::]:8001", null)]
    [InlineData("http://*:8001", null)]
    [InlineData("http://+:8001", null)]
    public void The_advertised_url_defaults_to_the_one_address_listened_on_when_it_names_a_host(string address, string? expected) =>
        Assert.Equal(expected, ThisNode.Unambiguous([address]));

    [Fact]
    public void Several_listening_addresses_advertise_none() =>
        Assert.Null(ThisNode.Unambiguous(["http://127.0.0.1:8001", "http://10.0.0.5:8001"]));

    [Fact]
    public async Task A_match_records_its_node_and_a_match_of_another_node_is_not_relayed_outside_a_cluster()
    {
        long fighter = (long)(await _client.PostJson("/api/fighters", new { glb_filename = _server.NewGlb() }))["id"]!;
        var created = await _client.PostJson("/api/matches", new
        {
            fighters = new object[] { new { fighter_id = fighter, controller = "bot", bot = "idle" }, new { fighter_id = fighter, controller = "bot", bot = "idle" } },
            wait_for_spectator = true,
        });
        var record = await _client.GetJson($"/api/matches/{(long)created["id"]!}");
        Assert.Equal("solo", (string)record["node"]!);
        using (var socket = await ConnectAsync($"/ws/matches/{(long)created["id"]!}"))
            Assert.Equal("match_info", (string)(await socket.ReceiveJson())!["type"]!);

        long elsewhere = await InsertMatchAsync("elsewhere", "http://127.0.0.1:9");
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync($"/ws/matches/{elsewhere}"));
        Assert.Contains("404", refused.Message);
    }

    [Fact]
    public async Task The_relay_finds_only_another_nodes_match_that_it_may_still_hold_and_never_relays_a_relayed_request()
    {
        var relay = ClusteredRelay();
        long other = await InsertMatchAsync("elsewhere", "http://127.0.0.1:9");
        long own = await InsertMatchAsync("solo", "http://127.0.0.1:9");
        long endedLongAgo = await InsertMatchAsync("elsewhere", "http://127.0.0.1:9", DateTime.UtcNow - LiveMatches.KeepAfterEnd - TimeSpan.FromMinutes(1));

        Assert.Equal(new MatchHost("elsewhere", "http://127.0.0.1:9"), await relay.FindHostAsync(other, relayedBy: null));
        Assert.Null(await relay.FindHostAsync(other, relayedBy: "api-2"));
        Assert.Null(await relay.FindHostAsync(own, relayedBy: null));
        Assert.Null(await relay.FindHostAsync(endedLongAgo, relayedBy: null));
        Assert.Null(await relay.FindHostAsync(other + 1000, relayedBy: null));
    }

    [Fact]
    public async Task A_relay_to_a_node_that_does_not_answer_or_has_no_url_fails_with_the_node_named()
    {
        var relay = ClusteredRelay();
        // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
        var unreachable = await Assert.ThrowsAsync<MatchRelayFailedException>(() => relay.ConnectAsync(new MatchHost("elsewhere", "http://127.0.0.1:9"), 1, null, null, CancellationToken.None));
        Assert.Null(unreachable.HostStatus);
        Assert.Contains("elsewhere", unreachable.Message);
        var noUrl = await Assert.ThrowsAsync<MatchRelayFailedException>(() => relay.ConnectAsync(new MatchHost("elsewhere", null), 1, null, null, CancellationToken.None));
        Assert.Contains("AdvertisedUrl", noUrl.Message);
    }

    [Fact]
    public async Task An_uploaded_glb_is_stored_in_the_database_and_served_again_when_the_fighters_folder_lost_it()
    {
        byte[] glb = Ringside.Assets.DefaultRoster.Build(Ringside.Assets.DefaultRoster.Entries[1]);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(glb) { Headers = { ContentType = new MediaTypeHeaderValue("model/gltf-binary") } }, "file", "solo-upload.glb" },
        };
        var fighter = await (await _client.PostAsync("/api/fighters/upload", form)).Json200(201);
        string file = (string)fighter["glb_filename"]!;
        Assert.Equal(glb, await _client.GetByteArrayAsync($"/fighters/{file}"));

        var db = _server.Services.GetRequiredService<Database>();
        Assert.Equal(glb, await db.ReadAsync(c => c.ExecuteScalarAsync<byte[]>("SELECT data FROM glb_files WHERE name = @file", new { file })));
        File.Delete(Path.Combine(_server.DataDir, "fighters", file)); // the folder is a cache
        Assert.Equal(glb, await _client.GetByteArrayAsync($"/fighters/{file}"));
        Assert.Equal(404, (int)(await _client.GetAsync("/fighters/not-there.glb")).StatusCode);
    }
}
