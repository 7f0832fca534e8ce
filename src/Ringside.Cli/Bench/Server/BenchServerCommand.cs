using System.CommandLine;
using System.Diagnostics;

namespace Ringside.Cli.Bench.Server;


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
/// server in-process, spends as little of it as it can. Each scenario is a file of its own beside this one
/// (<see cref="FramesScenario"/>, <see cref="InferenceScenario"/>, <see cref="WritersScenario"/>); what they share is in
/// <see cref="LoadClients"/> and the kit one folder up.
/// </summary>
public static class BenchServerCommand
{
    public const double FramesPerSecondTarget = 100_000;
    public const double InferenceRequestsPerSecondTarget = 5_000;
    public const double InferenceP99TargetMs = 5;
    public const int MaxBatch = 20_000; // the server's default Ringside:Limits:MaxFramesPerBatch
    private const int MinTrainSteps = 8_192; // one PPO iteration of the arena's default settings
    private static readonly string[] Scenarios = ["frames", "inference", "writers"];

    public sealed record Settings(string[] Scenarios, double Seconds, double Warmup, double MaxWarmup, int? Concurrency, int Batch, long TrainSteps,
        double? Rate, string? Url, string? ApiKey, bool Json);

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

    /// <summary>Request latencies of the measured window (this bench's JSON has no sample count; its requests are).</summary>
    public sealed record RequestLatencyMs(double P50, double P90, double P99, double Max, double Mean)
    {
        public static RequestLatencyMs From(LatencyMs l) => new(l.P50, l.P90, l.P99, l.Max, l.Mean);
    }

    /// <summary>This process during the measured window: in-process that is the server and the load generator together.</summary>
    public sealed record ProcessUse(double CpuBusyCores, double AllocatedMbPerSecond, double GcPauseMs, int Gen0Collections, int Gen2Collections, double JitMs)
    {
        public static ProcessUse Of(ProcessSnapshot used, double seconds) => new(used.Cpu.TotalSeconds / seconds, used.Allocated / 1e6 / seconds,
            used.Pause.TotalMilliseconds, used.Gen0, used.Gen2, used.Jit.TotalMilliseconds);
    }

    public sealed record FramesResult(int Clients, int Batch, double WarmupSeconds, double Seconds, long Requests, long Frames, double FramesPerSecond,
        double RequestsPerSecond, RequestLatencyMs LatencyMs, long EpisodeRequests, long Errors, long Locked, Dictionary<string, long> ErrorStatuses,
        string[] ErrorSamples, bool FramesVerified, ProcessUse Process, string Target, bool MeetsTarget);

    public sealed record InferenceResult(int Clients, string Mode, double? TargetRate, double WarmupSeconds, double Seconds, long Requests, double RequestsPerSecond,
        RequestLatencyMs LatencyMs, long Errors, long Locked, Dictionary<string, long> ErrorStatuses, string[] ErrorSamples, string ProfileName,
        long TrainingSteps, double TrainingSeconds, ProcessUse Process, string Target, bool MeetsThroughputTarget, bool MeetsLatencyTarget,
        bool MeetsTarget);

    public sealed record WritersResult(int Clients, double WarmupSeconds, double Seconds, long Requests, long Loops, double RequestsPerSecond, double LoopsPerSecond,
        RequestLatencyMs LatencyMs, long Errors, long Locked, Dictionary<string, long> ErrorStatuses, string[] ErrorSamples, ProcessUse Process,
        string Target, bool MeetsTarget);


    public sealed record Report(string Url, bool InProcess, string Database, string RateLimiter, double Seconds, double MinWarmupSeconds, double MaxWarmupSeconds,
        BenchHost.Machine Machine, FramesResult? Frames, InferenceResult? Inference, WritersResult? Writers, bool MeetsAllTargets);

    // ----------------------------------------------------------------------------------------------------------------
    // The run: the server, one fighter, then each scenario in turn

    private static int Run(Settings s) => BenchHost.Run(() => MeasureAsync(s), s.Json, Print);

