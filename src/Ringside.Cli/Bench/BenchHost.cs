using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Ringside.Server;

namespace Ringside.Cli.Bench;

/// <summary>
/// What the HTTP and WebSocket benches share: the real server on a free loopback port (Kestrel, real sockets) with a
/// temporary SQLite database, clients without proxies or cookies, the machine's load for the record, and the run
/// itself (a bench failure becomes one error line; the report is printed as JSON or text once the server has stopped).
/// </summary>
public static class BenchHost
{
    public sealed record Machine(int Processors, double[]? LoadAverage)
    {
        public static Machine Now() => new(Environment.ProcessorCount, ReadLoadAverage());

        /// <summary>", load average 0.12 0.34 0.56 before the run", or nothing where the load is unknown.</summary>
        public string DescribeLoad() => LoadAverage is { } l ? $", load average {l[0]:0.00} {l[1]:0.00} {l[2]:0.00} before the run" : "";
    }

    /// <summary>
    /// Measures (<paramref name="measure"/> runs on the thread pool and stops its server before it returns), then prints the
    /// report: one JSON line, or <paramref name="print"/>. A <see cref="BenchException"/> becomes an error line and exit code 2.
    /// </summary>
    public static int Run<TReport>(Func<Task<TReport>> measure, bool json, Action<TReport> print) where TReport : notnull
    {
        TReport report;
        try { report = Task.Run(measure).GetAwaiter().GetResult(); }
        catch (BenchException e) { return Output.Fail(e.Message); }
        if (json) Output.WriteJson(report);
        else print(report);
        return 0;
    }

    public static void PrintVerdict(bool meetsAllTargets) =>
        Console.WriteLine(meetsAllTargets ? "All measured targets met." : "Not every measured target was met.");

    public static string FreeLoopbackUrl()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return $"http://127.0.0.1:{port}";
    }

    /// <summary>Builds the server with the bench's settings plus <paramref name="settings"/>; logs go to stderr so stdout keeps the figures.</summary>
    public static WebApplication BuildServer(string url, string dataDir, IReadOnlyDictionary<string, string?> settings) => RingsideServer.Build(["--urls", url], builder =>
    {
        var all = new Dictionary<string, string?>
        {
            ["Ringside:DataDir"] = dataDir,
            ["Ringside:SeedRoster"] = "true",
            ["Ringside:Database:Provider"] = "sqlite",
            ["Ringside:Database:ConnectionString"] = "", // DataDir/ringside.db
            // The benches measure the server, not the limiter (it would answer 429 beyond 200 requests/s per client).
            ["Ringside:RateLimit:Enabled"] = "false",
            ["Ringside:Security:RequireApiKey"] = "auto", // loopback only: no key needed
            ["Ringside:Training:Clustered"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft"] = "Warning",
            ["Logging:LogLevel:Quartz"] = "Warning",
        };
        foreach (var (key, value) in settings) all[key] = value;
        builder.Configuration.AddInMemoryCollection(all);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
    });

    /// <summary>Stops the in-process server (if any) and deletes its temporary data folder.</summary>
    public static async Task StopAndCleanAsync(WebApplication? app, string? dataDir)
    {
        if (app is not null)
        {
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await app.StopAsync(stopping.Token); }
            catch (OperationCanceledException) { }
            await app.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools(); // releases the database file
        if (dataDir is not null)
            try { Directory.Delete(dataDir, recursive: true); }
            catch (IOException) { }
    }

    public static HttpClient CreateClient(int connections, TimeSpan timeout, string? apiKey = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        };
        var http = new HttpClient(handler) { Timeout = timeout };
        http.DefaultRequestHeaders.ExpectContinue = false;
        if (apiKey is { Length: > 0 }) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        return http;
    }

    private static double[]? ReadLoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return parts.Take(3).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { return null; }
    }
}

/// <summary>The server a bench measures: started in this process (and stopped and deleted on dispose), or one running elsewhere.</summary>
public sealed class BenchServer : IAsyncDisposable
{
    private readonly string? _dataDir;

    private BenchServer(string url, WebApplication? app, string? dataDir) { Url = url; App = app; _dataDir = dataDir; }

    public string Url { get; }

    /// <summary>The in-process server, or null for one at a --url.</summary>
    public WebApplication? App { get; }

    public bool InProcess => App is not null;

    public static BenchServer Elsewhere(string url) => new(url, null, null);

    /// <summary>Starts the server on a free loopback port with a fresh data folder named after the bench.</summary>
    public static async Task<BenchServer> StartAsync(string bench, IReadOnlyDictionary<string, string?> settings)
    {
        string folder = $"ringside-bench-{bench}-{Environment.ProcessId}-{Guid.NewGuid():N}";
        string dataDir = Path.Combine(Path.GetTempPath(), folder[..Math.Min(folder.Length, bench.Length + 42)]);
        string url = BenchHost.FreeLoopbackUrl();
        var server = new BenchServer(url, BenchHost.BuildServer(url, dataDir, settings), dataDir);
        try { await server.App!.StartAsync(); }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    public async ValueTask DisposeAsync() => await BenchHost.StopAndCleanAsync(App, _dataDir);
}

/// <summary>A bench that cannot go on (the server refused, a client could not connect): reported as an error line.</summary>
public sealed class BenchException(string message) : Exception(message);
