using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Ringside.Cli.Bench.Cluster;

/// <summary>
/// A cluster of real <c>ringside serve</c> processes on this machine for <c>bench cluster</c>: a fresh database on the
/// given PostgreSQL server, an api node and N workers, each on its own loopback port and data folder (as
/// scripts/cluster.sh lays them out); disposing it kills the nodes and drops the database.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly string _server, _database, _dir;
    private readonly Dictionary<string, string> _settings;
    private readonly Dictionary<string, Process> _nodes = [];
    public HttpClient Api { get; private set; } = new();

    private LocalCluster(string server, string database, Dictionary<string, string> settings)
    {
        _server = server;
        _database = database;
        _settings = settings;
        _dir = Directory.CreateTempSubdirectory("ringside-bench-cluster-").FullName;
    }

    /// <param name="settings">Ringside__* environment variables of every node.</param>
    public static async Task<LocalCluster> StartAsync(string postgres, int workers, IReadOnlyDictionary<string, string> settings)
    {
        string database = "ringside_bench_" + Guid.NewGuid().ToString("N")[..12];
        await using (var admin = new NpgsqlConnection(postgres))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        var all = new Dictionary<string, string>(settings)
        {
            ["Ringside__Database__Provider"] = "postgres",
            ["Ringside__Database__ConnectionString"] = new NpgsqlConnectionStringBuilder(postgres) { Database = database }.ConnectionString,
            ["Ringside__RateLimit__Enabled"] = "false",
        };
        var cluster = new LocalCluster(postgres, database, all);
        try
        {
            string api = await cluster.StartNodeAsync("api", "api");
            cluster.Api = new HttpClient { BaseAddress = new Uri(api), Timeout = TimeSpan.FromMinutes(2) };
            for (int i = 1; i <= workers; i++) await cluster.StartNodeAsync($"worker-{i}", "worker");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync(); // no node outlives a failed start
            throw;
        }
    }

    /// <summary>Starts a node and waits until it answers /health (the api node first: it creates the schema).</summary>
    private async Task<string> StartNodeAsync(string node, string role)
    {
        string url = BenchHost.FreeLoopbackUrl();
        string log = Path.Combine(_dir, node + ".log");
        // The same CLI as this one, in a process of its own; its output goes to a file so that a full pipe never stalls it.
        var start = new ProcessStartInfo("/bin/sh", ["-c", "exec \"$0\" \"$@\" >\"$LOG\" 2>&1", Environment.ProcessPath!, .. CliArgs(),
            "serve", "--role", role, "--node", node, "--urls", url, "--data", Path.Combine(_dir, node)])
        { UseShellExecute = false };
        start.Environment["LOG"] = log;
        foreach (var (key, value) in _settings) start.Environment[key] = value;
        _nodes[node] = Process.Start(start)!;
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(180))
        {
            try { if ((await probe.GetAsync(url + "/health")).IsSuccessStatusCode) return url; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            if (_nodes[node].HasExited) break;
            await Task.Delay(250);
        }
        throw new BenchException($"cluster node {node} did not start; its log:\n{(File.Exists(log) ? File.ReadAllText(log) : "(none)")}");
    }

    /// <summary>How this process was started: "dotnet ringside.dll" passes the dll first; an apphost needs nothing.</summary>
    private static string[] CliArgs()
    {
        string entry = typeof(LocalCluster).Assembly.Location;
        return Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? [entry] : [];
    }

    /// <summary>SIGKILL, as in a crash.</summary>
    public void Kill(string node) => _nodes[node].Kill(entireProcessTree: true);

    public async Task<JsonElement> GetAsync(string path) => await Api.GetFromJsonAsync<JsonElement>(path);

    public async Task<long> CreateJobAsync(long fighter, string profile, long steps, int seed)
    {
        var response = await Api.PostAsJsonAsync("/api/training-jobs", new Dictionary<string, object>
        {
            ["fighter_id"] = fighter,
            ["profile_name"] = profile,
            ["total_steps"] = steps,
            ["seed"] = seed,
            ["execute"] = true,
        });
        if (!response.IsSuccessStatusCode) throw new BenchException($"creating a job: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values)
        {
            if (!node.HasExited) node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
            node.Dispose();
        }
        Api.Dispose();
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(_server))
        {
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
