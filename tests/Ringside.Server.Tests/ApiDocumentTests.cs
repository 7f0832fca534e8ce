using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Ringside.Server.Http;
using Xunit.Abstractions;

namespace Ringside.Server.Tests;

/// <summary>
/// /openapi/v1.json tells the truth (docs/SERVER.md, "The API document"): a standard linter (Redocly) finds no error in
/// it, and the seed client flow sent through a validating proxy (Stoplight Prism, --errors) gets no violation, so every
/// request and every response of the flow, problems included, matches the document.
/// </summary>
public sealed class ApiDocumentTests(DocumentedServer server, ITestOutputHelper output) : IClassFixture<DocumentedServer>
{
    [Fact]
    public async Task The_linter_reports_no_error()
    {
        var (code, stdout, stderr) = await NodeTools.RunAsync(["node_modules/@redocly/cli/bin/cli.js", "lint", server.DocumentPath,
            "--config", "redocly.yaml", "--format", "json", "--max-problems", "1000"]);
        var report = JsonNode.Parse(stdout) ?? throw new InvalidOperationException($"no report from redocly (exit {code}): {stderr}");
        var problems = report["problems"]!.AsArray()
            .Select(p => $"{(string)p!["severity"]!} {(string)p["ruleId"]!}: {(string)p["message"]!}").ToList();
        foreach (var problem in problems) output.WriteLine(problem);
        Assert.Equal(0, (int)report["totals"]!["errors"]!);
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task The_seed_client_flow_through_a_validating_proxy_breaks_nothing()
    {
        await using var prism = await Prism.StartAsync(server.DocumentPath, server.BaseUrl);
        var client = new CheckedClient(prism.BaseUrl, DocumentedServer.Key);
        try { await SeedFlow.RunAsync(client, server.DataDir); }
        finally { foreach (var line in prism.Log.TakeLast(40)) output.WriteLine(line); } // what the proxy saw last, when the flow stops early
        output.WriteLine($"{client.Requests} requests through the proxy, {client.Violations.Count} violations");
        foreach (var violation in client.Violations) output.WriteLine(violation);
        Assert.True(client.Requests >= 60, $"the flow sent only {client.Requests} requests");
        Assert.Empty(client.Violations);
    }

    [Theory]
    [InlineData("always")]
    [InlineData("writes")]
    public async Task Every_operation_asks_for_the_key_exactly_where_the_document_declares_it(string requireApiKey)
    {
        await using var keyed = new DocumentedServer(requireApiKey);
        await keyed.InitializeAsync();
        using var http = new HttpClient { BaseAddress = new Uri(keyed.BaseUrl) };
        var document = JsonNode.Parse(await File.ReadAllTextAsync(keyed.DocumentPath))!;
        var wrong = new List<string>();
        int operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
            foreach (var (method, operation) in item!.AsObject())
            {
                operations++;
                // Where this server asks for a key, an operation that declares the key declares it alone (not "none or the key").
                var security = operation!["security"]!.AsArray();
                bool declared = security.Count > 0 && security.All(r => r!.AsObject().ContainsKey(ApiDocument.KeyScheme));
                var request = new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), Regex.Replace(path, "{[^}]+}", "1"));
                if (operation["requestBody"] is not null) request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                using var response = await http.SendAsync(request); // no key
                bool refused = response.StatusCode == HttpStatusCode.Unauthorized;
                if (declared != refused) wrong.Add($"{method.ToUpperInvariant()} {path}: the document {(declared ? "declares" : "does not declare")} the key, the server answered {(int)response.StatusCode}");
            }
        Assert.True(operations > 50, $"only {operations} operations");
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public async Task Seeds_beyond_what_JavaScript_holds_are_refused_and_the_document_bounds_them()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DocumentedServer.Key);
        long fighter = (long)(await http.GetJson("/api/fighters"))[0]!["id"]!;
        var bots = new object[] { new { fighter_id = fighter, controller = "bot", bot = "idle" }, new { fighter_id = fighter, controller = "bot", bot = "idle" } };
        await (await http.PostAsJsonAsync("/api/matches", new { fighters = bots, seed = 1L << 53 })).Problem(400, "seed");
        await (await http.PostAsJsonAsync("/api/matches", new { fighters = bots, seed = -1 })).Problem(400, "seed");
        await (await http.PostAsJsonAsync("/api/training-jobs", new { fighter_id = fighter, profile_name = "big-seed", seed = long.MaxValue })).Problem(400, "seed");
        var random = await http.PostJson("/api/matches", new { fighters = bots, max_seconds = 1, speed = 50 });
        Assert.InRange((long)random["seed"]!, 0, Json.MaxSafeInteger);

        var document = await http.GetJson("/openapi/v1.json");
        var seed = document["components"]!["schemas"]!["MatchCreated"]!["properties"]!["seed"]!;
        Assert.Equal(Json.MaxSafeInteger, (long)seed["maximum"]!);
        Assert.Equal(0, (long)seed["minimum"]!);
    }
}

