using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringside.Server.Http;

namespace Ringside.Server.Tests;

public sealed class SecurityTests
{
    private const string Key = "rk_test_secret_key_0123456789abcdefghijklmnopqrstuv";
    private const string ReadKey = "rk_test_read_key_0123456789abcdefghijklmnopqrstuvw";

    [Theory]
    [InlineData("http://127.0.0.1:8001", false)]
    [InlineData("http://localhost:8001", false)]
    [InlineData("http://[::1]:8001", false)]
    [InlineData("http://0.0.0.0:8001", true)]
    [InlineData("http://+:80", true)]
    [InlineData("http://*:8001", true)]
    [InlineData("http://192.168.1.4:8001", true)]
    public void Keys_are_required_when_the_server_listens_beyond_loopback(string address, bool beyond) =>
        Assert.Equal(beyond, ApiKeys.AnyBeyondLoopback([address]));

    [Fact]
    public async Task With_keys_required_for_writes_changes_need_a_valid_bearer_key_and_reads_do_not()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Security:RequireApiKey"] = "writes", ["Ringside:Security:ApiKey"] = Key });
        var client = server.CreateClient();
        var body = new { glb_filename = server.NewGlb("keyed.glb") };
        var anonymous = await client.PostAsJsonAsync("/api/fighters", body);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal("Bearer", anonymous.Headers.WwwAuthenticate.Single().Scheme);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "rk_wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/fighters", body)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/fighters")).StatusCode);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/fighters", body)).StatusCode);

        // A key made by `ringside apikey create` works too; only its hash is stored.
        var db = server.Services.GetRequiredService<Data.Database>();
        string created = await ApiKeys.CreateAsync(db, "second");
        var keys = server.Services.GetRequiredService<ApiKeys>();
        Assert.True(await keys.IsValidAsync(Key));
        string stored = string.Join(",", await db.ReadAsync(c => Dapper.SqlMapper.QueryAsync<string>(c, "SELECT key_hash FROM api_keys")));
        Assert.DoesNotContain(Key, stored);
        Assert.DoesNotContain(created, stored);
        Assert.Contains(ApiKeys.Hash(Key), stored);
        Assert.Contains(ApiKeys.Hash(created), stored);
    }

    [Fact]
    public async Task Secrets_never_appear_in_logs()
    {
        var logs = new ConcurrentQueue<string>();
        using var factory = new RingsideFactory(new()
        {
            ["Ringside:Security:RequireApiKey"] = "always",
            ["Ringside:Security:ApiKey"] = Key,
            ["Logging:LogLevel:Default"] = "Trace",
        });
        using var server = factory.WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new CollectingLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace)));
        var client = server.CreateClient();
        factory.NewGlb("logged.glb");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/fighters", new { glb_filename = "logged.glb" })).StatusCode);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/fighters", new { glb_filename = "logged2.glb" })).StatusCode);
        Assert.NotEmpty(logs); // the capture works: ASP.NET Core logs requests at Trace
        Assert.DoesNotContain(logs, line => line.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_over_its_rate_gets_429_with_retry_after_and_others_are_not_affected()
    {
        using var server = new RingsideFactory(new()
        {
            ["Ringside:RateLimit:Enabled"] = "true",
            ["Ringside:RateLimit:PermitsPerSecond"] = "10",
            ["Ringside:RateLimit:Burst"] = "3",
            ["Ringside:Security:ApiKey"] = Key,
        });
        var client = server.CreateClient();
        // A burst of 3, then 1 more every 100 ms: requests sent back to back outrun that, however long each takes to
        // answer on this machine (the first 3 are within the burst whatever the timing).
        var statuses = new List<HttpResponseMessage>();
        for (int i = 0; i < 8 || (i < 1000 && statuses.All(r => r.StatusCode != HttpStatusCode.TooManyRequests)); i++)
            statuses.Add(await client.GetAsync("/api/fighters"));
        var refused = statuses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.True(statuses.Take(3).All(r => r.StatusCode == HttpStatusCode.OK));
        Assert.True(int.Parse(refused[0].Headers.GetValues("Retry-After").Single()) >= 1);
        Assert.Equal("application/problem+json", refused[0].Content.Headers.ContentType?.MediaType);

        var other = server.CreateClient();
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/fighters")).StatusCode); // a verified key has its own bucket
    }

    [Fact]
    public async Task Invented_bearer_tokens_share_their_senders_bucket_and_get_429()
    {
        using var server = new RingsideFactory(new()
        {
            ["Ringside:RateLimit:Enabled"] = "true",
            ["Ringside:RateLimit:PermitsPerSecond"] = "10",
            ["Ringside:RateLimit:Burst"] = "3",
        });
        var client = server.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 8 || (i < 1000 && !statuses.Contains(HttpStatusCode.TooManyRequests)); i++)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/fighters");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"rk_made_up_{i}");
            statuses.Add((await client.SendAsync(request)).StatusCode);
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.Equal(1, server.Services.GetRequiredService<ClientRateLimiter>().Clients); // one bucket: the address's
    }

    [Fact]
    public void The_rate_limiters_buckets_are_bounded()
    {
        // Every client spends its whole burst, so no bucket is full and none can be dropped: new clients share the overflow.
        var limiter = new ClientRateLimiter(new RateLimitOptions { PermitsPerSecond = 1, Burst = 1, MaxClients = 3 });
        for (int i = 0; i < 100; i++) limiter.TryTake($"ip:10.0.0.{i}", out _);
        Assert.Equal(4, limiter.Clients); // three clients and the overflow
        Assert.False(limiter.TryTake("ip:10.0.1.1", out var retry)); // a new client: the overflow bucket, already spent
        Assert.True(retry > TimeSpan.Zero);

        // Buckets that refill at once are full again at the next look, so they are dropped and new clients get their own.
        var fast = new ClientRateLimiter(new RateLimitOptions { PermitsPerSecond = 1_000_000_000, Burst = 1, MaxClients = 3 });
        for (int i = 0; i < 100; i++) Assert.True(fast.TryTake($"ip:10.0.0.{i}", out _));
        Assert.True(fast.Clients <= 4);
    }

    [Fact]
    public async Task With_reads_open_spectators_read_and_watch_but_weights_exports_and_inference_need_a_key()
    {
        using var server = WithKeys("writes");
        var anonymous = server.CreateClient();
        var reader = WithKey(server, ReadKey);
        var writer = WithKey(server, Key);
        var signature = (await anonymous.GetJson("/api/fighter-profiles")).AsArray().First(p => (bool)p!["has_model"]!)!;
        string profile = $"/api/fighter-profiles/{(long)signature["fighter_id"]!}/{(string)signature["profile_name"]!}";

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/fighters")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(profile)).StatusCode);
        foreach (string weights in new[] { profile + "/model", profile + "/export" })
        {
            var refused = await anonymous.GetAsync(weights);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(weights)).StatusCode);
        }
        var inference = new { observation = Api.Observation() };
        long fighterId = (long)signature["fighter_id"]!;
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync($"/api/fighters/{fighterId}/inference", inference)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reader.PostAsJsonAsync($"/api/fighters/{fighterId}/inference", inference)).StatusCode);

        // A read key may not change anything; a write key may.
        var body = new { glb_filename = server.NewGlb("roles.glb") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/fighters", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await reader.PostAsJsonAsync("/api/fighters", body)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await writer.PostAsJsonAsync("/api/fighters", body)).StatusCode);

        // A spectator watches a stream without a key.
        string session = (string)(await writer.PostJson("/api/training/sessions", new { training_id = "open" }))["session_id"]!;
        using var socket = await server.ConnectWebSocketAsync($"/ws/{session}");
        Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!);
    }

    [Fact]
    public async Task Always_closes_reads_and_websockets_as_well()
    {
        using var server = WithKeys("always");
        var anonymous = server.CreateClient();
        var reader = WithKey(server, ReadKey);
        string session = (string)(await WithKey(server, Key).PostJson("/api/training/sessions", new { training_id = "closed" }))["session_id"]!;
        string glb = (string)(await reader.GetJson("/api/fighters")).AsArray()[0]!["glb_filename"]!;

        string[] reads = ["/api/fighters", "/api/fighter-profiles", "/api/training-jobs", "/api/training/sessions", $"/api/training/sessions/{session}/history",
            "/api/matches", "/api/replays", "/api/ratings", "/api/stats", "/status", $"/fighters/{glb}"];
        foreach (string read in reads)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(read)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync(read)).StatusCode);
        }
        // What holds no data stays open: health probes, the pages and the API document.
        foreach (string open in new[] { "/health", "/api/health", "/index.html", "/js/api.js", "/openapi/v1.json" })
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(open)).StatusCode);

        foreach (string stream in new[] { $"/ws/{session}", "/ws/matches/1", "/ws/replays/1/frames" })
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => Connect(server, stream));
            Assert.Contains("401", e.Message);
        }
        using var socket = await Connect(server, $"/ws/{session}", r => r.Headers.Authorization = $"Bearer {ReadKey}");
        Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!);

        // A page cannot set a WebSocket's headers: it offers the key as a subprotocol, and the server answers "ringside".
        var browser = server.Server.CreateWebSocketClient();
        browser.SubProtocols.Add("ringside");
        browser.SubProtocols.Add($"ringside.key.{ReadKey}");
        using var page = await browser.ConnectAsync(new Uri(server.Server.BaseAddress, $"/ws/{session}"), CancellationToken.None);
        Assert.Equal("ringside", page.SubProtocol);
        Assert.Equal("connection_status", (string)(await page.ReceiveJson())!["type"]!);
        var invented = server.Server.CreateWebSocketClient();
        invented.SubProtocols.Add("ringside");
        invented.SubProtocols.Add("ringside.key.rk_made_up");
        Assert.Contains("401", (await Assert.ThrowsAnyAsync<Exception>(() => invented.ConnectAsync(new Uri(server.Server.BaseAddress, $"/ws/{session}"), CancellationToken.None))).Message);
    }

    [Fact]
    public async Task A_password_rooms_history_needs_its_password_and_the_list_does_not_show_its_id_or_code()
    {
        using var server = new RingsideFactory();
        var client = server.CreateClient();
        var room = await client.PostJson("/api/training/sessions", new { training_id = "secret plans", password_protected = true });
        string id = (string)room["session_id"]!, code = (string)room["room_code"]!, password = (string)room["room_password"]!;
        await client.PostJson($"/api/training/sessions/{id}/metrics", new { episode = 1, reward = 3.5 }, status: 202);

        await (await client.GetAsync($"/api/training/sessions/{id}/history")).Problem(403, "password");
        await (await client.GetAsync($"/api/training/sessions/{id}/history?password=wrong")).Problem(403, "password");
        await (await client.GetAsync($"/api/training/sessions/{id}")).Problem(403, "password");
        Assert.Equal(1, (int)(await client.GetJson($"/api/training/sessions/{id}/history?password={password}"))["total"]!);
        var byHeader = new HttpRequestMessage(HttpMethod.Get, $"/api/training/sessions/{id}/history");
        byHeader.Headers.Add("X-Room-Password", password);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(byHeader)).StatusCode);

        string list = await client.GetStringAsync("/api/training/sessions");
        Assert.DoesNotContain(id, list);
        Assert.DoesNotContain(code, list);
        Assert.DoesNotContain("secret plans", list);
        var listed = Assert.Single(JsonNode.Parse(list)!.AsArray());
        Assert.True((bool)listed!["password_protected"]!); // listed as private
        Assert.Null(listed["session_id"]);
    }

    [Fact]
    public async Task A_websocket_from_a_foreign_page_is_refused_and_the_servers_own_pages_and_scripts_are_not()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Security:CorsOrigins:0"] = "http://localhost:8000" });
        var client = server.CreateClient();
        string session = (string)(await client.PostJson("/api/training/sessions", new { training_id = "origins" }))["session_id"]!;
        foreach (string stream in new[] { $"/ws/{session}", "/ws/matches/1", "/ws/replays/1/frames" })
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => Connect(server, stream, r => r.Headers.Origin = "http://evil.example"));
            Assert.Contains("403", e.Message);
        }
        string self = server.Server.BaseAddress.GetLeftPart(UriPartial.Authority);
        foreach (string? origin in new[] { self, "http://localhost:8000", null })
        {
            using var socket = await Connect(server, $"/ws/{session}", r => { if (origin is not null) r.Headers.Origin = origin; });
            Assert.Equal("connection_status", (string)(await socket.ReceiveJson())!["type"]!);
        }
    }

    [Fact]
    public async Task Every_page_and_api_answer_has_the_security_headers_and_no_server_header()
    {
        // A real Kestrel: the test server adds no Server header of its own, so only a real one shows that it is off.
        string dataDir = Directory.CreateTempSubdirectory("ringside-headers-").FullName;
        var app = RingsideServer.Build(["--urls", "http://127.0.0.1:0", "--data", dataDir], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ringside:Security:RequireApiKey"] = "always",
            ["Ringside:Training:RunWorker"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            foreach (string path in new[] { "/index.html", "/arena.html", "/js/api.js", "/health", "/api/fighters", "/no-such-page", "/openapi/v1.json" })
            {
                var response = await client.GetAsync(path);
                Assert.False(response.Headers.Contains("Server"), $"{path} says Server: {response.Headers.Server}");
                Assert.Equal(SecurityHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
                Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
                Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
                Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
            }
            // A real socket too: the policy sees the upgrade as Kestrel hands it over.
            using var foreign = new ClientWebSocket();
            foreign.Options.SetRequestHeader("Origin", "http://evil.example");
            var wsBase = new Uri(app.Urls.First().Replace("http://", "ws://"));
            var refused = await Assert.ThrowsAnyAsync<WebSocketException>(() => foreign.ConnectAsync(new Uri(wsBase, "/ws/no-such-session"), CancellationToken.None));
            Assert.Contains("403", refused.Message);

            var docs = await client.GetAsync("/docs/index.html");
            Assert.Equal(SecurityHeaders.DocsContentSecurityPolicy, docs.Headers.GetValues("Content-Security-Policy").Single());
            Assert.DoesNotContain("unsafe", SecurityHeaders.DocsContentSecurityPolicy.Split(';').Single(d => d.Trim().StartsWith("script-src")));
            Assert.Contains("frame-ancestors 'none'", SecurityHeaders.ContentSecurityPolicy);
            Assert.DoesNotContain("unsafe-inline", SecurityHeaders.ContentSecurityPolicy);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task No_answer_or_stream_message_holds_a_server_path()
    {
        using var server = new RingsideFactory();
        var client = server.CreateClient();
        long fighter = (long)(await client.PostJson("/api/fighters", new { glb_filename = server.NewGlb("paths.glb") }))["id"]!;
        long job = (long)(await client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = "pathless", total_steps = 2 * 8192, seed = 3, execute = true }))["id"]!;
        await client.WaitForJob(job, j => (string)j["status"]! == "completed");
        string profile = $"/api/fighter-profiles/{fighter}/pathless";

        var answers = new List<string>();
        foreach (string path in new[] { "/api/fighters", "/api/fighter-profiles", profile, profile + "/export", $"/api/fighter-profiles/{fighter}",
            "/api/training-jobs", $"/api/training-jobs/{job}", $"/api/training-jobs/fighter/{fighter}", $"/api/training-jobs/{job}/metrics",
            $"/api/fighters/{fighter}/checkpoints", $"/api/fighters/{fighter}/best-model", $"/api/fighters/{fighter}/stats", "/api/stats",
            "/api/training/sessions", $"/api/training/sessions/job-{job}", $"/api/training/sessions/job-{job}/history?limit=10000", "/api/replays" })
            answers.Add(await client.GetStringAsync(path));
        answers.Add(await (await client.PostAsJsonAsync($"/api/fighters/{fighter}/inference", new { observation = Api.Observation(), profile_name = "pathless" })).Content.ReadAsStringAsync());
        using (var socket = await Connect(server, $"/ws/job-{job}?after_sequence=0"))
            for (int i = 0; i < 5; i++) answers.Add((await socket.ReceiveJson())!.ToJsonString());

        string dataDir = Path.GetFullPath(server.DataDir);
        foreach (string answer in answers)
        {
            Assert.DoesNotContain(dataDir, answer);
            Assert.DoesNotContain(dataDir.Replace("/", "\\/"), answer); // as an escaped JSON string
            foreach (string field in new[] { "model_path", "weights_path", "run_dir" }) Assert.DoesNotContain($"\"{field}\"", answer);
        }
        Assert.Contains("\"has_model\":true", answers[2]);
    }

    [Fact]
    public void Text_that_may_hold_a_server_path_is_cut_to_file_names()
    {
        Assert.Equal("Could not find file 'model.safetensors'.", ServerPaths.Redact("Could not find file '/srv/data/runs/job-3/model.safetensors'."));
        Assert.Equal("Access to the path job-3 is denied", ServerPaths.Redact(@"Access to the path C:\data\runs\job-3 is denied"));
        Assert.Equal("see http://host/a/b and a/b, 50/50", ServerPaths.Redact("see http://host/a/b and a/b, 50/50"));
    }

    /// <summary>A server that asks for keys in this mode, with a write key (<see cref="Key"/>) and a read key (<see cref="ReadKey"/>).</summary>
    private static RingsideFactory WithKeys(string mode) => new(new()
    {
        ["Ringside:Security:RequireApiKey"] = mode,
        ["Ringside:Security:ApiKey"] = Key,
        ["Ringside:Security:ReadApiKey"] = ReadKey,
    });

    private static HttpClient WithKey(RingsideFactory server, string key)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static Task<WebSocket> Connect(RingsideFactory server, string path, Action<HttpRequest>? configure = null)
    {
        var ws = server.Server.CreateWebSocketClient();
        if (configure is not null) ws.ConfigureRequest = configure;
        return ws.ConnectAsync(new Uri(server.Server.BaseAddress, path), CancellationToken.None);
    }

    [Fact]
    public async Task Cors_allows_the_configured_game_origin_only()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Security:CorsOrigins:0"] = "http://localhost:8000" });
        var client = server.CreateClient();
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/api/fight-frames/batch");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
            return await client.SendAsync(request);
        }
        var allowed = await Preflight("http://localhost:8000");
        Assert.Equal("http://localhost:8000", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var refused = await Preflight("http://evil.example");
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Live_matches_beyond_the_limit_get_429()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Limits:MaxLiveMatches"] = "1" });
        var client = server.CreateClient();
        var fighters = new object[] { new { fighter_id = 1, controller = "bot", bot = "idle" }, new { fighter_id = 2, controller = "bot", bot = "idle" } };
        await client.PostJson("/api/matches", new { fighters, max_seconds = 60 });
        await (await client.PostAsJsonAsync("/api/matches", new { fighters, max_seconds = 60 })).Problem(429, "fighters");
    }

    [Fact]
    public async Task An_oversized_body_gets_413_and_stores_nothing()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Limits:MaxBodyBytes"] = "2000" });
        var client = server.CreateClient();
        int before = (await client.GetJson("/api/fighters")).AsArray().Count;
        var big = await client.PostRaw("/api/fighters", "{\"glb_filename\":\"big.glb\",\"name\":\"" + new string('x', 5000) + "\"}");
        await big.Problem(413, "body");
        Assert.Equal(before, (await client.GetJson("/api/fighters")).AsArray().Count);
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string category) => new Logger(lines, category);
        public void Dispose() { }

        private sealed class Logger(ConcurrentQueue<string> lines, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel level) => true;
            public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> format) =>
                lines.Enqueue($"{category}: {format(state, e)} {e}");
        }
    }
}
