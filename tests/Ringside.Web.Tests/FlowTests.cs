using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Ringside.Web.Tests;

/// <summary>
/// The whole way through the pages, as a user goes: create a profile in the trainer, train it (a tiny budget), watch
/// the progress, see the result, fight it in the arena, find the battle in the dashboard and its replay in the list,
/// and play it. And a running job spectated (its policy fighting, its decisions) and cancelled.
/// </summary>
[Collection("web")]
public sealed class FlowTests(WebFixture web, ITestOutputHelper output)
{
    private async Task<(long Id, string Name)> FighterAsync(string glb)
    {
        var f = (await web.GetJsonAsync("/api/fighters")).AsArray().Single(x => (string)x!["glb_filename"]! == glb)!;
        return ((long)f["id"]!, (string)f["name"]!);
    }

    [Fact]
    public async Task A_profile_is_created_trained_fought_and_replayed_through_the_pages()
    {
        var (fighterId, fighterName) = await FighterAsync("viper-vance.glb");
        string profile = $"flow-{Guid.NewGuid():N}"[..13];
        await using var page = await PagesSite.OpenAsync(web, "/trainer.html");
        var p = page.Page;

        // 1. The trainer: fighter, name, personality, mode, a tiny budget (3 iterations of 8,192 steps), Train.
        await p.Locator("#fighter").SelectOptionAsync(fighterId.ToString());
        await p.Locator("#profile-name").FillAsync(profile);
        await p.Locator("#slider-aggression").FillAsync("80");
        await p.Locator("#slider-endurance").FillAsync("35");
        await p.Locator("#mode").SelectOptionAsync("aggression");
        await p.Locator("#budget").FillAsync("24576");
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.previewed.query.endurance === '35' && window.ringsidePages.state.previewed.query.training_mode === 'aggression'");
        await p.Locator("#train").ClickAsync();
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.job && window.ringsidePages.state.job.id", null, new() { Timeout = 15_000 });
        long jobId = await page.EvalAsync<long>("() => window.ringsidePages.state.job.id");
        Assert.Contains($"job={jobId}", p.Url);

        // 2. The progress moves (each iteration's metrics over the WebSocket: live, or replayed from the session's history
        // when the job ran ahead of the page), then the job finishes.
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.progressReceived.length >= 1", null, new() { Timeout = 180_000 });
        string percent = await p.Locator("#percent").TextContentAsync() ?? "";
        output.WriteLine($"progress shown: {percent}, steps {await p.Locator("#steps").TextContentAsync()}, {await p.Locator("#sps").TextContentAsync()}, eta {await p.Locator("#eta").TextContentAsync()}");
        await page.ScreenshotAsync("flow-1-trainer-training");
        await p.Locator("#result-card").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 240_000 });
        await PagesSite.ScreenshotFullAsync(page, "flow-2-trainer-result");
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.progressReceived.length >= 3", null, new() { Timeout = 30_000 });
        var received = (await page.EvalAsync<JsonElement>("() => window.ringsidePages.state.progressReceived")).EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(new[] { 100 / 3.0, 200 / 3.0, 100 }, received, (a, b) => Math.Abs(a - b) < 1e-9); // every iteration once, in order
        var seen = (await page.EvalAsync<JsonElement>("() => window.ringsidePages.state.progressSeen")).EnumerateArray().Select(v => v.GetDouble()).ToList();
        output.WriteLine($"progress values shown: {string.Join(", ", seen.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))}");
        Assert.Equal(seen.Order(), seen); // never backwards
        Assert.Equal(100, seen[^1]);
        Assert.Equal("100%", await p.Locator("#percent").TextContentAsync());
        Assert.Equal("completed", await p.Locator("#job-status .badge").TextContentAsync());
        var job = await web.GetJsonAsync($"/api/training-jobs/{jobId}");
        Assert.Equal("completed", (string)job["status"]!);

