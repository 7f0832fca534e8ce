using System.Text.Json;

namespace Ringside.Cli.Tests;

/// <summary>
/// <c>bench soak</c> runs a fresh server process under every load at once: a short run must sample the server's memory,
/// drive every load, see no 5xx and find every acknowledged write stored. Memory growth is reported, never asserted.
/// </summary>
[Collection(nameof(CliCollection))]
public class BenchSoakTests
{
    [Fact]
    public void A_short_soak_samples_memory_drives_every_load_and_finds_every_write_stored()
    {
        var result = Cli.Run("bench", "soak", "--minutes", "0.75", "--spectators", "3", "--rate", "10", "--hostile-rate", "10", "--frames", "20",
            "--match-seconds", "5", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.True(json.GetProperty("samples").GetArrayLength() >= 3, result.ToString());
        Assert.All(json.GetProperty("samples").EnumerateArray(), s => Assert.True(s.GetProperty("working_set_bytes").GetInt64() > 0));
        Assert.True(json.GetProperty("server_errors").GetInt64() == 0, result.ToString());
        Assert.True(json.GetProperty("transport_failures").GetInt64() == 0, result.ToString());
        Assert.True(json.GetProperty("hostile_sent").GetInt64() > 0 && json.GetProperty("hostile_refused").GetInt64() > 0, result.ToString());
        Assert.True(json.GetProperty("messages_accepted").GetInt64() > 0, result.ToString());
        Assert.Equal(json.GetProperty("messages_accepted").GetInt64(), json.GetProperty("messages_received_by_slowest_spectator").GetInt64());
        Assert.True(json.GetProperty("matches_played").GetInt64() > 0, result.ToString());
        Assert.True(json.GetProperty("frames").GetProperty("acked").GetInt64() > 0, result.ToString());
        Assert.True(json.GetProperty("every_acknowledged_write_stored").GetBoolean(), result.ToString());
        Assert.True(json.GetProperty("server_healthy_after").GetBoolean(), result.ToString());
        Assert.Equal(JsonValueKind.Number, json.GetProperty("growth").GetProperty("working_set").ValueKind);
    }
}
