using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Ringside.Server;

namespace Ringside.Web.Tests;

/// <summary>
/// The real server (RingsideServer.Build, Kestrel on a free loopback port: a browser needs a real socket) on a fresh
/// data folder, and Debian's chromium (/usr/bin/chromium) driven by Playwright, headless with software WebGL. Shared by
/// every test of the "web" collection.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string Chromium = "/usr/bin/chromium";

    public string DataDir { get; } = Directory.CreateTempSubdirectory("ringside-web-").FullName;
    public string BaseUrl { get; private set; } = "";
    public HttpClient Http { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private readonly SemaphoreSlim _trainGate = new(1, 1);
    private (long FighterId, string Profile)? _trained;

    /// <summary>Where screenshots and measurements go: artifacts/screenshots at the repository root (gitignored).</summary>
    public static string ArtifactsDir { get; } = Directory.CreateDirectory(Path.Combine(RepoRoot(), "artifacts", "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ringside:RateLimit:Enabled"] = "false",
            ["Ringside:Training:EvaluationEpisodes"] = "8",
            ["Ringside:Training:CheckpointEvery"] = "2",
            ["Ringside:Training:Threads"] = "1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        _app = RingsideServer.Build(["--urls", "http://127.0.0.1:0", "--data", DataDir], b => b.Configuration.AddInMemoryCollection(settings));
        await _app.StartAsync();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl) };

        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: scripts/test.sh installs Debian's chromium package (apt-get install -y chromium).");
        _playwright = await Playwright.CreateAsync();
        // Launch gives the browser a fresh temporary user-data-dir of its own; each test then takes a fresh context.
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args =
            [
                "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>A page in a fresh context (its own storage) with a small viewport; console errors are collected.</summary>
    /// <param name="pause">Stops the page's render loop once loaded (tests that render frames themselves): software WebGL
    /// rendering continuously would take a core from everything else.</param>
    public async Task<ArenaPage> OpenAsync(string path = "/arena.html", int width = 800, int height = 450, bool touch = false, bool pause = true)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            DeviceScaleFactor = 1,
            HasTouch = touch,
            IsMobile = touch,
        });
        var arena = await ArenaPage.NewAsync(this, context);
        await arena.GotoAsync(path);
        if (pause) await arena.Page.EvaluateAsync("() => window.ringside.pause()");
        return arena;
    }

    /// <summary>A profile with a trained model (a short real training job), made once and shared.</summary>
    public async Task<(long FighterId, string Profile)> TrainedProfileAsync()
    {
        await _trainGate.WaitAsync();
        try
        {
            if (_trained is { } done) return done;
            var fighters = await GetJsonAsync("/api/fighters");
            long fighter = (long)fighters.AsArray().First(f => (string)f!["glb_filename"]! == "the-brawler.glb")!["id"]!;
            var job = await PostJsonAsync("/api/training-jobs", new
            {
                fighter_id = fighter,
                profile_name = "brawler",
                aggression = 85,
                training_mode = "aggression",
                total_steps = 3 * 8192,
                seed = 11,
                execute = true,
            });
            long id = (long)job["id"]!;
            var deadline = DateTime.UtcNow.AddMinutes(4);
            while (true)
            {
                var state = await GetJsonAsync($"/api/training-jobs/{id}");
                string status = (string)state["status"]!;
                if (status == "completed") break;
                if (status is "failed" or "cancelled") throw new InvalidOperationException($"training job {status}: {state}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"training job not done: {state}");
                await Task.Delay(250);
            }
            _trained = (fighter, "brawler");
            return _trained.Value;
        }
        finally { _trainGate.Release(); }
    }

    public async Task<JsonNode> GetJsonAsync(string url)
    {
        var response = await Http.GetAsync(url);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public async Task<JsonNode> PostJsonAsync(string url, object body)
    {
        var response = await Http.PostAsJsonAsync(url, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {url}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Ringside.slnx"))) return dir.FullName;
        return Path.GetTempPath();
    }
}

[CollectionDefinition("web")]
public sealed class WebCollection : ICollectionFixture<WebFixture>;
