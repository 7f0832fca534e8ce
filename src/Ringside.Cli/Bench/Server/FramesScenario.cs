using System.Diagnostics;
using static Ringside.Cli.Bench.BenchApi;
using static Ringside.Cli.Bench.Server.BenchServerCommand;

namespace Ringside.Cli.Bench.Server;

/// <summary>
/// Batched frame ingestion (target 100,000 frames/s): each client posts an episode, then that episode's frames in one
/// batch, as a game does; a new episode per request lets the frame numbers repeat.
/// </summary>
internal static class FramesScenario
{
    public static async Task<FramesResult> RunAsync(BenchApi api, Settings s, long fighter)
    {
        // Setup: the bodies, serialised before the clock starts.
        int clients = s.Concurrency ?? 4;
        Progress($"frames: {clients} clients, {s.Batch} frames per request; warming up...");
        var bodies = FrameBodies.Build(s.Batch, seed: 1);
        byte[] episodeBody = Utf8($$"""{"fighter_id":{{fighter}}}""");
        Uri episodes = api.Uri("api/episodes"), frameBatch = api.Uri("api/fight-frames/batch");

        // Load: one request in flight per client, through the warm-up and the measured window.
        var window = new MeasuredWindow();
        var usage = window.RunAsync(s, "frames");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 200);
        var lastEpisode = new long[clients];
        await Task.WhenAll(stats.Select((st, i) => Task.Run(async () =>
        {
            var buffer = bodies.NewBuffer(); // one request in flight per client: its body buffer is free again after the answer
            while (window.Open(Stopwatch.GetTimestamp()))
            {
                var created = await api.SendAsync(HttpMethod.Post, episodes, episodeBody);
                if (!st.Check(created)) { await Task.Delay(10); continue; }
                if (window.Counts(Stopwatch.GetTimestamp())) st.EpisodeRequests++;
                long episode = created.Id();
                int length = bodies.Write(episode, buffer);
                if (await api.TimedAsync(HttpMethod.Post, frameBatch, buffer, st, window, items: s.Batch, length) is { Ok: true }) lastEpisode[i] = episode;
            }
        })));

        // Measure: the clients' counts, and the figures count 201 answers: make sure the frames are really there.
        var process = await usage;
        var t = Totals.Merge(stats);
        bool verified = false;
        if (lastEpisode.FirstOrDefault(e => e > 0) is var check and > 0)
        {
            var listed = await api.SendAsync(HttpMethod.Get, $"api/episodes/{check}/frames?limit=1", null);
            verified = listed.Ok && listed.TotalCount == s.Batch;
        }

        // Report
        double fps = t.Items / window.Seconds;
        return new FramesResult(clients, s.Batch, window.WarmupSeconds, window.Seconds, t.Requests, t.Items, fps, t.Requests / window.Seconds, t.Latency,
            stats.Sum(x => x.EpisodeRequests), t.Errors, t.Locked, t.Statuses, t.Samples, verified, process,
            $">= {FramesPerSecondTarget:0} frames/s with no errors", fps >= FramesPerSecondTarget && t.Errors == 0);
    }
}