/// <summary>The seed documents' client flows (fighters, episodes and frames, profiles, a training job, inference, export and import, a match, replays, a training session), each call through the proxy.</summary>
internal static class SeedFlow
{
    public static async Task RunAsync(CheckedClient api, string dataDir)
    {
        await api.Get("/health");
        await api.Get("/api/health");
        await api.Get("/api/contract");
        await api.Get("/api/stats");
        await api.Get("/status");

        // The game registers its fighters (seed 002), again on every start, and records an episode frame by frame.
        string glb = $"flow-{Guid.NewGuid():N}.glb"; // a model file the game has put in the fighters folder
        string fighters = Path.Combine(dataDir, "fighters");
        File.Copy(Directory.GetFiles(fighters, "*.glb").Order().First(), Path.Combine(fighters, glb));
        long fighter = (long)(await api.Post("/api/fighters", new { glb_filename = glb, metadata_json = new { size = 1.1, speed = 0.9 } }, 201))["id"]!;
        await api.Post("/api/fighters", new { glb_filename = glb, metadata_json = new { size = 1.1, speed = 0.9 } }, 200);
        await api.Post("/api/fighters", new { glb_filename = glb, metadata_json = new { size = 1.5 } }, 409);
        long opponent = (long)(await api.Get("/api/fighters")).AsArray()[0]!["id"]!;
        await api.Get($"/api/fighters/{fighter}");
        await api.Get("/api/fighters/987654321", 404);
        await Upload(api, dataDir);

        long episode = (long)(await api.Post("/api/episodes", new
        {
            fighter_id = fighter,
            episode_number = 1,
            opponent_ids = new[] { opponent },
            total_reward = 0.0,
            duration_frames = 0,
            is_victory = false,
        }, 201))["id"]!;
        await api.Post("/api/episodes", new { fighter_id = 987654321 }, 404);
        await api.Post("/api/fight-frames", Frame(episode, 1), 201);
        await api.Post("/api/fight-frames", Frame(episode, 1), 409);
        await api.Post("/api/fight-frames/batch", new { frames = Enumerable.Range(2, 5).Select(n => Frame(episode, n)).ToArray() }, 201);
        await api.Patch($"/api/episodes/{episode}", new { total_reward = 150.5, duration_frames = 3000, is_victory = true, rank = 1 }, 200);
        await api.Patch($"/api/episodes/{episode}", new { rank = 9 }, 400);
        await api.Get($"/api/episodes/{episode}");
        await api.Get($"/api/fighters/{fighter}/stats");
        await api.Get($"/api/fighters/{fighter}/episodes?skip=0&limit=10");
        await api.Get($"/api/episodes/{episode}/frames?limit=3");
        await api.Get($"/api/fighters/{fighter}/best-model", 404);

        // Personality profiles, and training one of them (seed 000, phase 4).
        await api.Get("/api/reward-weights?aggression=80&training_mode=aggression");
        await api.Get("/api/reward-weights?aggression=500", 400);
        await api.Post("/api/fighter-profiles", new { fighter_id = fighter, profile_name = "sketch", aggression = 30, endurance = 70 }, 201);
        await api.Post("/api/fighter-profiles", new { fighter_id = fighter, profile_name = "sketch" }, 409);
        await api.Patch($"/api/fighter-profiles/{fighter}/sketch", new { positioning = 60, training_mode = "survival" }, 200);
        await api.Get("/api/fighter-profiles");
        await api.Get($"/api/fighter-profiles/{fighter}");
        await api.Get($"/api/fighter-profiles/{fighter}/sketch");
        await api.Get($"/api/fighter-profiles/{fighter}/sketch/model", 404);
        await api.Post($"/api/fighters/{fighter}/inference", new { observation = Api.Observation(), profile_name = "sketch" }, 409);

        var job = await api.Post("/api/training-jobs", new
        {
            fighter_id = fighter,
            profile_name = "brawler",
            aggression = 85,
            training_mode = "aggression",
            total_steps = 2 * 8192,
            seed = 3,
            execute = true,
        }, 201);
        long jobId = (long)job["id"]!;
        var pending = await api.Post("/api/training-jobs", new { fighter_id = fighter, profile_name = "later", epochs = 1 }, 201);
        long pendingId = (long)pending["id"]!;
        await api.Patch($"/api/training-jobs/{pendingId}", new { max_minutes = 2.5 }, 200);
        await api.Post($"/api/training-jobs/{pendingId}/cancel", null, 200);
        await api.Post($"/api/training-jobs/{pendingId}/execute", null, 409);
        await WaitAsync(api, $"/api/training-jobs/{jobId}", j => (string)j["status"]! is "completed" or "failed");
        Assert.Equal("completed", (string)(await api.Get($"/api/training-jobs/{jobId}"))["status"]!);
        await api.Get($"/api/training-jobs/{jobId}/metrics?after_iteration=0&limit=100");
        await api.Get($"/api/training-jobs/{jobId}/metrics?max_points=10");
        await api.Get("/api/training-jobs?status=completed&limit=5");
        await api.Get($"/api/training-jobs/fighter/{fighter}");
        await api.Get($"/api/fighters/{fighter}/checkpoints");
        await api.Get($"/api/fighters/{fighter}/best-model");

        // The game asks the trained profile for actions; the profile travels as a document and as its model file.
        await api.Post($"/api/fighters/{fighter}/inference", new { observation = Api.Observation() }, 200);
        await api.Post($"/api/fighters/{fighter}/inference", new { observation = Api.Observation(0.3), profile_name = "brawler", sample = true }, 200);
        var document = await api.Get($"/api/fighter-profiles/{fighter}/brawler/export");
        await api.Post($"/api/fighter-profiles/import?fighter_id={fighter}&profile_name=imported", document, 201);
        await api.Post("/api/fighter-profiles/import", document, 409); // the document's own name, on the fighter of its glb_filename
        await api.GetBytes($"/api/fighter-profiles/{fighter}/imported/model");
        await api.Delete($"/api/fighter-profiles/{fighter}/imported", 204);

        // A live match of a trained profile against a bot (seed 000, battle history), then its replay (seed 004).
        var match = await api.Post("/api/matches", new
        {
            fighters = new object[]
            {
                new { fighter_id = fighter, controller = "profile", profile_name = "brawler" }, new { fighter_id = opponent, controller = "bot", bot = "chaser" },
            },
            seed = 42,
            max_seconds = 3,
            speed = 50,
        }, 201);
        long matchId = (long)match["id"]!;
        await api.Post("/api/matches", new { fighters = new object[] { new { fighter_id = 987654321, controller = "default" }, new { fighter_id = fighter, controller = "default" } } }, 404);
        var finished = await WaitAsync(api, $"/api/matches/{matchId}", m => (string)m["status"]! == "finished");
        await api.Get($"/api/matches?fighter_id={fighter}&limit=10");
        await api.Get("/api/ratings");
        long replay = (long)finished["replay_id"]!;
        await api.Get($"/api/replays?fighter_id={fighter}&kind=match&limit=10");
        await api.Get("/api/replays?kind=evaluation&tag=best_so_far");
        await api.Get($"/api/replays/{replay}");
        await api.Get($"/api/replays/{replay}/frames?offset=0&limit=5");
        await api.Get("/api/replays/987654321", 404);

        // A training-metrics session (seed 003): publish, read the history, update, delete.
        string session = $"flow-{Guid.NewGuid():N}"[..20];
        await api.Post("/api/training/sessions", new { session_id = session, training_id = "flow", algorithm = "PPO", model_generation = 1, total_episodes = 10 }, 201);
        await api.Post("/api/training/sessions", new { session_id = session }, 409);
        var room = await api.Post("/api/training/sessions", new { password_protected = true, max_spectators = 5 }, 201);
        await api.Post($"/api/training/sessions/{session}/metrics", new { episode = 1, reward = 12.5, win_rate = 0.4 }, 202);
        await api.Post($"/api/training/sessions/{session}/bot_decision", new { episode = 1, action = 3, probabilities = new[] { 0.1, 0.9 } }, 202);
        await api.Post($"/api/training/sessions/{session}/graph_update", new { episode = 2, points = new[] { 1, 2, 3 } }, 202);
        await api.Post($"/api/training/sessions/{session}/metrics", new { episode = "two" }, 400);
        await api.Post("/api/training/sessions/no-such-session/metrics", new { episode = 1 }, 404);
        await api.Get("/api/training/sessions");
        await api.Get($"/api/training/sessions/{session}");
        await api.Get($"/api/training/sessions/{session}/history?message_type=training_metrics&episode_min=1&offset=0&limit=10");
        await api.Put($"/api/training/sessions/{session}", new { status = "completed", total_episodes = 12 }, 200);
        await api.Delete($"/api/training/sessions/{session}", 204);
        await api.Delete($"/api/training/sessions/{(string)room["session_id"]!}", 204);
        await api.Get($"/api/training/sessions/{session}", 404);
        await api.Get("/api/stats");
    }

