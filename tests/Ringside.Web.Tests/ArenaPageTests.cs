using System.Text.Json;
using System.Text.Json.Nodes;
using Ringside.Assets;
using Xunit.Abstractions;

namespace Ringside.Web.Tests;

/// <summary>The arena page in Debian's chromium: loads cleanly from our server alone, draws the ring, the crowd and every fighter.</summary>
[Collection("web")]
public sealed class ArenaPageTests(WebFixture web, ITestOutputHelper output)
{
    [Fact]
    public async Task The_arena_page_loads_without_console_errors_and_fetches_nothing_from_another_origin()
    {
        await using var page = await web.OpenAsync();
        await page.EvalAsync<int>("() => window.ringside.renderOnce() && 0");
        await page.ScreenshotAsync("arena-modal");

        page.AssertNoErrors();
        var foreign = page.Requests.Where(u => !u.StartsWith(web.BaseUrl + "/", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal)).ToList();
        Assert.True(foreign.Count == 0, "requests to other origins (no CDN allowed): " + string.Join(", ", foreign));
        Assert.Contains(page.Requests, u => u.EndsWith("/vendor/three/build/three.module.js", StringComparison.Ordinal));
        Assert.Contains(page.Requests, u => u.EndsWith("/vendor/three/examples/jsm/loaders/GLTFLoader.js", StringComparison.Ordinal));

        // The modal lists the roster from GET /api/fighters and starts with two fighters on the card.
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray();
        Assert.Equal(fighters.Count, await page.Page.Locator("#roster-list .roster-item").CountAsync());
        Assert.Equal(2, await page.Page.Locator("#slot-list .slot-row").CountAsync());
        Assert.True(await page.Page.Locator("#start-battle").IsEnabledAsync());
    }

    [Fact]
    public async Task The_ring_the_crowd_and_each_of_six_fighters_are_drawn_in_their_colours()
    {
        await using var page = await web.OpenAsync();
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray().Take(6).ToArray();
        long[] ids = fighters.Select(f => (long)f!["id"]!).ToArray();
        Assert.Equal(6, await page.EvalAsync<int>("ids => window.ringside.preview(ids)", ids));
        await page.CloseModalAsync();
        await page.EvalAsync<object>("() => { window.ringside.pause(); window.ringside.setPreset('broadcast'); window.ringside.renderOnce(0.5); }");
        await page.ScreenshotAsync("arena-6-fighters");

        // Draw calls: the scene's parts each cost at least one; every fighter adds its skinned primitives.
        var stats = await page.EvalAsync<JsonElement>("() => window.ringside.renderOnce(0)");
        output.WriteLine(stats.ToString());
        var objects = stats.GetProperty("objects");
        int skinned = objects.GetProperty("skinnedMeshes").GetInt32();
        Assert.True(skinned >= 6, $"expected a skinned mesh per fighter at least, found {skinned}");
        Assert.True(stats.GetProperty("calls").GetInt32() >= skinned + 10, $"too few draw calls for the ring, crowd and fighters: {stats}");
        Assert.True(stats.GetProperty("crowd").GetInt32() >= 200, "the crowd should have a few hundred spectators");
        Assert.True(objects.GetProperty("instancedMeshes").GetInt32() >= 4, "crowd, ropes, posts and stands are instanced");

        // Pixels: each fighter, hidden then shown again, changes its part of the picture, and what it adds has its colours.
        await page.EvalAsync<object>("() => window.ringside.showHud(false)");
        var onScreen = await page.FightersAsync();
        Assert.Equal(6, onScreen.Length);
        var shown = Png.Decode(await page.ScreenshotBytesAsync());
        foreach (var f in onScreen)
        {
            await page.EvalAsync<object>("s => { window.ringside.setFighterVisible(s, false); window.ringside.renderOnce(0); }", f.Slot);
            var hidden = Png.Decode(await page.ScreenshotBytesAsync());
            await page.EvalAsync<object>("s => { window.ringside.setFighterVisible(s, true); window.ringside.renderOnce(0); }", f.Slot);

            string file = (string)fighters.Single(x => (long)x!["id"]! == f.FighterId)!["glb_filename"]!;
            var entry = DefaultRoster.Entries.Single(e => e.FileName == file);
            var (changed, inColour, total) = Compare(shown, hidden, f.Screen, Distinctive(entry));
            output.WriteLine($"{f.Name}: {changed}/{total} pixels change when hidden, {inColour} of them near {Distinctive(entry)}");
            Assert.True(total > 100, $"{f.Name} is too small on screen: {f.Screen}");
            Assert.True(changed > total * 0.12, $"{f.Name} is not drawn: only {changed} of {total} pixels of its box change when it is hidden");
            Assert.True(inColour > changed * 0.04, $"{f.Name}'s {Distinctive(entry)} does not show: {inColour} of {changed} pixels");
        }
        page.AssertNoErrors();
    }

