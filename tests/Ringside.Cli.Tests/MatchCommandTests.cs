using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Cli.Tests;

/// <summary><c>ringside match</c>: results, determinism, and clear errors for bad arguments.</summary>
[Collection(nameof(CliCollection))]
public class MatchCommandTests
{
    [Fact]
    public void Json_LastLineHasWinnerFramesAndStateHash_AndTheSameCommandGivesTheSameHash()
    {
        var first = Cli.Run("match", "--bots", "chaser,random", "--seed", "5", "--json");
        var second = Cli.Run("match", "--bots", "chaser,random", "--seed", "5", "--json");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal("", first.Err);

        var json = first.Json;
        string hash = json.GetProperty("state_hash").GetString()!;
        Assert.Matches("^[0-9a-f]{16}$", hash);
        Assert.True(json.GetProperty("frames").GetInt32() > 0);
        Assert.True(json.TryGetProperty("winner", out var winner));
        Assert.Contains(winner.ValueKind, new[] { JsonValueKind.String, JsonValueKind.Null });
        Assert.Equal(2, json.GetProperty("fighters").GetArrayLength());
        Assert.Equal(hash, second.Json.GetProperty("state_hash").GetString());
        Assert.Equal(first.Out, second.Out);

        var other = Cli.Run("match", "--bots", "chaser,random", "--seed", "6", "--json");
        Assert.NotEqual(hash, other.Json.GetProperty("state_hash").GetString());
    }

    [Fact]
    public void Json_AgreesWithTheSimulationRunDirectly()
    {
        var result = Cli.Run("match", "--bots", "cautious,chaser,random", "--seed", "12", "--sizes", "1.2,0.8,1", "--speeds", "1,1.5,0.9",
            "--max-seconds", "20", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());

        // The CLI gives bot i the seed Mix(seed, 100 + i) (MatchCommand); the same match through the library:
        FighterSpec[] specs = [new(1.2f, 1f), new(0.8f, 1.5f), new(1f, 0.9f)];
        string[] bots = ["cautious", "chaser", "random"];
        var config = new ArenaConfig { Fighters = specs, MaxTicks = 20 * ArenaRules.TicksPerSecond };
        using var match = new Match(config, 12, bots.Select((b, i) => Bots.Create(b, specs[i], SplitMix64.Mix(12, (ulong)(100 + i)))).ToArray());
        var expected = match.Run();

        var json = result.Json;
        Assert.Equal(expected.StateHash.ToString("x16"), json.GetProperty("state_hash").GetString());
        Assert.Equal(expected.Frames, json.GetProperty("frames").GetInt32());
        Assert.Equal(expected.Winner, json.GetProperty("winner_slot").GetInt32());
        Assert.Equal(expected.TimeLimit, json.GetProperty("time_limit").GetBoolean());
        Assert.Equal(expected.Winner >= 0 ? $"{bots[expected.Winner]}#{expected.Winner}" : null, json.GetProperty("winner").GetString());
        var fighters = json.GetProperty("fighters");
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(match.Fighter(s).Health, fighters[s].GetProperty("health").GetSingle());
            Assert.Equal(expected.Rewards[s], fighters[s].GetProperty("total_reward").GetSingle(), 4);
            Assert.Equal(match.Fighter(s).Elimination.ToString().ToLowerInvariant(), fighters[s].GetProperty("elimination").GetString());
        }
    }

    [Fact]
    public void HumanOutput_ShowsTheWinnerAndTheSameStateHash()
    {
        var text = Cli.Run("match", "--bots", "chaser,idle", "--seed", "3");
        var json = Cli.Run("match", "--bots", "chaser,idle", "--seed", "3", "--json");
        Assert.Equal(0, text.ExitCode);
        Assert.StartsWith("winner: ", text.OutLines[0]);
        Assert.Contains($"state hash: {json.Json.GetProperty("state_hash").GetString()}", text.Out);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(text.OutLines[^1]));
    }

    [Fact]
    public void AsAProcess_ExitCodesAndStreamsAreThoseAShellSees()
    {
        var ok = Cli.RunProcess("match", "--bots", "chaser,random", "--seed", "5", "--json");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(Cli.Run("match", "--bots", "chaser,random", "--seed", "5", "--json").Json.GetProperty("state_hash").GetString(),
            ok.Json.GetProperty("state_hash").GetString());

        var bad = Cli.RunProcess("match", "--bots", "chaser");
        Assert.Equal(2, bad.ExitCode);
        Assert.Equal("", bad.Out);
        Assert.StartsWith("error: ", bad.Err);
        Assert.DoesNotContain("   at ", bad.Err); // a message, not a stack trace
    }

    [Theory]
    [InlineData("--bots needs 2 to 8 bots, got 1", "match", "--bots", "chaser")]
    [InlineData("--bots needs 2 to 8 bots, got 9", "match", "--bots", "idle,idle,idle,idle,idle,idle,idle,idle,idle")]
    [InlineData("unknown bot 'robot'", "match", "--bots", "chaser,robot")]
    [InlineData("size must be a finite number", "match", "--bots", "chaser,idle", "--sizes", "nan,1")]
    [InlineData("size must be between 0.5 and 2", "match", "--bots", "chaser,idle", "--sizes", "1,3")]
    [InlineData("speed must be a finite number", "match", "--bots", "chaser,idle", "--speeds", "1,Infinity")]
    [InlineData("--sizes needs one value per fighter (2), got 1", "match", "--bots", "chaser,idle", "--sizes", "1")]
    [InlineData("--speeds: 'fast' is not a number", "match", "--bots", "chaser,idle", "--speeds", "fast,1")]
    [InlineData("--max-seconds must be at least 1", "match", "--bots", "chaser,idle", "--max-seconds", "0")]
    public void BadArguments_ExitNonZeroWithAClearMessage(string message, params string[] args)
    {
        var result = Cli.Run(args);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(message, result.Err);
        Assert.StartsWith("error: ", result.Err);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public void MissingRequiredOrUnknownOptions_ExitNonZero()
    {
        var missing = Cli.Run("match");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("--bots", missing.Err);

        var unknown = Cli.Run("match", "--bots", "chaser,idle", "--frobnicate");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("--frobnicate", unknown.Err);

        var notANumber = Cli.Run("match", "--bots", "chaser,idle", "--seed", "minus-one");
        Assert.NotEqual(0, notANumber.ExitCode);
        Assert.Contains("minus-one", notANumber.Err);
    }
}
