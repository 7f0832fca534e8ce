using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Ringside.Assets;
using Xunit.Abstractions;

namespace Ringside.Web.Tests;

/// <summary>POST /api/fighters/upload: a good GLB joins the roster and is served; a bad one gets a problem naming the field and stores nothing.</summary>
[Collection("web")]
public sealed class UploadTests(WebFixture web, ITestOutputHelper output)
{
    private static MultipartFormDataContent Form(byte[]? file, string fileName = "model.glb", params (string Key, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        if (file is not null)
        {
            var content = new ByteArrayContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("model/gltf-binary");
            form.Add(content, "file", fileName);
        }
        foreach (var (key, value) in fields) form.Add(new StringContent(value), key);
        return form;
    }

    private string FightersDir => Path.Combine(web.DataDir, "fighters");

    private async Task<(int Fighters, string[] Files)> Snapshot() =>
        ((await web.GetJsonAsync("/api/fighters")).AsArray().Count, Directory.GetFiles(FightersDir).Order().ToArray());

    [Fact]
    public async Task A_valid_glb_is_stored_registered_with_its_size_and_speed_and_served_as_model_gltf_binary()
    {
        byte[] glb = Glb.Roster("rocket-ray");
        var response = await web.Http.PostAsync("/api/fighters/upload", Form(glb, "champ.glb", ("name", "Upload Champ"), ("size", "1.2"), ("speed", "0.9")));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var fighter = JsonNode.Parse(text)!;
        Assert.Equal("Upload Champ", (string)fighter["name"]!);
        Assert.Equal("upload-champ.glb", (string)fighter["glb_filename"]!);
        Assert.Equal(1.2, (double)fighter["metadata_json"]!["size"]!);
        Assert.Equal(0.9, (double)fighter["metadata_json"]!["speed"]!);
        Assert.Equal($"/api/fighters/{fighter["id"]}", response.Headers.Location?.OriginalString);

        var served = await web.Http.GetAsync("/fighters/upload-champ.glb");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal("model/gltf-binary", served.Content.Headers.ContentType?.MediaType);
        Assert.Equal(glb, await served.Content.ReadAsByteArrayAsync());
        Assert.Contains((await web.GetJsonAsync("/api/fighters")).AsArray(), f => (long)f!["id"]! == (long)fighter["id"]!);

        // The same name again gets a file of its own; size and speed default to 1.
        var again = await web.Http.PostAsync("/api/fighters/upload", Form(glb, "champ.glb", ("name", "Upload Champ")));
        var second = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal("upload-champ-2.glb", (string)second["glb_filename"]!);
        Assert.Equal(1.0, (double)second["metadata_json"]!["size"]!);
    }

    public static TheoryData<string, string> BadUploads => new()
    {
        { "bad magic", "file" }, { "version 1", "file" }, { "not json", "file" }, { "no file", "file" }, { "too large", "file" },
        { "size 3", "size" }, { "speed abc", "speed" }, { "long name", "name" },
    };

    [Theory]
    [MemberData(nameof(BadUploads))]
    public async Task A_bad_upload_gets_a_problem_naming_the_field_and_stores_nothing(string what, string field)
    {
        byte[] good = Glb.Roster("viper-vance");
        byte[] bytes = (byte[])good.Clone();
        var fields = new List<(string, string)> { ("name", "Bad " + what) };
        switch (what)
        {
            case "bad magic": bytes[0] = (byte)'X'; break;
            case "version 1": bytes[4] = 1; break;
            case "not json": bytes[20] = (byte)'!'; break;
            case "too large": bytes = new byte[17 * 1024 * 1024]; good.CopyTo(bytes, 0); break;
            case "size 3": fields.Add(("size", "3")); break;
            case "speed abc": fields.Add(("speed", "abc")); break;
            case "long name": fields[0] = ("name", new string('x', 101)); break;
        }
        var before = await Snapshot();
        var response = await web.Http.PostAsync("/api/fighters/upload", Form(what == "no file" ? null : bytes, "bad.glb", [.. fields]));
        string text = await response.Content.ReadAsStringAsync();
        output.WriteLine(text);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.True(problem["errors"]?[field] is JsonArray { Count: > 0 }, $"the problem does not name '{field}': {text}");
        var after = await Snapshot();
        Assert.Equal(before.Fighters, after.Fighters);
        Assert.Equal(before.Files, after.Files);
    }

    [Fact]
    public async Task An_upload_in_centimetres_without_our_clip_names_joins_the_roster_from_the_modal_and_is_drawn_with_a_fallback()
    {
        await using var page = await web.OpenAsync();
        await page.Page.Locator("details.upload summary").ClickAsync();
        await page.Page.Locator("#upload-form input[name=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "cm-fighter.glb",
            MimeType = "model/gltf-binary",
            Buffer = Glb.Foreign("golden-titan"),
        });
        await page.Page.Locator("#upload-form input[name=name]").FillAsync("Centimetre Carl");
        await page.Page.Locator("#upload-form input[name=size]").FillAsync("1.3");
        await page.Page.Locator("#upload-form button[type=submit]").ClickAsync();
        await page.Page.Locator("#upload-status").GetByText("Centimetre Carl joined the roster.").WaitForAsync();
        var item = page.Page.Locator("#roster-list .roster-item", new() { HasText = "Centimetre Carl" });
        await item.WaitForAsync();

        // A bad file in the same form: the problem's message is shown, the roster does not change.
        int rosterBefore = await page.Page.Locator("#roster-list .roster-item").CountAsync();
        await page.Page.Locator("#upload-form input[name=file]").SetInputFilesAsync(new FilePayload { Name = "junk.glb", MimeType = "model/gltf-binary", Buffer = "not a model"u8.ToArray() });
        await page.Page.Locator("#upload-form button[type=submit]").ClickAsync();
        await page.Page.Locator("#upload-status.error").WaitForAsync();
        Assert.Contains("file:", await page.Page.Locator("#upload-status").TextContentAsync());
        Assert.Equal(rosterBefore, await page.Page.Locator("#roster-list .roster-item").CountAsync());

        // On stage with a roster fighter: scaled to 1.8 m × 1.3, every clip from the fallback, drawn.
        var fighters = (await web.GetJsonAsync("/api/fighters")).AsArray();
        long carl = (long)fighters.Single(f => (string)f!["name"]! == "Centimetre Carl")!["id"]!;
        long ray = (long)fighters.Single(f => (string)f!["glb_filename"]! == "rocket-ray.glb")!["id"]!;
        await page.EvalAsync<int>("ids => window.ringside.preview(ids)", new[] { ray, carl });
        await page.CloseModalAsync();
        await page.EvalAsync<object>("() => { window.ringside.pause(); window.ringside.setPreset('broadcast'); window.ringside.renderOnce(0.3); }");
        await page.ScreenshotAsync("arena-uploaded-fighter");
        var onScreen = await page.FightersAsync();
        var c = onScreen.Single(f => f.FighterId == carl);
        Assert.Equal(["idle", "walk", "attack", "hit", "knockout", "victory"], c.Fallback);
        Assert.InRange(c.Scale, 0.98 * 1.3 / (1.6 * 100), 1.02 * 1.3 / (1.6 * 100)); // golden-titan is 1.6 × 1.8 m, here 100× that
        var r = onScreen.Single(f => f.FighterId == ray);
        Assert.Empty(r.Fallback);
        Assert.Equal(1.0, r.Scale);
        Assert.InRange(c.Screen.Height / r.Screen.Height, 1.1, 1.6); // 1.3 m-per-size against 1.0, seen from about the same distance

        await page.EvalAsync<object>("() => window.ringside.showHud(false)");
        var shown = Png.Decode(await page.ScreenshotBytesAsync());
        await page.EvalAsync<object>("s => { window.ringside.setFighterVisible(s, false); window.ringside.renderOnce(0); }", c.Slot);
        var hidden = Png.Decode(await page.ScreenshotBytesAsync());
        var (changed, inColour, total) = ArenaPageTests.Compare(shown, hidden, c.Screen, DefaultRoster.Find("golden-titan")!.Outfit);
        Assert.True(changed > total * 0.12, $"the uploaded fighter is not drawn: {changed}/{total}");
        Assert.True(inColour > 0, "the uploaded fighter's outfit colour does not show");

        // The procedural fallback moves it: a knockout lays it down.
        await page.EvalAsync<object>("s => { window.ringside.setFighterVisible(s, true); }", c.Slot);
        double before = await page.EvalAsync<double>("s => window.ringside.fighters()[s].screen.height", c.Slot);
        await page.EvalAsync<object>("""
            s => { const r = window.ringside; r.knockOut(s); for (let i = 0; i < 30; i++) r.renderOnce(1 / 30); }
            """, c.Slot);
        double after = await page.EvalAsync<double>("s => window.ringside.fighters()[s].screen.height", c.Slot);
        Assert.True(after < before * 0.75, $"the fallback knockout should lay the fighter down: screen height {before:F0} → {after:F0}");
        // The refused upload's 400, on purpose: the browser reports it whenever it gets to it, so it is let through here, at the end.
        PagesSite.AssertNoErrorsExcept(page, "HTTP 400: " + web.BaseUrl + "/api/fighters/upload", "status of 400");
    }
}
