using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Profiles;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside export</c>: a model trained on the command line as a profile document, the same JSON as the server's
/// profile export, which the dashboard's import (or <c>POST /api/fighter-profiles/import</c>) takes in. The profile's
/// personality, mode, weights and fighter size come from the checkpoint; its evaluation against the baseline bots is
/// run here, as a finished training job runs it.
/// </summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Arena checkpoint (.safetensors), e.g. a run folder's best.safetensors from 'ringside train --env arena'." };
        var name = new Option<string>("--name") { Description = "Profile name (1-64 letters, digits, spaces, '_', '-' or '.').", Required = true };
        var glb = new Option<string?>("--glb") { Description = "GLB file name of the fighter it belongs to (e.g. viper-vance.glb); the importing server files it under that fighter. Without it, choose the fighter when importing." };
        var output = new Option<string>("--out") { Description = "File to write the document to ('-' for stdout).", Required = true };
        var episodes = new Option<int>("--episodes") { Description = "Evaluation episodes against each baseline bot (0: no evaluation).", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the evaluation episodes.", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("export", "Export a trained model as a profile document that a Ringside server imports (dashboard, or POST /api/fighter-profiles/import).")
            { model, name, glb, output, episodes, seed, json };
        command.SetAction(p => Output.Guard(() => Run(p.GetValue(model)!, p.GetValue(name)!, p.GetValue(glb), p.GetValue(output)!,
            p.GetValue(episodes), p.GetValue(seed), p.GetValue(json))));
        return command;
    }

    private static int Run(string modelPath, string name, string? glb, string outPath, int episodes, ulong seed, bool json)
    {
        var check = new Validation();
        ProfileStore.ValidateName(name, check, "--name");
        if (!check.Ok) throw new ArgumentException($"--name {check.Errors["--name"][0]}");
        if (episodes < 0) throw new ArgumentException($"--episodes must be 0 or more, got {episodes}.");
        if (modelPath.StartsWith("bot:", StringComparison.OrdinalIgnoreCase)) throw new ArgumentException("a bot has no model to export; give a .safetensors checkpoint.");
        if (!File.Exists(modelPath)) throw new ArgumentException($"model '{modelPath}' does not exist.");

        // One snapshot of the file is loaded, evaluated and exported, even if a training run rewrites it meanwhile.
        byte[] model = File.ReadAllBytes(modelPath);
        string snapshot = Path.Combine(Path.GetTempPath(), $"ringside-export-{Guid.NewGuid():N}.safetensors");
        File.WriteAllBytes(snapshot, model);
        try { return Export(snapshot, model, Path.GetFileName(modelPath), name, glb, outPath, episodes, seed, json); }
        catch (Learning.CheckpointException e) { throw new Learning.CheckpointException(e.Message.Replace(snapshot, modelPath)); } // name the user's file
        finally { File.Delete(snapshot); }
    }

    private static int Export(string snapshot, byte[] model, string fileName, string name, string? glb, string outPath, int episodes, ulong seed, bool json)
    {
        var fighter = Fighters.Load(snapshot, 1, seed);
        var info = fighter.Info!;
        // Evaluated at the standard time limit: a checkpoint does not record the one it was trained with.
        var evaluation = episodes > 0 ? ProfileEvaluation.Run(snapshot, seed, fighter.Weights, ArenaRules.DefaultMaxTicks, episodes) : null;
        var now = DateTime.UtcNow;
        var profile = new FighterProfile
        {
            ProfileName = name,
            TrainingMode = info.Mode ?? TrainingMode.Tactical.Name(),
            RewardWeights = JsonSerializer.SerializeToElement(fighter.Weights.ToDictionary()),
            ModelVersion = 1,
            WinRate = evaluation?.WinRate,
            AvgReward = evaluation?.MeanReward,
            Evaluation = evaluation?.Evaluation,
            Fingerprint = evaluation?.Fingerprint,
            CreatedAt = now,
            UpdatedAt = now,
        };
        profile.SetPersonality(Fighters.PersonalityOf(info));
        var metadata = JsonSerializer.SerializeToElement(new { size = fighter.Spec.Size, speed = fighter.Spec.Speed });
        var document = new ProfileDocument(ProfileDocument.FormatName, 1, profile, new ExportedFighter(glb ?? "", metadata),
            new ExportedModel(Convert.ToBase64String(model), fileName), now);

        string text = JsonSerializer.Serialize(document, Json.Options);
        if (outPath == "-") Console.Out.WriteLine(text);
        else File.WriteAllText(outPath, text);

        string shownWinRate = evaluation is null ? "not evaluated" : $"win rate {evaluation.WinRate.ToString("P0", CultureInfo.InvariantCulture)} against {string.Join(", ", ProfileEvaluation.Baselines)}";
        if (json)
            Output.WriteJson(new
            {
                file = outPath,
                name,
                glb_filename = glb,
                training_mode = profile.TrainingMode,
                steps = info.Steps,
                win_rate = evaluation?.WinRate,
                mean_reward = evaluation?.MeanReward,
                episodes_per_bot = episodes,
            });
        else if (outPath != "-")
            Console.Out.WriteLine($"exported '{name}' ({profile.TrainingMode}, {info.Steps:N0} steps, {shownWinRate}) to {outPath}; " +
                                  "import it on the dashboard, or POST it to /api/fighter-profiles/import");
        return 0;
    }
}