    private static object Frame(long episode, int number) => new
    {
        episode_id = episode,
        frame_number = number,
        fighter_position = new[] { 0.0, 5.0 },
        fighter_health = 100.0 - number,
        fighter_velocity = new[] { 1.0, 0.5 },
        enemies_state = new object[] { new { id = 2, pos = new[] { 10.0, 0.0 }, health = 90 } },
        action_vector = new[] { 1.0, 0.0, 0.0, 0.0 },
        reward_delta = 1.0,
        cumulative_reward = number,
        observation_vector = Api.Observation(),
    };

    /// <summary>
    /// A GLB upload (multipart) of one of the roster's own files, as the dashboard sends one. The proxy checks the form
    /// against the document, then forwards the file re-encoded as text (Prism 5.16 does that to binary multipart
    /// bodies), so the server refuses the damaged GLB with a 400 problem; the 201 answer is a Fighter, checked above.
    /// </summary>
    private static async Task Upload(CheckedClient api, string dataDir)
    {
        byte[] glb = await File.ReadAllBytesAsync(Directory.GetFiles(Path.Combine(dataDir, "fighters"), "*.glb").Order().First());
        // Quoted names, as browsers write them (the proxy's multipart parser cannot read .NET's unquoted ones).
        static HttpContent Part(HttpContent content, string name, string? file = null)
        {
            content.Headers.ContentDisposition = new ContentDispositionHeaderValue("form-data") { Name = $"\"{name}\"", FileName = file is null ? null : $"\"{file}\"" };
            return content;
        }
        using var form = new MultipartFormDataContent
        {
            Part(new ByteArrayContent(glb) { Headers = { ContentType = new MediaTypeHeaderValue("model/gltf-binary") } }, "file", "uploaded.glb"),
            Part(new StringContent("Uploaded"), "name"),
            Part(new StringContent("1.2"), "size"),
            Part(new StringContent("0.8"), "speed"),
        };
        await api.Send(new HttpRequestMessage(HttpMethod.Post, "/api/fighters/upload") { Content = form }, 400);
    }

