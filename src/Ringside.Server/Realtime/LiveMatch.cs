using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Ringside.Server.Data;
using Ringside.Server.Inference;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <summary>A participant of a live match and what controls it.</summary>
public sealed class MatchSlot
{
    public required int Slot { get; init; }
    public required Fighter Fighter { get; init; }
    public required FighterSpec Spec { get; init; }
    /// <summary>"human", "bot:NAME" or "profile:NAME".</summary>
    public required string Controller { get; init; }
    public FighterProfile? Profile { get; init; }
    public IFighterController? Bot { get; init; }
    public LoadedModel? Model { get; init; }
    public string? PlayerToken { get; init; }
    public bool IsHuman => Controller == "human";
    /// <summary>The human's latest input (held until the next one).</summary>
    public volatile int HumanAction = Contract.Idle;
    public volatile bool Connected;
}

/// <summary>A fighter of a live match as clients see it (the created match's fighters and the match_info message).</summary>
/// <param name="Controller">human, bot, profile or training_job.</param>
/// <param name="Rating">the profile's rating (mu - 3 sigma) when a profile plays.</param>
public sealed record MatchFighterInfo(int Slot, long FighterId, string Name, string GlbFilename, float Size, float Speed, string Controller,
    string? Bot, string? ProfileName, double? Rating);

/// <summary>
/// A match the server simulates in real time (30 ticks per second) and streams to every connected viewer. The
/// browser only renders; humans send inputs. When it ends, <see cref="MatchRecorder"/> stores the result.
/// </summary>
public sealed class LiveMatch
{
    public long Id { get; }
    public ulong Seed { get; }
    public IReadOnlyList<MatchSlot> Slots { get; }
    public int MaxTicks { get; }
    public double Speed { get; }
    public string Status { get; private set; } = "waiting";
    public MatchEnd? End { get; private set; }
    public Match Simulation { get; }
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>Simulation time per tick (ms) and the whole tick including controllers and broadcast.</summary>
    public double MeanSimulationMs => _ticks == 0 ? 0 : _simulationTicks * 1000.0 / Stopwatch.Frequency / _ticks;
    public double MeanTickMs => _ticks == 0 ? 0 : _totalTicks * 1000.0 / Stopwatch.Frequency / _ticks;
    public Task Completion => _completion.Task;

    private readonly ConcurrentDictionary<Guid, WsConnection> _viewers = new();
    private readonly Lock _lifecycle = new();
    private readonly TaskCompletionSource _readyToStart = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly MatchRecording _recording;
    private long _simulationTicks, _totalTicks, _ticks;

    public sealed record MatchEnd(int WinnerSlot, string Reason, int Ticks, long? ReplayId, IReadOnlyList<int> Placements, IReadOnlyList<object> Ratings);

    private readonly bool _waitForSpectator;

    /// <param name="waitForSpectator">start when the first viewer has joined (and every human), not at once.</param>
    public LiveMatch(long id, ulong seed, IReadOnlyList<MatchSlot> slots, int maxTicks, double speed, bool waitForSpectator = false)
    {
        _waitForSpectator = waitForSpectator;
        Id = id; Seed = seed; Slots = slots; MaxTicks = maxTicks; Speed = speed;
        var config = new ArenaConfig { Fighters = slots.Select(s => s.Spec).ToArray(), MaxTicks = maxTicks };
        Simulation = new Match(config, seed, controllers: null, names: slots.Select(s => s.Fighter.Name).ToArray());
        _recording = new MatchRecording(slots.Count);
        if (!slots.Any(s => s.IsHuman) && !waitForSpectator) _readyToStart.TrySetResult();
    }

    public object Info(int? you) => new
    {
        type = "match_info",
        id = Id,
        status = Status,
        seed = Seed,
        ticks_per_second = ArenaRules.TicksPerSecond,
        max_ticks = MaxTicks,
        ring_half_size = ArenaRules.RingHalfSize,
        speed = Speed,
        you,
        fighters = FighterInfo(),
    };

