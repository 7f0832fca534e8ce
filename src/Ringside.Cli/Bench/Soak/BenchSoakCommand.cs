using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ringside.Cli.Bench.Soak;

/// <summary>
/// <c>ringside bench soak</c>: a fresh server (a <c>ringside serve</c> process of its own) under every kind of load at
/// once for --minutes: training jobs one after another, WebSocket spectators of a session published into over HTTP, live
/// bot matches with viewers and their replays streamed, frame ingestion, and a slice of the hostile inputs of the fuzz.
/// It prints the server's memory every minute (working set, and the GC heap after the last collection), its growth after
/// the warm-up, the count of 5xx answers, and whether every acknowledged write was stored (docs/BENCHMARKS.md, Soak).
/// </summary>
public static class BenchSoakCommand
{
    public const double GrowthBar = 0.10;

    public sealed record Settings(double Minutes, double WarmupMinutes, int Spectators, double MessageRate, double HostileRate, int FramesPerBatch,
        double BatchRate, int MatchViewers, double MatchSeconds, int Seed, bool Json);

    public static Command Create()
    {
        var minutes = new Option<double>("--minutes") { Description = "How long the load runs.", DefaultValueFactory = _ => 30 };
        var warmup = new Option<double?>("--warmup-minutes")
        { Description = "Memory growth is measured from the end of the warm-up (default: 5 minutes, or half the run when it is shorter than 10)." };
        var spectators = new Option<int>("--spectators") { Description = "WebSocket spectators of the soak's training session.", DefaultValueFactory = _ => 20 };
        var rate = new Option<double>("--rate")
        {
            Description = "Metrics messages per second published into that session (the default fills its 10,000-message history within the warm-up, " +
                          "so that growth after it is not a bounded buffer filling).",
            DefaultValueFactory = _ => 40,
        };
        var hostile = new Option<double>("--hostile-rate") { Description = "Hostile requests per second (the fuzz's generator).", DefaultValueFactory = _ => 5 };
        var frames = new Option<int>("--frames") { Description = "Frames per batch; each batch is a new episode.", DefaultValueFactory = _ => 200 };
        var batches = new Option<double>("--batches") { Description = "Frame batches per second.", DefaultValueFactory = _ => 1 };
        var viewers = new Option<int>("--match-viewers") { Description = "Viewers of each live match.", DefaultValueFactory = _ => 3 };
        var matchSeconds = new Option<double>("--match-seconds") { Description = "Time limit of each live match.", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "Seed of the hostile inputs.", DefaultValueFactory = _ => 15 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line (the per-minute lines go to stderr)." };
        var command = new Command("soak",
            "Every load at once on a fresh server process (training jobs, spectators, live matches, frame ingestion, hostile inputs): its memory " +
            "every minute and its growth after the warm-up, the count of 5xx, and whether every acknowledged write was stored.")
            { minutes, warmup, spectators, rate, hostile, frames, batches, viewers, matchSeconds, seed, json };
        command.SetAction(p => Output.Guard(() =>
        {
            var s = Validate(new Settings(p.GetValue(minutes), p.GetValue(warmup) ?? DefaultWarmup(p.GetValue(minutes)), p.GetValue(spectators), p.GetValue(rate),
                p.GetValue(hostile), p.GetValue(frames), p.GetValue(batches), p.GetValue(viewers), p.GetValue(matchSeconds), p.GetValue(seed), p.GetValue(json)));
            return BenchHost.Run(() => RunAsync(s), s.Json, Print);
        }));
        return command;
    }

    private static double DefaultWarmup(double minutes) => minutes >= 10 ? 5 : minutes / 2;

    /// <summary>Seconds between memory samples (a line is printed per minute).</summary>
    private const double SampleSeconds = 10;

    private static Settings Validate(Settings s)
    {
        if (!(s.Minutes >= 0.5) || !(s.Minutes <= 24 * 60)) throw new ArgumentException($"--minutes must be 0.5 to 1440, got {s.Minutes}.");
        if (!(s.WarmupMinutes > 0) || !(s.WarmupMinutes <= s.Minutes / 2 || s.WarmupMinutes <= s.Minutes - 1))
            throw new ArgumentException($"--warmup-minutes must be positive and leave at least a minute (or half the run) after it, got {s.WarmupMinutes}.");
        if (s.Spectators is < 0 or > 40) throw new ArgumentException($"--spectators must be 0 to 40 (a session's default limit is 50), got {s.Spectators}.");
        if (!(s.MessageRate > 0) || !(s.MessageRate <= 200)) throw new ArgumentException($"--rate must be above 0 and at most 200, got {s.MessageRate}.");
        if (!(s.HostileRate > 0) || !(s.HostileRate <= 100)) throw new ArgumentException($"--hostile-rate must be above 0 and at most 100, got {s.HostileRate}.");
        if (s.FramesPerBatch is < 1 or > 20_000) throw new ArgumentException($"--frames must be 1 to 20000, got {s.FramesPerBatch}.");
        if (!(s.BatchRate > 0) || !(s.BatchRate <= 20)) throw new ArgumentException($"--batches must be above 0 and at most 20, got {s.BatchRate}.");
        if (s.MatchViewers is < 1 or > 20) throw new ArgumentException($"--match-viewers must be 1 to 20, got {s.MatchViewers}.");
        if (!(s.MatchSeconds >= 1) || !(s.MatchSeconds <= 600)) throw new ArgumentException($"--match-seconds must be 1 to 600, got {s.MatchSeconds}.");
        return s;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Results (snake_case in --json)

    /// <param name="GcHeapBytes">after the last collection of any kind; <paramref name="GcLiveAfterFullBytes"/> what was alive at the last
    /// full one (the figure that says whether live data grows); <paramref name="GcFragmentedBytes"/> free space inside the heap.</param>
    public sealed record MemorySample(double Minute, long WorkingSetBytes, long GcHeapBytes, long GcLiveAfterFullBytes, long GcFragmentedBytes, long GcCommittedBytes,
        long SqliteBytes);

    /// <summary>
    /// Growth over the run after the warm-up, from <c>AtWarmup</c> to <c>AtEnd</c>. <see cref="GrowthOf"/> takes both ends from
    /// a straight line fitted to every sample after the warm-up: the trend. <see cref="EndpointGrowthOf"/> takes them from the
    /// mean over the minute before the warm-up ended and over the run's last minute; the GC figures swing by ±20 % from
    /// minute to minute (they depend on when the last collection ran), so two one-minute means can show a growth that the
    /// other 24 minutes do not.
    /// </summary>
    public sealed record Growth(double WorkingSet, double GcLiveAfterFull, double GcHeap, long WorkingSetAtWarmupBytes, long WorkingSetAtEndBytes,
        long GcLiveAfterFullAtWarmupBytes, long GcLiveAfterFullAtEndBytes, long GcHeapAtWarmupBytes, long GcHeapAtEndBytes);

    public sealed record Report(string Url, int ServerProcessId, BenchHost.Machine Machine, Settings Settings, double Minutes, MemorySample[] Samples,
        Growth Growth, Growth EndpointGrowth, long Requests, long ServerErrors, long TransportFailures, long RateLimitedRetries, string[] ErrorSamples, long HostileSent, long HostileRefused,
        long JobsCompleted, long JobsStored, long JobsFailed, long MessagesAccepted, long MessagesReceivedBySlowestSpectator, long HistoryTotal,
        bool HistoryHoldsNewest, long MatchesPlayed, long MatchesStored, long ReplaysStreamed, Acknowledged Frames, bool ServerHealthyAfter,
        bool EveryAcknowledgedWriteStored, bool MeetsAllTargets, string[] ServerLog);

    // ----------------------------------------------------------------------------------------------------------------
    // The run

    private static async Task<Report> RunAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        Progress($"starting a fresh server process (roster, schema)...");
        await using var server = await ServerProcess.StartAsync(ServerSettings, TimeSpan.FromMinutes(5));
        using var http = BenchHost.CreateClient(64, TimeSpan.FromSeconds(120));
        var api = new SoakApi(new BenchApi(http, server.Url));
        string wsBase = "ws" + server.Url["http".Length..];

        long[] fighters = SoakJson.FighterIds(await api.OkAsync(HttpMethod.Get, "api/fighters", null));
        if (fighters.Length < 2) throw new BenchException("the server has fewer than two fighters (the default roster was not seeded).");
        var operations = ApiOperation.FromOpenApi(JsonNode.Parse((await api.OkAsync(HttpMethod.Get, "openapi/v1.json", null)).Body)!)
            .Where(HostileLoad.Included).ToList();
        // The hostile requests aim at a fighter and a session of their own, so that what they manage to change is not the other loads'.
        long hostileFighter = fighters[^1];
        string hostileSession = (await api.OkAsync(HttpMethod.Post, "api/training/sessions", """{"training_id":"hostile"}""")).Property("session_id").GetString()!;
        string? ValidValue(string name) => name switch
        {
            "fighter_id" or "fighterId" or "id" => hostileFighter.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "profile_name" or "profileName" => "signature",
            "session_id" or "sessionId" => hostileSession,
            _ => null,
        };

        var jobs = new JobsLoad(api, fighters[0]);
        var session = new SessionLoad(api, wsBase, s.Spectators, s.MessageRate);
        var matches = new MatchesLoad(api, wsBase, fighters, s.MatchViewers, s.MatchSeconds);
        var frames = new FramesLoad(api, fighters[1], s.FramesPerBatch, s.BatchRate);
        var hostile = new HostileLoad(api, operations, ValidValue, s.HostileRate, s.Seed);
        await session.StartAsync();

        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        Task[] loads = [jobs.RunAsync(stop.Token), session.RunAsync(stop.Token), matches.RunAsync(stop.Token), frames.RunAsync(stop.Token), hostile.RunAsync(stop.Token)];
        Progress($"{server.Url} (process {server.Id}): {s.Minutes:0.#} minutes of load; memory growth measured after {s.WarmupMinutes:0.#} minutes");
        var samples = await SampleMemoryAsync(api, server, clock, s, loads);
        stop.Cancel();
        await Task.WhenAll(loads.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))); // a load that failed is seen in its counts
        foreach (var failed in loads.Where(t => t.IsFaulted)) Progress($"a load stopped early: {failed.Exception!.GetBaseException().Message}");

