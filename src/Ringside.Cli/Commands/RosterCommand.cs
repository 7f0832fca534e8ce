using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Ringside.Assets;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside roster train</c>: the recipe of the trained profiles the built-in wrestlers ship with. Each is trained
/// with the default recipe, its own body and personality and a fixed seed, for a fixed number of steps; training is
/// deterministic (results do not depend on threads), so a rerun writes the same bytes. Writes NAME.safetensors (the
/// best checkup's checkpoint) and roster.json (each profile's evaluation and fingerprint) that the server registers.
/// </summary>
public static class RosterCommand
{
    public const long DefaultSteps = 8 * ArenaTraining.DefaultEpochSteps;
    public const int EvaluationEpisodes = 200;

    public static Command Create()
    {
        var command = new Command("roster", "The built-in wrestlers' trained signature profiles.");
        var outDir = new Option<string>("--out") { Description = "Folder for NAME.safetensors and roster.json (the repository's is src/Ringside.Assets/Roster).", Required = true };
        var steps = new Option<long>("--steps") { Description = "Training steps per wrestler (twice this for a body smaller than standard).", DefaultValueFactory = _ => DefaultSteps };
        var only = new Option<string?>("--only") { Description = "Train only these wrestlers (names, comma-separated); the others' entries in roster.json are kept." };
        var episodes = new Option<int>("--episodes") { Description = "Evaluation episodes per baseline bot.", DefaultValueFactory = _ => EvaluationEpisodes };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var train = new Command("train", "Train every built-in wrestler's signature profile (fixed seeds and budget: the same files every time).")
            { outDir, steps, only, episodes, json };
        train.SetAction(p => Output.Guard(() => Train(p.GetValue(outDir)!, p.GetValue(steps), Output.SplitList(p.GetValue(only)), p.GetValue(episodes), p.GetValue(json))));
        command.Subcommands.Add(train);
        return command;
    }

    /// <summary>
    /// Runs whose best checkup misses the 1v1 bar are trained again with the next seed, up to this many in all. El Relampago
    /// (small, fast, a risk-taker) needed five when the fighters began to sample their policy (session 17); the rest one.
    /// </summary>
    public const int MaxAttempts = 6;

    /// <summary>The recipe of one wrestler's attempt: what the server registers and what a rerun reproduces.</summary>
    public static ArenaTrainingOptions Recipe(RosterEntry entry, int index, int attempt, long steps, string outDir) => new()
    {
        Personality = PersonalityOf(entry),
        Fighter = new FighterSpec(entry.Size, entry.Speed),
        Seed = 1000 + (ulong)index + 100 * (ulong)attempt,
        Steps = StepsFor(entry, steps),
        OutDir = outDir,
        CheckpointEvery = int.MaxValue,
    };

    /// <summary>
    /// A wrestler's budget: <paramref name="steps"/>, twice that for a body smaller than standard. Their reach is shorter
    /// than the chaser's, so they must learn to strike first or from outside its reach; on 8 epochs El Relampago (size 0.8)
    /// missed the 1v1 bar on every seed tried in session 9, on 16 it cleared it (docs/BENCHMARKS.md, "Roster").
    /// </summary>
    public static long StepsFor(RosterEntry entry, long steps) => entry.Size < 1 ? 2 * steps : steps;

    public static Personality PersonalityOf(RosterEntry e) =>
        new(e.Sliders.Aggression, e.Sliders.Positioning, e.Sliders.Targeting, e.Sliders.RiskTolerance, e.Sliders.Endurance);

    private static int Train(string outDir, long steps, string[] only, int episodes, bool json)
    {
        if (steps <= 0) throw new ArgumentException($"--steps must be positive, got {steps}.");
        if (episodes < 1) throw new ArgumentException($"--episodes must be at least 1, got {episodes}.");
        foreach (var name in only)
            if (DefaultRoster.Find(name) is null) throw new ArgumentException($"--only: no built-in wrestler is called '{name}'; expected {string.Join(", ", DefaultRoster.Entries.Select(e => e.Name))}.");
        Directory.CreateDirectory(outDir);
        string indexPath = Path.Combine(outDir, "roster.json");
        var profiles = File.Exists(indexPath)
            ? JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonDocument.Parse(File.ReadAllText(indexPath)).RootElement.GetProperty("profiles").GetRawText())!
            : [];

