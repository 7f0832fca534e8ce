using System.Text.Json;
using Microsoft.Playwright;

namespace Ringside.Web.Tests;

/// <summary>The arena page in a browser: console errors, requests, and the page's window.ringside hooks.</summary>
public sealed class ArenaPage : IAsyncDisposable
{
    public IPage Page { get; }
    public IBrowserContext Context { get; }
    /// <summary>Console messages of type error, uncaught exceptions and failed requests.</summary>
    public List<string> Errors { get; } = [];
    public List<string> Requests { get; } = [];
    private readonly WebFixture _web;

    public ArenaPage(WebFixture web, IBrowserContext context, IPage page)
    {
        _web = web;
        Context = context;
        Page = page;
        page.Console += (_, m) => { if (m.Type == "error") lock (Errors) Errors.Add($"console.error: {m.Text} ({m.Location})"); };
        page.PageError += (_, e) => { lock (Errors) Errors.Add($"uncaught: {e}"); };
        page.RequestFailed += (_, r) => { lock (Errors) Errors.Add($"request failed: {r.Url} {r.Failure}"); };
        page.Request += (_, r) => { lock (Requests) Requests.Add(r.Url); };
        page.Response += (_, r) => { if (r.Status >= 400) lock (Errors) Errors.Add($"HTTP {r.Status}: {r.Url}"); };
    }

    /// <summary>
    /// Before any page script: every Content-Security-Policy violation is kept in window.cspViolations and reported as
    /// a console error, so <see cref="AssertNoErrors"/> fails on one (the server sends the policy with every page).
    /// </summary>
    private const string WatchCsp = """
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', e => {
          const what = `${e.violatedDirective} blocked ${e.blockedURI || 'inline code'} at ${e.sourceFile}:${e.lineNumber}`;
          window.cspViolations.push(what);
          console.error('CSP violation: ' + what);
        });
        """;

    /// <summary>A new page of the context, watched for CSP violations from its first script on.</summary>
    public static async Task<ArenaPage> NewAsync(WebFixture web, IBrowserContext context)
    {
        await context.AddInitScriptAsync(WatchCsp);
        return new ArenaPage(web, context, await context.NewPageAsync());
    }

    public async Task GotoAsync(string path)
    {
        await Page.GotoAsync(_web.BaseUrl + path);
        await Page.WaitForFunctionAsync("() => window.ringside && window.ringside.ready === true", null, new() { Timeout = 60_000 });
    }

    public async Task<T> EvalAsync<T>(string script, object? arg = null) => await Page.EvaluateAsync<T>(script, arg);

    public Task<JsonElement> StatsAsync() => EvalAsync<JsonElement>("() => window.ringside.stats()");

    public async Task<FighterOnScreen[]> FightersAsync() =>
        (await EvalAsync<JsonElement>("() => window.ringside.fighters()")).Deserialize<FighterOnScreen[]>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

    /// <summary>Closes the assignment modal (shows the arena alone).</summary>
    public Task CloseModalAsync() => Page.EvaluateAsync("() => document.getElementById('assign').close()");

    /// <summary>Saves a PNG of the viewport under artifacts/screenshots and returns its bytes.</summary>
    public async Task<byte[]> ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, name + ".png") });

    public Task<byte[]> ScreenshotBytesAsync() => Page.ScreenshotAsync();

    public void AssertNoErrors()
    {
        lock (Errors) Assert.True(Errors.Count == 0, "the page reported errors:\n" + string.Join("\n", Errors));
    }

    public async ValueTask DisposeAsync() => await Context.CloseAsync();
}

public sealed record ScreenRect(double X, double Y, double Width, double Height);

public sealed record SimPoint(double X, double Y);

public sealed record FighterOnScreen(int Slot, long FighterId, string Name, string Colour, bool Alive, double Health, string[] Clips,
    string[] Fallback, double Scale, bool Visible, SimPoint Position, ScreenRect Screen);
