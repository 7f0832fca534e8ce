using System.Text.Json;

namespace Ringside.Cli.Tests;

/// <summary><c>ringside train --env arena</c>, <c>--resume</c>, <c>eval</c> and <c>compare</c> on tiny budgets.</summary>
[Collection(nameof(CliCollection))]
public class TrainEvalCommandTests : IDisposable
{
    private readonly string dir = Path.Combine(Path.GetTempPath(), $"ringside-cli-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }

    private static readonly string[] Tiny = ["--num-envs", "8", "--num-steps", "64", "--num-minibatches", "2", "--update-epochs", "1"];

    [Fact]
    public void ArenaTraining_WritesARunFolder_ResumesAtItsStep_AndItsModelEvaluatesAndCompares()
    {
        var first = Cli.Run(["train", "--env", "arena", "--steps", "2048", "--out", dir, "--aggression", "80", "--json", .. Tiny]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(2048, first.Json.GetProperty("steps").GetInt64());
        foreach (var file in new[] { "model.safetensors", "model.optimizer.safetensors", "best.safetensors", "metrics.jsonl", "run.json" })
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing");

        var lines = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(4, lines.Length); // 2048 steps / (8 envs x 64 steps)
        var last = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal(2048, last.GetProperty("global_step").GetInt64());
        foreach (var field in new[] { "sps", "policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "learning_rate", "reward_terms" })
            Assert.True(last.TryGetProperty(field, out _), $"metrics line lacks {field}");
        Assert.Equal(6, last.GetProperty("reward_terms").EnumerateObject().Count());

        // Resume continues from step 2048 to the new budget and appends to the metrics.
        var resumed = Cli.Run(["train", "--env", "arena", "--steps", "4096", "--resume", dir, "--aggression", "80", "--json", .. Tiny]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(4096, resumed.Json.GetProperty("steps").GetInt64());
        var all = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(8, all.Length);
        Assert.Equal(2560, JsonDocument.Parse(all[4]).RootElement.GetProperty("global_step").GetInt64());

        string model = Path.Combine(dir, "model.safetensors");
        var eval = Cli.Run("eval", "--model", model, "--vs", "chaser,idle", "--episodes", "10", "--json");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        var json = eval.Json;
        double winRate = json.GetProperty("win_rate").GetDouble();
        Assert.InRange(winRate, 0, 1);
        Assert.Equal(2, json.GetProperty("lineups").GetArrayLength());
        foreach (var field in new[] { "attacks_per_second", "mean_distance_to_edge", "mean_distance_to_nearest_enemy", "damage_dealt_per_episode", "damage_taken_per_episode" })
            Assert.True(json.GetProperty("fingerprint").TryGetProperty(field, out _), $"fingerprint lacks {field}");
        Assert.Equal(eval.Out, Cli.Run("eval", "--model", model, "--vs", "chaser,idle", "--episodes", "10", "--json").Out); // seeded: repeatable

        var compare = Cli.Run("compare", model, "bot:chaser", "bot:idle", "--episodes", "10", "--json");
        Assert.True(compare.ExitCode == 0, compare.ToString());
        var table = compare.Json.GetProperty("win_rate");
        Assert.Equal(3, table.GetArrayLength());
        Assert.Equal(1.0, table[1][2].GetDouble()); // the chaser beats an idle bot every time
        Assert.Equal(0.0, table[2][1].GetDouble());
    }

    [Fact]
    public void BadInputs_GiveAClearErrorAndANonZeroExit()
    {
        string bogus = Path.Combine(dir, "not-a-model.safetensors");
        Directory.CreateDirectory(dir);
        File.WriteAllText(bogus, "this is not a checkpoint");
        (string[] Args, string Expect)[] cases =
        [
            (["train", "--env", "arena", "--steps", "1000"], "--out"),
            (["train", "--env", "arena", "--steps", "1000", "--out", dir, "--aggression", "150"], "aggression"),
            (["train", "--env", "arena", "--steps", "1000", "--out", dir, "--mode", "berserk"], "mode"),
            (["train", "--env", "arena", "--steps", "1000", "--out", dir, "--opponents", "chaser,dragon"], "dragon"),
            (["train", "--env", "arena", "--steps", "1000", "--resume", Path.Combine(dir, "nothing-here")], "model.safetensors"),
            (["eval", "--model", bogus, "--vs", "chaser"], "not-a-model"),
            (["eval", "--model", "bot:chaser", "--vs", "wizard"], "wizard"),
            (["eval", "--model", Path.Combine(dir, "missing.safetensors")], "does not exist"),
            (["compare", "bot:chaser"], "at least two"),
        ];
        foreach (var (args, expect) in cases)
        {
            var result = Cli.Run(args);
            Assert.True(result.ExitCode != 0, $"{string.Join(' ', args)} should fail\n{result}");
            Assert.Contains(expect, result.Err, StringComparison.OrdinalIgnoreCase);
        }
    }
}
