using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ringside.Server.Http;

namespace Ringside.Server.Tests;

public sealed class SecurityTests
{
    private const string Key = "rk_test_secret_key_0123456789abcdefghijklmnopqrstuv";

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
    public async Task With_keys_required_changes_need_a_valid_bearer_key_and_reads_do_not()
    {
        using var server = new RingsideFactory(new() { ["Ringside:Security:RequireApiKey"] = "always", ["Ringside:Security:ApiKey"] = Key });
        var client = server.CreateClient();
        var body = new { glb_filename = "keyed.glb" };
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
        using var server = new RingsideFactory(new()
        {
            ["Ringside:Security:RequireApiKey"] = "always",
            ["Ringside:Security:ApiKey"] = Key,
            ["Logging:LogLevel:Default"] = "Trace",
        }).WithWebHostBuilder(b => b.ConfigureLogging(l => l.AddProvider(new CollectingLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace)));
        var client = server.CreateClient();
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
        other.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "another-client");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/api/fighters")).StatusCode); // its own bucket
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
