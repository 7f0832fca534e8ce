using System.Text.Json;

namespace Ringside.Cli.Tests;

/// <summary>
/// <c>bench realtime</c> starts the real server in-process and connects real WebSocket clients over loopback TCP: with
/// tiny settings every reading spectator must get every message once and in order, the stalled client must be dropped
/// by the server without costing the others a message, and the live match must tick. Speeds are never asserted.
/// </summary>
[Collection(nameof(CliCollection))]
public class BenchRealtimeTests
{
    [Fact]
    public void AllScenarios_Json_NothingLostAndTheStalledClientIsDropped()
    {
        // --stall-rate: after the measured second, publish fast so the stalled client's socket buffers (a few MB) fill in seconds.
        var result = Cli.Run("bench", "realtime", "--scenario", "all", "--spectators", "5", "--rate", "30", "--seconds", "1", "--warmup", "0.5",
            "--max-warmup", "1", "--stall-rate", "1000", "--stall-wait", "120", "--match-seconds", "2", "--match-viewers", "2", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.True(json.GetProperty("in_process").GetBoolean());
        Assert.StartsWith("http://127.0.0.1:", json.GetProperty("url").GetString());
        Assert.Contains("disabled", json.GetProperty("rate_limiter").GetString());
        Assert.Equal(JsonValueKind.Object, json.GetProperty("machine").ValueKind);
        Assert.True(json.GetProperty("meets_all_targets").ValueKind is JsonValueKind.True or JsonValueKind.False);

        var spectators = json.GetProperty("spectators");
        Assert.Equal(0, spectators.GetProperty("stalled_clients").GetInt32());
        Assert.Equal("http", spectators.GetProperty("publish").GetString());
        double warmup = spectators.GetProperty("warmup_seconds").GetDouble();
        Assert.True(warmup >= 0.5 && warmup < 10, spectators.ToString()); // at least --warmup; --max-warmup 1 ends it soon after
        Assert.True(spectators.GetProperty("jit_settled").ValueKind is JsonValueKind.True or JsonValueKind.False);
        AssertEveryMessageInOrder(spectators, result);
        Assert.Empty(spectators.GetProperty("stalled").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, spectators.GetProperty("after_window").ValueKind);
        Assert.False(spectators.GetProperty("meets_target").GetBoolean()); // the target is stated for 200 spectators, not 5

        var stalled = json.GetProperty("stalled");
        Assert.Equal(1, stalled.GetProperty("stalled_clients").GetInt32());
        AssertEveryMessageInOrder(stalled, result);
        var client = Assert.Single(stalled.GetProperty("stalled").EnumerateArray());
        Assert.True(client.GetProperty("closed_by_server").GetBoolean(), $"the server never dropped the stalled client\n{result}");
        Assert.True(client.GetProperty("closed_after_seconds").GetDouble() > 0);
        Assert.True(client.GetProperty("published_before_close").GetInt64() > 0);
        Assert.True(stalled.GetProperty("stalled_all_closed").GetBoolean());
        // It never read: what it finds afterwards is at most what was published, and never the whole run.
        Assert.True(client.GetProperty("messages_buffered").GetInt64() < stalled.GetProperty("published").GetInt64(), result.ToString());
        var after = stalled.GetProperty("after_window");
        Assert.Equal(1000, after.GetProperty("rate").GetDouble());
        Assert.True(after.GetProperty("published").GetInt64() > 0);
        Assert.True(after.GetProperty("latency_ms").GetProperty("samples").GetInt64() > 0);
        Assert.True(after.GetProperty("around_close_latency_ms").GetProperty("samples").GetInt64() > 0, after.ToString());

        var match = json.GetProperty("match");
        Assert.Equal(6, match.GetProperty("fighters").GetInt32());
        Assert.Equal(6, match.GetProperty("bots").GetArrayLength());
        Assert.Equal("finished", match.GetProperty("status").GetString());
        Assert.True(match.GetProperty("ticks").GetInt32() > 0, result.ToString());
        Assert.True(match.GetProperty("viewer_states").GetInt64() > 0, result.ToString());
        Assert.True(match.GetProperty("viewer_ticks_per_second").GetDouble() > 0);
        Assert.True(match.GetProperty("server_ticks_per_second").GetDouble() > 0, match.ToString());
        Assert.True(match.GetProperty("mean_simulation_ms").GetDouble() > 0);
        Assert.True(match.GetProperty("mean_tick_ms").GetDouble() >= match.GetProperty("mean_simulation_ms").GetDouble());
        Assert.True(match.GetProperty("meets_target").ValueKind is JsonValueKind.True or JsonValueKind.False);
    }

    [Fact]
    public void Spectators_DirectPublishing_LeavesTheOthersNull()
    {
        var result = Cli.Run("bench", "realtime", "--scenario", "spectators", "--publish", "direct", "--spectators", "3", "--seconds", "0.5",
            "--warmup", "0", "--max-warmup", "0", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("stalled").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("match").ValueKind);
        var spectators = json.GetProperty("spectators");
        Assert.Equal("direct", spectators.GetProperty("publish").GetString());
        AssertEveryMessageInOrder(spectators, result);
    }

    [Theory]
    [InlineData("--scenario must be spectators, stalled, match or all", "--scenario", "speed")]
    [InlineData("--spectators must be 1 to 900", "--spectators", "0")]
    [InlineData("--rate must be a positive number", "--rate", "0")]
    [InlineData("--seconds must be positive", "--seconds", "0")]
    [InlineData("--stalled must be 1 to 50", "--stalled", "0")]
    [InlineData("--max-warmup must be at least --warmup", "--warmup", "5", "--max-warmup", "1")]
    [InlineData("--stall-rate must be a positive number", "--stall-rate", "-3")]
    [InlineData("--publish must be http or direct", "--publish", "carrier-pigeon")]
    [InlineData("--match-fighters must be 2 to 8", "--match-fighters", "9")]
    [InlineData("--match-seconds must be 1 to 600", "--match-seconds", "0.5")]
    public void BadArguments_ExitNonZeroWithAClearMessage(string message, params string[] args)
    {
        var result = Cli.Run(["bench", "realtime", .. args]);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("error: " + message, result.Err);
    }

    private static void AssertEveryMessageInOrder(JsonElement run, CliResult result)
    {
        string why = $"{run}\n{result}";
        long published = run.GetProperty("published").GetInt64();
        int readers = run.GetProperty("spectators").GetInt32();
        Assert.True(published > 0, why);
        Assert.Equal(0, run.GetProperty("publish_errors").GetInt64());
        Assert.Equal(0, run.GetProperty("lost").GetInt64());
        Assert.Equal(0, run.GetProperty("reordered").GetInt64());
        Assert.Equal(0, run.GetProperty("duplicates").GetInt64());
        Assert.Equal(0, run.GetProperty("sequence_gaps").GetInt64());
        Assert.Equal(0, run.GetProperty("unexpected").GetInt64());
        Assert.Equal(0, run.GetProperty("readers_disconnected").GetInt32());
        Assert.Empty(run.GetProperty("reader_errors").EnumerateArray());
        Assert.Equal(published, run.GetProperty("received_min").GetInt64());
        Assert.Equal(readers, run.GetProperty("clients_complete").GetInt32());
        Assert.True(run.GetProperty("published_measured").GetInt64() > 0, why);
        Assert.True(run.GetProperty("message_bytes").GetDouble() > 100, why);
        var latency = run.GetProperty("latency_ms");
        Assert.Equal(readers * run.GetProperty("published_measured").GetInt64(), latency.GetProperty("samples").GetInt64());
        double p50 = latency.GetProperty("p50").GetDouble(), p99 = latency.GetProperty("p99").GetDouble(), max = latency.GetProperty("max").GetDouble();
        Assert.True(p50 > 0 && p50 <= p99 && p99 <= max, why);
        Assert.True(run.GetProperty("process").GetProperty("cpu_seconds").GetDouble() >= 0);
    }
}