    private static async Task<JsonNode> WaitAsync(CheckedClient api, string url, Func<JsonNode, bool> done, int timeoutSeconds = 300)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (true)
        {
            var node = await api.Get(url);
            if (done(node)) return node;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{url} did not get there in {timeoutSeconds} s: {node}");
            await Task.Delay(250);
        }
    }
}

/// <summary>
/// An HTTP client of the proxy that keeps what the proxy says about each exchange: the violations it reports in its
/// sl-violations header (warnings included), and the answers it wrote itself instead of the server's (with --errors, a
/// request or response that breaks the document).
/// </summary>
internal sealed class CheckedClient(string baseUrl, string key)
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(baseUrl), DefaultRequestHeaders = { Authorization = new AuthenticationHeaderValue("Bearer", key) } };
    public List<string> Violations { get; } = [];
    public int Requests { get; private set; }

    public async Task<byte[]> Send(HttpRequestMessage request, int status)
    {
        string what = $"{request.Method} {request.RequestUri}";
        using var response = await _http.SendAsync(request);
        Requests++;
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        if (response.Headers.TryGetValues("sl-violations", out var reported)) Violations.Add($"{what}: {string.Join(" ", reported)}");
        string text = System.Text.Encoding.UTF8.GetString(body);
        if (text.Contains("stoplight.io/prism/errors", StringComparison.Ordinal)) Violations.Add($"{what}: the proxy answered {(int)response.StatusCode} itself: {text}");
        else Assert.True((int)response.StatusCode == status, $"{what}: expected {status}, got {(int)response.StatusCode}: {text}");
        return body;
    }

    private async Task<JsonNode> SendJson(HttpMethod method, string url, object? body, int status)
    {
        var request = new HttpRequestMessage(method, url);
        if (body is not null) request.Content = JsonContent.Create(body, options: Api.Json);
        byte[] answer = await Send(request, status);
        return answer.Length == 0 ? new JsonObject() : JsonNode.Parse(answer) ?? new JsonObject();
    }

    public Task<JsonNode> Get(string url, int status = 200) => SendJson(HttpMethod.Get, url, null, status);
    public Task<byte[]> GetBytes(string url) => Send(new HttpRequestMessage(HttpMethod.Get, url), 200);
    public Task<JsonNode> Post(string url, object? body, int status) => SendJson(HttpMethod.Post, url, body, status);
    public Task<JsonNode> Patch(string url, object body, int status) => SendJson(HttpMethod.Patch, url, body, status);
    public Task<JsonNode> Put(string url, object body, int status) => SendJson(HttpMethod.Put, url, body, status);
    public Task<JsonNode> Delete(string url, int status) => SendJson(HttpMethod.Delete, url, null, status);
}

