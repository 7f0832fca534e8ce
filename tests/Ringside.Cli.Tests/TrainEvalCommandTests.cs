using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Ringside.Cli.Bench;
using Ringside.Cli.Commands;

namespace Ringside.Cli.Tests;

/// <summary>
/// <c>ringside train --env arena</c>, <c>--resume</c>, <c>eval</c>, <c>compare</c> and <c>export</c> on tiny budgets: a model
/// trained on the command line becomes a profile that a server imports and fights with.
/// </summary>
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
        var first = Cli.Run(["train", "--env", "arena", "--steps", "2048", "--out", dir, "--aggression", "80", "--evaluate-every", "1024", "--evaluation-episodes", "10", "--json", .. Tiny]);
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
        // --evaluate-every 1024: a checkup after every second iteration of 512 steps, and none between.
        var checkups = lines.Select(line => JsonDocument.Parse(line).RootElement.GetProperty("evaluation").ValueKind).ToArray();
        Assert.Equal([JsonValueKind.Null, JsonValueKind.Object, JsonValueKind.Null, JsonValueKind.Object], checkups);

        // Resume continues from step 2048 to the new budget and appends to the metrics.
        var resumed = Cli.Run(["train", "--env", "arena", "--steps", "4096", "--resume", dir, "--aggression", "80", "--json", .. Tiny]);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(4096, resumed.Json.GetProperty("steps").GetInt64());
        var all = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl"));
        Assert.Equal(8, all.Length);

        // A resume keeps the run's network: a flag asking for another is refused, and the run is left as it was.
        var wider = Cli.Run(["train", "--env", "arena", "--steps", "6144", "--resume", dir, "--hidden-sizes", "96,96", .. Tiny]);
        Assert.True(wider.ExitCode != 0, wider.ToString());
        Assert.Contains("shared 64x64 relu", wider.Err);
        Assert.Equal(8, File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Length);
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
        Assert.Equal(eval.Out, Cli.Run("eval", "--model", model, "--vs", "bot:chaser,bot:idle", "--episodes", "10", "--json").Out);

        var vsModel = Cli.Run("eval", "--model", "bot:chaser", "--vs", $"{model},idle", "--episodes", "10", "--greedy", "--json");
        Assert.True(vsModel.ExitCode == 0, vsModel.ToString());
        var lineups = vsModel.Json.GetProperty("lineups");
        Assert.Equal(model, lineups[0].GetProperty("opponents").GetString()); // a checkpoint is an opponent like a bot
        Assert.Equal(10, lineups[0].GetProperty("episodes").GetInt32());
        Assert.Equal(1.0, lineups[1].GetProperty("win_rate").GetDouble()); // the chaser still beats the idle bot beside it
        var text = Cli.Run("eval", "--model", "bot:chaser", "--vs", $"{model},idle", "--episodes", "2", "--greedy");
        var rows = text.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[1..];
        Assert.Equal(3, rows.Length); // header, the checkpoint, idle
        Assert.All(rows, row => Assert.Equal(rows[0].Length, row.Length)); // a long path is cut to its column

        var compare = Cli.Run("compare", model, "bot:chaser", "bot:idle", "--episodes", "10", "--json");
        Assert.True(compare.ExitCode == 0, compare.ToString());
        var table = compare.Json.GetProperty("win_rate");
        Assert.Equal(3, table.GetArrayLength());
        Assert.Equal(1.0, table[1][2].GetDouble()); // the chaser beats an idle bot every time
        Assert.Equal(0.0, table[2][1].GetDouble());
        var draws = compare.Json.GetProperty("draw_rate");
        Assert.Equal(JsonValueKind.Null, draws[1][1].ValueKind);
        Assert.Equal(0.0, draws[1][2].GetDouble());
        Assert.Equal(draws[0][1].GetDouble(), draws[1][0].GetDouble()); // a draw is a draw for both
        Assert.InRange(compare.Json.GetProperty("time_limit_draw_rate")[0][1].GetDouble(), 0, draws[0][1].GetDouble());
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
            (["train", "--env", "arena", "--steps", "1000", "--out", dir, "--evaluate-every", "0"], "evaluation interval"),
            (["train", "--env", "arena", "--steps", "1000", "--out", dir, "--evaluation-episodes", "0"], "evaluation episodes"),
            (["train", "--env", "arena", "--steps", "1000", "--resume", Path.Combine(dir, "nothing-here")], "model.safetensors"),
            (["eval", "--model", bogus, "--vs", "chaser"], "not-a-model"),
            (["eval", "--model", "bot:chaser", "--vs", "wizard"], "wizard"),
            (["eval", "--model", Path.Combine(dir, "missing.safetensors")], "does not exist"),
            (["compare", "bot:chaser"], "at least two"),
            (["export", bogus, "--name", "p", "--out", Path.Combine(dir, "p.json")], "not-a-model"),
            (["export", "bot:chaser", "--name", "p", "--out", Path.Combine(dir, "p.json")], "bot has no model"),
            (["export", bogus, "--name", "no/slashes", "--out", Path.Combine(dir, "p.json")], "--name"),
            (["export", bogus, "--name", "p"], "--out"),
        ];
        foreach (var (args, expect) in cases)
        {
            var result = Cli.Run(args);
            Assert.True(result.ExitCode != 0, $"{string.Join(' ', args)} should fail\n{result}");
            Assert.Contains(expect, result.Err, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Fact]
    public async Task A_CliTrainedModel_IsExported_ImportedIntoAServer_AndAnswersInference()
    {
        var train = Cli.Run("train", "--env", "arena", "--steps", "1024", "--out", dir, "--aggression", "80", "--endurance", "30",
            "--mode", "aggression", "--size", "1.3", "--num-envs", "8", "--num-steps", "64", "--num-minibatches", "2", "--update-epochs", "1");
        Assert.True(train.ExitCode == 0, train.ToString());
        string model = Path.Combine(dir, "best.safetensors"), document = Path.Combine(dir, "brawler.json");

        var export = Cli.Run("export", model, "--name", "cli brawler", "--glb", "viper-vance.glb", "--out", document, "--episodes", "6", "--json");
        Assert.True(export.ExitCode == 0, export.ToString());
        double winRate = export.Json.GetProperty("win_rate").GetDouble();
        Assert.InRange(winRate, 0, 1);
        Assert.Equal("aggression", export.Json.GetProperty("training_mode").GetString());

        // The document is the server's export format, with the model inside.
        using (var doc = JsonDocument.Parse(File.ReadAllText(document)))
        {
            var root = doc.RootElement;
            Assert.Equal("ringside-profile", root.GetProperty("format").GetString());
            Assert.Equal("viper-vance.glb", root.GetProperty("fighter").GetProperty("glb_filename").GetString());
            Assert.Equal(1.3, root.GetProperty("fighter").GetProperty("metadata_json").GetProperty("size").GetDouble(), 5);
            Assert.Equal(File.ReadAllBytes(model), Convert.FromBase64String(root.GetProperty("model").GetProperty("safetensors_base64").GetString()!));
            var evaluation = root.GetProperty("profile").GetProperty("evaluation");
            Assert.Equal(["cautious", "chaser", "random"], evaluation.EnumerateObject().Select(e => e.Name).Order());
            Assert.All(evaluation.EnumerateObject(), e => Assert.Equal(6, e.Value.GetProperty("episodes").GetInt32()));
        }

        // A server takes it in under the fighter with that GLB, and its network answers for that profile.
        string url = BenchHost.FreeLoopbackUrl(), data = Path.Combine(dir, "server");
        var app = BenchHost.BuildServer(url, data, new Dictionary<string, string?>());
        await app.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var imported = await http.PostAsync("/api/fighter-profiles/import", new StringContent(File.ReadAllText(document), Encoding.UTF8, "application/json"));
            Assert.True(imported.StatusCode == HttpStatusCode.Created, await imported.Content.ReadAsStringAsync());
            var profile = await imported.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("cli brawler", profile.GetProperty("profile_name").GetString());
            Assert.Equal(80, profile.GetProperty("aggression").GetDouble());
            Assert.Equal(30, profile.GetProperty("endurance").GetDouble());
            Assert.Equal("aggression", profile.GetProperty("training_mode").GetString());
            Assert.Equal(1, profile.GetProperty("model_version").GetInt32());
            Assert.Equal(winRate, profile.GetProperty("win_rate").GetDouble(), 9);
            long fighterId = profile.GetProperty("fighter_id").GetInt64();
            var fighter = await http.GetFromJsonAsync<JsonElement>($"/api/fighters/{fighterId}");
            Assert.Equal("viper-vance.glb", fighter.GetProperty("glb_filename").GetString());

            var inference = await http.PostAsJsonAsync($"/api/fighters/{fighterId}/inference",
                new { observation = new float[30], profile_name = "cli brawler" });
            Assert.True(inference.IsSuccessStatusCode, await inference.Content.ReadAsStringAsync());
            var answer = await inference.Content.ReadFromJsonAsync<JsonElement>();
            Assert.InRange(answer.GetProperty("action").GetInt32(), 0, 9);
            Assert.Equal(1.0, answer.GetProperty("action_probabilities").EnumerateArray().Sum(p => p.GetDouble()), 4);
        }
        finally { await BenchHost.StopAndCleanAsync(app, null); }
    }
}
