using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.TestHost;

namespace Ringside.Server.Tests;

/// <summary>Training sessions and their history are stored (seed 003): a restarted server has them, on SQLite and PostgreSQL.</summary>
public sealed class SessionRestartTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Sessions_their_history_and_their_rooms_survive_a_restart(bool postgres)
    {
        string dir = Directory.CreateTempSubdirectory("ringside-sessions-").FullName;
        var settings = new Dictionary<string, string?>();
        if (postgres)
        {
            settings["Ringside:Database:Provider"] = "postgres";
            settings["Ringside:Database:ConnectionString"] = Postgres.NewDatabase();
        }
        try
        {
            string code, password;
            using (var first = new RingsideFactory(settings, dir))
            {
                var client = first.CreateClient();
                await client.PostJson("/api/training/sessions", new { session_id = "kept", training_id = "run-1", algorithm = "PPO", total_episodes = 50 });
                for (int e = 1; e <= 5; e++)
                    await client.PostJson("/api/training/sessions/kept/metrics", new { episode = e, current_reward = e * 1.5 }, status: 202);
                await (await client.PutAsJsonAsync("/api/training/sessions/kept", new { status = "paused", total_episodes = 60 })).Json200();
                var room = await client.PostJson("/api/training/sessions", new { session_id = "room", password_protected = true });
                (code, password) = ((string)room["room_code"]!, (string)room["room_password"]!);
                await client.PostJson("/api/training/sessions", new { session_id = "gone" });
                Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/api/training/sessions/gone")).StatusCode);
            } // stopping the server writes what is still queued

            using var second = new RingsideFactory(settings, dir);
            var again = second.CreateClient();
            var kept = await again.GetJson("/api/training/sessions/kept");
            Assert.Equal(("run-1", "paused", 60L), ((string)kept["training_id"]!, (string)kept["status"]!, (long)kept["total_episodes"]!));
            var history = (await again.GetJson("/api/training/sessions/kept/history"))["messages"]!.AsArray();
            Assert.Equal([1, 2, 3, 4, 5, 6], history.Select(m => (int)m!["sequence"]!));
            Assert.Equal(Enumerable.Repeat("training_metrics", 5).Append("training_status"), history.Select(m => (string)m!["type"]!));
            Assert.Equal([1.5, 3.0, 4.5, 6.0, 7.5], history.Take(5).Select(m => (double)m!["data"]!["current_reward"]!));
            Assert.Equal([1, 2, 3, 4, 5], history.Take(5).Select(m => (int)m!["episode"]!));
            // Publishing goes on from the stored sequence.
            var next = await again.PostJson("/api/training/sessions/kept/metrics", new { episode = 6, current_reward = 9.0 }, status: 202);
            Assert.Equal(7, (int)next["sequence"]!);
            await (await again.GetAsync("/api/training/sessions/gone")).Problem(404, "session_id");

            // The room still answers to its code and its password, and only to them.
            var ws = second.Server.CreateWebSocketClient();
            using var socket = await ws.ConnectAsync(new Uri(second.Server.BaseAddress, $"/ws/{code}?password={password}"), CancellationToken.None);
            Assert.Equal("room", (string)(await socket.ReceiveJson())!["session_id"]!);
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => ws.ConnectAsync(new Uri(second.Server.BaseAddress, $"/ws/{code}?password=wrong"), CancellationToken.None));
            Assert.Contains("403", refused.Message);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
