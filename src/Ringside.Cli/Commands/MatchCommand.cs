using System.CommandLine;
using System.Globalization;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary><c>ringside match</c>: one headless match between bots.</summary>
public static class MatchCommand
{
    public static Command Create()
    {
        var bots = new Option<string>("--bots") { Description = "Comma-separated bots, one per fighter (2-8): idle, random, chaser, cautious.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Episode seed.", DefaultValueFactory = _ => 1 };
        var sizes = new Option<string?>("--sizes") { Description = "Comma-separated size per fighter (0.5-2, default 1)." };
        var speeds = new Option<string?>("--speeds") { Description = "Comma-separated speed per fighter (0.5-2, default 1)." };
        var maxSeconds = new Option<int>("--max-seconds") { Description = "Time limit in seconds.", DefaultValueFactory = _ => ArenaRules.DefaultMaxTicks / ArenaRules.TicksPerSecond };
        var replay = new Option<string?>("--replay") { Description = "Write the match's replay to this file." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("match", "Run a headless match between bots and print the result.") { bots, seed, sizes, speeds, maxSeconds, replay, json };
        command.SetAction(p => Output.Guard(() => Run(
            Output.SplitList(p.GetValue(bots)), p.GetValue(seed), p.GetValue(sizes), p.GetValue(speeds),
            p.GetValue(maxSeconds), p.GetValue(replay), p.GetValue(json))));
        return command;
    }

    private static int Run(string[] botNames, ulong seed, string? sizes, string? speeds, int maxSeconds, string? replayPath, bool json)
    {
        if (botNames.Length is < ArenaConfig.MinFighters or > ArenaConfig.MaxFighters)
            throw new ArgumentException($"--bots needs {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters} bots, got {botNames.Length}.");
        if (maxSeconds < 1) throw new ArgumentException($"--max-seconds must be at least 1, got {maxSeconds}.");
        var sizeValues = ParseMultipliers(sizes, botNames.Length, "--sizes");
        var speedValues = ParseMultipliers(speeds, botNames.Length, "--speeds");
        var specs = botNames.Select((_, i) => new FighterSpec(sizeValues[i], speedValues[i])).ToArray();
        var config = new ArenaConfig { Fighters = specs, MaxTicks = maxSeconds * ArenaRules.TicksPerSecond };
        var controllers = botNames.Select((name, i) => Bots.Create(name, specs[i], SplitMix64.Mix(seed, (ulong)(100 + i)))).ToArray();
        var names = botNames.Select((name, i) => $"{name.ToLowerInvariant()}#{i}").ToArray();

        using var match = new Match(config, seed, controllers, names);
        var result = match.Run();
        if (replayPath is not null) match.ToReplay().Save(replayPath);

        string winner = result.Winner >= 0 ? names[result.Winner] : "draw";
        var outcome = new
        {
            winner = result.Winner >= 0 ? names[result.Winner] : null,
            winner_slot = result.Winner,
            frames = result.Frames,
            seconds = result.Frames / (double)ArenaRules.TicksPerSecond,
            time_limit = result.TimeLimit,
            state_hash = result.StateHash.ToString("x16"),
            fighters = names.Select((name, s) => new
            {
                name,
                health = match.Fighter(s).Health,
                elimination = match.Fighter(s).Elimination.ToString().ToLowerInvariant(),
                eliminated_at_frame = match.Fighter(s).EliminatedAtTick,
                total_reward = result.Rewards[s],
            }).ToArray(),
            replay = replayPath,
        };
        if (json) Output.WriteJson(outcome);
        else
        {
            Console.WriteLine($"winner: {winner} after {result.Frames} frames ({outcome.seconds:0.0} s){(result.TimeLimit ? " at the time limit" : "")}");
            foreach (var f in outcome.fighters)
                Console.WriteLine($"  {f.name,-12} health {f.health,5:0}  {f.elimination,-9} reward {f.total_reward,8:0.00}");
            Console.WriteLine($"state hash: {outcome.state_hash}");
            if (replayPath is not null) Console.WriteLine($"replay: {replayPath}");
        }
        return 0;
    }

    internal static float[] ParseMultipliers(string? list, int count, string option)
    {
        var items = Output.SplitList(list);
        if (items.Length == 0) return Enumerable.Repeat(1f, count).ToArray();
        if (items.Length != count) throw new ArgumentException($"{option} needs one value per fighter ({count}), got {items.Length}.");
        return items.Select(x => float.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new ArgumentException($"{option}: '{x}' is not a number.")).ToArray();
    }
}
