using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Ringside.Web.Tests;

/// <summary>Live matches of the real server, chosen in the assignment modal and watched (or played) in the page.</summary>
[Collection("web")]
public sealed class LiveMatchTests(WebFixture web, ITestOutputHelper output)
{
    /// <summary>Empties the battle card, then adds these fighters (by GLB file) with these controllers.</summary>
    private static async Task AssignAsync(ArenaPage page, JsonElement fighters, params (string File, string Control)[] slots)
    {
        var p = page.Page;
        while (await p.Locator("#slot-list .slot-remove").CountAsync() > 0) await p.Locator("#slot-list .slot-remove").First.ClickAsync();
        for (int i = 0; i < slots.Length; i++)
        {
            long id = fighters.EnumerateArray().Single(f => f.GetProperty("glb_filename").GetString() == slots[i].File).GetProperty("id").GetInt64();
            await p.Locator($"#roster-list .roster-item[data-fighter-id='{id}'] button").ClickAsync();
            await p.Locator($"#slot-list .slot-row[data-slot='{i}'] select").SelectOptionAsync(slots[i].Control);
        }
    }

    private static async Task<JsonElement> LastStateAsync(ArenaPage page) =>
        await page.EvalAsync<JsonElement>("() => window.ringside.match && window.ringside.match.lastState");

