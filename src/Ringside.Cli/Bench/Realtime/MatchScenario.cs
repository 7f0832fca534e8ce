using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Ringside.Server.Realtime;
using static Ringside.Cli.Bench.Realtime.BenchRealtimeCommand;

namespace Ringside.Cli.Bench.Realtime;

/// <summary>
/// A live bot match at its real-time rate, watched by a few viewers (target: 6 fighters at 30 ticks/s, simulation under
/// 1 ms per tick): the tick rate the viewers see, and the server's own pace and simulation time per tick.
/// </summary>
internal static class MatchScenario
{
    private static readonly string[] Bots = ["chaser", "cautious", "random"];

    public static async Task<MatchResult> RunAsync(BenchServer server, BenchApi api, Settings s)
    {
        // Setup: the roster's fighters, played by bots.
        long[] fighterIds = await FighterIdsAsync(api);
        var bots = Enumerable.Range(0, s.MatchFighters).Select(i => Bots[i % Bots.Length]).ToArray();
        string fighters = string.Join(',', bots.Select((bot, i) => $$"""{"fighter_id":{{fighterIds[i % fighterIds.Length]}},"controller":"bot","bot":"{{bot}}"}"""));
        string maxSeconds = s.MatchSeconds.ToString("R", CultureInfo.InvariantCulture);

        // Load: the match, its viewers, and the server's tick counter against the clock, sampled every 50 ms while it runs.
        Progress($"match: {s.MatchFighters} bots ({string.Join(", ", bots)}), at most {s.MatchSeconds:0.#} s at real time, {s.MatchViewers} viewers...");
        var before = ProcessSnapshot.Take();
        var created = await api.SendAsync(HttpMethod.Post, "api/matches", $$"""{"fighters":[{{fighters}}],"seed":7,"max_seconds":{{maxSeconds}},"speed":1}""");
        if (created.Status != 201) throw new BenchException($"could not start a match: {created.Describe()}");
        long id = created.Id();
        var live = server.App!.Services.GetRequiredService<LiveMatches>().Find(id) ?? throw new BenchException($"match {id} is not among the server's live matches.");
        var viewers = Enumerable.Range(0, s.MatchViewers).Select(i => new Viewer(i)).ToArray();
        var ws = new Uri(server.Url.Replace("http://", "ws://") + $"/ws/matches/{id}");
        await Task.WhenAll(viewers.Select(v => v.ConnectAsync(new Uri($"{ws}?user_name=v{v.Index}"))));
        var loops = viewers.Select(v => Task.Run(v.ReceiveLoopAsync)).ToArray();
        var serverTicks = new List<(long At, int Tick)>();
        var sampler = Task.Run(async () =>
        {
            while (!live.Completion.IsCompleted)
            {
                int tick = live.Simulation.Tick;
                if (tick > 0 && live.End is null) serverTicks.Add((Stopwatch.GetTimestamp(), tick));
                await Task.WhenAny(live.Completion, Task.Delay(50));
            }
        });
        var deadline = TimeSpan.FromSeconds(s.MatchSeconds + 60);
        if (await Task.WhenAny(live.Completion, Task.Delay(deadline)) != live.Completion)
            throw new BenchException($"match {id} did not end within {deadline.TotalSeconds:0} s (status {live.Status}).");
        var after = ProcessSnapshot.Take();
        await sampler;
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (var v in viewers) await v.CloseAsync();

        // Measure: the server's pace as the viewers saw it, the ticks of the states they received over the time between them.
        var end = live.End;
        int ticks = end?.Ticks ?? live.Simulation.Tick;
        var ended = viewers.Where(v => v.EndAt != 0 && v.LastAt != 0).ToArray();
        double endDelayMs = ended.Length > 0 ? ended.Average(v => Ticks.Seconds(v.EndAt - v.LastAt) * 1000) : double.NaN;
        var withStates = viewers.Where(v => v.States > 1 && v.LastAt > v.FirstAt).ToArray();
        double statesPerSecond = withStates.Length > 0 ? withStates.Average(v => (v.States - 1) / Ticks.Seconds(v.LastAt - v.FirstAt)) : double.NaN;
        // Least-squares slopes: a late first state (the viewer was still connecting) does not bend them.
        double ticksPerSecond = withStates.Length > 0 ? withStates.Average(v => Slope(v.Ticks)) : double.NaN;
        double serverRate = Slope(serverTicks);
        var intervals = viewers.SelectMany(v => v.Intervals).ToArray();
        double wall = withStates.Length > 0 ? withStates.Average(v => Ticks.Seconds(v.LastAt - v.FirstAt)) : double.NaN;

        // Report
        bool meets = s.MatchFighters >= 6 && live.MeanSimulationMs < SimulationMsTarget && ticks > 0
                     && Math.Abs(ticksPerSecond - Sim.ArenaRules.TicksPerSecond) <= 0.03 * Sim.ArenaRules.TicksPerSecond;
        return new MatchResult(id, s.MatchFighters, bots, s.MatchSeconds, 1, s.MatchViewers, live.Status, end?.Reason, ticks, serverRate, wall, statesPerSecond,
            ticksPerSecond, viewers.Sum(v => v.States), viewers.Sum(v => v.Skipped), endDelayMs, LatencyMs.Of(intervals), live.MeanSimulationMs, live.MeanTickMs,
            ProcessUse.Of(after - before), $"6 fighters at {Sim.ArenaRules.TicksPerSecond} ticks/s (within 3%), simulation under {SimulationMsTarget:0} ms per tick",
            meets);
    }

