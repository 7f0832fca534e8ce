using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Ringside.Server.Training;

namespace Ringside.Server.Tests;

/// <summary>
/// The real server (WebApplicationFactory) on a fresh data folder with a real SQLite file, or on a fresh PostgreSQL
/// database. Settings go in as host configuration so that the server's Build sees them before it builds.
/// </summary>
public class RingsideFactory : WebApplicationFactory<Program>
{
    /// <summary>A WebSocket client connected to <paramref name="path"/> of this test server.</summary>
    public Task<System.Net.WebSockets.WebSocket> ConnectWebSocketAsync(string path) =>
        Server.CreateWebSocketClient().ConnectAsync(new Uri(Server.BaseAddress, path), CancellationToken.None);

    public string DataDir { get; }
    public Dictionary<string, string?> Settings { get; }
    /// <summary>When each training job's attempt ends (unless a test's <c>services</c> puts a hook of its own in).</summary>
    public AttemptEnds Attempts { get; } = new();
    private readonly bool _ownsDataDir;

    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">changes to the server's services (test hooks), applied after its own registrations.</param>
    public RingsideFactory(Dictionary<string, string?>? settings = null, string? dataDir = null, bool postgres = false,
        Action<IServiceCollection>? services = null)
    {
        _services = services;
        _ownsDataDir = dataDir is null;
        DataDir = dataDir ?? Directory.CreateTempSubdirectory("ringside-test-").FullName;
        Settings = new Dictionary<string, string?>
        {
            ["Ringside:DataDir"] = DataDir,
            ["Ringside:RateLimit:Enabled"] = "false",
            ["Ringside:Training:EvaluationEpisodes"] = "8",
            ["Ringside:Training:CheckpointEvery"] = "2",
            ["Ringside:Training:Threads"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (postgres)
        {
            Settings["Ringside:Database:Provider"] = "postgres";
            Settings["Ringside:Database:ConnectionString"] = Postgres.NewDatabase();
        }
        foreach (var (k, v) in settings ?? []) Settings[k] = v;
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(Settings));
        return base.CreateHost(builder);
    }

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        builder.ConfigureTestServices(s => s.AddSingleton<TrainingJobHooks>(Attempts));
        if (_services is { } change) builder.ConfigureTestServices(change);
    }

    /// <summary>
    /// A model file in the server's fighters folder (a copy of a roster wrestler's; the server must have started), so that
    /// a fighter can be registered with it: POST /api/fighters refuses a file that is not there.
    /// </summary>
    public string NewGlb(string? name = null)
    {
        string dir = Path.Combine(DataDir, "fighters");
        name ??= $"f-{Guid.NewGuid():N}.glb";
        File.Copy(Directory.EnumerateFiles(dir, "*.glb").First(), Path.Combine(dir, name), overwrite: true);
        return name;
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (_ownsDataDir && disposing)
            try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>The runner's hook that tells when an attempt of a job has ended: a test waits for it, not for a time.</summary>
public sealed class AttemptEnds : TrainingJobHooks
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _ended = new();

    private TaskCompletionSource Of(long jobId) => _ended.GetOrAdd(jobId, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));

    public override void AttemptEnded(long jobId) => Of(jobId).TrySetResult();

    /// <summary>Completes when an attempt of the job has ended; fails the test if none does within the timeout.</summary>
    public async Task WaitAsync(long jobId, int timeoutSeconds = 300)
    {
        try { await Of(jobId).Task.WaitAsync(TimeSpan.FromSeconds(timeoutSeconds)); }
        catch (TimeoutException) { Assert.Fail($"no attempt of job {jobId} ended in {timeoutSeconds} s"); }
    }
}

/// <summary>The PostgreSQL server that scripts/test.sh starts (RINGSIDE_TEST_POSTGRES); every test gets its own database.</summary>
public static class Postgres
{
    public static string? ServerConnectionString => Environment.GetEnvironmentVariable("RINGSIDE_TEST_POSTGRES");

    public static string NewDatabase()
    {
        string server = ServerConnectionString ?? throw new InvalidOperationException(
            "RINGSIDE_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts a PostgreSQL server (scripts/postgres.sh).");
        string name = "ringside_test_" + Guid.NewGuid().ToString("N")[..12];
        using (var admin = new NpgsqlConnection(server))
        {
            admin.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            create.ExecuteNonQuery();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }
}

public static class Api
{
    /// <summary>The next JSON message of a WebSocket, or null when it closes.</summary>
    public static async Task<JsonNode?> ReceiveJson(this System.Net.WebSockets.WebSocket socket, int timeoutMs = 30_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close) return null;
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage) return JsonNode.Parse(System.Text.Encoding.UTF8.GetString(message.ToArray()));
        }
    }

    public static Task SendText(this System.Net.WebSockets.WebSocket socket, string text) =>
        socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonNode> Json200(this HttpResponseMessage response, int status = 200)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> PostJson(this HttpClient client, string url, object body, int status = 201) =>
        await (await client.PostAsJsonAsync(url, body)).Json200(status);

    public static async Task<JsonNode> GetJson(this HttpClient client, string url, int status = 200) =>
        await (await client.GetAsync(url)).Json200(status);

    /// <summary>Sends raw text as JSON, for bodies a serializer would refuse to write.</summary>
    public static Task<HttpResponseMessage> PostRaw(this HttpClient client, string url, string json, string method = "POST") =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") });

    /// <summary>Asserts an RFC 7807 problem with this status whose errors name this field.</summary>
    public static async Task<JsonNode> Problem(this HttpResponseMessage response, int status, string field)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/problem+json", response.Content.Headers.ContentType?.MediaType ?? "");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal(status, (int)problem["status"]!);
        var errors = problem["errors"]?.AsObject();
        Assert.True(errors is not null && errors.ContainsKey(field), $"problem does not name '{field}': {text}");
        return problem;
    }

    public static double[] Observation(double fill = 0.1) => Enumerable.Range(0, 30).Select(i => fill * (i % 5)).ToArray();

    /// <summary>Polls a training job until it reaches one of the statuses (or fails the test after the timeout).</summary>
    public static async Task<JsonNode> WaitForJob(this HttpClient client, long id, Func<JsonNode, bool> done, int timeoutSeconds = 180)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        JsonNode job;
        do
        {
            job = await client.GetJson($"/api/training-jobs/{id}");
            if (done(job)) return job;
            if ((string)job["status"]! is "failed") Assert.Fail($"job failed: {job}");
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.Fail($"job {id} did not get there in {timeoutSeconds} s: {job}");
        return job;
    }
}
