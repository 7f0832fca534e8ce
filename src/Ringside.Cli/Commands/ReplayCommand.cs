using System.CommandLine;
using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary><c>ringside replay</c>: inspect, verify and export recorded matches.</summary>
public static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Replay file (.rsrp) written by 'ringside match --replay'." };
        var verify = new Option<bool>("--verify") { Description = "Re-simulate and check every frame's state hash." };
        var frames = new Option<string?>("--frames") { Description = "Export every frame as JSON lines to this file ('-' for stdout)." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("replay", "Show, verify or export a replay.") { file, verify, frames, json };
        command.SetAction(p => Output.Guard(() => Run(p.GetValue(file)!, p.GetValue(verify), p.GetValue(frames), p.GetValue(json))));
        return command;
    }

    private static int Run(string path, bool verify, string? framesPath, bool json)
    {
        var replay = Replay.Load(path);
        int? mismatch = verify ? replay.FirstMismatch() : null;
        if (framesPath is not null) ExportFrames(replay, framesPath);

        var summary = new
        {
            file = path,
            contract_version = replay.ContractVersion,
            episode_seed = replay.EpisodeSeed,
            fighters = replay.FighterNames,
            frames = replay.Ticks,
            winner = replay.Winner >= 0 ? replay.FighterNames[replay.Winner] : null,
            verified = verify ? mismatch is null : (bool?)null,
            first_mismatch_frame = mismatch,
        };
        if (json) Output.WriteJson(summary);
        else
        {
            Console.WriteLine($"{path}: {replay.Ticks} frames, fighters {string.Join(", ", replay.FighterNames)}, winner {summary.winner ?? "none (draw)"}");
            if (verify) Console.WriteLine(mismatch is null ? $"verified: all {replay.Ticks} frames match" : $"MISMATCH at frame {mismatch}");
        }
        return mismatch is null ? 0 : 1;
    }

    private static void ExportFrames(Replay replay, string path)
    {
        using var file = path == "-" ? null : new StreamWriter(path);
        var writer = file ?? Console.Out;
        foreach (var frame in replay.Frames())
            writer.WriteLine(JsonSerializer.Serialize(FrameExport.ToJson(frame, replay.FighterNames), Output.Json));
        writer.Flush();
    }
}

/// <summary>The frame export format for viewers: per fighter position, velocity, facing, health, action and events.</summary>
public static class FrameExport
{
    public static object ToJson(Frame frame, IReadOnlyList<string> names) => new
    {
        tick = frame.Tick,
        time = frame.Tick / (double)ArenaRules.TicksPerSecond,
        fighters = frame.Fighters.Select(f => new
        {
            slot = f.Slot,
            name = names[f.Slot],
            position = new[] { f.X, f.Y },
            velocity = new[] { f.VelocityX, f.VelocityY },
            facing = new[] { f.FacingX, f.FacingY },
            health = f.Health,
            action = Contract.ActionNames[f.Action],
            alive = f.Alive,
            events = EventNames(f.Events),
        }).ToArray(),
    };

    public static string[] EventNames(FighterEvents events) =>
        Enum.GetValues<FighterEvents>().Where(e => e != FighterEvents.None && events.HasFlag(e))
            .Select(e => e switch
            {
                FighterEvents.Attacked => "attack",
                FighterEvents.HitLanded => "hit",
                FighterEvents.WasHit => "hurt",
                FighterEvents.KnockedOut => "knockout",
                FighterEvents.RingOut => "ring_out",
                FighterEvents.Eliminated => "eliminated_opponent",
                _ => e.ToString().ToLowerInvariant(),
            }).ToArray();
}
