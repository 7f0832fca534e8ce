namespace Ringside.Server;

/// <summary>
/// Every setting of the server, bound from the "Ringside" section of appsettings.json, environment variables
/// (Ringside__Security__ApiKey=...) and command-line flags (--urls, --data). docs/SERVER.md lists them.
/// </summary>
public sealed class RingsideOptions
{
    public const string Section = "Ringside";

    /// <summary>Folder for the SQLite database, models and run folders (created on start).</summary>
    public string DataDir { get; set; } = "data";
    /// <summary>Register the default roster of fighters on first start.</summary>
    public bool SeedRoster { get; set; } = true;
    public DatabaseOptions Database { get; set; } = new();
    public SecurityOptions Security { get; set; } = new();
    public RateLimitOptions RateLimit { get; set; } = new();
    public LimitOptions Limits { get; set; } = new();
    public TrainingOptions Training { get; set; } = new();
    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>This process runs training jobs: every role but api, unless Training:RunWorker turns it off.</summary>
    public bool RunsJobs => Training.RunWorker && Cluster.Role != ClusterOptions.Api;
    /// <summary>Quartz runs clustered: a cluster role, or Training:Clustered on a single role-less node.</summary>
    public bool QuartzClustered => Training.Clustered || Cluster.IsClustered;

    public string FullDataDir => Path.GetFullPath(DataDir);
    public string ModelsDir => Path.Combine(FullDataDir, "models");
    public string RunsDir => Path.Combine(FullDataDir, "runs");
}

/// <summary>What a process of a cluster does (docs/SERVER.md, Cluster).</summary>
public sealed class ClusterOptions
{
    public const string All = "all", Api = "api", Worker = "worker";

    /// <summary>
    /// "all" (the default: one process does everything, on SQLite or PostgreSQL), "api" (HTTP, WebSockets and the UI; it
    /// queues jobs but runs none) or "worker" (runs training jobs). api and worker need PostgreSQL and run Quartz clustered.
    /// </summary>
    public string Role { get; set; } = All;
    /// <summary>This node's name: its Quartz instance id and the <c>worker</c> a job names. Default: host name and process id.</summary>
    public string? Node { get; set; }
    /// <summary>
    /// The base URL other nodes reach this one at (http://10.0.0.5:8001): a node that is asked for a live match it does
    /// not host relays it here. Default: the one address Kestrel listens on, unless that is a wildcard (0.0.0.0, [::]) or
    /// there are several.
    /// </summary>
    public string? AdvertisedUrl { get; set; }
    /// <summary>How often a clustered node checks in with Quartz; a worker silent for this long plus the threshold below is taken for dead and its jobs recovered.</summary>
    public double CheckinIntervalSeconds { get; set; } = 10;
    /// <summary>How long past a missed check-in the other nodes wait before they recover a node's jobs (Quartz's default, 7.5 s).</summary>
    public double CheckinMisfireThresholdSeconds { get; set; } = 7.5;

    /// <summary>How often an idle worker asks the job store for jobs that other nodes queued (Quartz's idle wait; at least 1 s).</summary>
    public double PollSeconds { get; set; } = 2;
    /// <summary>A session message whose notification would be larger goes by its sequence alone (PostgreSQL's NOTIFY takes under 8000 bytes).</summary>
    public int MaxNotifyBytes { get; set; } = 7000;

    public bool IsClustered => Role != All;
    public string NodeName => Node is { Length: > 0 } n ? n : $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Refuses an unknown role, or a cluster role on SQLite (Quartz clusters only on a shared database).</summary>
    public void Validate(string provider)
    {
        if (Role is not (All or Api or Worker)) throw new InvalidOperationException($"Ringside:Cluster:Role '{Role}' is not known; use all, api or worker.");
        if (IsClustered && provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"role '{Role}' needs a database every node shares: set Ringside:Database:Provider to postgres (docs/SERVER.md, Cluster).");
        if (AdvertisedUrl is { Length: > 0 } url && !(Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            throw new InvalidOperationException($"Ringside:Cluster:AdvertisedUrl '{url}' is not an http:// or https:// URL.");
    }
}

public sealed class DatabaseOptions
{
    /// <summary>"sqlite" (default) or "postgres".</summary>
    public string Provider { get; set; } = "sqlite";
    /// <summary>ADO.NET connection string; for SQLite the default is DataDir/ringside.db.</summary>
    public string? ConnectionString { get; set; }
}

public sealed class SecurityOptions
{
    /// <summary>Origins allowed by CORS (a game served from another port; docs/SERVER.md, Settings).</summary>
    public string[] CorsOrigins { get; set; } = ["http://localhost:8000", "http://127.0.0.1:8000", "http://localhost:3000"];
    /// <summary>
    /// When keys are asked for: "auto" ("writes" when the server listens beyond loopback, else open), "writes" (weights,
    /// exports and changes need a key; spectators read and watch) or "always" (every read and stream needs a key too).
    /// </summary>
    public string RequireApiKey { get; set; } = "auto";
    /// <summary>A write key to accept (stored hashed; never logged). More keys: <c>ringside apikey create</c>.</summary>
    public string? ApiKey { get; set; }
    /// <summary>A read key to accept (stored hashed; never logged).</summary>
    public string? ReadApiKey { get; set; }
}

public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>Requests per second per client (token bucket), and the burst a client may spend at once.</summary>
    public int PermitsPerSecond { get; set; } = 200;
    public int Burst { get; set; } = 400;
    /// <summary>Clients with a bucket of their own at once; beyond it, new clients share one bucket until idle ones are dropped.</summary>
    public int MaxClients { get; set; } = 10_000;
}

public sealed class LimitOptions
{
    /// <summary>Largest request body in bytes (413 beyond).</summary>
    public long MaxBodyBytes { get; set; } = 32 * 1024 * 1024;
    public int MaxFramesPerBatch { get; set; } = 20_000;
    public int MaxPageSize { get; set; } = 1_000;
    /// <summary>Live matches this process runs at once (each is simulated in real time).</summary>
    public int MaxLiveMatches { get; set; } = 32;
}

public sealed class TrainingOptions
{
    /// <summary>Training jobs run at once by this process (Quartz thread pool size).</summary>
    public int MaxConcurrentJobs { get; set; } = 1;
    /// <summary>Threads one training job uses.</summary>
    public int Threads { get; set; } = 2;
    /// <summary>Iterations between resumable checkpoints of a job.</summary>
    public int CheckpointEvery { get; set; } = 5;
    /// <summary>Episodes per baseline bot when a finished job is evaluated.</summary>
    public int EvaluationEpisodes { get; set; } = 100;
    /// <summary>The budget of a job that names none: five default epochs (ArenaTraining.DefaultEpochSteps).</summary>
    public long DefaultSteps { get; set; } = 5 * Learning.Arena.ArenaTraining.DefaultEpochSteps;
    public long MaxSteps { get; set; } = 500_000_000;
    /// <summary>Run Quartz clustered (several worker processes on one PostgreSQL job store).</summary>
    public bool Clustered { get; set; }
    /// <summary>Start the scheduler in this process (false: an API-only node that queues jobs for workers).</summary>
    public bool RunWorker { get; set; } = true;
    /// <summary>
    /// Tests only: "point@iteration" (a point of ArenaTraining.FaultPoints) makes a training job end this process at
    /// once (as kill -9 would) when it reaches that point of that iteration, on the job's first attempt.
    /// </summary>
    public string? CrashAt { get; set; }
}
