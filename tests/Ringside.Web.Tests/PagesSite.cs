using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace Ringside.Web.Tests;

/// <summary>
/// The menu, trainer, dashboard and replay pages in the browser: opened like the arena page (a fresh context, console
/// errors and requests collected by <see cref="ArenaPage"/>), ready when window.ringsidePages.ready is set.
/// </summary>
internal static class PagesSite
{
    public static readonly string[] Pages = ["/index.html", "/trainer.html", "/dashboard.html", "/replay.html"];

    public static async Task<ArenaPage> OpenAsync(WebFixture web, string path, int width = 1280, int height = 720)
    {
        var context = await web.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
            DeviceScaleFactor = 1,
            AcceptDownloads = true,
        });
        var wrapped = await ArenaPage.NewAsync(web, context);
        await wrapped.Page.GotoAsync(web.BaseUrl + path);
        await WaitReadyAsync(wrapped.Page);
        return wrapped;
    }

    /// <summary>
    /// Lets late requests and layout settle: until nothing has been on the network for 500 ms, or 30 s at most. A page
    /// that keeps a stream busy (the menu's spectated bot matches start one after another) may never be idle on a loaded
    /// machine, and being busy is not an error: what the tests assert comes after, from the page itself.
    /// </summary>
    public static async Task SettleAsync(IPage page)
    {
        try { await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 30_000 }); }
        catch (TimeoutException) { }
    }

    public static Task WaitReadyAsync(IPage page) =>
        page.WaitForFunctionAsync("() => window.ringsidePages && window.ringsidePages.ready === true", null, new() { Timeout = 60_000 });

    /// <summary>
    /// A chart's dataset (by its id) as [x, y] pairs: what the chart holds and draws, after the next animation frame, when
    /// a page redraws what came in since the last one.
    /// </summary>
    public static async Task<(double X, double? Y)[]> DatasetAsync(ArenaPage page, string chart, string dataset)
    {
        var json = await page.EvalAsync<JsonElement>(
            "async ([c, d]) => { await new Promise(r => requestAnimationFrame(r)); const ch = window.ringsidePages.charts[c]; const ds = ch && ch.data.datasets.find(x => x.id === d); return ds ? ds.data.map(p => [p.x, p.y]) : null; }",
            new[] { chart, dataset });
        Assert.True(json.ValueKind == JsonValueKind.Array, $"chart {chart} has no dataset {dataset}");
        return json.EnumerateArray().Select(p => (p[0].GetDouble(), p[1].ValueKind == JsonValueKind.Null ? (double?)null : p[1].GetDouble())).ToArray();
    }

    /// <summary>Horizontal overflow: document.scrollingElement.scrollWidth against innerWidth.</summary>
    public static async Task AssertNoSidewaysScrollAsync(ArenaPage page, string what)
    {
        var size = await page.EvalAsync<JsonElement>("() => [document.scrollingElement.scrollWidth, window.innerWidth]");
        int scroll = size[0].GetInt32(), inner = size[1].GetInt32();
        Assert.True(scroll <= inner, $"{what}: the page scrolls sideways ({scroll} > {inner} px)");
    }

    public static async Task ScreenshotFullAsync(ArenaPage page, string name) =>
        await page.Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, name + ".png"), FullPage = true });

    /// <summary>
    /// A number as the page shows it ("1,234.57", "-3.53", "58%"), rounded to `digits` decimals: within half a unit of the
    /// last digit of the API's value (the browser rounds the shortest decimal, .NET the binary value: ties may differ).
    /// </summary>
    public static void AssertShown(double expected, string? shown, int digits, double scale = 1)
    {
        Assert.False(string.IsNullOrEmpty(shown), $"nothing shown for {expected}");
        double value = double.Parse(shown!.TrimEnd('%', ' ', 's'), NumberStyles.Number, CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(expected * scale - value) <= 0.5 * Math.Pow(10, -digits) + 1e-9, $"shown {shown}, the API says {expected * scale}");
    }

    /// <summary>Errors other than the ones a test expects (e.g. the 409 of a job that has no checkpoint yet).</summary>
    public static void AssertNoErrorsExcept(ArenaPage page, params string[] expected)
    {
        lock (page.Errors)
        {
            var left = page.Errors.Where(e => !expected.Any(e.Contains)).ToList();
            Assert.True(left.Count == 0, "the page reported errors:\n" + string.Join("\n", left));
        }
    }
}
