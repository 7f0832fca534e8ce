using System.CommandLine;
using System.Globalization;

namespace Ringside.Cli.Bench.Realtime;


/// <summary>
/// <c>ringside bench realtime</c>: the real-time targets, measured over real sockets against the server started in this
/// process on a loopback TCP port (Kestrel, fresh SQLite database, rate limiter off):
/// <list type="bullet">
/// <item><c>spectators</c>: 200 WebSocket spectators of one training session, 30 metrics messages per second published
/// by an outside trainer (HTTP POST), every message checked for loss and order, delivery latency measured;</item>
/// <item><c>stalled</c>: the same with clients that connect and never read: the others must see no difference, and the
/// server must close the stalled ones (their TCP window fills, then their send waits out the server's timeout);</item>
/// <item><c>match</c>: a live 6-fighter bot match at its real-time rate, watched by a few viewers: tick rate seen by the
/// viewers and the server's simulation time per tick (target under 1 ms).</item>
/// </list>
/// The load generator shares this process (and its CPU) with the server, so the CPU figures are of both together.
/// Each scenario is a file of its own beside this one (<see cref="SpectatorsScenario"/> for spectators and stalled,
/// <see cref="MatchScenario"/>); the kit one folder up holds what the benches share.
/// </summary>
public static class BenchRealtimeCommand
{
    public const int SpectatorsTarget = 200;
    public const double RateTarget = 30;
    public const double SimulationMsTarget = 1;
    private static readonly string[] Scenarios = ["spectators", "stalled", "match"];

    public sealed record Settings(string[] Scenarios, int Spectators, double Rate, double Seconds, double Warmup, double MaxWarmup, int Stalled, double StallWait,
        double StallRate, string Publish, int MatchFighters, double MatchSeconds, int MatchViewers, bool Json);

