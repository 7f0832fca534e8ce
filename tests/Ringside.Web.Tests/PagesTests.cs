using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Ringside.Web.Tests;

/// <summary>The main menu, the trainer, the dashboard and the replay page against the real server, in Debian's chromium.</summary>
[Collection("web")]
public sealed class PagesTests(WebFixture web, ITestOutputHelper output)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact]
    public async Task Every_page_loads_without_errors_from_this_server_alone_at_1280x720_and_on_a_phone()
    {
        var (fighterId, profile) = await web.TrainedProfileAsync(); // so that the pages have a profile, replays and curves to show
        var replays = (await web.GetJsonAsync($"/api/replays?fighter_id={fighterId}&kind=evaluation")).AsArray();
        long replayId = (long)replays[0]!["id"]!;
        foreach (var (name, width, height) in new[] { ("desktop", 1280, 720), ("phone", 390, 844) })
        {
            foreach (string path in PagesSite.Pages)
            {
                string url = path == "/replay.html" ? $"{path}?id={replayId}" : path;
                await using var page = await PagesSite.OpenAsync(web, url, width, height);
                if (path == "/replay.html") await page.Page.WaitForFunctionAsync("() => window.ringsidePages.player.stats && window.ringsidePages.player.stats.done", null, new() { Timeout = 30_000 });
                if (path == "/dashboard.html") await page.Page.WaitForFunctionAsync("() => window.ringsidePages.state.matches && window.ringsidePages.state.metrics.length > 0", null, new() { Timeout = 30_000 });
                await PagesSite.SettleAsync(page.Page);
                string shot = $"pages-{path.Trim('/').Replace(".html", "")}-{name}";
                await PagesSite.ScreenshotFullAsync(page, shot);
                await PagesSite.AssertNoSidewaysScrollAsync(page, $"{path} at {width}x{height}");
                page.AssertNoErrors();
                var foreign = page.Requests.Where(u => !u.StartsWith(web.BaseUrl + "/", StringComparison.Ordinal) && !u.StartsWith("data:", StringComparison.Ordinal)
                    && !u.StartsWith("blob:", StringComparison.Ordinal) && !u.StartsWith("ws://" + new Uri(web.BaseUrl).Authority + "/", StringComparison.Ordinal)).ToList();
                Assert.True(foreign.Count == 0, $"{path}: requests to other origins (no CDN): {string.Join(", ", foreign)}");
                // The section links are reachable on screen.
                foreach (var link in await page.Page.Locator(".topnav nav a").AllAsync())
                {
                    var box = await link.BoundingBoxAsync();
                    Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= width, $"{path} at {width}: a section link is off screen");
                }
                if (path is "/trainer.html" or "/dashboard.html")
                    Assert.Contains(page.Requests, u => u.EndsWith("/vendor/chart.js/dist/chart.js", StringComparison.Ordinal));
                output.WriteLine($"{url} at {width}x{height}: {page.Requests.Count} requests, screenshot {shot}.png");
            }
        }
        _ = profile;
    }

    [Fact]
    public async Task Every_page_runs_under_the_content_security_policy_without_a_violation()
    {
        var (fighterId, _) = await web.TrainedProfileAsync(); // a replay to open, curves and profiles to show
        long replayId = (long)(await web.GetJsonAsync($"/api/replays?fighter_id={fighterId}&kind=evaluation")).AsArray()[0]!["id"]!;
        foreach (string path in PagesSite.Pages.Append("/arena.html"))
        {
            string url = path == "/replay.html" ? $"{path}?id={replayId}" : path;
            var response = await web.Http.GetAsync(url);
            Assert.Equal(Ringside.Server.Http.SecurityHeaders.ContentSecurityPolicy, response.Headers.GetValues("Content-Security-Policy").Single());
            await using var page = path == "/arena.html" ? await web.OpenAsync(url, pause: false) : await PagesSite.OpenAsync(web, url);
            await PagesSite.SettleAsync(page.Page);
            Assert.Empty(await page.EvalAsync<string[]>("() => window.cspViolations"));
            page.AssertNoErrors();
            if (path != "/arena.html") continue;

            // The watch sees what the policy refuses: a script written into the page does not run and is reported.
            await page.EvalAsync<bool>("() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.append(s); return true; }");
            await page.Page.WaitForFunctionAsync("() => window.cspViolations.length > 0", null, new() { Timeout = 10_000 });
            Assert.False(await page.EvalAsync<bool>("() => window.inlineRan === true"));
        }
    }

    [Fact]
    public async Task The_menu_shows_the_servers_numbers_and_refreshes_them_without_a_reload()
    {
        await using var page = await PagesSite.OpenAsync(web, "/");
        Assert.Equal(4, await page.Page.Locator(".menu .menu-item").CountAsync());
        foreach (var (id, href) in new[] { ("#menu-arena", "/arena.html"), ("#menu-trainer", "/trainer.html"), ("#menu-dashboard", "/dashboard.html"), ("#menu-replay", "/replay.html") })
            Assert.Equal(href, await page.Page.Locator(id).GetAttributeAsync("href"));
        var stats = await web.GetJsonAsync("/api/stats");
        foreach (string key in new[] { "fighters", "jobs_running", "matches_played", "replays" })
            PagesSite.AssertShown((long)stats[key]!, await page.Page.Locator($"#tiles [data-stat='{key}'] .value").TextContentAsync(), 0);
        Assert.Equal(stats["top_rated"]!.AsArray().Count, await page.Page.Locator("#top tbody tr[data-profile-id]").CountAsync());

        // A new profile shows in the count at the next refresh (every 5 s), the page is not reloaded.
        long before = (long)stats["profiles"]!;
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray();
        await web.PostJsonAsync("/api/fighter-profiles", new { fighter_id = (long)fighters[2]!["id"]!, profile_name = $"menu-{Guid.NewGuid():N}"[..20], aggression = 30 });
        await page.Page.WaitForFunctionAsync("n => document.querySelector(\"#tiles [data-stat='profiles'] .value\").textContent === String(n)", before + 1, new() { Timeout = 60_000 });
        Assert.True(await page.EvalAsync<int>("() => window.ringsidePages.state.refreshes") >= 2);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task The_trainer_previews_the_servers_reward_weights_and_sends_edited_ones()
    {
        await using var page = await PagesSite.OpenAsync(web, "/trainer.html");
        var p = page.Page;
        await p.Locator("#slider-aggression").FillAsync("90");
        await p.Locator("#slider-risk_tolerance").FillAsync("15");
        await p.Locator("#mode").SelectOptionAsync("survival");
        await p.WaitForFunctionAsync("() => { const q = window.ringsidePages.state.previewed?.query; return q && q.aggression === '90' && q.risk_tolerance === '15' && q.training_mode === 'survival'; }");
        var expected = await web.GetJsonAsync("/api/reward-weights?aggression=90&positioning=50&targeting=50&risk_tolerance=15&endurance=50&training_mode=survival");
        output.WriteLine(expected.ToJsonString());
        foreach (var (term, value) in expected.AsObject())
            PagesSite.AssertShown((double)value!, await p.Locator($"#weights [data-term='{term}'] .num").TextContentAsync(), 4);
        // Debounced: a burst of slider moves asks the server a few times, not once per step.
        int requests = await page.EvalAsync<int>("() => window.ringsidePages.state.weightsRequests");
        // The burst is one task of the page (21 input events, as a dragged slider sends them), so that no timer can fire
        // between two of them however slow this machine is; one Playwright call per step would take longer than the debounce here.
        await page.EvalAsync<object>("""
            () => { const s = document.querySelector('#slider-endurance');
                    for (let v = 60; v <= 80; v++) { s.value = String(v); s.dispatchEvent(new Event('input', { bubbles: true })); } }
            """);
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.previewed.query.endurance === '80'");
        int burst = await page.EvalAsync<int>("() => window.ringsidePages.state.weightsRequests") - requests;
        Assert.InRange(burst, 1, 5);

        // The advanced panel: a weight typed in replaces the slider's, shows in the preview and goes out as reward_weights.
        await p.Locator("#advanced summary").ClickAsync();
        await p.Locator("#weight-knockout").FillAsync("33");
        Assert.Equal("33.00", await p.Locator("#weights [data-term='knockout'] .num").TextContentAsync());
        await p.Locator("#profile-name").FillAsync("no way!"); // the server refuses the name: nothing starts, the field is named
        await p.Locator("#budget").FillAsync("8192");
        var request = await p.RunAndWaitForRequestAsync(() => p.Locator("#train").ClickAsync(), r => r.Url.EndsWith("/api/training-jobs") && r.Method == "POST");
        var body = JsonNode.Parse(request.PostData!)!;
        output.WriteLine(body.ToJsonString());
        Assert.Equal(33, (double)body["reward_weights"]!["knockout"]!);
        Assert.Single(body["reward_weights"]!.AsObject());
        Assert.Equal(90, (double)body["aggression"]!);
        Assert.Equal("survival", (string)body["training_mode"]!);
        Assert.Equal(8192, (long)body["total_steps"]!);
        Assert.True((bool)body["execute"]!);
        await p.WaitForFunctionAsync("() => document.querySelector('#train-status').textContent.includes('profile_name')");
        await page.ScreenshotAsync("pages-trainer-preview");
        PagesSite.AssertNoErrorsExcept(page, "HTTP 400: " + web.BaseUrl + "/api/training-jobs", "status of 400");
    }

    [Fact]
    public async Task The_dashboard_charts_a_run_of_100000_iterations_from_at_most_500_server_points_and_stays_responsive()
    {
        // A job with 100,000 training_metrics rows (synthetic curves written straight into the database: no real run
        // that long fits in a test). The page must ask the server to downsample and draw what it returns.
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray();
        long fighterId = (long)fighters[0]!["id"]!;
        var job = await web.PostJsonAsync("/api/training-jobs", new { fighter_id = fighterId, profile_name = "long-run", total_steps = 8192 });
        long jobId = (long)job["id"]!;
        const int n = 100_000;
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(web.DataDir, "ringside.db")}"))
        {
            await db.OpenAsync();
            await using var tx = (SqliteTransaction)await db.BeginTransactionAsync();
            var insert = db.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = """
                INSERT INTO training_metrics (fighter_id, training_job_id, iteration_number, global_step, avg_reward_last_100, win_rate_last_100,
                    loss, policy_loss, value_loss, policy_entropy, approx_kl, sps, reward_terms, recorded_at)
                VALUES ($f, $j, $i, $s, $r, $w, $l, $pl, $vl, $e, $kl, $sps, NULL, $at)
                """;
            var names = new[] { "$f", "$j", "$i", "$s", "$r", "$w", "$l", "$pl", "$vl", "$e", "$kl", "$sps", "$at" };
            var ps = names.Select(name => insert.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            insert.Prepare();
            var start = DateTime.UtcNow.AddDays(-2);
            for (int i = 1; i <= n; i++)
            {
                double t = i / (double)n;
                object[] values = [fighterId, jobId, i, (long)i * 8192, -10 + 25 * (1 - Math.Exp(-5 * t)) + Math.Sin(i / 40.0), Math.Min(1, 0.9 * t + 0.05 * Math.Sin(i / 300.0) + 0.05),
                    0.5 * Math.Exp(-3 * t) + 0.01, -0.01 * Math.Exp(-2 * t), 0.4 * Math.Exp(-3 * t), 2.3 - 1.2 * t, 0.001 + 0.0005 * Math.Sin(i / 97.0), 3000 + 200 * Math.Sin(i / 1000.0),
                    start.AddSeconds(i).ToString("yyyy-MM-dd HH:mm:ss.fffffff", CultureInfo.InvariantCulture)];
                for (int k = 0; k < ps.Length; k++) ps[k].Value = values[k];
                await insert.ExecuteNonQueryAsync();
            }
            await tx.CommitAsync();
        }

        var clock = Stopwatch.StartNew();
        await using var page = await PagesSite.OpenAsync(web, $"/dashboard.html?job={jobId}");
        await page.Page.WaitForFunctionAsync("() => window.ringsidePages.state.metrics.length > 0", null, new() { Timeout = 120_000 });
        double loadMs = clock.Elapsed.TotalMilliseconds;
        var state = await page.EvalAsync<JsonElement>("() => ({ requests: window.ringsidePages.state.metricsRequests, total: window.ringsidePages.state.metricsTotal, shown: window.ringsidePages.state.metrics.length, ms: window.ringsidePages.state.metricsMs })");
        output.WriteLine($"dashboard with {n} iterations: ready and charted in {loadMs:F0} ms; {state}");
        Assert.Contains(state.GetProperty("requests").EnumerateArray(), r => r.GetString() == $"/api/training-jobs/{jobId}/metrics?max_points=500");
        Assert.Contains(page.Requests, u => u.EndsWith($"/api/training-jobs/{jobId}/metrics?max_points=500", StringComparison.Ordinal));
        Assert.DoesNotContain(page.Requests, u => u.Contains($"/api/training-jobs/{jobId}/metrics") && !u.Contains("max_points="));
        Assert.Equal(n, state.GetProperty("total").GetInt32());
        Assert.Contains("100,000 iterations", await page.Page.Locator("#curves-info").TextContentAsync());

        // What the charts hold is what the server returned (its averaged points), series by series.
        var api = (await web.GetJsonAsync($"/api/training-jobs/{jobId}/metrics?max_points=500")).AsArray();
        Assert.InRange(api.Count, 400, 500);
        foreach (var (chart, dataset, field, scale) in new[] {
            ("dashboard.reward", "reward.raw", "avg_reward_last_100", 1.0), ("dashboard.win_rate", "win_rate.raw", "win_rate_last_100", 100.0),
            ("dashboard.losses", "value_loss.raw", "value_loss", 1.0), ("dashboard.entropy", "policy_entropy.raw", "policy_entropy", 1.0), ("dashboard.sps", "sps.raw", "sps", 1.0) })
        {
            var points = await PagesSite.DatasetAsync(page, chart, dataset);
            Assert.Equal(api.Count, points.Length);
            for (int i = 0; i < api.Count; i++)
            {
                Assert.Equal((double)api[i]!["iteration_number"]!, points[i].X);
                Assert.Equal((double)api[i]![field]! * scale, points[i].Y!.Value, 9);
            }
        }

        // Responsive: smoothing 500 points of 8 series redraws at once, and the page answers while it does.
        var smoothing = await page.EvalAsync<double>("""
            () => { const t = performance.now(); const s = document.getElementById('smoothing');
                    for (const v of ['0', '0.3', '0.9', '0.99']) { s.value = v; s.dispatchEvent(new Event('input')); }
                    return performance.now() - t; }
            """);
        output.WriteLine($"four smoothing changes redrawn in {smoothing:F0} ms"); // measured, not asserted: it is this machine's speed
        var smoothed = await PagesSite.DatasetAsync(page, "dashboard.reward", "reward");
        var raw = await PagesSite.DatasetAsync(page, "dashboard.reward", "reward.raw");
        Assert.NotEqual(raw[^1].Y, smoothed[^1].Y); // 0.99 smooths
        // What keeps the page responsive, whatever this machine's speed: every series of every chart, raw and smoothed,
        // holds the server's points and no more (times are measured above, not asserted).
        var sizes = await page.EvalAsync<JsonElement>("""
            () => Object.entries(window.ringsidePages.charts)
                    .filter(([id]) => ['dashboard.reward', 'dashboard.win_rate', 'dashboard.losses', 'dashboard.entropy', 'dashboard.sps'].includes(id))
                    .flatMap(([id, c]) => c.data.datasets.map(d => [id + ':' + d.id, d.data.length]))
            """);
        output.WriteLine($"points per series: {sizes}");
        Assert.True(sizes.GetArrayLength() >= 10, $"too few series: {sizes}");
        foreach (var series in sizes.EnumerateArray()) Assert.InRange(series[1].GetInt32(), 0, api.Count);
        var roundTrip = Stopwatch.StartNew();
        await page.EvalAsync<int>("() => 1"); // the page still answers
        output.WriteLine($"the page answered in {roundTrip.ElapsedMilliseconds} ms");
        await page.Page.Locator("#curves-card").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync("pages-dashboard-100k-iterations");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_profile_is_exported_and_imported_again_from_the_dashboard()
    {
        var (fighterId, profile) = await web.TrainedProfileAsync();
        var original = await web.GetJsonAsync($"/api/fighter-profiles/{fighterId}/{profile}");
        await using var page = await PagesSite.OpenAsync(web, $"/dashboard.html?a={(long)original["id"]!}");
        var p = page.Page;
        await p.Locator("#profile-a").SelectOptionAsync(((long)original["id"]!).ToString());
        Assert.Equal("85", await p.Locator("#compare tbody tr[data-row='Aggression'] td:nth-child(2)").TextContentAsync());

        // Export: the browser downloads the server's document.
        var download = await p.RunAndWaitForDownloadAsync(() => p.Locator("#export-a").ClickAsync());
        string file = Path.Combine(WebFixture.ArtifactsDir, "exported-profile.json");
        await download.SaveAsAsync(file);
        var exported = JsonNode.Parse(await File.ReadAllTextAsync(file))!;
        Assert.Equal("ringside-profile", (string)exported["format"]!);
        Assert.Equal(profile, (string)exported["profile"]!["profile_name"]!);
        Assert.False(string.IsNullOrEmpty((string?)exported["model"]?["safetensors_base64"]));
        var fromApi = await web.GetJsonAsync($"/api/fighter-profiles/{fighterId}/{profile}/export");
        Assert.Equal((string)fromApi["model"]!["safetensors_base64"]!, (string)exported["model"]!["safetensors_base64"]!);

        // Import it under another name: a new profile with the same personality and a loadable model.
        string name = $"imported-{Guid.NewGuid():N}"[..18];
        await p.Locator("#import-file").SetInputFilesAsync(file);
        await p.Locator("#import-name").FillAsync(name);
        await p.Locator("#import button[type='submit']").ClickAsync();
        await p.WaitForFunctionAsync("() => document.querySelector('#import-status').textContent.startsWith('Imported')", null, new() { Timeout = 20_000 });
        var imported = await web.GetJsonAsync($"/api/fighter-profiles/{fighterId}/{name}");
        foreach (string key in new[] { "aggression", "positioning", "targeting", "risk_tolerance", "endurance", "training_mode" })
            Assert.Equal(original[key]!.ToJsonString(), imported[key]!.ToJsonString());
        Assert.True((int)imported["model_version"]! >= 1);
        // The page compares it at once (B), without a reload.
        Assert.Equal(((long)imported["id"]!).ToString(), await p.Locator("#profile-b").InputValueAsync());
        Assert.Contains(name, await p.Locator("#compare-b").TextContentAsync());

        // A document that is not a profile is refused with the server's reason.
        string bad = Path.Combine(WebFixture.ArtifactsDir, "not-a-profile.json");
        await File.WriteAllTextAsync(bad, "{\"format\": \"something-else\"}");
        await p.Locator("#import-file").SetInputFilesAsync(bad);
        await p.Locator("#import button[type='submit']").ClickAsync();
        await p.WaitForFunctionAsync("() => document.querySelector('#import-status').textContent.startsWith('Import refused')", null, new() { Timeout = 20_000 });
        output.WriteLine(await p.Locator("#import-status").TextContentAsync());
        await PagesSite.ScreenshotFullAsync(page, "pages-dashboard-profiles");
        PagesSite.AssertNoErrorsExcept(page, "/api/fighter-profiles/import", "status of 4");
    }

    [Fact]
    public async Task The_dashboard_runs_each_profiles_network_in_the_browser_from_its_model_file_as_the_server_does()
    {
        var (fighterId, profile) = await web.TrainedProfileAsync();
        var trained = await web.GetJsonAsync($"/api/fighter-profiles/{fighterId}/{profile}");
        string untrained = $"untrained-{Guid.NewGuid():N}"[..18];
        var blank = await web.PostJsonAsync("/api/fighter-profiles", new { fighter_id = fighterId, profile_name = untrained });
        await using var page = await PagesSite.OpenAsync(web, $"/dashboard.html?a={(long)trained["id"]!}&b={(long)blank["id"]!}");
        var p = page.Page;
        await p.WaitForFunctionAsync("ids => { const d = window.ringsidePages.state.decisions; return d && d.profiles[0] === ids[0] && d.profiles[1] === ids[1]; }",
            new[] { (long)trained["id"]!, (long)blank["id"]! }, new() { Timeout = 30_000 });

        // The browser read the .safetensors file and ran the network: for every situation, the same probabilities
        // and value as the server's inference on the same observation (float32 there, float64 here).
        var situations = await page.EvalAsync<JsonElement>("async () => (await import('/js/pages/dashboard.js')).SITUATIONS");
        var decisions = await page.EvalAsync<JsonElement>("() => window.ringsidePages.state.decisions.a");
        Assert.Equal(5, situations.GetArrayLength());
        for (int k = 0; k < situations.GetArrayLength(); k++)
        {
            var observation = situations[k].GetProperty("observation").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var server = await web.PostJsonAsync($"/api/fighters/{fighterId}/inference", new { observation, profile_name = profile });
            var browser = decisions[k];
            var shown = browser.GetProperty("probabilities").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var expected = server["action_probabilities"]!.AsArray().Select(v => (double)v!).ToArray();
            for (int a = 0; a < expected.Length; a++) Assert.Equal(expected[a], shown[a], 5);
            Assert.Equal((double)server["value"]!, browser.GetProperty("value").GetDouble(), 4);
            Assert.Equal((int)server["action"]!, browser.GetProperty("action").GetInt32());
            string situation = situations[k].GetProperty("id").GetString()!;
            Assert.Equal(server["action_name"]!.ToString(), await p.Locator($"#decisions tr[data-situation='{situation}'] td:nth-child(2)").GetAttributeAsync("data-action"));
            Assert.Equal("not trained", await p.Locator($"#decisions tr[data-situation='{situation}'] td:nth-child(3)").TextContentAsync());
        }

        // The model link downloads the file the browser ran.
        var download = await p.RunAndWaitForDownloadAsync(() => p.Locator("#model-a").ClickAsync());
        string file = Path.Combine(WebFixture.ArtifactsDir, "profile-model.safetensors");
        await download.SaveAsAsync(file);
        Assert.Equal(await web.Http.GetByteArrayAsync($"/api/fighter-profiles/{fighterId}/{profile}/model"), await File.ReadAllBytesAsync(file));
        Assert.True(await p.Locator("#model-b").IsHiddenAsync());
        await PagesSite.ScreenshotFullAsync(page, "pages-dashboard-decisions");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_replay_plays_over_both_transports_and_draws_the_servers_frames()
    {
        var (fighterId, _) = await web.TrainedProfileAsync();
        var replays = (await web.GetJsonAsync($"/api/replays?fighter_id={fighterId}&kind=evaluation&limit=10")).AsArray();
        var replay = replays.OrderByDescending(r => (int)r!["ticks"]!).First()!;
        long id = (long)replay["id"]!;
        int total = (int)replay["ticks"]! + 1;
        var all = (await web.GetJsonAsync($"/api/replays/{id}/frames?offset=0&limit=5000"))["frames"]!.AsArray();
        Assert.Equal(total, all.Count);

        foreach (string transport in new[] { "http", "ws" })
        {
            await using var page = await PagesSite.OpenAsync(web, $"/replay.html?id={id}&transport={transport}", 800, 600);
            var p = page.Page;
            await p.WaitForFunctionAsync("() => window.ringsidePages.player.stats && window.ringsidePages.player.stats.done", null, new() { Timeout = 30_000 });
            var stats = await page.EvalAsync<JsonElement>("() => ({ ...window.ringsidePages.player.stats, loaded: window.ringsidePages.player.loaded, total: window.ringsidePages.player.total })");
            output.WriteLine($"{transport}: {stats}");
            Assert.Equal(transport, stats.GetProperty("transport").GetString());
            Assert.Equal(total, stats.GetProperty("loaded").GetInt32());
            Assert.Equal(total, stats.GetProperty("total").GetInt32());
            if (transport == "http")
            {
                Assert.Equal((total + 299) / 300, stats.GetProperty("requests").GetInt32());
                Assert.Contains(page.Requests, u => u.EndsWith($"/api/replays/{id}/frames?offset=0&limit=300", StringComparison.Ordinal));
            }
            else
            {
                Assert.True(stats.GetProperty("chunks").GetInt32() >= (total + 149) / 150, "the stream should arrive in chunks of at most 150 frames");
                Assert.Contains($"/ws/replays/{id}/frames?batch_size=150", stats.GetProperty("url").GetString());
            }
            Assert.Equal("ws" == transport ? "ws" : "http", await p.Locator("#transport").InputValueAsync());
            // Every frame the player holds is the server's.
            string held = await page.EvalAsync<string>("() => JSON.stringify(window.ringsidePages.player.frames)");
            // (JSON.stringify writes -0 as 0.)
            Assert.Equal(Regex.Replace(all.ToJsonString(), @"(?<=[:,\[])-0(?=[,}\]])", "0"), JsonNode.Parse(held)!.ToJsonString());

            // Scrub: pause, seek, draw one frame: the fighters stand where the server's frame puts them.
            await p.Locator("#speed").SelectOptionAsync("4");
            await page.EvalAsync<object>("() => window.ringsidePages.player.pause()");
            foreach (int tick in new[] { total / 2, total / 4, total - 1 })
            {
                await p.Locator("#scrub").FillAsync(tick.ToString());
                await page.EvalAsync<object>("() => window.ringsidePages.view.step(0)");
                var drawn = await page.EvalAsync<JsonElement>("() => window.ringsidePages.view.fighters()");
                foreach (var f in all[tick]!["fighters"]!.AsArray())
                {
                    var d = drawn.EnumerateArray().Single(x => x.GetProperty("slot").GetInt32() == (int)f!["slot"]!);
                    if (!(bool)f!["alive"]! && (string?)f["events"]?.ToJsonString() is { } ev && ev.Contains("ring_out")) continue; // falling off the apron
                    Assert.Equal((double)f["x"]!, d.GetProperty("x").GetDouble(), 3);
                    Assert.Equal((double)f["y"]!, d.GetProperty("y").GetDouble(), 3);
                }
                Assert.Equal(tick.ToString(), await p.Locator("#scrub").InputValueAsync());
            }
            // Play the last 10 s at 4x: the clock runs and the replay ends on its result.
            int from = Math.Max(0, total - 300);
            await p.Locator("#scrub").FillAsync(from.ToString());
            await p.Locator("#play").ClickAsync();
            await p.WaitForFunctionAsync("t => window.ringsidePages.player.t > t + 30", from, new() { Timeout = 20_000 });
            await page.ScreenshotAsync($"pages-replay-playing-{transport}");
            await p.WaitForFunctionAsync("() => window.ringsidePages.player.ended", null, new() { Timeout = 60_000 });
            string banner = await p.Locator("#view .banner").TextContentAsync() ?? "";
            int winner = (int)replay["winner_slot"]!;
            Assert.Equal(winner < 0 ? "DRAW" : winner == 0 ? $"{(string)(await web.GetJsonAsync($"/api/fighters/{fighterId}"))["name"]!} wins" : $"Bot {replay["tags"]!.AsArray().Select(t => (string)t!).First(t => t.StartsWith("vs:"))[3..]} wins", banner);
            page.AssertNoErrors();
        }
    }
}
