using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringside.Server;
using Ringside.Server.Realtime;

namespace Ringside.Cli.Commands;

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
/// </summary>
public static class BenchRealtimeCommand
{
    public const int SpectatorsTarget = 200;
    public const double RateTarget = 30;
    public const double SimulationMsTarget = 1;
    private static readonly string[] Scenarios = ["spectators", "stalled", "match"];
    private static readonly string[] MatchBots = ["chaser", "cautious", "random"];

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
    private static int Capacity(Settings s, int stalledClients) =>
        (int)Math.Ceiling(s.Rate * (s.MaxWarmup + s.Seconds + 1) + (stalledClients > 0 ? s.StallRate * (s.StallWait + 3) : 0)) + 8;

    // ----------------------------------------------------------------------------------------------------------------
    // Results (snake_case in --json)

    public sealed record LatencyMs(long Samples, double P50, double P90, double P99, double Max, double Mean);

    /// <summary>This process (server and load generator together) during a measured window.</summary>
    public sealed record ProcessUse(double Seconds, double CpuSeconds, double CpuBusyCores, double AllocatedMbPerSecond, double GcPauseMs, int Gen0Collections,
        int Gen2Collections);

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

    /// <summary>A failure of the server or of the run (not of the user's input): reported as one line.</summary>

    // ----------------------------------------------------------------------------------------------------------------
    // The run

    private static int Run(Settings s) => Task.Run(() => RunAsync(s)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        string dataDir = Path.Combine(Path.GetTempPath(), $"ringside-bench-realtime-{Environment.ProcessId}-{Guid.NewGuid():N}"[..50]);
        string url = BenchHost.FreeLoopbackUrl();
        WebApplication? app = null;
        Report report;
        try
        {
            app = StartServer(url, dataDir, s);
            await app.StartAsync();
            using var http = BenchHost.CreateClient(8, TimeSpan.FromSeconds(60));
            var api = new Api(http, url);
            if (!(await api.SendAsync(HttpMethod.Get, "api/health", null)).Ok) throw new BenchException($"{url} does not answer GET /api/health.");
            SpectatorsResult? spectators = null, stalled = null;
            MatchResult? match = null;
            foreach (var scenario in s.Scenarios)
            {
                switch (scenario)
                {
                    case "spectators": spectators = await SpectatorsAsync(app, api, url, s, stalledClients: 0); break;
                    case "stalled": stalled = await SpectatorsAsync(app, api, url, s, stalledClients: s.Stalled); break;
                    case "match": match = await MatchAsync(app, api, url, s); break;
                }
            }
            report = new Report(url, true, "disabled (the bench measures the server, not the limiter)", machine, spectators, stalled, match,
                (spectators?.MeetsTarget ?? true) && (stalled?.MeetsTarget ?? true) && (match?.MeetsTarget ?? true));
        }
        catch (BenchException e) { return Output.Fail(e.Message); }
        finally
        {
            await BenchHost.StopAndCleanAsync(app, dataDir);
        }

        if (s.Json) Output.WriteJson(report);
        else Print(report, s);
        return 0;
    }

    private static WebApplication StartServer(string url, string dataDir, Settings s)
    {
        int perSession = s.Spectators + s.Stalled + 16;
        return BenchHost.BuildServer(url, dataDir, new Dictionary<string, string?>
        {
            ["Ringside:Training:RunWorker"] = "false", // no training jobs here
            ["Ringside:Sessions:MaxConnectionsPerSession"] = perSession.ToString(CultureInfo.InvariantCulture),
            ["Ringside:Sessions:MaxTotalConnections"] = Math.Max(1000, 2 * perSession + s.MatchViewers).ToString(CultureInfo.InvariantCulture),
        });
    }

    private static void Progress(string message) => Console.Error.WriteLine($"bench realtime: {message}");

    private static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    // ----------------------------------------------------------------------------------------------------------------
    // Scenarios: spectators and stalled

