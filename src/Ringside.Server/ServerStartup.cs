using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Realtime;
using Ringside.Server.Training;

namespace Ringside.Server;

/// <summary>
/// The server's start-up work, as the first hosted service: hosted services start in the order they are registered
/// and before the server takes requests, so the schema is upgraded before anything, Quartz included, touches the
/// database. Then the default roster, the configured API key and the stored training sessions; unfinished training
/// jobs are queued again once the application has started.
/// </summary>
public sealed class ServerStartup(Database db, RingsideOptions options, ApiKeys keys, SessionStore sessionStore, TrainingSessions sessions,
    JobSessions jobSessions, IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<ServerStartup> log) : IHostedService
{
    public async Task StartAsync(CancellationToken token)
    {
        await Schema.UpgradeAsync(db, token: token);
        if (options.SeedRoster) await Roster.SeedAsync(db, options);
        await keys.RegisterConfiguredKeysAsync();
        await sessionStore.RestoreAsync(sessions);
        _ = jobSessions; // created with this service, so jobs publish into sessions from their first event
        lifetime.ApplicationStarted.Register(() => _ = RequeueAsync());
        lifetime.ApplicationStarted.Register(WarnIfUnreachable);
    }

    /// <summary>A clustered node that cannot say its URL runs live matches that the other nodes cannot relay: say so once, at start.</summary>
    private void WarnIfUnreachable()
    {
        if (!options.QuartzClustered) return;
        var node = services.GetRequiredService<ThisNode>();
        if (node.Url is { } url) log.LogInformation("Node {Node} advertises {Url} for its live matches.", node.Name, url);
        else log.LogWarning("Node {Node} listens on no single address that names a host: other nodes cannot relay its live matches. Set Ringside:Cluster:AdvertisedUrl (docs/SERVER.md, Cluster).", node.Name);
    }

    public Task StopAsync(CancellationToken token) => Task.CompletedTask;

    private async Task RequeueAsync()
    {
        try
        {
            if (options.RunsJobs) await services.GetRequiredService<JobQueue>().RequeueUnfinishedAsync();
        }
        catch (Exception e) { log.LogError(e, "Could not queue unfinished training jobs again."); }
    }
}
