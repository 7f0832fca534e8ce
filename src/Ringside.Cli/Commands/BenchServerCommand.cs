using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ringside.Server;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside bench server</c>: an HTTP load generator for the server's three speed targets. It starts the real
/// server in this process on a fresh SQLite (WAL) database and a loopback TCP port, or measures a running one
/// (<c>--url</c>), and drives it over real sockets:
/// <list type="bullet">
/// <item><c>frames</c>: batched frame ingestion, each request a new episode's frames (target 100,000 frames/s);</item>
/// <item><c>inference</c>: a profile's real network, 32 clients in closed loop (target 5,000 requests/s, p99 under 5 ms);</item>
/// <item><c>writers</c>: 16 clients mixing every kind of write (target: not one "database is locked").</item>
/// </list>
/// The in-process server runs with its rate limiter off: the bench measures the server, not the limiter.
/// Request bodies are serialised before the clock starts so that the load generator, which shares the CPU with the
/// server in-process, spends as little of it as it can.
/// </summary>
public static class BenchServerCommand
{
    public const double FramesPerSecondTarget = 100_000;
    public const double InferenceRequestsPerSecondTarget = 5_000;
    public const double InferenceP99TargetMs = 5;
    public const int MaxBatch = 20_000; // the server's default Ringside:Limits:MaxFramesPerBatch
    private const int WriterFrames = 50;
    private const int MinTrainSteps = 8_192; // one PPO iteration of the arena's default settings
    private static readonly string[] Scenarios = ["frames", "inference", "writers"];

    public sealed record Settings(string[] Scenarios, double Seconds, double Warmup, double MaxWarmup, int? Concurrency, int Batch, long TrainSteps,
        double? Rate, string? Url, string? ApiKey, bool Json);

    /// <summary>The warm-up ends once the JIT spent at most this long compiling in the last second (tiering has settled).</summary>
    private static readonly TimeSpan JitQuietPerSecond = TimeSpan.FromMilliseconds(20);

