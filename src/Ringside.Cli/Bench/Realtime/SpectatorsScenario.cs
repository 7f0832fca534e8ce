using Microsoft.Extensions.DependencyInjection;
using Ringside.Server.Realtime;
using static Ringside.Cli.Bench.Realtime.BenchRealtimeCommand;

namespace Ringside.Cli.Bench.Realtime;

/// <summary>
/// The spectators and stalled scenarios: one training session, its reading spectators (and, for stalled, clients that
/// never read), metrics published at --rate; every reader is checked for loss, order and latency.
/// </summary>
internal static class SpectatorsScenario
{
    public static async Task<SpectatorsResult> RunAsync(BenchServer server, BenchApi api, Settings s, int stalledClients)
    {
        // Setup: a session, and everyone connected to it before the first message.
        string label = stalledClients == 0 ? "spectators" : "stalled";
        string sessionId = await CreateSessionAsync(api, label);
        int capacity = Capacity(s, stalledClients);
        var audience = await Audience.ConnectAsync(api, server.Url, sessionId, s, stalledClients, capacity, label);

        // Load: publish through the warm-up, the measured window and, with stalled clients, until the server dropped them.
        var publication = new Publication(s, capacity, stalledClients, label);
        audience.WatchStalled(api, sessionId, publication);
        var direct = s.Publish == "direct" ? server.App!.Services.GetRequiredService<TrainingSessions>() : null;
        await publication.RunAsync(api, sessionId, direct, audience);

        // Measure: what every reader got against what was published.
        var stalled = await audience.FinishAsync(publication.AcceptedCount);
        var tally = Tally.Count(audience.Readers, publication);

        // Report
        return Report(s, stalledClients, audience, publication, stalled, tally);
    }

    private static async Task<string> CreateSessionAsync(BenchApi api, string label)
    {
        var created = await api.SendAsync(HttpMethod.Post, "api/training/sessions",
            $$"""{"training_id":"bench realtime {{label}}","algorithm":"PPO","total_episodes":1000000}""");
        if (!created.Ok) throw new BenchException($"could not create a training session: {created.Describe()}");
        return created.Property("session_id").GetString()!;
    }

    /// <summary>Every reader against what was published: each accepted message once, in order, nothing else.</summary>
    private sealed record Tally(long[] Received, long Lost, long Duplicates, long Reordered, long Gaps, long Unexpected)
    {
        public static Tally Count(Spectator[] readers, Publication publication)
        {
            long lost = 0, duplicates = 0, reordered = 0, gaps = 0, unexpected = 0;
            var received = new long[readers.Length];
            for (int i = 0; i < readers.Length; i++)
            {
                var r = readers[i];
                for (int n = 0; n < publication.Published; n++)
                {
                    bool got = r.ReceivedAt[n] != 0, accepted = publication.Accepted[n];
                    if (accepted && got) received[i]++;
                    else if (accepted) lost++;
                    else if (got) unexpected++;
                }
                duplicates += r.Duplicates;
                reordered += r.Reordered;
                gaps += r.SequenceGaps;
                unexpected += r.OutOfRange;
            }
            return new Tally(received, lost, duplicates, reordered, gaps, unexpected);
        }
    }

    private static SpectatorsResult Report(Settings s, int stalledClients, Audience audience, Publication p, StalledClient[] stalled, Tally tally)
    {
        var readers = audience.Readers;
        int published = p.Published, acceptedCount = p.AcceptedCount, measuredEnd = Math.Min(p.MeasuredTo, published);
        var latency = p.Latencies(readers, p.MeasuredFrom, measuredEnd, fanout: false);
        var fanout = p.Latencies(readers, p.MeasuredFrom, measuredEnd, fanout: true);
        AfterWindow? after = null;
        if (stalledClients > 0 && published > p.MeasuredTo)
            after = new AfterWindow(s.StallRate, Ticks.Seconds(p.End - p.WindowEndTicks), p.Accepted.AsSpan(p.MeasuredTo, published - p.MeasuredTo).Count(true),
                p.Latencies(readers, p.MeasuredTo, published, fanout: false), p.Latencies(readers, p.MeasuredTo, published, fanout: true),
                stalled.FirstOrDefault(x => x.ClosedAfterSeconds is not null)?.ClosedAfterSeconds is { } close
                    ? p.Latencies(readers, p.FirstSentAfter(close - 3), p.FirstSentAfter(close + 2), fanout: false) : null);
        int measured = p.Accepted.AsSpan(p.MeasuredFrom, Math.Max(0, measuredEnd - p.MeasuredFrom)).Count(true);
        double measuredRate = p.MeasuredTo <= published && p.MeasuredTo - 1 > p.MeasuredFrom
            ? (p.MeasuredTo - 1 - p.MeasuredFrom) / Ticks.Seconds(p.SentAt[p.MeasuredTo - 1] - p.SentAt[p.MeasuredFrom]) : double.NaN;
        string[] errors = readers.Select(r => r.Error).Where(e => e is not null).Take(3).Select(e => e!)
            .Concat(p.FirstError is null ? [] : [$"publishing: {p.FirstError}"]).ToArray();
        int disconnected = readers.Count(r => r.LostEarly);
        // The target is about the readers; whether the server got round to closing the stalled clients is reported beside it.
        bool meets = s.Spectators >= SpectatorsTarget && s.Rate >= RateTarget && tally.Lost == 0 && tally.Reordered == 0 && tally.Duplicates == 0
                     && tally.Gaps == 0 && p.Errors == 0 && disconnected == 0 && measuredRate >= 0.98 * s.Rate;
        string target = $"{SpectatorsTarget} spectators at {RateTarget:0} messages/s: every message to every reader, in order" +
                        (stalledClients > 0 ? ", with the stalled clients among them" : "");
        double messageBytes = readers.Sum(r => r.Received) is > 0 and var total ? readers.Sum(r => r.Bytes) / (double)total : double.NaN;
        var received = tally.Received;
        return new SpectatorsResult(s.Publish, s.Spectators, stalledClients, s.Rate, p.WarmupSeconds, p.JitSettled, s.Seconds, audience.ConnectSeconds,
            messageBytes, acceptedCount, p.Errors, measured, measuredRate, Ticks.Seconds(p.End - p.Start), received.Min(), received.Average(),
            received.Count(x => x == acceptedCount), tally.Lost, tally.Reordered, tally.Duplicates, tally.Gaps, tally.Unexpected, disconnected, errors,
            latency, fanout, p.PublishLatency, ProcessUse.Of(p.WindowEnd - p.WindowStart), after, stalled, stalled.All(x => x.ClosedByServer), target, meets);
    }
}