        // The reward curve holds the job's metrics, iteration by iteration.
        var metrics = (await web.GetJsonAsync($"/api/training-jobs/{jobId}/metrics")).AsArray();
        Assert.Equal(3, metrics.Count);
        var reward = await PagesSite.DatasetAsync(page, "trainer.reward", "reward");
        var winRate = await PagesSite.DatasetAsync(page, "trainer.reward", "win_rate");
        Assert.Equal(metrics.Count, reward.Length);
        for (int i = 0; i < metrics.Count; i++)
        {
            Assert.Equal((double)metrics[i]!["iteration_number"]!, reward[i].X);
            Assert.Equal((double)metrics[i]!["avg_reward_last_100"]!, reward[i].Y!.Value, 9);
            Assert.Equal((double)metrics[i]!["win_rate_last_100"]! * 100, winRate[i].Y!.Value, 9);
        }

        // The evaluation against each baseline bot and the fingerprint are the profile's.
        var stored = await web.GetJsonAsync($"/api/fighter-profiles/{fighterId}/{profile}");
        Assert.Equal(80, (double)stored["aggression"]!);
        Assert.Equal(1, (int)stored["model_version"]!);
        var evaluation = stored["evaluation"]!.AsObject();
        Assert.Equal(3, evaluation.Count);
        foreach (var (bot, e) in evaluation)
        {
            var cells = await p.Locator($"#evaluation tbody tr[data-bot='{bot}'] td").AllTextContentsAsync();
            PagesSite.AssertShown((double)e!["win_rate"]!, cells[1], 0, scale: 100);
            PagesSite.AssertShown((double)e["mean_reward"]!, cells[3], 2);
            PagesSite.AssertShown((int)e["episodes"]!, cells[8], 0);
        }
        foreach (var (metric, value) in stored["fingerprint"]!.AsObject())
        {
            string shown = await p.Locator($"#fingerprint [data-metric='{metric}'] b").TextContentAsync() ?? "";
            PagesSite.AssertShown((double)value!, shown, metric.Contains("per_second") || metric.Contains("distance") || metric.Contains("rung_out") ? 2 : 1);
        }