    [Fact]
    public async Task Frame_time_with_six_fighters_and_the_crowd_is_measured()
    {
        var results = new JsonObject();
        foreach (var (width, height, quality) in new[] { (640, 360, "auto"), (1280, 720, "auto"), (1280, 720, "high") })
        {
            await using var page = await web.OpenAsync(quality == "auto" ? "/arena.html" : $"/arena.html?quality={quality}", width, height);
            long[] ids = (await web.GetJsonAsync("/api/fighters")).AsArray().Take(6).Select(f => (long)f!["id"]!).ToArray();
            await page.EvalAsync<int>("ids => window.ringside.preview(ids)", ids);
            await page.CloseModalAsync();
            await page.EvalAsync<object>("() => window.ringside.pause()");
            double ms = await page.EvalAsync<double>("() => window.ringside.measure(10)");
            var stats = await page.StatsAsync();
            output.WriteLine($"{width}x{height} {quality}: {ms:F1} ms per frame (update + render, software WebGL); {stats}");
            results[$"{width}x{height} {quality}"] = new JsonObject
            {
                ["ms_per_frame"] = Math.Round(ms, 1),
                ["quality"] = stats.GetProperty("quality").GetString(),
                ["draw_calls"] = stats.GetProperty("calls").GetInt32(),
                ["triangles"] = stats.GetProperty("triangles").GetInt32(),
                ["crowd"] = stats.GetProperty("crowd").GetInt32(),
                ["fighters"] = 6,
            };
            Assert.True(ms > 0 && double.IsFinite(ms), $"frame time {ms} ms"); // measured, not bounded: it is this machine's speed
            page.AssertNoErrors();
        }
        results["renderer"] = "headless chromium, SwiftShader (software WebGL), 2 cores";
        await File.WriteAllTextAsync(Path.Combine(WebFixture.ArtifactsDir, "frame-time.json"), results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    [Fact]
    public async Task The_page_is_usable_at_1280x720_and_on_a_phone()
    {
        foreach (var (name, width, height, touch) in new[] { ("desktop", 1280, 720, false), ("phone", 390, 844, true) })
        {
            await using var page = await web.OpenAsync(width: width, height: height, touch: touch);
            await page.EvalAsync<object>("() => window.ringside.renderOnce()");
            await page.ScreenshotAsync($"arena-modal-{name}");
            // Nothing sticks out sideways; the modal's START BATTLE and the first controller can be reached.
            Assert.True(await page.EvalAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), $"{name}: the page scrolls sideways");
            var start = page.Page.Locator("#start-battle");
            await start.ScrollIntoViewIfNeededAsync();
            var box = await start.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= width && box.Y >= 0 && box.Y + box.Height <= height, $"{name}: START BATTLE is off screen: {box?.X},{box?.Y}");
            Assert.True(await page.Page.Locator(".slot-control").First.IsVisibleAsync());

            await page.CloseModalAsync();
            await page.EvalAsync<object>("() => window.ringside.renderOnce()");
            await page.ScreenshotAsync($"arena-{name}");
            foreach (string id in new[] { "#new-battle", "#cameras .cam >> nth=0", "#cameras .cam >> nth=3" })
            {
                var b = await page.Page.Locator(id).BoundingBoxAsync();
                Assert.True(b is not null && b.X >= 0 && b.X + b.Width <= width + 0.5 && b.Y >= 0 && b.Y + b.Height <= height, $"{name}: {id} is off screen");
            }
            page.AssertNoErrors();
        }
    }

    [Fact]
    public async Task Camera_presets_move_the_camera()
    {
        await using var page = await web.OpenAsync(pause: false);
        await page.CloseModalAsync();
        var positions = new List<string>();
        foreach (string preset in new[] { "overhead", "corner", "ringside", "broadcast" })
        {
            await page.Page.Locator($"#cameras [data-preset='{preset}']").ClickAsync();
            await page.Page.WaitForFunctionAsync("p => { const r = window.ringside; return r.stage.preset === p && !r.stage._tween; }", preset);
            positions.Add(await page.EvalAsync<string>("() => window.ringside.stage.camera.position.toArray().map(v => v.toFixed(1)).join(',')"));
            Assert.Equal("true", await page.Page.Locator($"#cameras [data-preset='{preset}']").GetAttributeAsync("aria-pressed"));
            if (preset == "overhead") await page.ScreenshotAsync("arena-overhead");
        }
        Assert.Equal(positions.Count, positions.Distinct().Count());
        page.AssertNoErrors();
    }

    /// <summary>Among a box's pixels: how many change between the two pictures, and how many of those are near a hue.</summary>
    internal static (int Changed, int InColour, int Total) Compare(Png shown, Png hidden, ScreenRect rect, Colour colour)
    {
        var (hue, _, _) = Png.Hsv(colour.R, colour.G, colour.B);
        int x0 = Math.Max(0, (int)rect.X), y0 = Math.Max(0, (int)rect.Y);
        int x1 = Math.Min(shown.Width, (int)Math.Ceiling(rect.X + rect.Width)), y1 = Math.Min(shown.Height, (int)Math.Ceiling(rect.Y + rect.Height));
        int changed = 0, inColour = 0, total = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                total++;
                var (r, g, b) = shown[x, y];
                var (hr, hg, hb) = hidden[x, y];
                if (Math.Abs(r - hr) + Math.Abs(g - hg) + Math.Abs(b - hb) < 40) continue;
                changed++;
                var (h, s, v) = Png.Hsv(r, g, b);
                if (s > 0.3 && v > 0.12 && Png.HueDistance(h, hue) < 22) inColour++;
            }
        return (changed, inColour, total);
    }

    /// <summary>The more saturated of a fighter's outfit and accent colours: what identifies it on screen.</summary>
    internal static Colour Distinctive(RosterEntry entry) =>
        Png.Hsv(entry.Outfit.R, entry.Outfit.G, entry.Outfit.B).Saturation >= Png.Hsv(entry.Accent.R, entry.Accent.G, entry.Accent.B).Saturation ? entry.Outfit : entry.Accent;
}