        foreach (var (entry, place) in DefaultRoster.Entries.Select((e, i) => (e, i)))
        {
            if (only.Length > 0 && !only.Contains(entry.Name)) continue;
            string work = Path.Combine(Path.GetTempPath(), $"ringside-roster-{Environment.ProcessId}-{entry.Name}");
            try
            {
                // Training is deterministic but not every seed learns (about one run in ten misses the bar): a run that
                // misses it is trained again from the next seed, so reruns still write the same files.
                ArenaTrainingOptions recipe;
                ArenaTrainingResult result;
                int attempt = 0;
                while (true)
                {
                    recipe = Recipe(entry, place, attempt, steps, Path.Combine(work, $"attempt-{attempt}"));
                    if (!json) Console.Error.WriteLine($"{entry.Name}: size {entry.Size}, speed {entry.Speed}, {entry.Sliders}, {recipe.Steps:N0} steps, seed {recipe.Seed}");
                    result = ArenaTraining.Run(recipe);
                    if (result.Best?.DuelsPassed == true || ++attempt == MaxAttempts) break;
                    if (!json) Console.Error.WriteLine($"{entry.Name}: seed {recipe.Seed} missed the 1v1 bar ({result.Best?.VsChaser:P0} vs chaser, {result.Best?.VsCautious:P0} vs cautious); next seed");
                }
                string model = Path.Combine(outDir, entry.Name + ".safetensors");
                File.Copy(result.BestModelPath, model, overwrite: true);
                var evaluation = ProfileEvaluation.Run(model, recipe.Seed, recipe.EffectiveWeights, recipe.MaxTicks, episodes);
                profiles[entry.Name] = JsonSerializer.SerializeToElement(new
                {
                    personality = Fighters.SlidersOf(PersonalityOf(entry)),
                    seed = recipe.Seed,
                    attempts = attempt + (result.Best?.DuelsPassed == true ? 1 : 0),
                    steps = recipe.Steps,
                    best_checkup = result.Best is { } b ? new { b.Iteration, b.VsChaser, b.VsCautious, b.FreeForAll } : null,
                    win_rate = evaluation.WinRate,
                    mean_reward = evaluation.MeanReward,
                    evaluation = evaluation.Evaluation,
                    fingerprint = evaluation.Fingerprint,
                    sha256 = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(model))),
                });
                if (!json) Console.Error.WriteLine($"{entry.Name}: {Summary(evaluation.Evaluation)}");
            }
            finally { if (Directory.Exists(work)) Directory.Delete(work, recursive: true); }
        }

        var index = new
        {
            recipe = "ringside roster train (src/Ringside.Cli/Commands/RosterCommand.cs): the default arena recipe, each wrestler's body and sliders and its steps (twice the budget for a body smaller than standard), seed 1000 + its place in the roster (+ 100 per earlier attempt that missed the 1v1 bar)",
            evaluation_episodes = episodes,
            profiles = profiles.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(),
        };
        File.WriteAllText(indexPath, JsonSerializer.Serialize(index, new JsonSerializerOptions { WriteIndented = true }) + "\n");
        if (json) Output.WriteJson(index);
        else Console.WriteLine($"roster: {profiles.Count} profiles in {outDir}");
        return 0;
    }

    private static string Summary(JsonElement evaluation) => string.Join(", ",
        evaluation.EnumerateObject().Select(bot => string.Create(CultureInfo.InvariantCulture, $"{bot.Value.GetProperty("win_rate").GetDouble():P0} vs {bot.Name}")));
}