    private static async Task<long[]> FighterIdsAsync(BenchApi api)
    {
        var listed = await api.SendAsync(HttpMethod.Get, "api/fighters", null);
        if (!listed.Ok) throw new BenchException($"could not list the fighters: {listed.Describe()}");
        long[] ids;
        using (var doc = JsonDocument.Parse(listed.Body)) ids = doc.RootElement.EnumerateArray().Select(f => f.GetProperty("id").GetInt64()).ToArray();
        if (ids.Length == 0) throw new BenchException("the server has no fighters (the default roster was not seeded).");
        return ids;
    }

    /// <summary>Ticks per second: the least-squares slope of tick numbers over their times.</summary>
    private static double Slope(List<(long At, int Tick)> points)
    {
        if (points.Count < 2) return double.NaN;
        long t0 = points[0].At;
        double mt = points.Average(p => Ticks.Seconds(p.At - t0)), mk = points.Average(p => (double)p.Tick);
        double cov = points.Sum(p => (Ticks.Seconds(p.At - t0) - mt) * (p.Tick - mk)), var = points.Sum(p => Math.Pow(Ticks.Seconds(p.At - t0) - mt, 2));
        return var > 0 ? cov / var : double.NaN;
    }

    /// <summary>A viewer of a live match: counts the state frames and the ticks they carry.</summary>
    private sealed class Viewer(int index)
    {
        private readonly ClientWebSocket _socket = new();
        public int Index { get; } = index;
        public long States, Skipped;
        public int FirstTick = -1, LastTick = -1;
        public long FirstAt, LastAt, EndAt;
        public List<long> Intervals { get; } = [];
        public List<(long At, int Tick)> Ticks { get; } = [];

        public Task ConnectAsync(Uri uri) => BenchSockets.ConnectAsync(_socket, uri, $"match viewer {Index}");

        public async Task ReceiveLoopAsync()
        {
            var reader = new BenchSockets.MessageReader(_socket);
            try
            {
                while (true)
                {
                    var (message, closed) = await reader.NextAsync();
                    if (closed) return;
                    long now = Stopwatch.GetTimestamp();
                    using var doc = JsonDocument.Parse(message);
                    var root = doc.RootElement;
                    switch (root.GetProperty("type").GetString())
                    {
                        case "match_end": EndAt = now; return;
                        case "state":
                            int tick = root.GetProperty("tick").GetInt32();
                            if (States == 0) { FirstTick = tick; FirstAt = now; }
                            else
                            {
                                if (tick > LastTick + 1) Skipped += tick - LastTick - 1;
                                Intervals.Add(now - LastAt);
                            }
                            States++;
                            Ticks.Add((now, tick));
                            LastTick = tick;
                            LastAt = now;
                            break;
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException) { }
        }

        public async Task CloseAsync()
        {
            await BenchSockets.CloseAsync(_socket);
            _socket.Dispose();
        }
    }
}