    public static Command Create()
    {
        var scenario = new Option<string>("--scenario")
        {
            Description = "What to measure: spectators (one session's spectators receiving metrics), stalled (the same with clients that never " +
                          "read), match (a live bot match's tick rate and simulation time), or all.",
            DefaultValueFactory = _ => "all",
        };
        var spectators = new Option<int>("--spectators") { Description = "Reading WebSocket spectators of the training session.", DefaultValueFactory = _ => SpectatorsTarget };
        var rate = new Option<double>("--rate") { Description = "Metrics messages published per second.", DefaultValueFactory = _ => RateTarget };
        var seconds = new Option<double>("--seconds") { Description = "Measured publishing time of each spectator scenario, after its warm-up.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup")
        {
            Description = "Least seconds of publishing before measuring; the warm-up then goes on until the JIT has settled (under 20 ms of " +
                          "compiling in the last second) or --max-warmup. Warm-up messages are checked for loss and order too.",
            DefaultValueFactory = _ => 2,
        };
        var maxWarmup = new Option<double>("--max-warmup") { Description = "Most seconds of warm-up.", DefaultValueFactory = _ => 30 };
        var stalled = new Option<int>("--stalled")
        { Description = "Clients that connect and never read, in the stalled scenario.", DefaultValueFactory = _ => 1 };
        var stallWait = new Option<double>("--stall-wait")
        {
            Description = "Stalled scenario: after the measured time, go on publishing (still checking every reader) for at most this many seconds " +
                          "until the server has closed the stalled clients; a second more is published after their close. The server can only " +
                          "notice once the kernel's socket buffers are full: on Linux the receiver's buffer grows up to net.ipv4.tcp_rmem's maximum " +
                          "(often 6-32 MB), which at 30 messages/s of ~380 bytes takes from minutes to most of an hour; see --stall-rate.",
            DefaultValueFactory = _ => 60,
        };
        var stallRate = new Option<double?>("--stall-rate")
        {
            Description = "Stalled scenario: messages per second after the measured time, until the stalled clients are closed (default: --rate). " +
                          "A higher rate fills the stalled clients' socket buffers sooner.",
        };
        var publish = new Option<string>("--publish")
        {
            Description = "How metrics are published: http (POST /api/training/sessions/{id}/metrics, as an outside trainer does) or direct " +
                          "(the TrainingSessions service in this process: only the fan-out).",
            DefaultValueFactory = _ => "http",
        };
        var matchFighters = new Option<int>("--match-fighters") { Description = "Fighters of the live match (2-8; chaser, cautious and random bots).", DefaultValueFactory = _ => 6 };
        var matchSeconds = new Option<double>("--match-seconds") { Description = "The live match's time limit (1-600 s).", DefaultValueFactory = _ => 20 };
        var matchViewers = new Option<int>("--match-viewers") { Description = "WebSocket viewers of the live match.", DefaultValueFactory = _ => 4 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("realtime",
            "Real-time targets over real sockets, server in-process: 200 spectators of a training session at 30 messages/s (loss, order, " +
            "latency), the same with a stalled client, and a live 6-fighter match's tick rate and simulation time per tick.")
            { scenario, spectators, rate, seconds, warmup, maxWarmup, stalled, stallWait, stallRate, publish, matchFighters, matchSeconds, matchViewers, json };
        command.SetAction(p => Output.Guard(() => Run(Validate(p.GetValue(scenario), p.GetValue(spectators), p.GetValue(rate), p.GetValue(seconds),
            p.GetValue(warmup), p.GetValue(maxWarmup), p.GetValue(stalled), p.GetValue(stallWait), p.GetValue(stallRate), p.GetValue(publish), p.GetValue(matchFighters), p.GetValue(matchSeconds),
            p.GetValue(matchViewers), p.GetValue(json)))));
        return command;
    }

    private static Settings Validate(string? scenario, int spectators, double rate, double seconds, double warmup, double maxWarmup, int stalled, double stallWait,
        double? stallRate, string? publish, int matchFighters, double matchSeconds, int matchViewers, bool json)
    {
        string name = (scenario ?? "all").Trim().ToLowerInvariant();
        string[] scenarios = name == "all" ? Scenarios
            : Array.IndexOf(Scenarios, name) >= 0 ? [name]
            : throw new ArgumentException($"--scenario must be spectators, stalled, match or all, got '{scenario}'.");
        if (spectators is < 1 or > 900) throw new ArgumentException($"--spectators must be 1 to 900, got {spectators}.");
        if (!(rate > 0) || !double.IsFinite(rate) || rate > 1000) throw new ArgumentException($"--rate must be a positive number of messages per second (at most 1000), got {rate}.");
        if (!(seconds > 0) || !double.IsFinite(seconds) || seconds > 3600) throw new ArgumentException($"--seconds must be positive (at most 3600), got {seconds}.");
        if (!(warmup >= 0) || !double.IsFinite(warmup) || warmup > 600) throw new ArgumentException($"--warmup must be 0 to 600 seconds, got {warmup}.");
        if (!(maxWarmup >= warmup) || !double.IsFinite(maxWarmup) || maxWarmup > 600)
            throw new ArgumentException($"--max-warmup must be at least --warmup ({warmup}) and at most 600 seconds, got {maxWarmup}.");
        if (stalled is < 1 or > 50) throw new ArgumentException($"--stalled must be 1 to 50, got {stalled}.");
        if (!(stallWait >= 0) || !double.IsFinite(stallWait) || stallWait > 3600) throw new ArgumentException($"--stall-wait must be 0 to 3600 seconds, got {stallWait}.");
        string how = (publish ?? "http").Trim().ToLowerInvariant();
        if (how is not ("http" or "direct")) throw new ArgumentException($"--publish must be http or direct, got '{publish}'.");
        if (matchFighters is < 2 or > 8) throw new ArgumentException($"--match-fighters must be 2 to 8, got {matchFighters}.");
        if (!(matchSeconds >= 1) || !(matchSeconds <= 600)) throw new ArgumentException($"--match-seconds must be 1 to 600, got {matchSeconds}.");
        if (matchViewers is < 1 or > 500) throw new ArgumentException($"--match-viewers must be 1 to 500, got {matchViewers}.");
        if (stallRate is { } sr && (!(sr > 0) || !double.IsFinite(sr) || sr > 10_000))
            throw new ArgumentException($"--stall-rate must be a positive number of messages per second (at most 10000), got {sr}.");
        var settings = new Settings(scenarios, spectators, rate, seconds, warmup, maxWarmup, stalled, stallWait, stallRate ?? rate, how, matchFighters, matchSeconds, matchViewers, json);
        // Every reader keeps a receive time per message: keep that under about half a gigabyte.
        if ((double)Capacity(settings, stalledClients: 1) * spectators > 40_000_000)
            throw new ArgumentException("--spectators times the messages of a run (--rate, --seconds, --stall-rate, --stall-wait) is over 40,000,000; measure less.");
        return settings;
    }

    /// <summary>The most messages a run publishes.</summary>
    internal static int Capacity(Settings s, int stalledClients) =>
        (int)Math.Ceiling(s.Rate * (s.MaxWarmup + s.Seconds + 1) + (stalledClients > 0 ? s.StallRate * (s.StallWait + 3) : 0)) + 8;

    // ----------------------------------------------------------------------------------------------------------------
    // Results (snake_case in --json)

    /// <summary>This process (server and load generator together) during a measured window.</summary>
    public sealed record ProcessUse(double Seconds, double CpuSeconds, double CpuBusyCores, double AllocatedMbPerSecond, double GcPauseMs, int Gen0Collections,
        int Gen2Collections)
    {
        public static ProcessUse Of(ProcessSnapshot used)
        {
            double seconds = Math.Max(1e-9, Ticks.Seconds(used.At));
            double cpu = used.Cpu.TotalSeconds;
            return new ProcessUse(seconds, cpu, cpu / seconds, used.Allocated / 1e6 / seconds, used.Pause.TotalMilliseconds, used.Gen0, used.Gen2);
        }
    }

    /// <summary>A client that never read: when the server dropped it and what it finally found in its socket.</summary>
    public sealed record StalledClient(int Index, bool ClosedByServer, double? ClosedAfterSeconds, long? PublishedBeforeClose, long MessagesBuffered,
        long BytesBuffered, string? CloseStatus, string? CloseDescription, string? Error);

    /// <summary>
    /// The readers after the measured window of the stalled scenario (until the stalled clients were closed, plus two seconds), and
    /// around the first close: messages published from 3 s before the server's drop was seen to 2 s after it.
    /// </summary>
    public sealed record AfterWindow(double Rate, double Seconds, long Published, LatencyMs LatencyMs, LatencyMs FanoutLatencyMs, LatencyMs? AroundCloseLatencyMs);

    /// <summary>
    /// One spectator run. Latencies are per (reader, message) of the measured window: <c>latency_ms</c> from just before the
    /// publisher sent the message to its receipt; <c>fanout_latency_ms</c> from the message's server timestamp, which the server
    /// writes with millisecond precision (truncated), so it reads 0-1 ms high.
    /// </summary>
    public sealed record SpectatorsResult(string Publish, int Spectators, int StalledClients, double Rate, double WarmupSeconds, bool JitSettled, double Seconds,
        double ConnectSeconds, double MessageBytes, long Published, long PublishErrors, long PublishedMeasured, double MeasuredRate, double RunSeconds,
        long ReceivedMin, double ReceivedMean, int ClientsComplete, long Lost, long Reordered, long Duplicates, long SequenceGaps, long Unexpected,
        int ReadersDisconnected, string[] ReaderErrors, LatencyMs LatencyMs, LatencyMs FanoutLatencyMs, LatencyMs PublishLatencyMs, ProcessUse Process,
        AfterWindow? AfterWindow, StalledClient[] Stalled, bool StalledAllClosed, string Target, bool MeetsTarget);

    public sealed record MatchResult(long MatchId, int Fighters, string[] Bots, double MaxSeconds, double Speed, int Viewers, string Status, string? EndReason,
        int Ticks, double ServerTicksPerSecond, double ViewerSeconds, double ViewerStatesPerSecond, double ViewerTicksPerSecond, long ViewerStates, long ViewerSkippedTicks,
        double EndDelayMs, LatencyMs StateIntervalMs, double MeanSimulationMs, double MeanTickMs, ProcessUse Process, string Target,
        bool MeetsTarget);


    public sealed record Report(string Url, bool InProcess, string RateLimiter, BenchHost.Machine Machine, SpectatorsResult? Spectators, SpectatorsResult? Stalled,
        MatchResult? Match, bool MeetsAllTargets);

    // ----------------------------------------------------------------------------------------------------------------
    // The run: the server, then each scenario in turn

    private static int Run(Settings s) => BenchHost.Run(() => MeasureAsync(s), s.Json, r => Print(r, s));

    private static async Task<Report> MeasureAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        await using var server = await BenchServer.StartAsync("realtime", ServerSettings(s));
        using var http = BenchHost.CreateClient(8, TimeSpan.FromSeconds(60));
        var api = new BenchApi(http, server.Url);
        if (!(await api.SendAsync(HttpMethod.Get, "api/health", null)).Ok) throw new BenchException($"{server.Url} does not answer GET /api/health.");
        SpectatorsResult? spectators = null, stalled = null;
        MatchResult? match = null;
        foreach (var scenario in s.Scenarios)
        {
            switch (scenario)
            {
                case "spectators": spectators = await SpectatorsScenario.RunAsync(server, api, s, stalledClients: 0); break;
                case "stalled": stalled = await SpectatorsScenario.RunAsync(server, api, s, stalledClients: s.Stalled); break;
                case "match": match = await MatchScenario.RunAsync(server, api, s); break;
            }
        }
        return new Report(server.Url, true, "disabled (the bench measures the server, not the limiter)", machine, spectators, stalled, match,
            (spectators?.MeetsTarget ?? true) && (stalled?.MeetsTarget ?? true) && (match?.MeetsTarget ?? true));
    }