    public IReadOnlyList<MatchFighterInfo> FighterInfo() => Slots.Select(s => new MatchFighterInfo(
        s.Slot, s.Fighter.Id, s.Fighter.Name, s.Fighter.GlbFilename, s.Spec.Size, s.Spec.Speed,
        s.IsHuman ? "human" : s.Controller.StartsWith("bot:") ? "bot" : s.Controller.StartsWith("job:") ? "training_job" : "profile",
        s.Controller.StartsWith("bot:") ? s.Controller[4..] : null, s.Profile?.ProfileName, s.Profile?.Rating)).ToList();

    public MatchSlot? SlotOfToken(string? token) =>
        token is null ? null : Slots.FirstOrDefault(s => s.PlayerToken is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(s.PlayerToken), System.Text.Encoding.UTF8.GetBytes(token)));

    public void Join(WsConnection viewer, MatchSlot? player)
    {
        // Under the lifecycle lock, a viewer gets match_info, then the start and end it missed, and only then joins the
        // broadcasts: so match_info comes first and match_start comes once, however the join and the start interleave.
        lock (_lifecycle)
        {
            viewer.Send(Info(player?.Slot));
            if (Status == "running") viewer.Send(new { type = "match_start", tick = Simulation.Tick });
            if (End is not null) viewer.Send(EndMessage(End));
            _viewers[viewer.Id] = viewer;
        }
        if (player is not null) player.Connected = true;
        if (Slots.Where(s => s.IsHuman).All(s => s.Connected) && (player is not null || _waitForSpectator))
            _readyToStart.TrySetResult(); // everyone it waits for is here: every human, and a first viewer when asked
    }

    public void Leave(WsConnection viewer) => _viewers.TryRemove(viewer.Id, out _);

    public int Viewers => _viewers.Count;

    /// <summary>Handles a client message: a human's input, or an error reply (the connection stays open).</summary>
    public void OnMessage(WsConnection from, MatchSlot? player, string text)
    {
        string? error = MatchInput.Parse(text, out int action);
        if (error is null && player is null) error = "spectators cannot send input; connect with your player_token.";
        if (error is not null) { from.Send(Messages.Error(error)); return; }
        player!.HumanAction = action;
    }

    /// <summary>Runs the match to its end at real time (× speed), then stores it.</summary>
    public async Task RunAsync(MatchRecorder recorder, ILogger log, CancellationToken stopping)
    {
        try
        {
            await Task.WhenAny(_readyToStart.Task, Task.Delay(StartTimeout, stopping));
            await recorder.MarkStartedAsync(Id);
            ChangeStatus("running", Messages.Serialize(new { type = "match_start", tick = 0 }));
            var actions = new int[Slots.Count];
            // Real time is one tick per 1/30 s (divided by the speed), paced against a clock: tick k is due at k periods
            // after the start, so timer rounding never makes a match run fast, and a late wake catches up (a few
            // ticks at most; beyond that the match slips rather than jumps).
            double period = 1.0 / (ArenaRules.TicksPerSecond * Speed);
            long origin = Stopwatch.GetTimestamp();
            long due = 0;
            while (!Simulation.IsOver)
            {
                double wait = due * period - Stopwatch.GetElapsedTime(origin).TotalSeconds;
                if (wait > 0.001) await Task.Delay(TimeSpan.FromSeconds(wait), stopping);
                else if (wait < -5 * period) origin = Stopwatch.GetTimestamp() - (long)(due * period * Stopwatch.Frequency); // too far behind: slip
                stopping.ThrowIfCancellationRequested();
                due++;
                long start = Stopwatch.GetTimestamp();
                Decide(actions);
                long simStart = Stopwatch.GetTimestamp();
                Simulation.Step(actions);
                _simulationTicks += Stopwatch.GetTimestamp() - simStart;
                var frame = Simulation.CurrentFrame();
                _recording.Add(Simulation, frame);
                var fighters = Messages.Fighters(frame);
                var state = Messages.Serialize(new { type = "state", tick = frame.Tick, time = Math.Round(frame.Tick / (double)ArenaRules.TicksPerSecond, 3), fighters });
                foreach (var viewer in _viewers.Values) viewer.OfferState(state);
                _totalTicks += Stopwatch.GetTimestamp() - start;
                _ticks++;
            }
            if (!Simulation.IsOver) return; // stopping
            var end = await recorder.StoreAsync(this, _recording);
            ChangeStatus("finished", Messages.Serialize(EndMessage(end)), end);
            log.LogInformation("Match {Match} ended after {Ticks} ticks: winner slot {Winner} ({Reason}); sim {Sim:F3} ms/tick.",
                Id, end.Ticks, end.WinnerSlot, end.Reason, MeanSimulationMs);
        }
        catch (OperationCanceledException) { }
        catch (Exception e)
        {
            log.LogError(e, "Match {Match} failed.", Id);
            await recorder.MarkFailedAsync(Id);
            ChangeStatus("failed", Messages.Error($"the match failed: {ServerPaths.Redact(e.Message)}"));
        }
        finally { _completion.TrySetResult(); }
    }

    private void Decide(int[] actions)
    {
        foreach (var s in Slots)
        {
            var observation = Simulation.Observation(s.Slot);
            actions[s.Slot] = s.IsHuman ? s.HumanAction
                : s.Bot is not null ? s.Bot.Decide(observation)
                : s.Model!.Decide(observation, sample: !Learning.Arena.Fighters.Greedy).Action;
        }
    }

    private object EndMessage(MatchEnd end) => new
    {
        type = "match_end",
        winner_slot = end.WinnerSlot,
        winner_fighter_id = end.WinnerSlot >= 0 ? Slots[end.WinnerSlot].Fighter.Id : (long?)null,
        reason = end.Reason,
        ticks = end.Ticks,
        replay_id = end.ReplayId,
        placements = end.Placements,
        ratings = end.Ratings,
    };

    private void ChangeStatus(string status, byte[] message, MatchEnd? end = null)
    {
        lock (_lifecycle)
        {
            Status = status;
            End = end ?? End;
            foreach (var viewer in _viewers.Values) viewer.Send(message);
        }
    }

    public void CloseViewers(string reason)
    {
        foreach (var viewer in _viewers.Values) viewer.Close(WebSocketCloseStatus.NormalClosure, reason);
    }
}

