using System.Diagnostics;
using static Ringside.Cli.Bench.BenchApi;
using static Ringside.Cli.Bench.Server.BenchServerCommand;

namespace Ringside.Cli.Bench.Server;

/// <summary>
/// Concurrent writers (target: not one "database is locked"): each client loops through every kind of write, an
/// episode, its frames, its completion, a profile and the profile's update.
/// </summary>
internal static class WritersScenario
{
    private const int Frames = 50;

    public static async Task<WritersResult> RunAsync(BenchApi api, Settings s, long fighter, string run)
    {
        // Setup: the bodies that do not depend on an id, serialised before the clock starts.
        int clients = s.Concurrency ?? 16;
        Progress($"writers: {clients} clients (episode, {Frames} frames, complete, profile, profile update); warming up...");
        var bodies = FrameBodies.Build(Frames, seed: 3);
        byte[] episodeBody = Utf8($$"""{"fighter_id":{{fighter}}}""");
        byte[] completeBody = Utf8($$"""{"total_reward":12.5,"duration_frames":{{Frames}},"is_victory":true,"rank":1}""");
        byte[] updateBody = Utf8("""{"aggression":70,"win_rate":0.5,"total_episodes":1,"avg_reward":3.5}""");
        Uri episodes = api.Uri("api/episodes"), frameBatch = api.Uri("api/fight-frames/batch"), profiles = api.Uri("api/fighter-profiles");

        // Load: a loop counts when every write of it succeeded inside the window.
        var window = new MeasuredWindow();
        var usage = window.RunAsync(s, "writers");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 500);
        await Task.WhenAll(stats.Select((st, c) => Task.Run(async () =>
        {
            for (int n = 0; window.Open(Stopwatch.GetTimestamp()); n++)
            {
                bool ok = true;
                var created = await api.TimedAsync(HttpMethod.Post, episodes, episodeBody, st, window);
                if (created.Ok)
                {
                    long episode = created.Id();
                    var frameBody = bodies.For(episode);
                    ok &= (await api.TimedAsync(HttpMethod.Post, frameBatch, frameBody, st, window, 1, frameBody.Length)).Ok;
                    ok &= (await api.TimedAsync(HttpMethod.Patch, api.Uri($"api/episodes/{episode}"), completeBody, st, window)).Ok;
                }
                else ok = false;
                string name = $"bench-{run}-w{c}-{n}";
                byte[] profileBody = Utf8($$"""{"fighter_id":{{fighter}},"profile_name":"{{name}}","aggression":60,"training_mode":"aggression"}""");
                if ((await api.TimedAsync(HttpMethod.Post, profiles, profileBody, st, window)).Ok)
                    ok &= (await api.TimedAsync(HttpMethod.Patch, api.Uri($"api/fighter-profiles/{fighter}/{name}"), updateBody, st, window)).Ok;
                else ok = false;
                if (ok && window.Counts(Stopwatch.GetTimestamp())) st.Loops++;
                if (!ok) await Task.Delay(10);
            }
        })));

        // Measure
        var process = await usage;
        var t = Totals.Merge(stats);
        long loops = stats.Sum(x => x.Loops);

        // Report
        return new WritersResult(clients, window.WarmupSeconds, window.Seconds, t.Requests, loops, t.Requests / window.Seconds, loops / window.Seconds, t.Latency,
            t.Errors, t.Locked, t.Statuses, t.Samples, process,
            "no \"database is locked\" (or busy) and no non-2xx answer at 16 concurrent writers", t.Errors == 0 && t.Locked == 0 && clients >= 16);
    }
}