    private static Dictionary<string, string?> ServerSettings(Settings s)
    {
        int perSession = s.Spectators + s.Stalled + 16;
        return new Dictionary<string, string?>
        {
            ["Ringside:Training:RunWorker"] = "false", // no training jobs here
            ["Ringside:Sessions:MaxConnectionsPerSession"] = perSession.ToString(CultureInfo.InvariantCulture),
            ["Ringside:Sessions:MaxTotalConnections"] = Math.Max(1000, 2 * perSession + s.MatchViewers).ToString(CultureInfo.InvariantCulture),
        };
    }

    internal static void Progress(string message) => Console.Error.WriteLine($"bench realtime: {message}");

    // ----------------------------------------------------------------------------------------------------------------
    // Human output

    private static void Print(Report r, Settings s)
    {
        Console.WriteLine($"Ringside server at {r.Url} (in this process, loopback TCP, rate limiter off); {r.Machine.Processors} processors{r.Machine.DescribeLoad()}");
        var runs = new[] { r.Spectators, r.Stalled }.Where(x => x is not null).Select(x => x!).ToArray();
        if (runs.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"Training session: {s.Spectators} reading spectators, {s.Rate:0.#} messages/s published over {(s.Publish == "http" ? "HTTP POST" : "the in-process service")}, " +
                              $"{s.Seconds:0.#} s measured after a warm-up of {s.Warmup:0.#}-{s.MaxWarmup:0.#} s (until the JIT settles)");
            string Head(SpectatorsResult x) => x.StalledClients == 0 ? "no stalled client" : $"{x.StalledClients} stalled client{(x.StalledClients > 1 ? "s" : "")}";
            void Row(string name, Func<SpectatorsResult, string> cell) =>
                Console.WriteLine($"  {name,-34}" + string.Concat(runs.Select(x => $"{cell(x),28}")));
            string Lat(LatencyMs m) => $"{m.P50:0.00} / {m.P99:0.00} / {m.Max:0.00}";
            Row("", Head);
            Row("published (measured) / errors", x => $"{x.Published:N0} ({x.PublishedMeasured:N0}) / {x.PublishErrors}");
            Row("measured rate (messages/s)", x => $"{x.MeasuredRate:0.00}");
            Row("received per reader: min / mean", x => $"{x.ReceivedMin:N0} / {x.ReceivedMean:N1}");
            Row("readers with every message", x => $"{x.ClientsComplete} of {x.Spectators}");
            Row("lost / reordered / duplicated", x => $"{x.Lost} / {x.Reordered} / {x.Duplicates}");
            Row("latency ms p50 / p99 / max", x => Lat(x.LatencyMs));
            Row("  server fan-out only (+0-1 ms)", x => Lat(x.FanoutLatencyMs));
            Row("  POST round trip", x => Lat(x.PublishLatencyMs));
            Row("process CPU (cores busy)", x => $"{x.Process.CpuBusyCores:0.00}");
            Row("warm-up (s)", x => $"{x.WarmupSeconds:0.0}{(x.JitSettled ? "" : " (JIT busy)")}");
            Row("connect (s)", x => $"{x.ConnectSeconds:0.00}");
            Row("message size (bytes)", x => $"{x.MessageBytes:0}");
            Row("target", x => x.MeetsTarget ? "met" : "MISSED");
            foreach (var x in runs.Where(x => x.StalledClients > 0))
            {
                foreach (var c in x.Stalled)
                    Console.WriteLine($"  stalled client {c.Index}: " + (c.ClosedByServer
                                          ? $"dropped by the server {c.ClosedAfterSeconds:0.0} s after publishing began, after {c.PublishedBeforeClose:N0} messages " +
                                            $"(~{c.PublishedBeforeClose * x.MessageBytes / 1048576:0.0} MiB)"
                                          : $"not closed by the server within the run ({x.RunSeconds:0} s)") +
                                      $"; {c.MessagesBuffered:N0} messages ({c.BytesBuffered / 1024.0:N0} KiB) were waiting in its socket; " +
                                      (c.CloseStatus is not null ? $"close frame {c.CloseStatus} \"{c.CloseDescription}\"" : $"no close frame ({c.Error})"));
                if (x.AfterWindow is { } a)
                    Console.WriteLine($"  readers after the measured window ({a.Seconds:0.0} s at {a.Rate:0.#} messages/s, {a.Published:N0} messages, " +
                                      (x.StalledAllClosed ? "through the stalled clients' close" : "the stalled clients still connected") + "): " +
                                      $"latency p50 / p99 / max {Lat(a.LatencyMs)} ms" +
                                      (a.AroundCloseLatencyMs is { } around ? $"; from 3 s before to 2 s after the drop {Lat(around)} ms" : ""));
            }
            foreach (var x in runs)
                foreach (var e in x.ReaderErrors) Console.WriteLine($"  error: {e}");
        }
        if (r.Match is { } m)
        {
            Console.WriteLine();
            Console.WriteLine($"Live match {m.MatchId}: {m.Fighters} fighters ({string.Join(", ", m.Bots)}), {m.Viewers} viewers; {m.Status}" +
                              (m.EndReason is null ? "" : $" ({m.EndReason})") + $" after {m.Ticks:N0} ticks; the server ticked {m.ServerTicksPerSecond:0.00} times/s");
            Console.WriteLine($"  viewers: ticks advancing {m.ViewerTicksPerSecond:0.00}/s over {m.ViewerSeconds:0.0} s, {m.ViewerStatesPerSecond:0.00} states/s, " +
                              $"{m.ViewerSkippedTicks} ticks skipped; interval between states p50 {m.StateIntervalMs.P50:0.0} ms, p99 {m.StateIntervalMs.P99:0.0} ms, " +
                              $"max {m.StateIntervalMs.Max:0.0} ms; match_end {m.EndDelayMs:0} ms after the last state (the match is stored first)");
            Console.WriteLine($"  server: simulation {m.MeanSimulationMs:0.000} ms/tick, whole tick (bots, simulation, recording, broadcast) {m.MeanTickMs:0.000} ms; " +
                              $"process CPU {m.Process.CpuBusyCores:0.00} cores; target {(m.MeetsTarget ? "met" : "MISSED")}");
        }
        Console.WriteLine();
        BenchHost.PrintVerdict(r.MeetsAllTargets);
    }
}