/// <summary>Parses a client's input message: {"type": "input", "action": 0-9}.</summary>
public static class MatchInput
{
    /// <returns>null when valid, else what is wrong.</returns>
    public static string? Parse(string text, out int action)
    {
        action = Contract.Idle;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != System.Text.Json.JsonValueKind.String)
                return "a message is a JSON object with a \"type\".";
            if (type.GetString() != "input") return $"unknown message type '{type.GetString()}'; expected \"input\".";
            if (!root.TryGetProperty("action", out var a) || a.ValueKind != System.Text.Json.JsonValueKind.Number || !a.TryGetInt32(out action) || !Contract.IsValidAction(action))
                return "input.action must be an integer from 0 to 9 (0-7 move, 8 idle, 9 attack).";
            return null;
        }
        catch (System.Text.Json.JsonException e) { return $"the message is not valid JSON: {e.Message}"; }
        catch (InvalidOperationException) { return "the message is not well-formed text (a lone UTF-16 surrogate)."; } // GetString refuses it
    }
}

/// <summary>Per tick and fighter, what an episode's fight frames need.</summary>
public sealed class MatchRecording(int fighters)
{
    public sealed record Tick(int Number, float X, float Y, float Vx, float Vy, float Health, bool Alive, int Action, float Reward, float[] Observation);
    public List<Tick>[] Fighters { get; } = Enumerable.Range(0, fighters).Select(_ => new List<Tick>()).ToArray();

    public void Add(Match match, Frame frame)
    {
        for (int s = 0; s < frame.Fighters.Count; s++)
        {
            var f = frame.Fighters[s];
            var list = Fighters[s];
            // A fighter's episode ends with its elimination: one last frame, then nothing.
            if (list.Count > 0 && !list[^1].Alive) continue;
            list.Add(new Tick(frame.Tick, f.X, f.Y, f.VelocityX, f.VelocityY, f.Health, f.Alive, f.Action, match.Rewards[s], match.Observation(s).ToArray()));
        }
    }
}
