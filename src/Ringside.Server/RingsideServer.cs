using Quartz;
using Ringside.Server.Apis;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Inference;
using Ringside.Server.Realtime;
using Ringside.Server.Training;

namespace Ringside.Server;

/// <summary>
/// Builds the whole server: configuration, storage, job scheduler, security and every endpoint. It does no I/O:
/// the start-up work (schema, roster, keys, sessions) is <see cref="ServerStartup"/>, run when the host starts.
/// </summary>
public static class RingsideServer
{
    public const string DefaultUrl = "http://127.0.0.1:8001";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
        {
            ["--data"] = "Ringside:DataDir",
            ["--role"] = "Ringside:Cluster:Role",
            ["--node"] = "Ringside:Cluster:Node",
            ["--jobs"] = "Ringside:Training:MaxConcurrentJobs",
        });
        configure?.Invoke(builder);
        if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls(DefaultUrl);

        var options = builder.Configuration.GetSection(RingsideOptions.Section).Get<RingsideOptions>() ?? new RingsideOptions();
        options.Cluster.Validate(options.Database.Provider);
        Directory.CreateDirectory(options.FullDataDir);
        var db = Database.FromOptions(options);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(db);
        services.AddHostedService<ServerStartup>(); // first: the schema upgrade and the rest of start-up run before any other service
        services.AddSingleton<ModelCache>();
        services.AddSingleton<TrainingEvents>();
        services.AddSingleton<TrainingJobHooks>();
        services.AddSingleton<TrainingJobRunner>();
        services.AddSingleton<JobQueue>();
        services.AddSingleton<ApiKeys>();
        services.AddSingleton<MatchRecorder>();
        services.AddSingleton<ThisNode>();
        services.AddSingleton<LiveMatches>();
        services.AddSingleton<MatchRelay>();
        services.AddSingleton(builder.Configuration.GetSection("Ringside:Sessions").Get<TrainingSessionOptions>() ?? new TrainingSessionOptions());
        services.AddSingleton<SessionStore>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionStore>());
        services.AddSingleton<TrainingSessions>();
        if (options.QuartzClustered && db.Provider == DatabaseProvider.Postgres)
        {
            services.AddSingleton<ClusterSessions>();
            services.AddHostedService(sp => sp.GetRequiredService<ClusterSessions>());
        }
        services.AddSingleton<SessionDirectory>();
        services.AddSingleton<JobSessions>();
        services.AddSingleton<StreamConnections>();
        services.AddHostedService<SessionCleanup>();

        services.ConfigureHttpJsonOptions(o => Json.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true); // so bad JSON reaches the problem handler
        services.AddProblemDetails();
        services.AddExceptionHandler<Problems.BadRequestHandler>();
        services.AddApiDocument();
        ApiKeys.ModeOf(options.Security.RequireApiKey, () => false); // an unknown mode stops the start, not the first request
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.Limits.MaxBodyBytes;
            k.AddServerHeader = false; // says nothing of what the server runs
        });
        services.AddCors(o => o.AddDefaultPolicy(p => p.WithOrigins(options.Security.CorsOrigins).AllowAnyHeader().AllowAnyMethod()
            .WithExposedHeaders("X-Total-Count", "Location", "Retry-After")));
        services.AddSingleton(new ClientRateLimiter(options.RateLimit));
        AddScheduler(services, options, db);

        var app = builder.Build();

        app.Use(SecurityHeaders.Add);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(BodyLimit(options.Limits.MaxBodyBytes));
        app.UseCors();
        // Before the access policy, which tells a WebSocket upgrade by it. Pings every 15 s; a client that does not answer
        // within 30 s (one that stopped reading) is aborted, so a stalled client never keeps megabytes of kernel buffers
        // and a queue alive.
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15), KeepAliveTimeout = TimeSpan.FromSeconds(30) });
        app.Use(AccessPolicy.Authenticate);
        if (options.RateLimit.Enabled) app.Use(app.Services.GetRequiredService<ClientRateLimiter>().Limit);
        app.Use(AccessPolicy.Enforce);
        app.UseJsonCharsetCheck();

        app.MapOpenApi("/openapi/{documentName}.json").Needs(Access.Public);
        app.UseSwaggerUI(o => { o.RoutePrefix = "docs"; o.SwaggerEndpoint("/openapi/v1.json", "Ringside API v1"); o.DocumentTitle = "Ringside API"; });
        app.MapHealthApi();
        app.MapContractApi();
        app.MapFightersApi();
        app.MapEpisodesApi();
        app.MapFramesApi();
        app.MapProfilesApi();
        app.MapTrainingJobsApi();
        app.MapInferenceApi();
        app.MapMatchesApi();
        app.MapReplaysApi();
        app.MapTrainingSessionsApi();
        app.MapStatsApi();
        app.MapRewardWeightsApi();
        app.MapWebUi();
        return app;
    }

    /// <summary>
    /// Refuses a declared body over the limit before reading it (Kestrel also enforces the limit on bodies of unknown
    /// length while they are read); the answer is a 413 problem naming the body.
    /// </summary>
    private static Func<HttpContext, Func<Task>, Task> BodyLimit(long maxBytes) => async (context, next) =>
    {
        if (context.Request.ContentLength > maxBytes)
        {
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            await TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]>
            {
                ["body"] = [$"is {context.Request.ContentLength} bytes; the limit is {maxBytes} bytes."],
            })
            { Status = 413, Title = "The request body is too large." }).ExecuteAsync(context);
            return;
        }
        await next();
    };

    /// <summary>Quartz.NET with its persistent job store in the server's own database (schema created when missing).</summary>
    private static void AddScheduler(IServiceCollection services, RingsideOptions options, Database db)
    {
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(s =>
            {
                s.InstanceName = "ringside";
                // Clustered, the node's name is its instance id (unique; what /status lists). A single node keeps Quartz's default,
                // which is also what recovers its own firings after a crash: non-clustered recovery looks up the same id.
                if (options.QuartzClustered)
                {
                    s.InstanceId = options.Cluster.NodeName;
                    // A worker learns of a job queued by another node only when it next asks the store (a local schedule wakes it at once).
                    s.IdleWaitTime = TimeSpan.FromSeconds(Math.Max(1, options.Cluster.PollSeconds));
                }
                // On shutdown a running trainer stops at its next iteration (checkpoint saved) and runs on at the next start.
                s.ShutdownJobInterruption = ShutdownJobInterruption.Always;
            });
            q.UseDefaultThreadPool(Math.Max(1, options.Training.MaxConcurrentJobs));
            q.UsePersistentStore(store =>
            {
                if (db.Provider == DatabaseProvider.Sqlite) store.UseSqlite(db.ConnectionString);
                else store.UsePostgres(db.ConnectionString);
                store.UseSystemTextJsonSerializer();
                store.ProvisionSchema();
                store.ConfigureStore(o =>
                {
                    o.TablePrefix = "QRTZ_";
                    o.MisfireThreshold = TimeSpan.FromSeconds(30);
                    o.RecoverFiringsCancelledByShutdown = true;
                });
                if (options.QuartzClustered)
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = TimeSpan.FromSeconds(Math.Max(0.5, options.Cluster.CheckinIntervalSeconds));
                        c.CheckinMisfireThreshold = TimeSpan.FromSeconds(Math.Max(0.5, options.Cluster.CheckinMisfireThresholdSeconds));
                    });
            });
        });
        // An api node keeps an unstarted scheduler: it stores jobs in the shared job store and never fires one.
        if (options.RunsJobs)
            services.AddQuartzHostedService(o => { o.WaitForJobsToComplete = false; o.AwaitApplicationStarted = true; });
    }
}