    private static async Task<SpectatorsResult> SpectatorsAsync(WebApplication app, Api api, string url, Settings s, int stalledClients)
    {
        string label = stalledClients == 0 ? "spectators" : "stalled";
        var created = await api.SendAsync(HttpMethod.Post, "api/training/sessions",
            $$"""{"training_id":"bench realtime {{label}}","algorithm":"PPO","total_episodes":1000000}""");
        if (!created.Ok) throw new BenchException($"could not create a training session: {created.Describe()}");
        string sessionId;
        using (var doc = JsonDocument.Parse(created.Body)) sessionId = doc.RootElement.GetProperty("session_id").GetString()!;

        int capacity = Capacity(s, stalledClients);
        int measuredFrom = -1, measuredTo = int.MaxValue; // decided by the warm-up
        int windowMessages = Math.Max(1, (int)Math.Round(s.Rate * s.Seconds));
        var wsBase = new Uri(url.Replace("http://", "ws://") + $"/ws/{Uri.EscapeDataString(sessionId)}");

        // Readers first, every one registered (it got its connection_status) before the first message.
        Progress($"{label}: connecting {s.Spectators} spectators{(stalledClients > 0 ? $" and {stalledClients} stalled client{(stalledClients > 1 ? "s" : "")}" : "")} to session {sessionId}...");
        var connecting = Stopwatch.StartNew();
        var readers = Enumerable.Range(0, s.Spectators).Select(i => new Reader(i, capacity)).ToArray();
        using (var gate = new SemaphoreSlim(16))
            await Task.WhenAll(readers.Select(async r =>
            {
                await gate.WaitAsync();
                try { await r.ConnectAsync(new Uri($"{wsBase}?user_name=s{r.Index}")); }
                finally { gate.Release(); }
            }));
        var loops = readers.Select(r => Task.Run(r.ReceiveLoopAsync)).ToArray();
        var ready = Task.WhenAll(readers.Select(r => r.Ready));
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))) != ready)
            throw new BenchException($"{readers.Count(r => !r.Ready.IsCompleted)} of {s.Spectators} spectators got no connection_status within 60 s.");
        var stalled = new ClientWebSocket[stalledClients];
        for (int i = 0; i < stalledClients; i++)
        {
            stalled[i] = new ClientWebSocket();
            stalled[i].Options.KeepAliveInterval = TimeSpan.Zero;
            try { await stalled[i].ConnectAsync(new Uri($"{wsBase}?user_name=stalled{i}"), CancellationToken.None); } // and never reads
            catch (Exception e) when (e is WebSocketException or HttpRequestException)
            {
                throw new BenchException($"stalled client {i} could not connect to {wsBase}: {e.Message}");
            }
        }
        int expected = s.Spectators + stalledClients;
        for (var wait = Stopwatch.StartNew(); await SpectatorCountAsync(api, sessionId) != expected;)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(30)) throw new BenchException($"session {sessionId} does not show {expected} spectators after 30 s.");
            await Task.Delay(50);
        }
        double connectSeconds = connecting.Elapsed.TotalSeconds;

        // The stalled clients' fate, seen from outside: the session's spectator count (GET /api/training/sessions/{id}).
        var closedAt = new List<(double Seconds, long Published)>();
        int published = 0;
        using var monitorStop = new CancellationTokenSource();
        long publishStart = 0;
        var monitor = stalledClients == 0 ? Task.CompletedTask : Task.Run(async () =>
        {
            while (!monitorStop.IsCancellationRequested)
            {
                int count = await SpectatorCountAsync(api, sessionId);
                int readersGone = readers.Count(r => r.Closed);
                int gone = count < 0 ? 0 : Math.Max(0, expected - readersGone - count);
                lock (closedAt)
                    while (closedAt.Count < Math.Min(gone, stalledClients))
                        closedAt.Add((Seconds(Stopwatch.GetTimestamp() - Volatile.Read(ref publishStart)), Volatile.Read(ref published)));
                try { await Task.Delay(100, monitorStop.Token); }
                catch (OperationCanceledException) { }
            }
        });

        // Publishing: message n is due at start + n / rate; one request in flight, so the server's order is the episodes' order.
        var direct = s.Publish == "direct" ? app.Services.GetRequiredService<TrainingSessions>() : null;
        var session = direct?.Find(sessionId) ?? (direct is null ? null : throw new BenchException($"session {sessionId} is not in the server's TrainingSessions."));
        var sentAt = new long[capacity];
        var accepted = new bool[capacity];
        var publishLatency = new List<long>(capacity);
        long publishErrors = 0;
        string? firstError = null;
        Snapshot? windowStart = null, windowEnd = null;
        long windowEndTicks = 0, closedTicks = 0;
        var jit = new JitWatch();
        bool jitSettled = false;
        double warmupSeconds = 0;
        Progress($"{label}: publishing {s.Rate:0.#} messages/s over {(direct is null ? "HTTP" : "the in-process service")}: " +
                 $"{s.Warmup:0.#}-{s.MaxWarmup:0.#} s of warm-up (until the JIT settles), {s.Seconds:0.#} s measured{(stalledClients > 0 ? $", then {s.StallRate:0.#} messages/s until the stalled clients are closed (at most {s.StallWait:0.#} s more)" : "")}...");
        publishStart = Stopwatch.GetTimestamp();
        double interval = Stopwatch.Frequency / s.Rate, stallInterval = Stopwatch.Frequency / s.StallRate;
        for (int n = 0; n < capacity; n++)
        {
            long now = Stopwatch.GetTimestamp();
            if (measuredFrom < 0)
            {
                double elapsed = Seconds(now - publishStart);
                jitSettled = jit.Settled(now);
                if (elapsed >= s.Warmup && (jitSettled || elapsed >= s.MaxWarmup))
                {
                    (measuredFrom, measuredTo, warmupSeconds) = (n, n + windowMessages, elapsed);
                    windowStart = Snapshot.Take();
                    Progress($"{label}: measuring {s.Seconds:0.#} s after {elapsed:0.0} s of warm-up" +
                             (jitSettled || s.MaxWarmup == 0 ? "..." : " (the JIT was still compiling at --max-warmup)..."));
                }
            }
            if (n == measuredTo)
            {
                windowEnd = Snapshot.Take();
                windowEndTicks = now;
                if (stalledClients == 0) break;
            }
            if (n > measuredTo)
            {
                int closed;
                lock (closedAt) closed = closedAt.Count;
                if (closed >= stalledClients)
                {
                    if (closedTicks == 0) closedTicks = now;
                    if (now - closedTicks >= 2 * Stopwatch.Frequency) break; // two seconds of the readers after the close
                }
                else if (now - windowEndTicks >= s.StallWait * Stopwatch.Frequency) break;
            }
            long due = n <= measuredTo ? publishStart + (long)(n * interval) : windowEndTicks + (long)((n - measuredTo) * stallInterval);
            if (due - now > 0) await Task.Delay(TimeSpan.FromSeconds(Seconds(due - now)));
            string body = MetricsBody(n, s.Rate);
            long sent = Stopwatch.GetTimestamp();
            sentAt[n] = sent;
            if (direct is not null)
            {
                using var doc = JsonDocument.Parse(body);
                direct.Publish(session!, "training_metrics", doc.RootElement.Clone(), n);
                accepted[n] = true;
            }
            else
            {
                var reply = await api.SendAsync(HttpMethod.Post, $"api/training/sessions/{sessionId}/metrics", body);
                if (reply.Status == 202) accepted[n] = true;
                else
                {
                    publishErrors++;
                    firstError ??= reply.Describe();
                }
            }
            publishLatency.Add(Stopwatch.GetTimestamp() - sent);
            Volatile.Write(ref published, n + 1);
        }
        long publishEnd = Stopwatch.GetTimestamp();
        if (measuredFrom < 0) (measuredFrom, measuredTo) = (published, published); // cannot happen: the capacity covers the longest warm-up
        if (windowEnd is null) // the run stopped before the window's end (cannot happen either)
        {
            windowEnd = Snapshot.Take();
            windowEndTicks = publishEnd;
        }
        windowStart ??= windowEnd;
        int acceptedCount = accepted.Count(a => a);

        // Let the readers take what is on its way, then leave.
        for (var drain = Stopwatch.StartNew(); drain.Elapsed < TimeSpan.FromSeconds(10);)
        {
            if (readers.All(r => r.Closed || Volatile.Read(ref r.Received) >= acceptedCount)) break;
            await Task.Delay(20);
        }
        monitorStop.Cancel();
        await monitor;
        var stalledResults = new StalledClient[stalledClients];
        for (int i = 0; i < stalledClients; i++)
        {
            (double Seconds, long Published)? at;
            lock (closedAt) at = i < closedAt.Count ? closedAt[i] : null;
            stalledResults[i] = await DrainStalledAsync(i, stalled[i], at?.Seconds, at?.Published);
            stalled[i].Dispose();
        }
        await Task.WhenAll(readers.Select(r => r.CloseAsync()));
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (var r in readers) r.Dispose();

        // Every reader against what was published.
        long lost = 0, duplicates = 0, reordered = 0, gaps = 0, unexpected = 0;
        var received = new long[readers.Length];
        for (int i = 0; i < readers.Length; i++)
        {
            var r = readers[i];
            for (int n = 0; n < published; n++)
            {
                bool got = r.ReceivedAt[n] != 0;
                if (accepted[n] && got) received[i]++;
                else if (accepted[n]) lost++;
                else if (got) unexpected++;
            }
            duplicates += r.Duplicates;
            reordered += r.Reordered;
            gaps += r.SequenceGaps;
            unexpected += r.OutOfRange;
        }
        var latency = Latencies(readers, sentAt, accepted, measuredFrom, Math.Min(measuredTo, published), fanout: false);
        var fanout = Latencies(readers, sentAt, accepted, measuredFrom, Math.Min(measuredTo, published), fanout: true);
        AfterWindow? after = null;
        if (stalledClients > 0 && published > measuredTo)
            after = new AfterWindow(s.StallRate, Seconds(publishEnd - windowEndTicks), accepted.AsSpan(measuredTo, published - measuredTo).Count(true),
                Latencies(readers, sentAt, accepted, measuredTo, published, fanout: false), Latencies(readers, sentAt, accepted, measuredTo, published, fanout: true),
                stalledResults.FirstOrDefault(x => x.ClosedAfterSeconds is not null)?.ClosedAfterSeconds is { } close
                    ? Latencies(readers, sentAt, accepted, FirstSentAfter(close - 3), FirstSentAfter(close + 2), fanout: false) : null);
        int FirstSentAfter(double seconds)
        {
            int n = 0;
            while (n < published && Seconds(sentAt[n] - publishStart) < seconds) n++;
            return n;
        }
        var process = Snapshot.Use(windowStart.Value, windowEnd.Value);
        int measured = accepted.AsSpan(measuredFrom, Math.Max(0, Math.Min(measuredTo, published) - measuredFrom)).Count(true);
        double measuredRate = measuredTo <= published && measuredTo - 1 > measuredFrom
            ? (measuredTo - 1 - measuredFrom) / Seconds(sentAt[measuredTo - 1] - sentAt[measuredFrom]) : double.NaN;
        string[] errors = readers.Select(r => r.Error).Where(e => e is not null).Take(3).Select(e => e!)
            .Concat(firstError is null ? [] : [$"publishing: {firstError}"]).ToArray();
        int disconnected = readers.Count(r => r.LostEarly);
        bool allStalledClosed = stalledResults.All(x => x.ClosedByServer);
        // The target is about the readers; whether the server got round to closing the stalled clients is reported beside it.
        bool meets = s.Spectators >= SpectatorsTarget && s.Rate >= RateTarget && lost == 0 && reordered == 0 && duplicates == 0 && gaps == 0
                     && publishErrors == 0 && disconnected == 0 && measuredRate >= 0.98 * s.Rate;
        string target = $"{SpectatorsTarget} spectators at {RateTarget:0} messages/s: every message to every reader, in order" +
                        (stalledClients > 0 ? ", with the stalled clients among them" : "");
        double messageBytes = readers.Sum(r => r.Received) is > 0 and var total ? readers.Sum(r => r.Bytes) / (double)total : double.NaN;
        return new SpectatorsResult(s.Publish, s.Spectators, stalledClients, s.Rate, warmupSeconds, jitSettled, s.Seconds, connectSeconds, messageBytes, acceptedCount, publishErrors, measured,
            measuredRate, Seconds(publishEnd - publishStart), received.Min(), received.Average(), received.Count(x => x == acceptedCount), lost, reordered,
            duplicates, gaps, unexpected, disconnected, errors, latency, fanout, Percentiles(publishLatency), process, after, stalledResults,
            allStalledClosed, target, meets);
    }

    /// <summary>A metrics message as an outside trainer posts it (seed 003's TrainingMetricsData).</summary>
    private static string MetricsBody(int episode, double rate)
    {
        double t = episode / rate;
        string F(double x) => Math.Round(x, 4).ToString("R", CultureInfo.InvariantCulture);
        var c = CultureInfo.InvariantCulture;
        return "{\"episode\":" + episode.ToString(c) + ",\"total_episodes\":1000000,\"current_reward\":" + F(Math.Sin(episode * 0.1) * 10) +
               ",\"average_reward\":" + F(5 + t * 0.01) + ",\"episode_length\":" + (300 + episode % 50).ToString(c) + ",\"win_rate\":" + F(50 + 10 * Math.Sin(t)) +
               ",\"loss_value\":" + F(0.5 / (1 + t)) + ",\"learning_rate\":0.0003,\"algorithm\":\"PPO\",\"training_time_elapsed\":" + F(t) +
               ",\"actions_per_second\":5123.5}";
    }

    private static async Task<int> SpectatorCountAsync(Api api, string sessionId)
    {
        var reply = await api.SendAsync(HttpMethod.Get, $"api/training/sessions/{sessionId}", null);
        if (!reply.Ok) return -1;
        using var doc = JsonDocument.Parse(reply.Body);
        return doc.RootElement.GetProperty("spectators").GetInt32();
    }

    /// <summary>Reads what a stalled client's socket holds, up to the server's close (or 3 s without anything new).</summary>
    private static async Task<StalledClient> DrainStalledAsync(int index, ClientWebSocket socket, double? closedAt, long? publishedBefore)
    {
        long messages = 0, bytes = 0;
        string? status = null, description = null, error = null;
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                var result = await socket.ReceiveAsync(buffer.AsMemory(), quiet.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    status = socket.CloseStatus?.ToString();
                    description = socket.CloseStatusDescription;
                    break;
                }
                bytes += result.Count;
                if (result.EndOfMessage) messages++;
            }
        }
        catch (OperationCanceledException) { error = "still open: nothing more arrived for 3 s"; }
        catch (WebSocketException e) { error = $"{e.WebSocketErrorCode}: {e.Message}"; }
        return new StalledClient(index, closedAt is not null, closedAt, publishedBefore, messages, bytes, status, description, error);
    }

    private static LatencyMs Latencies(Reader[] readers, long[] sentAt, bool[] accepted, int from, int to, bool fanout)
    {
        var all = new List<long>(readers.Length * Math.Max(0, to - from));
        foreach (var r in readers)
            for (int n = from; n < to; n++)
                if (accepted[n] && r.ReceivedAt[n] != 0) all.Add(fanout ? r.FanoutMicroseconds[n] * Stopwatch.Frequency / 1_000_000 : r.ReceivedAt[n] - sentAt[n]);
        return Percentiles(all);
    }

    private static LatencyMs Percentiles(List<long> ticks)
    {
        var all = ticks.ToArray();
        Array.Sort(all);
        double Ms(double t) => t * 1000.0 / Stopwatch.Frequency;
        double P(double p) => all.Length == 0 ? double.NaN : Ms(all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)]);
        return new LatencyMs(all.Length, P(0.50), P(0.90), P(0.99), all.Length == 0 ? double.NaN : Ms(all[^1]),
            all.Length == 0 ? double.NaN : Ms(all.Average(x => (double)x)));
    }

    /// <summary>
    /// A spectator that reads every message as it comes and checks it: each published episode once, in order of the
    /// session's sequence numbers. Receive times are kept per episode for the latencies.
    /// </summary>
    private sealed class Reader(int index, int capacity) : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _lastSequence;
        private volatile bool _closed, _closing;
        public int Index { get; } = index;
        public Task Ready => _ready.Task;
        public long[] ReceivedAt { get; } = new long[capacity];
        /// <summary>Server publish time (the message's timestamp) to receipt.</summary>
        public int[] FanoutMicroseconds { get; } = new int[capacity];
        public long Received, Bytes;
        public long Duplicates, Reordered, SequenceGaps, OutOfRange;
        public string? Error { get; private set; }
        public bool Closed => _closed;
        /// <summary>Closed before the bench closed it.</summary>
        public bool LostEarly { get; private set; }

        public Task ConnectAsync(Uri uri) => BenchSockets.ConnectAsync(_socket, uri, $"spectator {Index}");

        public async Task ReceiveLoopAsync()
        {
            var reader = new BenchSockets.MessageReader(_socket);
            try
            {
                while (true)
                {
                    var (message, closed) = await reader.NextAsync();
                    int count = message.Length;
                    var buffer = reader.Buffer;
                    if (closed)
                    {
                        if (!_closing)
                        {
                            LostEarly = true;
                            Error ??= $"spectator {Index} closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                        }
                        break;
                    }
                    Handle(buffer.AsMemory(0, count), Stopwatch.GetTimestamp(), DateTime.UtcNow);
                }
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                if (!_closing)
                {
                    LostEarly = true;
                    Error ??= $"spectator {Index}: {e.GetType().Name}: {e.Message}";
                }
            }
            finally { _closed = true; }
        }

        private void Handle(ReadOnlyMemory<byte> message, long now, DateTime utcNow)
        {
            using var doc = JsonDocument.Parse(message);
            var root = doc.RootElement;
            string? type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type == "connection_status") { _ready.TrySetResult(); return; }
            if (type != "training_metrics") return;
            long sequence = root.GetProperty("sequence").GetInt64();
            int episode = root.GetProperty("data").GetProperty("episode").GetInt32();
            var published = root.GetProperty("timestamp").GetDateTimeOffset().UtcDateTime;
            if (_lastSequence != 0 && sequence < _lastSequence) Reordered++;
            else if (_lastSequence != 0 && sequence > _lastSequence + 1) SequenceGaps++;
            _lastSequence = Math.Max(_lastSequence, sequence);
            if ((uint)episode >= (uint)ReceivedAt.Length) { OutOfRange++; return; }
            if (ReceivedAt[episode] != 0) { Duplicates++; return; }
            ReceivedAt[episode] = now;
            FanoutMicroseconds[episode] = (int)Math.Clamp((utcNow - published).Ticks / 10, int.MinValue, int.MaxValue);
            Bytes += message.Length;
            Volatile.Write(ref Received, Received + 1);
        }

        public async Task CloseAsync()
        {
            _closing = true;
            if (_socket.State != WebSocketState.Open) return;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench over", timeout.Token); }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { _socket.Abort(); }
        }

        public void Dispose() => _socket.Dispose();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Scenario: match

    private static async Task<MatchResult> MatchAsync(WebApplication app, Api api, string url, Settings s)
    {
        var listed = await api.SendAsync(HttpMethod.Get, "api/fighters", null);
        if (!listed.Ok) throw new BenchException($"could not list the fighters: {listed.Describe()}");
        long[] fighterIds;
        using (var doc = JsonDocument.Parse(listed.Body)) fighterIds = doc.RootElement.EnumerateArray().Select(f => f.GetProperty("id").GetInt64()).ToArray();
        if (fighterIds.Length == 0) throw new BenchException("the server has no fighters (the default roster was not seeded).");
        var bots = Enumerable.Range(0, s.MatchFighters).Select(i => MatchBots[i % MatchBots.Length]).ToArray();
        string fighters = string.Join(',', bots.Select((bot, i) => $$"""{"fighter_id":{{fighterIds[i % fighterIds.Length]}},"controller":"bot","bot":"{{bot}}"}"""));
        string maxSeconds = s.MatchSeconds.ToString("R", CultureInfo.InvariantCulture);

        Progress($"match: {s.MatchFighters} bots ({string.Join(", ", bots)}), at most {s.MatchSeconds:0.#} s at real time, {s.MatchViewers} viewers...");
        var before = Snapshot.Take();
        var created = await api.SendAsync(HttpMethod.Post, "api/matches", $$"""{"fighters":[{{fighters}}],"seed":7,"max_seconds":{{maxSeconds}},"speed":1}""");
        if (created.Status != 201) throw new BenchException($"could not start a match: {created.Describe()}");
        long id;
        using (var doc = JsonDocument.Parse(created.Body)) id = doc.RootElement.GetProperty("id").GetInt64();
        var live = app.Services.GetRequiredService<LiveMatches>().Find(id) ?? throw new BenchException($"match {id} is not among the server's live matches.");

        var viewers = Enumerable.Range(0, s.MatchViewers).Select(i => new Viewer(i)).ToArray();
        var ws = new Uri(url.Replace("http://", "ws://") + $"/ws/matches/{id}");
        await Task.WhenAll(viewers.Select(v => v.ConnectAsync(new Uri($"{ws}?user_name=v{v.Index}"))));
        var loops = viewers.Select(v => Task.Run(v.ReceiveLoopAsync)).ToArray();
        // The server's own pace: its tick counter against the clock, sampled every 50 ms while the match runs.
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
        var after = Snapshot.Take();
        await sampler;
        await Task.WhenAll(loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (var v in viewers) await v.CloseAsync();

        var end = live.End;
        int ticks = end?.Ticks ?? live.Simulation.Tick;
        // The server's pace as the viewers saw it: the ticks of the states they received over the time between them.
        var ended = viewers.Where(v => v.EndAt != 0 && v.LastAt != 0).ToArray();
        double endDelayMs = ended.Length > 0 ? ended.Average(v => Seconds(v.EndAt - v.LastAt) * 1000) : double.NaN;
        var withStates = viewers.Where(v => v.States > 1 && v.LastAt > v.FirstAt).ToArray();
        double statesPerSecond = withStates.Length > 0 ? withStates.Average(v => (v.States - 1) / Seconds(v.LastAt - v.FirstAt)) : double.NaN;
        // Least-squares slopes: a late first state (the viewer was still connecting) does not bend them.
        double ticksPerSecond = withStates.Length > 0 ? withStates.Average(v => Slope(v.Ticks)) : double.NaN;
        double serverRate = Slope(serverTicks);
        var intervals = viewers.SelectMany(v => v.Intervals).ToList();
        double wall = withStates.Length > 0 ? withStates.Average(v => Seconds(v.LastAt - v.FirstAt)) : double.NaN;
        bool meets = s.MatchFighters >= 6 && live.MeanSimulationMs < SimulationMsTarget && ticks > 0 && Math.Abs(ticksPerSecond - Sim.ArenaRules.TicksPerSecond) <= 0.03 * Sim.ArenaRules.TicksPerSecond;
        return new MatchResult(id, s.MatchFighters, bots, s.MatchSeconds, 1, s.MatchViewers, live.Status, end?.Reason, ticks, serverRate, wall, statesPerSecond,
            ticksPerSecond, viewers.Sum(v => v.States), viewers.Sum(v => v.Skipped), endDelayMs, Percentiles(intervals), live.MeanSimulationMs, live.MeanTickMs,
            Snapshot.Use(before, after), $"6 fighters at {Sim.ArenaRules.TicksPerSecond} ticks/s (within 3%), simulation under {SimulationMsTarget:0} ms per tick",
            meets);
    }

    /// <summary>Ticks per second: the least-squares slope of tick numbers over their times.</summary>
    private static double Slope(List<(long At, int Tick)> points)
    {
        if (points.Count < 2) return double.NaN;
        long t0 = points[0].At;
        double mt = points.Average(p => Seconds(p.At - t0)), mk = points.Average(p => (double)p.Tick);
        double cov = points.Sum(p => (Seconds(p.At - t0) - mt) * (p.Tick - mk)), var = points.Sum(p => Math.Pow(Seconds(p.At - t0) - mt, 2));
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
                    int count = message.Length;
                    var buffer = reader.Buffer;
                    if (closed) return;
                    long now = Stopwatch.GetTimestamp();
                    using var doc = JsonDocument.Parse(buffer.AsMemory(0, count));
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
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try { await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench over", timeout.Token); }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException) { _socket.Abort(); }
            }
            _socket.Dispose();
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // HTTP and measurement

    private readonly record struct Reply(int Status, byte[] Body, string? Failure)
    {
        public bool Ok => Status is >= 200 and < 300;
        public string Describe()
        {
            string text = Failure ?? Encoding.UTF8.GetString(Body);
            return (Status == 0 ? "" : $"HTTP {Status}: ") + (text.Length <= 300 ? text : text[..300] + "...");
        }
    }

    private sealed class Api(HttpClient http, string url)
    {
        private readonly Uri _base = new(url.TrimEnd('/') + "/");

        public async Task<Reply> SendAsync(HttpMethod method, string relative, string? body)
        {
            using var request = new HttpRequestMessage(method, new Uri(_base, relative));
            if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
                return new Reply((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync(), null);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return new Reply(0, [], $"{e.GetType().Name}: {e.Message}");
            }
        }
    }

    /// <summary>True once the JIT spent at most 20 ms compiling in the last second (tiered compilation has settled).</summary>
    private sealed class JitWatch
    {
        private readonly Queue<(long At, TimeSpan Compiling)> _samples = new();

        public bool Settled(long now)
        {
            _samples.Enqueue((now, System.Runtime.JitInfo.GetCompilationTime()));
            while (_samples.Count > 2 && now - _samples.ElementAt(1).At >= Stopwatch.Frequency) _samples.Dequeue();
            var (oldest, compiled) = _samples.Peek();
            return now - oldest >= Stopwatch.Frequency && _samples.Last().Compiling - compiled <= TimeSpan.FromMilliseconds(20);
        }
    }

    private readonly record struct Snapshot(long At, TimeSpan Cpu, long Allocated, TimeSpan Pause, int Gen0, int Gen2)
    {
        public static Snapshot Take()
        {
            using var process = Process.GetCurrentProcess();
            return new Snapshot(Stopwatch.GetTimestamp(), process.TotalProcessorTime, GC.GetTotalAllocatedBytes(false), GC.GetTotalPauseDuration(),
                GC.CollectionCount(0), GC.CollectionCount(2));
        }

        public static ProcessUse Use(Snapshot a, Snapshot b)
        {
            double seconds = Math.Max(1e-9, Seconds(b.At - a.At));
            double cpu = (b.Cpu - a.Cpu).TotalSeconds;
            return new ProcessUse(seconds, cpu, cpu / seconds, (b.Allocated - a.Allocated) / 1e6 / seconds, (b.Pause - a.Pause).TotalMilliseconds,
                b.Gen0 - a.Gen0, b.Gen2 - a.Gen2);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Human output

    private static void Print(Report r, Settings s)
    {
        string load = r.Machine.LoadAverage is { } l ? $", load average {l[0]:0.00} {l[1]:0.00} {l[2]:0.00} before the run" : "";
        Console.WriteLine($"Ringside server at {r.Url} (in this process, loopback TCP, rate limiter off); {r.Machine.Processors} processors{load}");
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
        Console.WriteLine(r.MeetsAllTargets ? "All measured targets met." : "Not every measured target was met.");
    }
}

/// <summary>The client side of the WebSocket benches: connecting and reading whole messages into one reused buffer.</summary>
internal static class BenchSockets
{
    public static async Task ConnectAsync(ClientWebSocket socket, Uri uri, string who)
    {
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try { await socket.ConnectAsync(uri, CancellationToken.None); }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            throw new BenchException($"{who} could not connect to {uri}: {e.Message}");
        }
    }

    public sealed class MessageReader(WebSocket socket)
    {
        public byte[] Buffer { get; private set; } = new byte[16 * 1024];

        /// <summary>The next whole message (in <see cref="Buffer"/>), or closed when the server closed.</summary>
        public async Task<(ReadOnlyMemory<byte> Message, bool Closed)> NextAsync()
        {
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == Buffer.Length) { var bigger = new byte[Buffer.Length * 2]; Buffer.CopyTo(bigger, 0); Buffer = bigger; }
                result = await socket.ReceiveAsync(Buffer.AsMemory(count), CancellationToken.None);
                count += result.Count;
            } while (!result.EndOfMessage);
            return (Buffer.AsMemory(0, count), result.MessageType == WebSocketMessageType.Close);
        }
    }
}