    public static Command Create()
    {
        var scenario = new Option<string>("--scenario")
        {
            Description = "What to measure: frames (batched frame ingestion into SQLite), inference (a trained profile's network), " +
                          "writers (concurrent mixed writes, counting \"database is locked\"), or all; several, comma-separated, run in that order.",
            DefaultValueFactory = _ => "all",
        };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration of each scenario, after its warm-up.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup")
        {
            Description = "Least seconds of load before measuring (connections, SQLite caches, JIT); the warm-up then goes on until the JIT " +
                          "has settled (under 20 ms of compiling in the last second) or --max-warmup.",
            DefaultValueFactory = _ => 2,
        };
        var maxWarmup = new Option<double>("--max-warmup")
        {
            Description = "Most seconds of warm-up: measure from then on even if the JIT is still compiling (in-process on a busy machine, " +
                          "tiered compilation can take tens of seconds, and measuring earlier understates the server several times).",
            DefaultValueFactory = _ => 60,
        };
        var concurrency = new Option<int?>("--concurrency")
            { Description = "Concurrent clients, each with one request in flight (default: frames 4, inference 32, writers 16)." };
        var batch = new Option<int>("--batch")
            { Description = $"Frames per request in the frames scenario (1-{MaxBatch:N0}); each request carries a new episode's frames.", DefaultValueFactory = _ => 1000 };
        var trainSteps = new Option<long>("--train-steps")
        {
            Description = $"Agent steps of the training job that makes the inference scenario's model (at least {MinTrainSteps:N0}).",
            DefaultValueFactory = _ => 16_384,
        };
        var rate = new Option<double?>("--rate")
        {
            Description = "Inference only: send this many requests per second in all (open loop, evenly spread over the clients) " +
                          "instead of as many as the clients can (closed loop).",
        };
        var url = new Option<string?>("--url")
        {
            Description = "Measure the server already running at this address (e.g. http://127.0.0.1:8001) instead of starting one; " +
                          "its rate limiter stays as configured and its 429 answers count as errors.",
        };
        var apiKey = new Option<string?>("--api-key") { Description = "API key for a --url server that requires one for writes (sent as \"Authorization: Bearer\")." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("server",
            "HTTP load on the Ringside server (in-process on a fresh SQLite database unless --url): frames/s of batched frame ingestion, " +
            "inference requests/s and latency percentiles, and concurrent writers without \"database is locked\".")
            { scenario, seconds, warmup, maxWarmup, concurrency, batch, trainSteps, rate, url, apiKey, json };
        command.SetAction(p => Output.Guard(() => Run(Validate(p.GetValue(scenario), p.GetValue(seconds), p.GetValue(warmup), p.GetValue(maxWarmup),
            p.GetValue(concurrency), p.GetValue(batch), p.GetValue(trainSteps), p.GetValue(rate), p.GetValue(url), p.GetValue(apiKey), p.GetValue(json)))));
        return command;
    }

    private static Settings Validate(string? scenario, double seconds, double warmup, double maxWarmup, int? concurrency, int batch, long trainSteps, double? rate,
        string? url, string? apiKey, bool json)
    {
        string[] names = Output.SplitList((scenario ?? "all").ToLowerInvariant());
        if (names.Length == 0 || names.Any(n => n != "all" && Array.IndexOf(Scenarios, n) < 0))
            throw new ArgumentException($"--scenario must be frames, inference, writers or all (or several, comma-separated), got '{scenario}'.");
        string[] scenarios = names.Contains("all") ? Scenarios : Scenarios.Where(names.Contains).ToArray();
        if (!(seconds > 0) || !double.IsFinite(seconds) || seconds > 3600) throw new ArgumentException($"--seconds must be positive (at most 3600), got {seconds}.");
        if (!(warmup >= 0) || !double.IsFinite(warmup) || warmup > 600) throw new ArgumentException($"--warmup must be 0 to 600 seconds, got {warmup}.");
        if (!(maxWarmup >= warmup) || !double.IsFinite(maxWarmup) || maxWarmup > 3600)
            throw new ArgumentException($"--max-warmup must be at least --warmup ({warmup}) and at most 3600 seconds, got {maxWarmup}.");
        if (concurrency is < 1 or > 1024) throw new ArgumentException($"--concurrency must be 1 to 1024, got {concurrency}.");
        if (batch is < 1 or > MaxBatch) throw new ArgumentException($"--batch must be 1 to {MaxBatch}, got {batch}.");
        if (trainSteps is < MinTrainSteps or > 500_000_000) throw new ArgumentException($"--train-steps must be {MinTrainSteps} to 500000000, got {trainSteps}.");
        if (rate is { } r && (!(r > 0) || !double.IsFinite(r))) throw new ArgumentException($"--rate must be a positive number of requests per second, got {r}.");
        if (url is not null && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
            throw new ArgumentException($"--url must be an http:// or https:// address, got '{url}'.");
        return new Settings(scenarios, seconds, warmup, maxWarmup, concurrency, batch, trainSteps, rate, url, apiKey, json);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Results (snake_case in --json)

    public sealed record LatencyMs(double P50, double P90, double P99, double Max, double Mean);

    /// <summary>This process during the measured window: in-process that is the server and the load generator together.</summary>
    public sealed record ProcessUse(double CpuBusyCores, double AllocatedMbPerSecond, double GcPauseMs, int Gen0Collections, int Gen2Collections, double JitMs);

    public sealed record FramesResult(int Clients, int Batch, double WarmupSeconds, double Seconds, long Requests, long Frames, double FramesPerSecond,
        double RequestsPerSecond, LatencyMs LatencyMs, long EpisodeRequests, long Errors, long Locked, Dictionary<string, long> ErrorStatuses,
        string[] ErrorSamples, bool FramesVerified, ProcessUse Process, string Target, bool MeetsTarget);

    public sealed record InferenceResult(int Clients, string Mode, double? TargetRate, double WarmupSeconds, double Seconds, long Requests, double RequestsPerSecond,
        LatencyMs LatencyMs, long Errors, long Locked, Dictionary<string, long> ErrorStatuses, string[] ErrorSamples, string ProfileName,
        long TrainingSteps, double TrainingSeconds, ProcessUse Process, string Target, bool MeetsThroughputTarget, bool MeetsLatencyTarget,
        bool MeetsTarget);

    public sealed record WritersResult(int Clients, double WarmupSeconds, double Seconds, long Requests, long Loops, double RequestsPerSecond, double LoopsPerSecond,
        LatencyMs LatencyMs, long Errors, long Locked, Dictionary<string, long> ErrorStatuses, string[] ErrorSamples, ProcessUse Process,
        string Target, bool MeetsTarget);


    public sealed record Report(string Url, bool InProcess, string Database, string RateLimiter, double Seconds, double MinWarmupSeconds, double MaxWarmupSeconds,
        BenchHost.Machine Machine, FramesResult? Frames, InferenceResult? Inference, WritersResult? Writers, bool MeetsAllTargets);

    /// <summary>A failure of the server or of the run (not of the user's input): reported as one line.</summary>

    // ----------------------------------------------------------------------------------------------------------------
    // The run

    private static int Run(Settings s) => Task.Run(() => RunAsync(s)).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        string? dataDir = null;
        WebApplication? app = null;
        Report? report = null;
        string url = s.Url ?? "";
        try
        {
            if (s.Url is null)
            {
                dataDir = Path.Combine(Path.GetTempPath(), $"ringside-bench-server-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
                url = BenchHost.FreeLoopbackUrl();
                app = StartServer(url, dataDir);
                await app.StartAsync();
            }
            int connections = s.Concurrency ?? 32;
            using var http = BenchHost.CreateClient(connections + 8, TimeSpan.FromSeconds(120), s.ApiKey);
            var api = new Api(http, url);
            var health = await api.SendAsync(HttpMethod.Get, api.Health, null);
            if (!health.Ok) throw new BenchException($"{url} does not answer GET /api/health: {health.Describe()}");

            string run = Guid.NewGuid().ToString("N")[..8];
            long fighter = await api.CreateFighterAsync(run);
            FramesResult? frames = null;
            InferenceResult? inference = null;
            WritersResult? writers = null;
            foreach (var scenario in s.Scenarios)
            {
                switch (scenario)
                {
                    case "frames": frames = await FramesAsync(api, s, fighter); break;
                    case "inference": inference = await InferenceAsync(api, s, fighter, run); break;
                    case "writers": writers = await WritersAsync(api, s, fighter, run); break;
                }
            }
            bool all = (frames?.MeetsTarget ?? true) && (inference?.MeetsTarget ?? true) && (writers?.MeetsTarget ?? true);
            report = new Report(url, app is not null, app is not null ? "sqlite (wal), fresh temporary file" : "as configured by the server",
                app is not null ? "disabled (the bench measures the server, not the limiter)" : "as configured by the server",
                s.Seconds, s.Warmup, s.MaxWarmup, machine, frames, inference, writers, all);
        }
        catch (BenchException e) { return Output.Fail(e.Message); }
        finally
        {
            await BenchHost.StopAndCleanAsync(app, dataDir);
        }

        if (s.Json) Output.WriteJson(report!);
        else Print(report!);
        return 0;
    }

    private static WebApplication StartServer(string url, string dataDir) => BenchHost.BuildServer(url, dataDir, new Dictionary<string, string?>
    {
        ["Ringside:Training:RunWorker"] = "true",
        // The inference scenario only needs a real model; a short evaluation of it saves half a minute.
        ["Ringside:Training:EvaluationEpisodes"] = "10",
    });

    private static void Progress(string message) => Console.Error.WriteLine($"bench server: {message}");

    // ----------------------------------------------------------------------------------------------------------------
    // Scenario: frames

    private static async Task<FramesResult> FramesAsync(Api api, Settings s, long fighter)
    {
        int clients = s.Concurrency ?? 4;
        Progress($"frames: {clients} clients, {s.Batch} frames per request; warming up...");
        var bodies = FrameBodies.Build(s.Batch, seed: 1);
        byte[] episodeBody = Utf8($$"""{"fighter_id":{{fighter}}}""");
        var window = new Window();
        var usage = window.RunAsync(s, "frames");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 200);
        var lastEpisode = new long[clients];
        await Task.WhenAll(stats.Select((st, i) => Task.Run(async () =>
        {
            var buffer = bodies.NewBuffer(); // one request in flight per client: its body buffer is free again after the answer
            while (window.Open(Stopwatch.GetTimestamp()))
            {
                // A game posts an episode, then its frames: a new episode per request lets the frame numbers repeat.
                var created = await api.SendAsync(HttpMethod.Post, api.Episodes, episodeBody);
                if (!st.Check(created)) { await Task.Delay(10); continue; }
                if (window.Counts(Stopwatch.GetTimestamp())) st.EpisodeRequests++;
                long episode = IdOf(created.Body);
                int length = bodies.Write(episode, buffer);
                if (await api.TimedAsync(HttpMethod.Post, api.FrameBatch, buffer, st, window, items: s.Batch, length) is { Ok: true }) lastEpisode[i] = episode;
            }
        })));
        var process = await usage;
        var t = Totals.Merge(stats);

        // The figures count 201 answers; make sure the frames are really there.
        bool verified = false;
        if (lastEpisode.FirstOrDefault(e => e > 0) is var check and > 0)
        {
            var listed = await api.SendAsync(HttpMethod.Get, api.Uri($"api/episodes/{check}/frames?limit=1"), null);
            verified = listed.Ok && listed.TotalCount == s.Batch;
        }
        double fps = t.Items / window.Seconds;
        return new FramesResult(clients, s.Batch, window.WarmupSeconds, window.Seconds, t.Requests, t.Items, fps, t.Requests / window.Seconds, t.Latency,
            stats.Sum(x => x.EpisodeRequests), t.Errors, t.Locked, t.Statuses, t.Samples, verified, process,
            $">= {FramesPerSecondTarget:0} frames/s with no errors", fps >= FramesPerSecondTarget && t.Errors == 0);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Scenario: inference

    private static async Task<InferenceResult> InferenceAsync(Api api, Settings s, long fighter, string run)
    {
        int clients = s.Concurrency ?? 32;
        string profile = $"bench-{run}";
        Progress($"inference: training a model for profile '{profile}' ({s.TrainSteps:N0} steps)...");
        var training = Stopwatch.StartNew();
        await api.TrainAsync(fighter, profile, s.TrainSteps);
        double trainingSeconds = training.Elapsed.TotalSeconds;

        var rng = new Random(2);
        var bodies = new byte[clients][][];
        for (int c = 0; c < clients; c++)
        {
            bodies[c] = new byte[16][];
            for (int k = 0; k < bodies[c].Length; k++)
            {
                var observation = string.Join(',', Enumerable.Range(0, Contract.ObservationSize).Select(_ => Number(rng.NextDouble() * 2 - 1)));
                bodies[c][k] = Utf8($$"""{"observation":[{{observation}}],"profile_name":"{{profile}}"}""");
            }
        }
        var uri = api.Uri($"api/fighters/{fighter}/inference");
        var first = await api.SendAsync(HttpMethod.Post, uri, bodies[0][0]);
        if (!first.Ok) throw new BenchException($"inference with the trained profile failed: {first.Describe()}");

        string mode = s.Rate is { } r ? $"open loop at {r:0.#} requests/s" : "closed loop";
        Progress($"inference: trained in {trainingSeconds:0.0} s; {clients} clients, {mode}; warming up...");
        var window = new Window();
        var usage = window.RunAsync(s, "inference");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 1000);
        await Task.WhenAll(stats.Select((st, c) => Task.Run(async () =>
        {
            var mine = bodies[c];
            if (s.Rate is not { } rate)
            {
                for (int k = 0; window.Open(Stopwatch.GetTimestamp()); k++)
                    await api.TimedAsync(HttpMethod.Post, uri, mine[k & 15], st, window);
                return;
            }
            // Open loop: client c sends at its own fixed times, offset so that the clients' sends interleave evenly. A client
            // more than one period behind skips the sends it missed instead of catching up in a burst, so the rate never
            // exceeds --rate and a server that cannot keep up shows as a lower achieved rate.
            long interval = (long)(Stopwatch.Frequency * clients / rate);
            long next = window.Start + interval * c / clients;
            for (int k = 0; next < window.End; k++, next += interval)
            {
                long wait = next - Stopwatch.GetTimestamp();
                if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                else if (-wait > interval) next = Stopwatch.GetTimestamp();
                await api.TimedAsync(HttpMethod.Post, uri, mine[k & 15], st, window);
            }
        })));
        var process = await usage;
        var t = Totals.Merge(stats);
        double rps = t.Requests / window.Seconds;
        bool throughput = s.Rate is { } target
            ? target >= InferenceRequestsPerSecondTarget && rps >= 0.99 * target // open loop: the server kept up with the rate
            : rps >= InferenceRequestsPerSecondTarget;
        bool latency = t.Latency.P99 < InferenceP99TargetMs;
        return new InferenceResult(clients, s.Rate is null ? "closed_loop" : "open_loop", s.Rate, window.WarmupSeconds, window.Seconds, t.Requests, rps, t.Latency,
            t.Errors, t.Locked, t.Statuses, t.Samples, profile, s.TrainSteps, trainingSeconds, process,
            $">= {InferenceRequestsPerSecondTarget:0} requests/s with p99 < {InferenceP99TargetMs:0} ms at 32 clients, no errors",
            throughput, latency, throughput && latency && t.Errors == 0 && clients >= 32); // the target is stated at 32 clients
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Scenario: writers

    private static async Task<WritersResult> WritersAsync(Api api, Settings s, long fighter, string run)
    {
        int clients = s.Concurrency ?? 16;
        Progress($"writers: {clients} clients (episode, {WriterFrames} frames, complete, profile, profile update); warming up...");
        var bodies = FrameBodies.Build(WriterFrames, seed: 3);
        byte[] episodeBody = Utf8($$"""{"fighter_id":{{fighter}}}""");
        byte[] completeBody = Utf8($$"""{"total_reward":12.5,"duration_frames":{{WriterFrames}},"is_victory":true,"rank":1}""");
        byte[] updateBody = Utf8("""{"aggression":70,"win_rate":0.5,"total_episodes":1,"avg_reward":3.5}""");
        var window = new Window();
        var usage = window.RunAsync(s, "writers");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 500);
        await Task.WhenAll(stats.Select((st, c) => Task.Run(async () =>
        {
            for (int n = 0; window.Open(Stopwatch.GetTimestamp()); n++)
            {
                bool ok = true;
                var created = await api.TimedAsync(HttpMethod.Post, api.Episodes, episodeBody, st, window);
                if (created.Ok)
                {
                    long episode = IdOf(created.Body);
                    var frameBody = bodies.For(episode);
                    ok &= (await api.TimedAsync(HttpMethod.Post, api.FrameBatch, frameBody, st, window, 1, frameBody.Length)).Ok;
                    ok &= (await api.TimedAsync(HttpMethod.Patch, api.Uri($"api/episodes/{episode}"), completeBody, st, window)).Ok;
                }
                else ok = false;
                string name = $"bench-{run}-w{c}-{n}";
                byte[] profileBody = Utf8($$"""{"fighter_id":{{fighter}},"profile_name":"{{name}}","aggression":60,"training_mode":"aggression"}""");
                if ((await api.TimedAsync(HttpMethod.Post, api.Profiles, profileBody, st, window)).Ok)
                    ok &= (await api.TimedAsync(HttpMethod.Patch, api.Uri($"api/fighter-profiles/{fighter}/{name}"), updateBody, st, window)).Ok;
                else ok = false;
                if (ok && window.Counts(Stopwatch.GetTimestamp())) st.Loops++;
                if (!ok) await Task.Delay(10);
            }
        })));
        var process = await usage;
        var t = Totals.Merge(stats);
        long loops = stats.Sum(x => x.Loops);
        return new WritersResult(clients, window.WarmupSeconds, window.Seconds, t.Requests, loops, t.Requests / window.Seconds, loops / window.Seconds, t.Latency,
            t.Errors, t.Locked, t.Statuses, t.Samples, process,
            "no \"database is locked\" (or busy) and no non-2xx answer at 16 concurrent writers", t.Errors == 0 && t.Locked == 0 && clients >= 16);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // HTTP

    private readonly record struct Reply(int Status, byte[] Body, string? Failure, long? TotalCount)
    {
        public bool Ok => Status is >= 200 and < 300;

        public string Text => Failure ?? Encoding.UTF8.GetString(Body);

        public string Describe() => (Status == 0 ? "" : $"HTTP {Status}: ") + Shorten(Text, 300);
    }

    private sealed class Api(HttpClient http, string url)
    {
        private readonly Uri _base = new(url.TrimEnd('/') + "/");
        public Uri Uri(string relative) => new(_base, relative);
        public Uri Health => Uri("api/health");
        public Uri Episodes => field ??= Uri("api/episodes");
        public Uri FrameBatch => field ??= Uri("api/fight-frames/batch");
        public Uri Profiles => field ??= Uri("api/fighter-profiles");

        public async Task<Reply> SendAsync(HttpMethod method, Uri uri, byte[]? body, int length = -1)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body, 0, length < 0 ? body.Length : length);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            }
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
                byte[] bytes = await response.Content.ReadAsByteArrayAsync();
                long? total = response.Headers.TryGetValues("X-Total-Count", out var values)
                              && long.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, out var n) ? n : null;
                return new Reply((int)response.StatusCode, bytes, null, total);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return new Reply(0, [], $"{e.GetType().Name}: {e.Message}", null);
            }
        }

        /// <summary>Sends and, when the answer is a success completed inside the measured window, counts it and its latency.</summary>
        public async Task<Reply> TimedAsync(HttpMethod method, Uri uri, byte[] body, ClientStats st, Window window, long items = 1, int length = -1)
        {
            long start = Stopwatch.GetTimestamp();
            var reply = await SendAsync(method, uri, body, length);
            long end = Stopwatch.GetTimestamp();
            if (st.Check(reply) && window.Counts(end))
            {
                st.Requests++;
                st.Items += items;
                st.Latency(end - start);
            }
            return reply;
        }

        public async Task<long> CreateFighterAsync(string run)
        {
            var reply = await SendAsync(HttpMethod.Post, Uri("api/fighters"), Utf8($$"""{"name":"Bench {{run}}","glb_filename":"bench-{{run}}.glb"}"""));
            if (!reply.Ok) throw new BenchException($"could not register the bench's fighter: {reply.Describe()}");
            return IdOf(reply.Body);
        }

        /// <summary>Trains a profile with a real training job and waits until its model is stored.</summary>
        public async Task TrainAsync(long fighter, string profile, long steps)
        {
            var created = await SendAsync(HttpMethod.Post, Uri("api/training-jobs"),
                Utf8($$"""{"fighter_id":{{fighter}},"profile_name":"{{profile}}","total_steps":{{steps}},"seed":1,"execute":true}"""));
            if (!created.Ok) throw new BenchException($"could not create the training job: {created.Describe()}");
            long job = IdOf(created.Body);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var reply = await SendAsync(HttpMethod.Get, Uri($"api/training-jobs/{job}"), null);
                if (!reply.Ok) throw new BenchException($"could not read training job {job}: {reply.Describe()}");
                using var doc = JsonDocument.Parse(reply.Body);
                string status = doc.RootElement.GetProperty("status").GetString() ?? "";
                if (status == "completed") return;
                if (status is "failed" or "cancelled")
                {
                    string why = doc.RootElement.TryGetProperty("error_message", out var e) && e.ValueKind == JsonValueKind.String ? $": {e.GetString()}" : "";
                    throw new BenchException($"training job {job} {status}{why}");
                }
                if (deadline.Elapsed > TimeSpan.FromMinutes(30)) throw new BenchException($"training job {job} is still {status} after 30 minutes.");
                await Task.Delay(250);
            }
        }
    }

    private static long IdOf(byte[] body)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetInt64();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string Number(double value) => Math.Round(value, 4).ToString("R", CultureInfo.InvariantCulture);

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "...";

    // ----------------------------------------------------------------------------------------------------------------
    // Measurement

    /// <summary>
    /// The warm-up, then the measured window; a request counts when it completes inside the window. The warm-up lasts at
    /// least --warmup seconds and then until the JIT has settled or --max-warmup: in-process the server and the load
    /// generator share the CPU with the tiered JIT, and instrumented (PGO) code runs several times slower than final code.
    /// </summary>
    private sealed class Window
    {
        private long _from = long.MaxValue, _end = long.MaxValue;
        public long Start { get; } = Stopwatch.GetTimestamp();
        public long From => Volatile.Read(ref _from);
        public long End => Volatile.Read(ref _end);
        public double WarmupSeconds { get; private set; }
        public double Seconds { get; private set; }

        public bool Open(long now) => now < End;
        public bool Counts(long completed) => completed >= From && completed <= End;

        /// <summary>Runs the warm-up, opens the window, and measures this process while it is open.</summary>
        public async Task<ProcessUse> RunAsync(Settings s, string scenario)
        {
            var jit = new Queue<(long At, TimeSpan Compiling)>();
            bool settled = false;
            while (true)
            {
                long now = Stopwatch.GetTimestamp();
                double elapsed = (now - Start) / (double)Stopwatch.Frequency;
                jit.Enqueue((now, System.Runtime.JitInfo.GetCompilationTime()));
                while (jit.Count > 2 && now - jit.ElementAt(1).At >= Stopwatch.Frequency) jit.Dequeue();
                var (oldest, compiled) = jit.Peek();
                settled = now - oldest >= Stopwatch.Frequency && jit.Last().Compiling - compiled <= JitQuietPerSecond;
                if (elapsed >= s.Warmup && (settled || elapsed >= s.MaxWarmup)) break;
                await Task.Delay(100);
            }
            var a = Snapshot.Take();
            long from = Stopwatch.GetTimestamp();
            WarmupSeconds = (from - Start) / (double)Stopwatch.Frequency;
            Seconds = s.Seconds;
            Volatile.Write(ref _end, from + (long)(s.Seconds * Stopwatch.Frequency));
            Volatile.Write(ref _from, from);
            Progress($"{scenario}: measuring {s.Seconds:0.#} s after {WarmupSeconds:0.0} s of warm-up" +
                     (settled || s.MaxWarmup == 0 ? "..." : " (the JIT was still compiling at --max-warmup)..."));
            long wait = End - Stopwatch.GetTimestamp();
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
            var b = Snapshot.Take();
            return new ProcessUse((b.Cpu - a.Cpu).TotalSeconds / Seconds, (b.Allocated - a.Allocated) / 1e6 / Seconds,
                (b.Pause - a.Pause).TotalMilliseconds, b.Gen0 - a.Gen0, b.Gen2 - a.Gen2, (b.Jit - a.Jit).TotalMilliseconds);
        }
    }

    private readonly record struct Snapshot(TimeSpan Cpu, long Allocated, TimeSpan Pause, int Gen0, int Gen2, TimeSpan Jit)
    {
        public static Snapshot Take()
        {
            using var process = Process.GetCurrentProcess();
            return new Snapshot(process.TotalProcessorTime, GC.GetTotalAllocatedBytes(false), GC.GetTotalPauseDuration(), GC.CollectionCount(0),
                GC.CollectionCount(2), System.Runtime.JitInfo.GetCompilationTime());
        }
    }

    /// <summary>One client's counts and latencies (Stopwatch ticks, preallocated), merged after the run.</summary>
    private sealed class ClientStats(int capacity)
    {
        private long[] _latencies = new long[capacity];
        public int Count { get; private set; }
        public ReadOnlySpan<long> Latencies => _latencies.AsSpan(0, Count);
        public long Requests, Items, EpisodeRequests, Loops, Errors, Locked;
        public readonly Dictionary<string, long> Statuses = [];
        public readonly List<string> Samples = [];

        public static ClientStats[] Create(int clients, double seconds, int perClientPerSecond) =>
            Enumerable.Range(0, clients).Select(_ => new ClientStats((int)Math.Clamp(seconds * perClientPerSecond, 256, 1 << 22))).ToArray();

        public void Latency(long ticks)
        {
            if (Count == _latencies.Length) Array.Resize(ref _latencies, Count * 2);
            _latencies[Count++] = ticks;
        }

        /// <summary>True for a 2xx answer; anything else is an error, and one whose text mentions locked or busy is also counted as such.</summary>
        public bool Check(Reply reply)
        {
            if (reply.Ok) return true;
            Errors++;
            string key = reply.Status == 0 ? "exception" : reply.Status.ToString(CultureInfo.InvariantCulture);
            Statuses[key] = Statuses.GetValueOrDefault(key) + 1;
            string text = reply.Text;
            if (text.Contains("locked", StringComparison.OrdinalIgnoreCase) || text.Contains("busy", StringComparison.OrdinalIgnoreCase)) Locked++;
            if (Samples.Count < 3) Samples.Add(reply.Describe());
            return false;
        }
    }

    private sealed record Totals(long Requests, long Items, long Errors, long Locked, Dictionary<string, long> Statuses, string[] Samples, LatencyMs Latency)
    {
        public static Totals Merge(ClientStats[] stats)
        {
            var all = new long[stats.Sum(s => s.Count)];
            int at = 0;
            foreach (var s in stats) { s.Latencies.CopyTo(all.AsSpan(at)); at += s.Count; }
            Array.Sort(all);
            double Ms(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;
            double Percentile(double p) => all.Length == 0 ? double.NaN : Ms(all[Math.Clamp((int)Math.Ceiling(p * all.Length) - 1, 0, all.Length - 1)]);
            var latency = new LatencyMs(Percentile(0.50), Percentile(0.90), Percentile(0.99), all.Length == 0 ? double.NaN : Ms(all[^1]),
                all.Length == 0 ? double.NaN : Ms(all.Average(x => (double)x)));
            var statuses = new Dictionary<string, long>();
            foreach (var s in stats)
                foreach (var (k, v) in s.Statuses) statuses[k] = statuses.GetValueOrDefault(k) + v;
            return new Totals(stats.Sum(s => s.Requests), stats.Sum(s => s.Items), stats.Sum(s => s.Errors), stats.Sum(s => s.Locked), statuses,
                stats.SelectMany(s => s.Samples).Take(3).ToArray(), latency);
        }
    }

    /// <summary>
    /// A batch body in seed 002's frame shape, serialised once: per request only the episode id is spliced into the
    /// template's bytes (frame numbers run 0..batch-1 in every episode).
    /// </summary>
    private sealed class FrameBodies
    {
        private readonly byte[] _template;
        private readonly int[] _cuts; // where an episode id goes

        private FrameBodies(byte[] template, int[] cuts) { _template = template; _cuts = cuts; }

        public static FrameBodies Build(int frames, int seed)
        {
            var rng = new Random(seed);
            double U(double low, double high) => low + (high - low) * rng.NextDouble();
            var sb = new StringBuilder(frames * 560 + 16);
            var cuts = new int[frames];
            double cumulative = 0;
            sb.Append("{\"frames\":[");
            for (int i = 0; i < frames; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append("{\"episode_id\":");
                cuts[i] = sb.Length;
                double reward = U(-0.05, 0.2);
                cumulative += reward;
                sb.Append(",\"frame_number\":").Append(i.ToString(CultureInfo.InvariantCulture))
                  .Append(",\"fighter_position\":[").Append(Number(U(-4, 4))).Append(',').Append(Number(U(-4, 4))).Append(']')
                  .Append(",\"fighter_health\":").Append(Number(U(0, 100)))
                  .Append(",\"fighter_velocity\":[").Append(Number(U(-2, 2))).Append(',').Append(Number(U(-2, 2))).Append(']')
                  .Append(",\"enemies_state\":[");
                int enemies = 1 + i % 3;
                for (int e = 0; e < enemies; e++)
                {
                    if (e > 0) sb.Append(',');
                    sb.Append("{\"id\":").Append((e + 2).ToString(CultureInfo.InvariantCulture))
                      .Append(",\"pos\":[").Append(Number(U(-4, 4))).Append(',').Append(Number(U(-4, 4))).Append(']')
                      .Append(",\"health\":").Append(Number(U(0, 100))).Append('}');
                }
                sb.Append("],\"action_vector\":[").Append(Number(U(-1, 1))).Append(',').Append(Number(U(-1, 1)))
                  .Append(',').Append(i % 7 == 0 ? '1' : '0').Append(',').Append(i % 11 == 0 ? '1' : '0').Append(']')
                  .Append(",\"reward_delta\":").Append(Number(reward))
                  .Append(",\"cumulative_reward\":").Append(Number(cumulative))
                  .Append(",\"observation_vector\":[");
                for (int k = 0; k < Contract.ObservationSize; k++)
                {
                    if (k > 0) sb.Append(',');
                    sb.Append(Number(U(-1, 1)));
                }
                sb.Append("]}");
            }
            sb.Append("]}");
            return new FrameBodies(Encoding.ASCII.GetBytes(sb.ToString()), cuts); // ASCII: char and byte offsets agree
        }

        public byte[] For(long episode)
        {
            var body = new byte[Length(episode)];
            Write(episode, body);
            return body;
        }

        /// <summary>A buffer that holds the body for any episode id.</summary>
        public byte[] NewBuffer() => new byte[Length(long.MaxValue)];

        private int Length(long episode)
        {
            int digits = 1;
            for (long v = episode; v >= 10; v /= 10) digits++;
            return _template.Length + _cuts.Length * digits;
        }

        /// <summary>Writes the body for <paramref name="episode"/> into <paramref name="body"/>; returns its length.</summary>
        public int Write(long episode, byte[] body)
        {
            Span<byte> digits = stackalloc byte[20];
            episode.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
            int from = 0, to = 0;
            foreach (int cut in _cuts)
            {
                _template.AsSpan(from, cut - from).CopyTo(body.AsSpan(to));
                to += cut - from;
                from = cut;
                digits[..n].CopyTo(body.AsSpan(to));
                to += n;
            }
            _template.AsSpan(from).CopyTo(body.AsSpan(to));
            return to + _template.Length - from;
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Human output

    private static void Print(Report r)
    {
        string load = r.Machine.LoadAverage is { } l ? $", load average {l[0]:0.00} {l[1]:0.00} {l[2]:0.00} before the run" : "";
        Console.WriteLine($"Ringside server at {r.Url} ({(r.InProcess ? "in this process, fresh SQLite WAL database" : "running elsewhere")}; " +
                          $"rate limiter {(r.InProcess ? "off" : "as configured")}); {r.Machine.Processors} processors{load}; " +
                          $"each scenario measured {r.Seconds:0.#} s after a warm-up of {r.MinWarmupSeconds:0.#}-{r.MaxWarmupSeconds:0.#} s (until the JIT settles)");
        Console.WriteLine();
        Console.WriteLine($"{"scenario",-10} {"clients",7}  {"throughput",-40} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"errors",7} {"locked",7}  target");
        void Row(string name, int clients, string throughput, LatencyMs l, long errors, long locked, string target, bool met) =>
            Console.WriteLine($"{name,-10} {clients,7}  {throughput,-40} {l.P50,8:0.00} {l.P90,8:0.00} {l.P99,8:0.00} {l.Max,8:0.00} {errors,7} {locked,7}  " +
                              $"{target}: {(met ? "met" : "MISSED")}");
        if (r.Frames is { } f)
            Row("frames", f.Clients, $"{f.FramesPerSecond:N0} frames/s ({f.RequestsPerSecond:N1} req/s x {f.Batch})", f.LatencyMs, f.Errors, f.Locked,
                $">= {FramesPerSecondTarget:N0} frames/s", f.MeetsTarget);
        if (r.Inference is { } i)
            Row("inference", i.Clients, $"{i.RequestsPerSecond:N0} req/s ({i.Mode.Replace('_', ' ')})", i.LatencyMs, i.Errors, i.Locked,
                $">= {InferenceRequestsPerSecondTarget:N0} req/s, p99 < {InferenceP99TargetMs:0} ms", i.MeetsTarget);
        if (r.Writers is { } w)
            Row("writers", w.Clients, $"{w.RequestsPerSecond:N0} req/s ({w.LoopsPerSecond:N0} loops/s)", w.LatencyMs, w.Errors, w.Locked,
                "no locked, no non-2xx", w.MeetsTarget);
        Console.WriteLine();
        void Use(string name, double warmup, ProcessUse p) => Console.WriteLine(
            $"{name}: after {warmup:0.0} s of warm-up; this process used {p.CpuBusyCores:0.00} cores, allocated {p.AllocatedMbPerSecond:N0} MB/s, " +
            $"GC paused {p.GcPauseMs:N0} ms ({p.Gen0Collections} gen0, {p.Gen2Collections} gen2 collections), JIT compiled for {p.JitMs:N0} ms");
        if (r.Frames is { } f2) Use("frames", f2.WarmupSeconds, f2.Process);
        if (r.Inference is { } i2)
        {
            Use("inference", i2.WarmupSeconds, i2.Process);
            Console.WriteLine($"inference: profile '{i2.ProfileName}' trained {i2.TrainingSteps:N0} steps in {i2.TrainingSeconds:0.0} s");
        }
        if (r.Writers is { } w2) Use("writers", w2.WarmupSeconds, w2.Process);
        foreach (var (name, samples) in new[] { ("frames", r.Frames?.ErrorSamples), ("inference", r.Inference?.ErrorSamples), ("writers", r.Writers?.ErrorSamples) })
            foreach (var sample in samples ?? []) Console.WriteLine($"{name} error: {sample}");
        if (r.Frames is { FramesVerified: false, Requests: > 0 }) Console.WriteLine("frames: the stored frame count of an episode did not match its batch.");
        Console.WriteLine(r.MeetsAllTargets ? "All measured targets met." : "Not every measured target was met.");
    }
}
