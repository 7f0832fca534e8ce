using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Playwright;
using Ringside.Server;

namespace Ringside.Web.Tests;

/// <summary>The pages on a server that closes reads (RequireApiKey=always): they ask for a key once and then work, WebSockets included.</summary>
[Collection("web")]
public sealed class KeyTests(WebFixture web)
{
    private const string Key = "rk_web_test_key_0123456789abcdefghijklmnopqrstuvwxyz";

    [Fact]
    public async Task On_a_server_that_closes_reads_the_pages_ask_for_a_key_once_and_then_read_and_watch_with_it()
    {
        string dataDir = Directory.CreateTempSubdirectory("ringside-web-keys-").FullName;
        var app = RingsideServer.Build(["--urls", "http://127.0.0.1:0", "--data", dataDir], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ringside:Security:RequireApiKey"] = "always",
            ["Ringside:Security:ApiKey"] = Key,
            ["Ringside:Training:RunWorker"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
        }));
        await app.StartAsync();
        try
        {
            string baseUrl = app.Urls.First().TrimEnd('/');
            using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            var created = await (await http.PostAsJsonAsync("/api/training/sessions", new { training_id = "keyed" })).Content.ReadFromJsonAsync<JsonObject>();
            string session = (string)created!["session_id"]!;

            var context = await web.Browser.NewContextAsync();
            await using var page = await ArenaPage.NewAsync(web, context);
            int asked = 0;
            page.Page.Dialog += async (_, dialog) => { asked++; await dialog.AcceptAsync(Key); };
            await page.Page.GotoAsync(baseUrl + "/index.html");
            await PagesSite.WaitReadyAsync(page.Page);
            await page.Page.WaitForFunctionAsync("() => document.querySelectorAll('#tiles > *').length > 0", null, new() { Timeout = 30_000 });
            Assert.Equal(1, asked); // both of the menu's first requests got a 401; one prompt, then both went again with the key
            Assert.Equal(Key, await page.EvalAsync<string>("() => localStorage.getItem('ringside.apiKey')"));

            // A WebSocket cannot carry headers from a page: the key goes as a subprotocol, which the server accepts.
            string status = await page.EvalAsync<string>("""
                async session => {
                  const { openSocket } = await import('/js/api.js');
                  const socket = openSocket(`ws://${location.host}/ws/${session}`);
                  const first = await new Promise((resolve, reject) => {
                    socket.addEventListener('message', e => resolve(JSON.parse(e.data)));
                    socket.addEventListener('close', e => reject(new Error(`closed ${e.code}`)));
                  });
                  const protocol = socket.protocol;
                  socket.close();
                  return `${first.type} ${first.data.status} ${protocol}`;
                }
                """, session);
            Assert.Equal("connection_status connected ringside", status);
            PagesSite.AssertNoErrorsExcept(page, "HTTP 401", "status of 401"); // the first answers, before the key
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }
}