    [Fact]
    public async Task A_trained_profile_against_a_bot_chosen_in_the_modal_ends_with_a_winner_shown()
    {
        var (fighterId, profile) = await web.TrainedProfileAsync();
        await using var page = await web.OpenAsync(pause: false);
        var fighters = JsonDocument.Parse((await web.GetJsonAsync("/api/fighters")).ToJsonString()).RootElement;

        await AssignAsync(page, fighters, ("the-brawler.glb", $"profile:{profile}"), ("rocket-ray.glb", "bot:chaser"));
        // The profile's personality and model are shown on its slot.
        var detail = page.Page.Locator("#slot-list .slot-row[data-slot='0'] .slot-detail");
        Assert.Equal(5, await detail.Locator(".trait").CountAsync());
        string text = await detail.TextContentAsync() ?? "";
        Assert.Contains("AGG 85", text);
        Assert.Contains("model v", text);
        await page.Page.Locator("#max-seconds").SelectOptionAsync("30");
        await page.ScreenshotAsync("modal-profile-vs-bot");
        await page.Page.Locator("#start-battle").ClickAsync();

        await page.Page.WaitForFunctionAsync("() => window.ringside.match && window.ringside.match.received > 60", null, new() { Timeout = 30_000 });
        await page.ScreenshotAsync("live-profile-vs-bot");
        await page.Page.Locator("#result").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 90_000 });
        await page.ScreenshotAsync("live-profile-vs-bot-result");

        long matchId = await page.EvalAsync<long>("() => window.ringside.match.id");
        var record = await web.GetJsonAsync($"/api/matches/{matchId}");
        output.WriteLine(record.ToJsonString());
        int winnerSlot = (int)record["winner_slot"]!;
        Assert.InRange(winnerSlot, 0, 1);
        string expected = winnerSlot == 0 ? "The Brawler" : "Rocket Ray";
        Assert.Equal(expected, await page.Page.Locator("#result-winner").TextContentAsync());
        Assert.Equal("VICTORY", await page.Page.Locator("#banner .banner-title").TextContentAsync());
        Assert.Contains(expected, await page.Page.Locator("#banner .banner-sub").TextContentAsync());
        string? replay = await page.Page.Locator("#watch-replay").GetAttributeAsync("href");
        if (record["replay_id"] is { } replayId) Assert.Equal($"/replay.html?id={replayId}", replay);
        Assert.True(await page.Page.Locator("#rematch").IsVisibleAsync());

        // The page drew the streamed match: two fighters on stage, health bars from the stream.
        var onScreen = await page.FightersAsync();
        Assert.Equal(2, onScreen.Length);
        Assert.Contains(onScreen, f => !f.Alive || f.Health < 100);
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_humans_key_presses_move_the_humans_fighter_relative_to_the_camera()
    {
        await using var page = await web.OpenAsync(pause: false);
        var fighters = JsonDocument.Parse((await web.GetJsonAsync("/api/fighters")).ToJsonString()).RootElement;
        await AssignAsync(page, fighters, ("rocket-ray.glb", "human"), ("big-bertha.glb", "bot:idle"));
        await page.Page.Locator("#start-battle").ClickAsync();
        await page.Page.WaitForFunctionAsync("() => window.ringside.match && window.ringside.match.lastState && window.ringside.match.you.length === 1",
            null, new() { Timeout = 30_000 });
        Assert.Equal(0, await page.EvalAsync<int>("() => window.ringside.match.you[0]"));
        Assert.Equal("broadcast", await page.EvalAsync<string>("() => window.ringside.stage.preset"));

        // With the broadcast camera (south of the ring, looking north): D/→ is east (+x), W/↑ north (+y).
        // Move away from the opponent so that nothing is in the way.
        var start = await LastStateAsync(page);
        var (me, them) = (Fighter(start, 0), Fighter(start, 1));
        string horizontal = them.X > me.X ? "KeyA" : "KeyD";
        double sign = horizontal == "KeyD" ? 1 : -1;
        var moved = await HoldAsync(page, horizontal, me);
        output.WriteLine($"{horizontal}: ({me.X:F2}, {me.Y:F2}) → ({moved.X:F2}, {moved.Y:F2})");
        Assert.True(sign * (moved.X - me.X) > 1.0, $"{horizontal} should move the fighter {(sign > 0 ? "east" : "west")}: x {me.X:F2} → {moved.X:F2}");
        Assert.True(Math.Abs(moved.Y - me.Y) < 0.4, $"{horizontal} should not move it north or south: y {me.Y:F2} → {moved.Y:F2}");

        them = Fighter(await LastStateAsync(page), 1);
        string vertical = them.Y > moved.Y ? "ArrowDown" : "ArrowUp";
        double vsign = vertical == "ArrowUp" ? 1 : -1;
        var moved2 = await HoldAsync(page, vertical, moved);
        output.WriteLine($"{vertical}: ({moved.X:F2}, {moved.Y:F2}) → ({moved2.X:F2}, {moved2.Y:F2})");
        Assert.True(vsign * (moved2.Y - moved.Y) > 1.0, $"{vertical} should move the fighter {(vsign > 0 ? "north" : "south")}: y {moved.Y:F2} → {moved2.Y:F2}");
        Assert.True(Math.Abs(moved2.X - moved.X) < 0.4, $"{vertical} should not move it east or west: x {moved.X:F2} → {moved2.X:F2}");

        // Released: idle (8) holds on the server and the fighter stops (over half a second of match time). Space: attack (9).
        var rest = await SettledAsync(page);
        await TicksAsync(page, 15);
        var still = Fighter(await LastStateAsync(page), 0);
        Assert.True(Math.Abs(still.X - rest.X) + Math.Abs(still.Y - rest.Y) < 0.05, "the fighter should stand still once the keys are released");
        await page.Page.Keyboard.DownAsync("Space");
        await page.Page.WaitForFunctionAsync("() => window.ringside.match.lastState.fighters[0].action === 9", null, new() { Timeout = 60_000 });
        await page.Page.Keyboard.UpAsync("Space");
        await page.ScreenshotAsync("live-human");
        page.AssertNoErrors();
    }

    [Fact]
    public async Task A_spectator_sees_a_free_for_all_with_hits_knockouts_and_the_victory()
    {
        // Four chasers, created through the API and watched with arena.html?match=ID.
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray();
        var created = await web.PostJsonAsync("/api/matches", new
        {
            fighters = fighters.Take(4).Select(f => new { fighter_id = (long)f!["id"]!, controller = "bot", bot = "chaser" }).ToArray(),
            // It starts when the page has joined, not when created: the page sees it from the first tick, however slow to open.
            seed = 5,
            max_seconds = 90,
            wait_for_spectator = true,
        });
        long id = (long)created["id"]!;
        await using var page = await web.OpenAsync($"/arena.html?match={id}", 1280, 720, pause: false);
        output.WriteLine($"joined at tick {await page.EvalAsync<int>("() => window.ringside.match.lastState?.tick ?? -1")}");
        Assert.Equal(0, await page.Page.Locator("#assign[open]").CountAsync());
        await page.Page.WaitForFunctionAsync("() => window.ringside.shown.hits > 0", null, new() { Timeout = 60_000 });
        await page.Page.WaitForFunctionAsync("() => window.ringside.shown.knockouts > 0", null, new() { Timeout = 90_000 });
        await page.ScreenshotAsync("live-free-for-all-knockout");
        await page.Page.Locator("#result").WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 120_000 });
        await page.ScreenshotAsync("live-free-for-all-result");

        var shown = await page.EvalAsync<JsonElement>("() => window.ringside.shown");
        output.WriteLine(shown.ToString());
        var record = await web.GetJsonAsync($"/api/matches/{id}");
        output.WriteLine(record.ToJsonString());
        Assert.True(shown.GetProperty("popups").GetInt32() > 0, "hits should show popups");
        var banners = shown.GetProperty("banners").EnumerateArray().Select(b => b.GetString()).ToList();
        Assert.Equal("VICTORY", banners[^1]);
        Assert.Contains(banners, b => b is "KNOCKOUT!" or "RING OUT!");
        Assert.Equal(1, await page.EvalAsync<int>("() => window.ringside.fighters().filter(f => f.alive).length"));
        int winner = (int)record["winner_slot"]!;
        Assert.Equal(winner.ToString(), await page.Page.Locator("#result").GetAttributeAsync("data-winner-slot"));
        Assert.Equal("Spectating", await page.Page.Locator("#help").TextContentAsync());
        page.AssertNoErrors();
    }

    /// <summary>
    /// Holds the key until the server has moved the human's fighter 1.2 m from where it stood (whichever way: the caller
    /// checks the direction), then lets go and waits for it to stop. Held for a distance, not a time: how soon a key
    /// reaches the server depends on the machine.
    /// </summary>
    private static async Task<(double X, double Y)> HoldAsync(ArenaPage page, string key, (double X, double Y) from)
    {
        await page.Page.Keyboard.DownAsync(key);
        await page.Page.WaitForFunctionAsync(
            "([x, y]) => { const f = window.ringside.match.lastState.fighters.find(f => f.slot === 0); return Math.hypot(f.x - x, f.y - y) > 1.2; }",
            new[] { from.X, from.Y }, new() { Timeout = 60_000 });
        await page.Page.Keyboard.UpAsync(key);
        return await SettledAsync(page);
    }

    /// <summary>Where the human's fighter stands once idle (8) holds on the server and 15 ticks have let its velocity die out (friction 0.8 per tick).</summary>
    private static async Task<(double X, double Y)> SettledAsync(ArenaPage page)
    {
        await page.Page.WaitForFunctionAsync("() => window.ringside.match.lastState.fighters.find(f => f.slot === 0).action === 8", null, new() { Timeout = 60_000 });
        await TicksAsync(page, 15);
        return Fighter(await LastStateAsync(page), 0);
    }

    /// <summary>Waits for the stream to show this many more ticks of the match (match time, not the machine's).</summary>
    private static async Task TicksAsync(ArenaPage page, int ticks)
    {
        int now = await page.EvalAsync<int>("() => window.ringside.match.lastState.tick");
        await page.Page.WaitForFunctionAsync("t => window.ringside.match.lastState.tick >= t", now + ticks, new() { Timeout = 60_000 });
    }

    private static (double X, double Y) Fighter(JsonElement state, int slot)
    {
        var f = state.GetProperty("fighters").EnumerateArray().Single(x => x.GetProperty("slot").GetInt32() == slot);
        return (f.GetProperty("x").GetDouble(), f.GetProperty("y").GetDouble());
    }
}