        Progress("checking every acknowledged write...");
        var (received, historyHoldsNewest, historyTotal) = await session.FinishAsync();
        var storedFrames = await frames.VerifyAsync();
        bool healthy = (await api.SendAsync(HttpMethod.Get, "health", null)).Ok;
        var growth = GrowthOf(samples, s);
        var endpointGrowth = EndpointGrowthOf(samples, s);
        bool stored = jobs.Completed == jobs.Verified && matches.Played == matches.Verified && storedFrames.AllStored && historyHoldsNewest
                      && (s.Spectators == 0 || received == session.Accepted);
        bool meets = growth.WorkingSet < GrowthBar && growth.GcLiveAfterFull < GrowthBar && api.ServerErrors == 0 && api.TransportFailures == 0 && stored && healthy
                     && !loads.Any(t => t.IsFaulted);
        return new Report(server.Url, server.Id, machine, s, clock.Elapsed.TotalMinutes, [.. samples], growth, endpointGrowth, api.Requests, api.ServerErrors, api.TransportFailures, api.RateLimited,
            api.Samples, hostile.Sent, hostile.Refused, jobs.Completed, jobs.Verified, jobs.Failed, session.Accepted, received, historyTotal, historyHoldsNewest,
            matches.Played, matches.Verified, matches.ReplaysStreamed, storedFrames, healthy, stored, meets, server.LastLines);
    }

    /// <summary>The server's settings for the soak: its defaults, with a job that trains on one thread and evaluates briefly.</summary>
    private static readonly Dictionary<string, string> ServerSettings = new()
    {
        ["Ringside:Training:Threads"] = "1",
        ["Ringside:Training:EvaluationEpisodes"] = "20",
    };

    /// <summary>Every 10 s the server's /status memory; a line per minute. Ends at --minutes, or when a load or the server fails.</summary>
    private static async Task<List<MemorySample>> SampleMemoryAsync(SoakApi api, ServerProcess server, Stopwatch clock, Settings s, Task[] loads)
    {
        var samples = new List<MemorySample>();
        int printedMinute = 0;
        while (clock.Elapsed.TotalMinutes < s.Minutes && !server.Exited && !loads.Any(t => t.IsFaulted))
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(SampleSeconds, s.Minutes * 60 / 6))); // at least six samples in a short run
            var status = await api.SendAsync(HttpMethod.Get, "status", null);
            if (!status.Ok) continue;
            var memory = status.Property("memory");
            var sample = new MemorySample(clock.Elapsed.TotalMinutes, memory.GetProperty("working_set_bytes").GetInt64(), memory.GetProperty("gc_heap_bytes").GetInt64(),
                memory.GetProperty("gc_live_after_full_bytes").GetInt64(), memory.GetProperty("gc_fragmented_bytes").GetInt64(), memory.GetProperty("gc_committed_bytes").GetInt64(),
                memory.GetProperty("sqlite_bytes").GetInt64());
            samples.Add(sample);
            if ((int)sample.Minute > printedMinute)
            {
                printedMinute = (int)sample.Minute;
                string line = $"minute {printedMinute,3}: working set {sample.WorkingSetBytes / 1e6,7:N1} MB, GC heap {sample.GcHeapBytes / 1e6,7:N1} MB " +
                              $"({sample.GcLiveAfterFullBytes / 1e6:N1} MB live at the last full GC, {sample.GcFragmentedBytes / 1e6:N1} MB free inside, {sample.GcCommittedBytes / 1e6:N1} MB committed), " +
                              $"SQLite {sample.SqliteBytes / 1e6:N1} MB, {status.Property("sessions").GetInt32()} sessions, " +
                              $"{status.Property("session_history_bytes").GetInt64() / 1e6:N1} MB of session history, " +
                              $"{status.Property("session_store_backlog").GetInt32()} session changes waiting for the store; " +
                              $"{api.Requests:N0} requests, {api.ServerErrors} x 5xx, {api.TransportFailures} transport failures";
                if (s.Json) Progress(line);
                else Console.WriteLine(line);
            }
        }
        if (server.Exited) throw new BenchException($"the server exited during the soak: {string.Join(" | ", server.LastLines)}");
        return samples;
    }

    /// <summary>The trend after the warm-up: each figure's least-squares line over the samples from the warm-up's end on, read at both ends.</summary>
    private static Growth GrowthOf(List<MemorySample> samples, Settings s)
    {
        var after = samples.Where(x => x.Minute >= s.WarmupMinutes).ToList();
        if (after.Count < 2 || after[^1].Minute <= after[0].Minute) return new Growth(double.NaN, double.NaN, double.NaN, 0, 0, 0, 0, 0, 0);
        double first = after[0].Minute, last = after[^1].Minute, meanMinute = after.Average(x => x.Minute);
        double spread = after.Sum(x => (x.Minute - meanMinute) * (x.Minute - meanMinute));
        (long Start, long End) Line(Func<MemorySample, long> f)
        {
            double mean = after.Average(x => (double)f(x));
            double slope = after.Sum(x => (x.Minute - meanMinute) * (f(x) - mean)) / spread;
            return ((long)(mean + slope * (first - meanMinute)), (long)(mean + slope * (last - meanMinute)));
        }
        var (ws0, ws1) = Line(x => x.WorkingSetBytes);
        var (full0, full1) = Line(x => x.GcLiveAfterFullBytes);
        var (gc0, gc1) = Line(x => x.GcHeapBytes);
        return new Growth((double)ws1 / ws0 - 1, full0 <= 0 ? double.NaN : (double)full1 / full0 - 1, (double)gc1 / gc0 - 1, ws0, ws1, full0, full1, gc0, gc1);
    }

    /// <summary>From the mean over the minute before the warm-up ended to the mean over the last minute (shorter windows in a short run).</summary>
    private static Growth EndpointGrowthOf(List<MemorySample> samples, Settings s)
    {
        double end = samples.Count == 0 ? 0 : samples[^1].Minute;
        double window = Math.Min(1, Math.Min(s.WarmupMinutes, end - s.WarmupMinutes)); // a minute, less in a short run
        var atWarmup = samples.Where(x => x.Minute >= s.WarmupMinutes - window && x.Minute < s.WarmupMinutes).ToList();
        var atEnd = samples.Where(x => x.Minute >= end - window).ToList();
        if (atWarmup.Count == 0 || atEnd.Count == 0) return new Growth(double.NaN, double.NaN, double.NaN, 0, 0, 0, 0, 0, 0);
        long Mean(List<MemorySample> xs, Func<MemorySample, long> f) => (long)xs.Average(x => (double)f(x));
        long ws0 = Mean(atWarmup, x => x.WorkingSetBytes), ws1 = Mean(atEnd, x => x.WorkingSetBytes);
        long full0 = Mean(atWarmup, x => x.GcLiveAfterFullBytes), full1 = Mean(atEnd, x => x.GcLiveAfterFullBytes);
        long gc0 = Mean(atWarmup, x => x.GcHeapBytes), gc1 = Mean(atEnd, x => x.GcHeapBytes);
        return new Growth((double)ws1 / ws0 - 1, full0 == 0 ? double.NaN : (double)full1 / full0 - 1, (double)gc1 / gc0 - 1, ws0, ws1, full0, full1, gc0, gc1);
    }

    private static void Progress(string message) => Console.Error.WriteLine($"bench soak: {message}");

    // ----------------------------------------------------------------------------------------------------------------
    // Human output

    private static void Print(Report r)
    {
        var g = r.Growth;
        var e = r.EndpointGrowth;
        Console.WriteLine($"Soak of {r.Minutes:0.0} minutes against a fresh server process ({r.Url}); {r.Machine.Processors} processors{r.Machine.DescribeLoad()}");
        Console.WriteLine($"memory growth after {r.Settings.WarmupMinutes:0.#} minutes (the trend: a line fitted to every sample from then on, read at both ends): " +
                          $"working set {g.WorkingSetAtWarmupBytes / 1e6:N1} -> {g.WorkingSetAtEndBytes / 1e6:N1} MB ({g.WorkingSet:+0.0%;-0.0%}), " +
                          $"GC heap live at the last full GC {g.GcLiveAfterFullAtWarmupBytes / 1e6:N1} -> {g.GcLiveAfterFullAtEndBytes / 1e6:N1} MB ({g.GcLiveAfterFull:+0.0%;-0.0%}); " +
                          $"bar under {GrowthBar:0%} for both (GC heap after any GC {g.GcHeapAtWarmupBytes / 1e6:N1} -> {g.GcHeapAtEndBytes / 1e6:N1} MB, {g.GcHeap:+0.0%;-0.0%})");
        Console.WriteLine($"from the mean of the minute before to the mean of the last minute: working set {e.WorkingSet:+0.0%;-0.0%}, " +
                          $"GC heap live at the last full GC {e.GcLiveAfterFull:+0.0%;-0.0%}, GC heap after any GC {e.GcHeap:+0.0%;-0.0%}");
        Console.WriteLine($"{r.Requests:N0} requests: {r.ServerErrors} x 5xx, {r.TransportFailures} transport failures, {r.RateLimitedRetries} x 429 waited out; " +
                          $"{r.HostileSent:N0} hostile requests, {r.HostileRefused:N0} refused with a 4xx");
        Console.WriteLine($"stored: jobs {r.JobsStored}/{r.JobsCompleted} completed ({r.JobsFailed} failed), matches {r.MatchesStored}/{r.MatchesPlayed} " +
                          $"({r.ReplaysStreamed} replays streamed), frames {r.Frames.Verified:N0}/{r.Frames.Acked:N0}, session messages: {r.MessagesAccepted:N0} accepted, " +
                          $"{r.MessagesReceivedBySlowestSpectator:N0} received by the slowest spectator, history {r.HistoryTotal:N0} " +
                          $"({(r.HistoryHoldsNewest ? "holds the newest" : "MISSES the newest")})");
        foreach (var sample in r.ErrorSamples) Console.WriteLine($"error: {sample}");
        if (r.ServerErrors > 0 || r.TransportFailures > 0)
            foreach (string line in r.ServerLog) Console.WriteLine($"server: {line}");
        Console.WriteLine($"server healthy after: {(r.ServerHealthyAfter ? "yes" : "NO")}");
        BenchHost.PrintVerdict(r.MeetsAllTargets);
    }
}
