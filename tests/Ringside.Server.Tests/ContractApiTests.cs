using System.Text.Json.Nodes;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Server.Tests;

/// <summary>GET /api/contract: the numbers the browser pages take from the server instead of copying them.</summary>
public sealed class ContractApiTests(SqliteServer server) : IClassFixture<SqliteServer>
{
    private readonly HttpClient _client = server.CreateClient();

    [Fact]
    public async Task Contract_states_the_v1_sizes_and_the_training_budget_units()
    {
        var contract = await _client.GetJson("/api/contract");
        Assert.Equal(Contract.Version, (int)contract["version"]!);
        Assert.Equal(30, (int)contract["observation_size"]!);
        Assert.Equal(10, (int)contract["action_count"]!);
        Assert.Equal(Contract.ActionNames, contract["action_names"]!.AsArray().Select(n => (string)n!));
        Assert.Equal("idle", (string)contract["action_names"]![(int)contract["idle_action"]!]!);
        Assert.Equal("attack", (string)contract["action_names"]![(int)contract["attack_action"]!]!);
        Assert.Equal(30, (int)contract["ticks_per_second"]!);
        Assert.Equal(5.0, (double)contract["ring_half_size"]!);
        Assert.Equal(8192, (int)contract["steps_per_iteration"]!); // 64 arenas x 128 steps
        Assert.Equal(64, (int)contract["arenas_per_iteration"]!);
        Assert.Equal(128, (int)contract["steps_per_arena"]!);
        Assert.Equal(ArenaTraining.DefaultPpo.BatchSize, (int)contract["steps_per_iteration"]!);
        Assert.Equal(2_097_152, (long)contract["steps_per_epoch"]!);
    }

    [Fact]
    public async Task Contract_is_in_the_OpenAPI_document()
    {
        var document = await _client.GetJson("/openapi/v1.json");
        Assert.True(document["paths"]!.AsObject().ContainsKey("/api/contract"), "OpenAPI lacks /api/contract");
        Assert.IsType<JsonObject>(document["paths"]!["/api/contract"]!["get"]);
    }
}