    private static async Task<Report> MeasureAsync(Settings s)
    {
        var machine = BenchHost.Machine.Now();
        await using var server = s.Url is { } url ? BenchServer.Elsewhere(url) : await BenchServer.StartAsync("server", InProcessSettings);
        using var http = BenchHost.CreateClient((s.Concurrency ?? 32) + 8, TimeSpan.FromSeconds(120), s.ApiKey);
        var api = new BenchApi(http, server.Url);
        var health = await api.SendAsync(HttpMethod.Get, "api/health", null);
        if (!health.Ok) throw new BenchException($"{server.Url} does not answer GET /api/health: {health.Describe()}");

        string run = Guid.NewGuid().ToString("N")[..8];
        long fighter = await CreateFighterAsync(api, run);
        FramesResult? frames = null;
        InferenceResult? inference = null;
        WritersResult? writers = null;
        foreach (var scenario in s.Scenarios)
        {
            switch (scenario)
            {
                case "frames": frames = await FramesScenario.RunAsync(api, s, fighter); break;
                case "inference": inference = await InferenceScenario.RunAsync(api, s, fighter, run); break;
                case "writers": writers = await WritersScenario.RunAsync(api, s, fighter, run); break;
            }
        }
        bool all = (frames?.MeetsTarget ?? true) && (inference?.MeetsTarget ?? true) && (writers?.MeetsTarget ?? true);
        return new Report(server.Url, server.InProcess, server.InProcess ? "sqlite (wal), fresh temporary file" : "as configured by the server",
            server.InProcess ? "disabled (the bench measures the server, not the limiter)" : "as configured by the server",
            s.Seconds, s.Warmup, s.MaxWarmup, machine, frames, inference, writers, all);
    }

    private static readonly Dictionary<string, string?> InProcessSettings = new()
    {
        ["Ringside:Training:RunWorker"] = "true",
        // The inference scenario only needs a real model; a short evaluation of it saves half a minute.
        ["Ringside:Training:EvaluationEpisodes"] = "10",
    };

    /// <summary>A fighter of the bench's own: a roster wrestler's model uploaded again under the bench's name (a fighter needs its model file).</summary>
    private static async Task<long> CreateFighterAsync(BenchApi api, string run)
    {
        var fighters = await api.SendAsync(HttpMethod.Get, "api/fighters", null);
        string? glb = fighters.Ok ? System.Text.Json.JsonDocument.Parse(fighters.Body).RootElement.EnumerateArray().Select(f => f.GetProperty("glb_filename").GetString()).FirstOrDefault() : null;
        var model = glb is null ? default : await api.SendAsync(HttpMethod.Get, $"fighters/{glb}", null);
        if (!model.Ok) throw new BenchException($"could not read a roster model to upload for the bench's fighter: {(glb is null ? fighters.Describe() : model.Describe())}");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(model.Body), "file", "bench.glb" }, { new StringContent($"Bench {run}"), "name" } };
        var reply = await api.PostFormAsync("api/fighters/upload", form);
        if (!reply.Ok) throw new BenchException($"could not register the bench's fighter: {reply.Describe()}");
        return reply.Id();
    }

    internal static void Progress(string message) => Console.Error.WriteLine($"bench server: {message}");

    // ----------------------------------------------------------------------------------------------------------------
    // Human output

    private static void Print(Report r)
    {
        Console.WriteLine($"Ringside server at {r.Url} ({(r.InProcess ? "in this process, fresh SQLite WAL database" : "running elsewhere")}; " +
                          $"rate limiter {(r.InProcess ? "off" : "as configured")}); {r.Machine.Processors} processors{r.Machine.DescribeLoad()}; " +
                          $"each scenario measured {r.Seconds:0.#} s after a warm-up of {r.MinWarmupSeconds:0.#}-{r.MaxWarmupSeconds:0.#} s (until the JIT settles)");
        Console.WriteLine();
        Console.WriteLine($"{"scenario",-10} {"clients",7}  {"throughput",-40} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"errors",7} {"locked",7}  target");
        void Row(string name, int clients, string throughput, RequestLatencyMs l, long errors, long locked, string target, bool met) =>
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
        BenchHost.PrintVerdict(r.MeetsAllTargets);
    }
}
