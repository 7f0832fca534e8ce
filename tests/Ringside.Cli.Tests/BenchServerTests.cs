using System.Text.Json;

namespace Ringside.Cli.Tests;

/// <summary>
/// <c>bench server</c> starts the real server in-process and loads it over loopback TCP: with tiny settings it must
/// report every scenario, measure something and see no errors. Speeds are never asserted.
/// </summary>
[Collection(nameof(CliCollection))]
public class BenchServerTests
{
    [Fact]
    public void AllScenarios_Json_ReportThroughputWithoutErrors()
    {
        var result = Cli.Run("bench", "server", "--scenario", "all", "--seconds", "1", "--warmup", "0.2", "--max-warmup", "0.5", "--batch", "40",
            "--concurrency", "3", "--train-steps", "8192", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.True(json.GetProperty("in_process").GetBoolean());
        Assert.StartsWith("http://127.0.0.1:", json.GetProperty("url").GetString());
        Assert.Contains("disabled", json.GetProperty("rate_limiter").GetString());
        Assert.Equal(1, json.GetProperty("seconds").GetDouble());

        var frames = json.GetProperty("frames");
        Assert.Equal(3, frames.GetProperty("clients").GetInt32());
        Assert.Equal(40, frames.GetProperty("batch").GetInt32());
        Assert.True(frames.GetProperty("requests").GetInt64() > 0, result.ToString());
        Assert.Equal(40 * frames.GetProperty("requests").GetInt64(), frames.GetProperty("frames").GetInt64());
        Assert.True(frames.GetProperty("frames_per_second").GetDouble() > 0);
        Assert.True(frames.GetProperty("frames_verified").GetBoolean(), result.ToString());
        AssertLatencies(frames);
        AssertNoErrors(frames, result);
        Assert.True(frames.GetProperty("meets_target").ValueKind is JsonValueKind.True or JsonValueKind.False);

        var inference = json.GetProperty("inference");
        Assert.Equal("closed_loop", inference.GetProperty("mode").GetString());
        Assert.Equal(8192, inference.GetProperty("training_steps").GetInt64());
        Assert.True(inference.GetProperty("requests").GetInt64() > 0, result.ToString());
        Assert.True(inference.GetProperty("requests_per_second").GetDouble() > 0);
        AssertLatencies(inference);
        AssertNoErrors(inference, result);

        var writers = json.GetProperty("writers");
        Assert.True(writers.GetProperty("requests").GetInt64() > 0, result.ToString());
        Assert.True(writers.GetProperty("loops").GetInt64() > 0, result.ToString());
        Assert.True(writers.GetProperty("requests_per_second").GetDouble() > 0);
        AssertLatencies(writers);
        AssertNoErrors(writers, result);
        Assert.False(writers.GetProperty("meets_target").GetBoolean()); // the target is stated for 16 writers, not 3

        Assert.Equal(JsonValueKind.Object, json.GetProperty("machine").ValueKind);
        Assert.True(json.GetProperty("meets_all_targets").ValueKind is JsonValueKind.True or JsonValueKind.False);
    }

    [Fact]
    public void OneScenario_LeavesTheOthersNull()
    {
        var result = Cli.Run("bench", "server", "--scenario", "writers", "--seconds", "0.5", "--warmup", "0", "--max-warmup", "0", "--concurrency", "2", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        Assert.Equal(JsonValueKind.Null, json.GetProperty("frames").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("inference").ValueKind);
        AssertNoErrors(json.GetProperty("writers"), result);
    }

    [Theory]
    [InlineData("--scenario must be frames, inference, writers or all", "--scenario", "speed")]
    [InlineData("--scenario must be frames, inference, writers or all", "--scenario", "frames,speed")]
    [InlineData("--seconds must be positive", "--seconds", "0")]
    [InlineData("--batch must be 1 to 20000", "--batch", "0")]
    [InlineData("--concurrency must be 1 to 1024", "--concurrency", "0")]
    [InlineData("--train-steps must be 8192", "--train-steps", "100")]
    [InlineData("--rate must be a positive number", "--rate", "-5")]
    [InlineData("--url must be an http:// or https:// address", "--url", "ftp://example")]
    public void BadArguments_ExitNonZeroWithAClearMessage(string message, params string[] args)
    {
        var result = Cli.Run(["bench", "server", .. args]);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains("error: " + message, result.Err);
    }

    private static void AssertLatencies(JsonElement scenario)
    {
        var latency = scenario.GetProperty("latency_ms");
        double p50 = latency.GetProperty("p50").GetDouble(), p90 = latency.GetProperty("p90").GetDouble(),
            p99 = latency.GetProperty("p99").GetDouble(), max = latency.GetProperty("max").GetDouble();
        Assert.True(p50 > 0, scenario.ToString());
        Assert.True(p50 <= p90 && p90 <= p99 && p99 <= max, scenario.ToString());
    }

    private static void AssertNoErrors(JsonElement scenario, CliResult result)
    {
        Assert.True(scenario.GetProperty("errors").GetInt64() == 0, $"{scenario}\n{result}");
        Assert.True(scenario.GetProperty("locked").GetInt64() == 0, $"{scenario}\n{result}");
        Assert.Empty(scenario.GetProperty("error_samples").EnumerateArray());
    }
}