/// <summary>
/// The real server on a free loopback port, with API keys required ("always" as a fixture: the document declares the key
/// wherever the server asks for one and the proxy checks that each request carries it), and its /openapi/v1.json in a
/// file for the tools.
/// </summary>
public sealed class DocumentedServer : IAsyncLifetime, IAsyncDisposable
{
    public const string Key = "rk_api-document-test-key";
    private readonly string _requireApiKey;

    public DocumentedServer() : this("always") { }

    /// <param name="requireApiKey">Ringside:Security:RequireApiKey.</param>
    internal DocumentedServer(string requireApiKey) => _requireApiKey = requireApiKey;

    public string DataDir { get; } = Directory.CreateTempSubdirectory("ringside-openapi-").FullName;
    public string BaseUrl { get; private set; } = "";
    public string DocumentPath => Path.Combine(DataDir, "openapi.json");
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        await NodeTools.EnsureInstalledAsync();
        var settings = new Dictionary<string, string?>
        {
            ["Ringside:Security:RequireApiKey"] = _requireApiKey,
            ["Ringside:Security:ApiKey"] = Key,
            ["Ringside:Training:EvaluationEpisodes"] = "8",
            ["Ringside:Training:CheckpointEvery"] = "2",
            ["Ringside:Training:Threads"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        _app = RingsideServer.Build(["--urls", "http://127.0.0.1:0", "--data", DataDir], b => b.Configuration.AddInMemoryCollection(settings));
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        using var http = new HttpClient();
        await File.WriteAllTextAsync(DocumentPath, await http.GetStringAsync(BaseUrl + "/openapi/v1.json"));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();
}

/// <summary>The npm packages of tests/openapi (exact versions from its package-lock.json), run with node.</summary>
internal static class NodeTools
{
    public static string Folder { get; } = Path.Combine(RepoRoot(), "tests", "openapi");

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ringside.slnx"))) return dir.FullName;
        throw new InvalidOperationException("no Ringside.slnx above " + AppContext.BaseDirectory);
    }

    /// <summary>npm ci when node_modules is missing or older than the lock file (scripts/test.sh has usually done it).</summary>
    public static async Task EnsureInstalledAsync()
    {
        var installed = new FileInfo(Path.Combine(Folder, "node_modules", ".package-lock.json"));
        if (installed.Exists && installed.LastWriteTimeUtc >= File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json"))) return;
        var (code, _, stderr) = await RunAsync(["ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm", TimeSpan.FromMinutes(10));
        if (code != 0) throw new InvalidOperationException($"npm ci in {Folder} failed ({code}): {stderr}");
    }

    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args, string program = "node", TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(program, args) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(2));
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in time");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>Stoplight Prism as a validating proxy in front of the server (--errors: a violation is answered by Prism).</summary>
internal sealed class Prism : IAsyncDisposable
{
    private readonly Process _process;
    public string BaseUrl { get; }
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; }

    private Prism(Process process, string baseUrl, System.Collections.Concurrent.ConcurrentQueue<string> log) => (_process, BaseUrl, Log) = (process, baseUrl, log);

    public static async Task<Prism> StartAsync(string document, string upstream)
    {
        int port = FreePort();
        var start = new ProcessStartInfo("node", ["node_modules/@stoplight/prism-cli/dist/index.js", "proxy", document, upstream, "--errors",
            "--host", "127.0.0.1", "--port", port.ToString()])
        { WorkingDirectory = NodeTools.Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var process = Process.Start(start)!;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Read(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            log.Enqueue(e.Data);
            if (e.Data.Contains("Prism is listening", StringComparison.Ordinal)) listening.TrySetResult();
        }
        process.OutputDataReceived += Read;
        process.ErrorDataReceived += Read;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var prism = new Prism(process, $"http://127.0.0.1:{port}", log);
        try { await listening.Task.WaitAsync(TimeSpan.FromSeconds(120)); }
        catch (TimeoutException)
        {
            await prism.DisposeAsync();
            throw new InvalidOperationException("prism did not start: " + string.Join("\n", log));
        }
        return prism;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