        // 3. "Fight it now": the arena opens with the profile assigned; a fast match (speed 5) against the chaser ends.
        string? href = await p.Locator("#fight-now").GetAttributeAsync("href");
        Assert.Equal($"/arena.html?fighter_id={fighterId}&profile_name={profile}", href);
        await p.GotoAsync(web.BaseUrl + href + "&speed=5");
        await p.WaitForFunctionAsync("() => window.ringside && window.ringside.ready === true", null, new() { Timeout = 60_000 });
        Assert.Equal($"profile:{profile}", await p.Locator("#slot-list .slot-row[data-slot='0'] select").InputValueAsync());
        Assert.Equal(fighterId.ToString(), await p.Locator("#slot-list .slot-row[data-slot='0']").GetAttributeAsync("data-fighter-id"));
        await p.Locator("#slot-list .slot-row[data-slot='1'] select").SelectOptionAsync("bot:chaser");
        await p.Locator("#max-seconds").SelectOptionAsync("30");
        await p.Locator("#start-battle").ClickAsync();
        await p.Locator("#result").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 90_000 });
        await page.ScreenshotAsync("flow-3-arena-result");
        long matchId = await page.EvalAsync<long>("() => window.ringside.match.id");
        var match = await web.GetJsonAsync($"/api/matches/{matchId}");
        output.WriteLine(match.ToJsonString());
        Assert.Equal("finished", (string)match["status"]!);
        Assert.Equal($"profile:{profile}", (string)match["participants"]![0]!["controller"]!);
        long replayId = (long)match["replay_id"]!;
        int winner = (int)match["winner_slot"]!;

        // 4. The dashboard's battle history has the match (its winner marked) and the ratings rate the profile.
        await p.GotoAsync(web.BaseUrl + "/dashboard.html");
        await PagesSite.WaitReadyAsync(p);
        var row = p.Locator($"#history tbody tr[data-match-id='{matchId}']");
        await row.WaitForAsync(new() { Timeout = 20_000 });
        if (winner >= 0)
        {
            string winnerName = winner == 0 ? fighterName : (string)(await web.GetJsonAsync($"/api/fighters/{(long)match["participants"]![winner]!["fighter_id"]!}"))["name"]!;
            Assert.Contains(winnerName, await row.Locator("[data-winner='true']").TextContentAsync());
        }
        Assert.Equal($"/replay.html?id={replayId}", await row.Locator("a").GetAttributeAsync("href"));
        await p.Locator($"#ratings tbody tr[data-player='profile:{(long)stored["id"]!}']").WaitForAsync(new() { Timeout = 20_000 });
        await p.Locator($"#jobs tbody tr[data-job-id='{jobId}'] .badge.completed").WaitForAsync(new() { Timeout = 20_000 });
        await PagesSite.ScreenshotFullAsync(page, "flow-4-dashboard");

        // 5. The replay list has it; it plays to its end.
        await p.GotoAsync(web.BaseUrl + "/replay.html?kind=match");
        await PagesSite.WaitReadyAsync(p);
        var listed = p.Locator($"#replays tbody tr[data-replay-id='{replayId}']");
        await listed.WaitForAsync(new() { Timeout = 20_000 });
        Assert.Contains(fighterName, await listed.TextContentAsync());
        await listed.Locator("button").ClickAsync();
        await p.WaitForFunctionAsync("id => window.ringsidePages.player.replay && window.ringsidePages.player.replay.id === id && window.ringsidePages.player.stats.done", replayId, new() { Timeout = 30_000 });
        await p.Locator("#speed").SelectOptionAsync("8");
        await p.WaitForFunctionAsync("() => window.ringsidePages.player.t > 60", null, new() { Timeout = 30_000 });
        await page.ScreenshotAsync("flow-5-replay-playing");
        await p.WaitForFunctionAsync("() => window.ringsidePages.player.ended", null, new() { Timeout = 60_000 });
        int ticks = (int)match["ticks"]!;
        Assert.Equal(ticks + 1, await page.EvalAsync<int>("() => window.ringsidePages.player.total"));
        Assert.Equal(ticks.ToString(), await p.Locator("#scrub").InputValueAsync());
        await page.ScreenshotAsync("flow-6-replay-ended");
        page.AssertNoErrors();
    }

    /// <summary>The interleaving the flow above only sometimes meets, forced: the job is over before the page opens.</summary>
    [Fact]
    public async Task A_trainer_page_opened_after_its_job_finished_still_receives_every_iterations_progress()
    {
        var (fighterId, _) = await FighterAsync("viper-vance.glb");
        var job = await web.PostJsonAsync("/api/training-jobs", new { fighter_id = fighterId, profile_name = $"late-{Guid.NewGuid():N}"[..13], total_steps = 3 * 8192, seed = 2, execute = true });
        long jobId = (long)job["id"]!;
        var deadline = DateTime.UtcNow.AddMinutes(4);
        while ((string)(await web.GetJsonAsync($"/api/training-jobs/{jobId}"))["status"]! != "completed")
        {
            Assert.True(DateTime.UtcNow < deadline, "the job did not complete");
            await Task.Delay(250);
        }

        await using var page = await PagesSite.OpenAsync(web, $"/trainer.html?job={jobId}");
        var p = page.Page;
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.progressReceived.length >= 3", null, new() { Timeout = 30_000 });
        var received = (await page.EvalAsync<JsonElement>("() => window.ringsidePages.state.progressReceived")).EnumerateArray().Select(v => v.GetDouble()).ToList();
        Assert.Equal(new[] { 100 / 3.0, 200 / 3.0, 100 }, received, (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.Equal("100%", await p.Locator("#percent").TextContentAsync());
        Assert.Equal("completed", await p.Locator("#job-status .badge").TextContentAsync());
        Assert.Equal(3, (await PagesSite.DatasetAsync(page, "trainer.reward", "reward")).Length);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_running_job_is_spectated_with_its_live_decisions_and_then_cancelled()
    {
        var (fighterId, _) = await FighterAsync("rocket-ray.glb");
        await using var page = await PagesSite.OpenAsync(web, "/trainer.html", 1000, 720);
        var p = page.Page;
        await p.Locator("#fighter").SelectOptionAsync(fighterId.ToString());
        await p.Locator("#profile-name").FillAsync($"watched-{Guid.NewGuid():N}"[..14]);
        await p.Locator("#budget-unit").SelectOptionAsync("epochs");
        await p.Locator("#budget").FillAsync("100"); // 210 M steps: many minutes of work, cancelled long before the end
        await p.Locator("#train").ClickAsync();
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.job && window.ringsidePages.state.job.status === 'running'", null, new() { Timeout = 300_000 });
        long jobId = await page.EvalAsync<long>("() => window.ringsidePages.state.job.id");

        // Spectate: matches of the job's latest checkpoint against a bot (after a 409 while it has none yet).
        await p.Locator("#spectate").ClickAsync();
        await p.Locator("#spectate-card").WaitForAsync(new() { State = WaitForSelectorState.Visible });
        // (The first checkpoint comes after two iterations of training: minutes on a slow, busy machine.)
        await p.WaitForFunctionAsync("() => { const s = window.ringsidePages.spectator; return s.matches.length > 0 && s.client && s.client.received > 30; }", null, new() { Timeout = 300_000 });
        var info = await page.EvalAsync<JsonElement>("() => window.ringsidePages.spectator.client.info.fighters");
        Assert.Equal("training_job", info[0].GetProperty("controller").GetString());
        Assert.Equal(fighterId, info[0].GetProperty("fighter_id").GetInt64());
        Assert.Equal("bot", info[1].GetProperty("controller").GetString());

        // The decision panel shows the session's bot_decision: each action's probability, the value, the action.
        await p.WaitForFunctionAsync("() => window.ringsidePages.spectator.decisions > 0", null, new() { Timeout = 300_000 });
        // (One snapshot of the message and the panel: a new decision may arrive at any moment.)
        var snap = await page.EvalAsync<JsonElement>("""
            () => ({ d: window.ringsidePages.spectator.lastDecision, value: document.querySelector('#decision-value').textContent,
                     chosen: document.querySelectorAll('#decision-bars .fill.chosen').length,
                     bars: Object.fromEntries([...document.querySelectorAll('#decision-bars [data-action]')].map(b => [b.dataset.action, b.querySelector('.num').textContent])) })
            """);
        var decision = snap.GetProperty("d");
        foreach (var a in decision.GetProperty("action_probabilities").EnumerateObject().Where(a => !a.Name.StartsWith('$'))) // ("$id": Playwright's)
            PagesSite.AssertShown(a.Value.GetDouble(), snap.GetProperty("bars").GetProperty(a.Name).GetString(), 1, scale: 100);
        PagesSite.AssertShown(decision.GetProperty("state_values").GetDouble(), snap.GetProperty("value").GetString(), 3);
        Assert.Equal(1, snap.GetProperty("chosen").GetInt32());
        await page.ScreenshotAsync("flow-trainer-spectating");

        // Cancel: the job stops at its next iteration and the page says so.
        await p.Locator("#cancel").ClickAsync();
        await p.WaitForFunctionAsync("() => window.ringsidePages.state.job.status === 'cancelled'", null, new() { Timeout = 300_000 });
        Assert.Equal("cancelled", (string)(await web.GetJsonAsync($"/api/training-jobs/{jobId}"))["status"]!);
        await p.WaitForFunctionAsync("() => document.querySelector('#cancel').disabled && document.querySelector('#job-message').textContent.startsWith('Cancelled')",
            null, new() { Timeout = 10_000 });
        Assert.Equal("cancelled", await p.Locator("#job-status .badge").TextContentAsync());
        // A job that has no checkpoint yet answers 409 to the spectator, which waits and tries again: expected.
        PagesSite.AssertNoErrorsExcept(page, $"HTTP 409: {web.BaseUrl}/api/matches", "status of 409");
    }
}
