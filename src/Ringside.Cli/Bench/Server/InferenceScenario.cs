using System.Diagnostics;
using System.Text.Json;
using Ringside.Sim;
using static Ringside.Cli.Bench.BenchApi;
using static Ringside.Cli.Bench.Server.BenchServerCommand;

namespace Ringside.Cli.Bench.Server;

/// <summary>
/// A profile's real network (target 5,000 requests/s with p99 under 5 ms at 32 clients): a real training job makes the
/// model, then the clients ask for decisions in closed loop, or in open loop at --rate.
/// </summary>
internal static class InferenceScenario
{
    public static async Task<InferenceResult> RunAsync(BenchApi api, Settings s, long fighter, string run)
    {
        // Setup: a trained profile and 16 observations per client.
        int clients = s.Concurrency ?? 32;
        string profile = $"bench-{run}";
        Progress($"inference: training a model for profile '{profile}' ({s.TrainSteps:N0} steps)...");
        var training = Stopwatch.StartNew();
        await TrainAsync(api, fighter, profile, s.TrainSteps);
        double trainingSeconds = training.Elapsed.TotalSeconds;
        var bodies = Observations(clients, profile);
        var uri = api.Uri($"api/fighters/{fighter}/inference");
        var first = await api.SendAsync(HttpMethod.Post, uri, bodies[0][0]);
        if (!first.Ok) throw new BenchException($"inference with the trained profile failed: {first.Describe()}");

        // Load
        string mode = s.Rate is { } r ? $"open loop at {r:0.#} requests/s" : "closed loop";
        Progress($"inference: trained in {trainingSeconds:0.0} s; {clients} clients, {mode}; warming up...");
        var window = new MeasuredWindow();
        var usage = window.RunAsync(s, "inference");
        var stats = ClientStats.Create(clients, s.Seconds, perClientPerSecond: 1000);
        await Task.WhenAll(stats.Select((st, c) => Task.Run(() => s.Rate is { } rate
            ? OpenLoopAsync(api, uri, bodies[c], st, window, c, clients, rate)
            : ClosedLoopAsync(api, uri, bodies[c], st, window))));

        // Measure
        var process = await usage;
        var t = Totals.Merge(stats);
        double rps = t.Requests / window.Seconds;
        bool throughput = s.Rate is { } target
            ? target >= InferenceRequestsPerSecondTarget && rps >= 0.99 * target // open loop: the server kept up with the rate
            : rps >= InferenceRequestsPerSecondTarget;
        bool latency = t.Latency.P99 < InferenceP99TargetMs;

        // Report
        return new InferenceResult(clients, s.Rate is null ? "closed_loop" : "open_loop", s.Rate, window.WarmupSeconds, window.Seconds, t.Requests, rps, t.Latency,
            t.Errors, t.Locked, t.Statuses, t.Samples, profile, s.TrainSteps, trainingSeconds, process,
            $">= {InferenceRequestsPerSecondTarget:0} requests/s with p99 < {InferenceP99TargetMs:0} ms at 32 clients, no errors",
            throughput, latency, throughput && latency && t.Errors == 0 && clients >= 32); // the target is stated at 32 clients
    }

    /// <summary>Each client's 16 request bodies: random observations for the profile.</summary>
    private static byte[][][] Observations(int clients, string profile)
    {
        var rng = new Random(2);
        var bodies = new byte[clients][][];
        for (int c = 0; c < clients; c++)
        {
            bodies[c] = new byte[16][];
            for (int k = 0; k < bodies[c].Length; k++)
            {
                var observation = string.Join(',', Enumerable.Range(0, Contract.ObservationSize).Select(_ => Number(rng.NextDouble() * 2 - 1)));
                bodies[c][k] = Utf8($$"""{"observation":[{{observation}}],"profile_name":"{{profile}}"}""");
            }
        }
        return bodies;
    }

    /// <summary>As many requests as the client can, one in flight.</summary>
    private static async Task ClosedLoopAsync(BenchApi api, Uri uri, byte[][] bodies, ClientStats st, MeasuredWindow window)
    {
        for (int k = 0; window.Open(Stopwatch.GetTimestamp()); k++)
            await api.TimedAsync(HttpMethod.Post, uri, bodies[k & 15], st, window);
    }

    /// <summary>
    /// Client <paramref name="c"/> sends at its own fixed times, offset so that the clients' sends interleave evenly. A client
    /// more than one period behind skips the sends it missed instead of catching up in a burst, so the rate never exceeds
    /// --rate and a server that cannot keep up shows as a lower achieved rate.
    /// </summary>
    private static async Task OpenLoopAsync(BenchApi api, Uri uri, byte[][] bodies, ClientStats st, MeasuredWindow window, int c, int clients, double rate)
    {
        long interval = (long)(Stopwatch.Frequency * clients / rate);
        long next = window.Start + interval * c / clients;
        for (int k = 0; next < window.End; k++, next += interval)
        {
            long wait = next - Stopwatch.GetTimestamp();
            if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(Ticks.Seconds(wait)));
            else if (-wait > interval) next = Stopwatch.GetTimestamp();
            await api.TimedAsync(HttpMethod.Post, uri, bodies[k & 15], st, window);
        }
    }

    /// <summary>Trains a profile with a real training job and waits until its model is stored.</summary>
    private static async Task TrainAsync(BenchApi api, long fighter, string profile, long steps)
    {
        var created = await api.SendAsync(HttpMethod.Post, "api/training-jobs",
            $$"""{"fighter_id":{{fighter}},"profile_name":"{{profile}}","total_steps":{{steps}},"seed":1,"execute":true}""");
        if (!created.Ok) throw new BenchException($"could not create the training job: {created.Describe()}");
        long job = created.Id();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var reply = await api.SendAsync(HttpMethod.Get, $"api/training-jobs/{job}", null);
            if (!reply.Ok) throw new BenchException($"could not read training job {job}: {reply.Describe()}");
            using var doc = JsonDocument.Parse(reply.Body);
            string status = doc.RootElement.GetProperty("status").GetString() ?? "";
            if (status == "completed") return;
            if (status is "failed" or "cancelled")
            {
                string why = doc.RootElement.TryGetProperty("error_message", out var e) && e.ValueKind == JsonValueKind.String ? $": {e.GetString()}" : "";
                throw new BenchException($"training job {job} {status}{why}");
            }
            if (deadline.Elapsed > TimeSpan.FromMinutes(30)) throw new BenchException($"training job {job} is still {status} after 30 minutes.");
            await Task.Delay(250);
        }
    }
}
