using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Cli.Tests;

/// <summary><c>ringside match --replay</c> and <c>ringside replay</c>: record, verify, export, and reject damaged files.</summary>
[Collection(nameof(CliCollection))]
public class ReplayCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ringside-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Record(string name = "m.rsrp", string bots = "chaser,random", string seed = "5")
    {
        string path = Path.Combine(dir, name);
        var match = Cli.Run("match", "--bots", bots, "--seed", seed, "--replay", path, "--json");
        Assert.True(match.ExitCode == 0, match.ToString());
        Assert.Equal(path, match.Json.GetProperty("replay").GetString());
        Assert.True(File.Exists(path));
        return path;
    }

    [Fact]
    public void RecordedMatch_Verifies()
    {
        string path = Path.Combine(dir, "m.rsrp");
        var match = Cli.Run("match", "--bots", "chaser,cautious,random", "--seed", "9", "--replay", path, "--json");
        Assert.True(match.ExitCode == 0, match.ToString());

        var verify = Cli.Run("replay", path, "--verify", "--json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var json = verify.Json;
        Assert.True(json.GetProperty("verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("first_mismatch_frame").ValueKind);
        Assert.Equal(match.Json.GetProperty("frames").GetInt32(), json.GetProperty("frames").GetInt32());
        Assert.Equal(match.Json.GetProperty("winner").ToString(), json.GetProperty("winner").ToString());
        Assert.Equal(9ul, json.GetProperty("episode_seed").GetUInt64());
        Assert.Equal(["chaser#0", "cautious#1", "random#2"], json.GetProperty("fighters").EnumerateArray().Select(e => e.GetString()));

        // Without --verify nothing is re-simulated.
        var show = Cli.Run("replay", path, "--json");
        Assert.Equal(0, show.ExitCode);
        Assert.Equal(JsonValueKind.Null, show.Json.GetProperty("verified").ValueKind);
        var text = Cli.Run("replay", path, "--verify");
        Assert.Contains("verified: all", text.Out);
    }

    [Fact]
    public void TamperedReplay_WithAValidChecksum_FailsVerificationAtTheAlteredFrame()
    {
        string path = Record();
        var replay = Replay.Load(path);
        var actions = replay.Actions.ToArray();
        int tick = Enumerable.Range(0, replay.Ticks).First(t => actions[2 * t] < 8); // a move of the chaser
        actions[2 * tick] = (byte)((actions[2 * tick] + 4) % 8);
        new Replay
        {
            EpisodeSeed = replay.EpisodeSeed,
            Config = replay.Config,
            FighterNames = replay.FighterNames,
            Actions = actions,
            FrameHashes = replay.FrameHashes,
            Winner = replay.Winner,
        }.Save(path);

        var verify = Cli.Run("replay", path, "--verify", "--json");
        Assert.Equal(1, verify.ExitCode);
        Assert.False(verify.Json.GetProperty("verified").GetBoolean());
        Assert.Equal(tick + 1, verify.Json.GetProperty("first_mismatch_frame").GetInt32());
        Assert.Contains($"MISMATCH at frame {tick + 1}", Cli.Run("replay", path, "--verify").Out);
    }

    [Theory]
    [InlineData("flip", "corrupt")]
    [InlineData("truncate", "corrupt or truncated")]
    [InlineData("magic", "not a Ringside replay")]
    [InlineData("empty", "not a Ringside replay")]
    [InlineData("missing", "does not exist")]
    public void DamagedReplay_ExitsNonZeroWithAMessageOnStderr(string damage, string message)
    {
        string path = Record();
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "flip": bytes[bytes.Length / 2] ^= 0x40; File.WriteAllBytes(path, bytes); break;
            case "truncate": File.WriteAllBytes(path, bytes[..^7]); break;
            case "magic": bytes[1] = (byte)'X'; File.WriteAllBytes(path, bytes); break;
            case "empty": File.WriteAllBytes(path, []); break;
            case "missing": File.Delete(path); break;
        }
        foreach (var args in new[] { new[] { "replay", path, "--verify", "--json" }, new[] { "replay", path } })
        {
            var result = Cli.Run(args);
            Assert.True(result.ExitCode != 0, result.ToString());
            Assert.StartsWith("error: ", result.Err);
            Assert.Contains(message, result.Err);
            Assert.Equal("", result.Out);
        }
    }

    [Fact]
    public void FramesExport_HasOneLinePerFrame_FromSpawnToTheEnd()
    {
        string path = Record(seed: "8");
        int frames = Cli.Run("replay", path, "--json").Json.GetProperty("frames").GetInt32();
        string export = Path.Combine(dir, "frames.jsonl");
        var result = Cli.Run("replay", path, "--frames", export, "--json");
        Assert.True(result.ExitCode == 0, result.ToString());

        var lines = File.ReadAllLines(export);
        Assert.Equal(frames + 1, lines.Length);
        for (int t = 0; t < lines.Length; t++)
        {
            using var frame = JsonDocument.Parse(lines[t]);
            Assert.Equal(t, frame.RootElement.GetProperty("tick").GetInt32());
            var fighters = frame.RootElement.GetProperty("fighters");
            Assert.Equal(2, fighters.GetArrayLength());
            Assert.Equal(2, fighters[0].GetProperty("position").GetArrayLength());
            Assert.Contains(fighters[0].GetProperty("action").GetString(), Contract.ActionNames);
        }
        // The last frame shows how it ended: someone is out, or the time ran out.
        using var last = JsonDocument.Parse(lines[^1]);
        var ended = last.RootElement.GetProperty("fighters").EnumerateArray().Any(f => !f.GetProperty("alive").GetBoolean());
        Assert.True(ended || frames == 1800);

        // '-' writes the same lines to stdout, followed by the summary.
        var stdout = Cli.Run("replay", path, "--frames", "-", "--json");
        Assert.True(stdout.ExitCode == 0, stdout.ToString());
        Assert.Equal(lines, stdout.OutLines[..^1]);
        Assert.Equal(frames, stdout.Json.GetProperty("frames").GetInt32());
    }
}
