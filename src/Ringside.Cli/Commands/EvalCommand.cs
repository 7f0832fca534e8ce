using System.CommandLine;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary><c>ringside eval</c> and <c>ringside compare</c>: how well, and how, a trained fighter fights.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint (.safetensors) or bot:NAME.", Required = true };
        var vs = new Option<string>("--vs") { Description = "Opponents, comma-separated: bots, or checkpoints (.safetensors). With --fighters 2 each is evaluated separately; with more, they fill the opponent slots in turn.", DefaultValueFactory = _ => "chaser,cautious" };
        var fighters = new Option<int>("--fighters") { Description = "Fighters per arena (2-8).", DefaultValueFactory = _ => 2 };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per opponent line-up.", DefaultValueFactory = _ => 200 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the episodes and the policy's sampling.", DefaultValueFactory = _ => 1 };
        var greedy = new Option<bool>("--greedy") { Description = "Take the most probable action instead of sampling." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("eval", "Evaluate a trained fighter against baseline bots or other checkpoints: win rate, rewards, eliminations and a behaviour fingerprint.")
            { model, vs, fighters, episodes, seed, greedy, json };
        command.SetAction(p => Output.Guard(() => RunEval(p.GetValue(model)!, Output.SplitList(p.GetValue(vs)), p.GetValue(fighters),
            p.GetValue(episodes), p.GetValue(seed), p.GetValue(greedy), p.GetValue(json))));
        return command;
    }

    public static Command CreateCompare()
    {
        var models = new Argument<string[]>("models") { Description = "Two or more checkpoints (or bot:NAME).", Arity = ArgumentArity.OneOrMore };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per pair.", DefaultValueFactory = _ => 100 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the episodes.", DefaultValueFactory = _ => 1 };
        var greedy = new Option<bool>("--greedy") { Description = "Every network takes its most probable action instead of sampling its policy (as in the arena)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("compare", "Play fighters against each other 1v1 and print a table of win rates, and of draws: standoffs to the time limit and fighters going down together.")
            { models, episodes, seed, greedy, json };
        command.SetAction(p => Output.Guard(() => RunCompare(p.GetValue(models)!, p.GetValue(episodes), p.GetValue(seed), p.GetValue(greedy), p.GetValue(json))));
        return command;
    }

    private static int RunEval(string modelPath, string[] opponents, int fighters, int episodes, ulong seed, bool greedy, bool json)
    {
        if (opponents.Length == 0) throw new ArgumentException("--vs needs at least one bot or checkpoint.");
        if (fighters is < ArenaConfig.MinFighters or > ArenaConfig.MaxFighters) throw new ArgumentException($"--fighters must be 2 to 8, got {fighters}.");
        if (episodes < 1) throw new ArgumentException($"--episodes must be at least 1, got {episodes}.");
        var me = Fighters.Load(modelPath, episodes, seed, greedy);
        // "bot:chaser" is "chaser", as for --model and compare: the same bot, seeded the same.
        opponents = opponents.Select(o => o.StartsWith("bot:", StringComparison.OrdinalIgnoreCase) ? o[4..] : o).ToArray();
        var lineups = fighters == 2 ? opponents.Select(o => new[] { o }).ToArray() : [opponents];
        // A bot plays as in every evaluation; a checkpoint with its own fighter, greedy when --greedy.
        (IPolicy, FighterSpec) Opponent(string entry, int index)
        {
            if (Bots.IsBot(entry)) return (Evaluation.Bot(entry, FighterSpec.Standard, seed, index), FighterSpec.Standard);
            var them = Fighters.Load(entry, episodes * (fighters - 1), SplitMix64.Mix(seed ^ 0x0BB, (ulong)index), greedy);
            return (them.Policy, them.Spec);
        }
        var results = lineups.Select(lineup => Evaluation.Run(me.Policy, lineup.Select(Opponent).ToArray(), string.Join(",", lineup), new EvaluationOptions
        {
            Opponents = [],
            Fighters = fighters,
            Episodes = episodes,
            Seed = seed,
            Learner = me.Spec,
            Weights = me.Weights,
        })).ToArray();

        double Mean(Func<EvaluationResult, double> pick) => results.Average(pick);
        var summary = new
        {
            model = modelPath,
            fighters,
            episodes_per_lineup = episodes,
            seed,
            win_rate = Mean(r => r.WinRate),
            draw_rate = Mean(r => r.DrawRate),
            mean_reward = Mean(r => r.MeanReward),
            knockouts = results.Sum(r => r.KnockoutsDealt),
            ring_outs = results.Sum(r => r.RingOutsDealt),
            fingerprint = new
            {
                attacks_per_second = Mean(r => r.Fingerprint.AttacksPerSecond),
                mean_distance_to_edge = Mean(r => r.Fingerprint.MeanDistanceToEdge),
                mean_distance_to_nearest_enemy = Mean(r => r.Fingerprint.MeanDistanceToNearestEnemy),
                damage_dealt_per_episode = Mean(r => r.Fingerprint.DamageDealtPerEpisode),
                damage_taken_per_episode = Mean(r => r.Fingerprint.DamageTakenPerEpisode),
            },
            lineups = results,
        };
        if (json) { Output.WriteJson(summary); return 0; }

        Console.WriteLine($"{modelPath} ({(greedy ? "greedy" : "sampled")}), {fighters} fighters, {episodes} episodes per line-up, seed {seed}");
        Console.WriteLine($"{"opponents",-28} {"win",6} {"draw",6} {"reward",8} {"KOs",5} {"ring-outs",9} {"atk/s",6} {"edge m",7} {"enemy m",8} {"dealt",6} {"taken",6}");
        foreach (var r in results)
            Console.WriteLine($"{Fit(r.Opponents, 28),-28} {r.WinRate,6:P0} {r.DrawRate,6:P0} {r.MeanReward,8:F1} {r.KnockoutsDealt,5} {r.RingOutsDealt,9} " +
                              $"{r.Fingerprint.AttacksPerSecond,6:F2} {r.Fingerprint.MeanDistanceToEdge,7:F2} {r.Fingerprint.MeanDistanceToNearestEnemy,8:F2} " +
                              $"{r.Fingerprint.DamageDealtPerEpisode,6:F1} {r.Fingerprint.DamageTakenPerEpisode,6:F1}");
        return 0;
    }

    private static int RunCompare(string[] models, int episodes, ulong seed, bool greedy, bool json)
    {
        if (models.Length < 2) throw new ArgumentException("compare needs at least two models.");
        if (episodes < 1) throw new ArgumentException($"--episodes must be at least 1, got {episodes}.");
        var loaded = models.Select((m, k) => Fighters.Load(m, episodes, SplitMix64.Mix(seed, (ulong)k), greedy)).ToArray();
        int n = loaded.Length;
        // Draws are of two kinds worth telling apart: a standoff to the time limit, or both going down on the same tick.
        double[][] Table() => Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Select(j => i == j ? double.NaN : 0).ToArray()).ToArray();
        double[][] winRate = Table(), drawRate = Table(), timeLimitDrawRate = Table();
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                var r = Evaluation.Run(loaded[i].Policy, [(loaded[j].Policy, loaded[j].Spec)], loaded[j].Name,
                    new EvaluationOptions { Opponents = [], Episodes = episodes, Seed = SplitMix64.Mix(seed, (ulong)(i * n + j)), Learner = loaded[i].Spec, Weights = loaded[i].Weights });
                winRate[i][j] = r.WinRate;
                winRate[j][i] = r.LossRate;
                drawRate[i][j] = drawRate[j][i] = r.DrawRate;
                timeLimitDrawRate[i][j] = timeLimitDrawRate[j][i] = (double)r.DrawsAtTimeLimit / r.Episodes;
            }
        static IEnumerable<IEnumerable<double?>> DiagonalAsNull(double[][] table) => table.Select(r => r.Select(v => double.IsFinite(v) ? v : (double?)null));
        var score = winRate.Select(row => row.Where(double.IsFinite).Average()).ToArray();
        if (json)
        {
            Output.WriteJson(new
            {
                models,
                episodes_per_pair = episodes,
                seed,
                greedy,
                win_rate = DiagonalAsNull(winRate),
                mean_win_rate = score,
                draw_rate = DiagonalAsNull(drawRate),
                time_limit_draw_rate = DiagonalAsNull(timeLimitDrawRate),
            });
            return 0;
        }
        Console.WriteLine($"win rate of the row against the column, {episodes} episodes per pair (1v1, {(greedy ? "greedy" : "sampled")})");
        string Short(string m) => Fit(m, 24);
        Console.WriteLine($"{"",-26}" + string.Concat(models.Select(m => $"{Short(m),26}")) + $"{"mean",8}");
        for (int i = 0; i < n; i++)
            Console.WriteLine($"{Short(models[i]),-26}" + string.Concat(winRate[i].Select(v => double.IsFinite(v) ? $"{v,26:P0}" : $"{"-",26}")) + $"{score[i],8:P0}");
        Console.WriteLine("draws (at the time limit / down together)");
        for (int i = 0; i < n; i++)
            Console.WriteLine($"{Short(models[i]),-26}" + string.Concat(Enumerable.Range(0, n).Select(j => i == j ? $"{"-",26}"
                : $"{$"{drawRate[i][j]:P0} ({timeLimitDrawRate[i][j]:P0} / {drawRate[i][j] - timeLimitDrawRate[i][j]:P0})",26}")));
        return 0;
    }

    /// <summary>The text, or its end after an ellipsis when it is wider than a table column (a checkpoint's long path).</summary>
    private static string Fit(string text, int width) => text.Length <= width ? text : "…" + text[^(width - 1)..];
}
