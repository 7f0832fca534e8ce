using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ringside.Server.Realtime;
using static Ringside.Cli.Bench.BenchApi;
using static Ringside.Cli.Bench.Realtime.BenchRealtimeCommand;

namespace Ringside.Cli.Bench.Realtime;

/// <summary>
/// The load of a spectator run: metrics messages published at --rate, message n due at start + n / rate, one in flight so
/// that the server's order is the episodes' order. The warm-up runs until the JIT settles (at least --warmup, at most
/// --max-warmup), then --seconds are measured; with stalled clients publishing goes on at --stall-rate until the server
/// has closed them (and two seconds more) or --stall-wait. Warm-up messages are checked for loss and order too.
/// </summary>
internal sealed class Publication(Settings s, int capacity, int stalledClients, string label)
{
    private readonly int _windowMessages = Math.Max(1, (int)Math.Round(s.Rate * s.Seconds));
    private readonly List<long> _latency = new(capacity);
    private readonly JitWatch _jit = new();
    private long _start, _closedTicks;
    private bool _windowOpened, _windowClosed;
    private int _published;

    public long Start => Volatile.Read(ref _start);
    public long End { get; private set; }
    /// <summary>Messages published so far (accepted or not): episodes 0 to Published - 1.</summary>
    public int Published => Volatile.Read(ref _published);
    public long[] SentAt { get; } = new long[capacity];
    public bool[] Accepted { get; } = new bool[capacity];
    public int AcceptedCount => Accepted.Count(a => a);
    public long Errors { get; private set; }
    public string? FirstError { get; private set; }

    /// <summary>The measured window: messages MeasuredFrom to MeasuredTo - 1, decided by the warm-up.</summary>
    public int MeasuredFrom { get; private set; } = -1;
    public int MeasuredTo { get; private set; } = int.MaxValue;
    public long WindowEndTicks { get; private set; }
    public ProcessSnapshot WindowStart { get; private set; }
    public ProcessSnapshot WindowEnd { get; private set; }
    public double WarmupSeconds { get; private set; }
    public bool JitSettled { get; private set; }
    public LatencyMs PublishLatency => LatencyMs.Of(_latency.ToArray());

    /// <summary>Publishes over HTTP as an outside trainer does, or straight into <paramref name="direct"/> (only the fan-out).</summary>
    public async Task RunAsync(BenchApi api, string sessionId, TrainingSessions? direct, Audience audience)
    {
        var session = direct is null ? null
            : direct.Find(sessionId) ?? throw new BenchException($"session {sessionId} is not in the server's TrainingSessions.");
        Progress($"{label}: publishing {s.Rate:0.#} messages/s over {(direct is null ? "HTTP" : "the in-process service")}: " +
                 $"{s.Warmup:0.#}-{s.MaxWarmup:0.#} s of warm-up (until the JIT settles), {s.Seconds:0.#} s measured{(stalledClients > 0 ? $", then {s.StallRate:0.#} messages/s until the stalled clients are closed (at most {s.StallWait:0.#} s more)" : "")}...");
        Volatile.Write(ref _start, Stopwatch.GetTimestamp());
        double interval = Stopwatch.Frequency / s.Rate, stallInterval = Stopwatch.Frequency / s.StallRate;
        for (int n = 0; n < capacity; n++)
        {
            long now = Stopwatch.GetTimestamp();
            if (!_windowOpened) OpenWindowOnceWarm(n, now);
            if (n == MeasuredTo)
            {
                CloseWindow(now);
                if (stalledClients == 0) break;
            }
            if (n > MeasuredTo && StallingOver(now, audience.StalledClosed)) break;
            long due = n <= MeasuredTo ? Start + (long)(n * interval) : WindowEndTicks + (long)((n - MeasuredTo) * stallInterval);
            if (due - now > 0) await Task.Delay(TimeSpan.FromSeconds(Ticks.Seconds(due - now)));
            await PublishAsync(api, sessionId, direct, session, n);
            Volatile.Write(ref _published, n + 1);
        }
        End = Stopwatch.GetTimestamp();
        // Neither can happen (the capacity covers the longest warm-up and the window), but a report must not read garbage.
        if (!_windowOpened) (MeasuredFrom, MeasuredTo) = (Published, Published);
        if (!_windowClosed) CloseWindow(End);
        if (!_windowOpened) WindowStart = WindowEnd;
    }

    private void OpenWindowOnceWarm(int n, long now)
    {
        double elapsed = Ticks.Seconds(now - Start);
        JitSettled = _jit.Settled(now);
        if (!(elapsed >= s.Warmup && (JitSettled || elapsed >= s.MaxWarmup))) return;
        (MeasuredFrom, MeasuredTo, WarmupSeconds) = (n, n + _windowMessages, elapsed);
        WindowStart = ProcessSnapshot.Take();
        _windowOpened = true;
        Progress($"{label}: measuring {s.Seconds:0.#} s after {elapsed:0.0} s of warm-up" +
                 (JitSettled || s.MaxWarmup == 0 ? "..." : " (the JIT was still compiling at --max-warmup)..."));
    }

    private void CloseWindow(long now)
    {
        (WindowEnd, WindowEndTicks) = (ProcessSnapshot.Take(), now);
        _windowClosed = true;
    }

    /// <summary>After the window, with stalled clients: over two seconds after the last was closed, or at --stall-wait.</summary>
    private bool StallingOver(long now, int closed)
    {
        if (closed < stalledClients) return now - WindowEndTicks >= s.StallWait * Stopwatch.Frequency;
        if (_closedTicks == 0) _closedTicks = now;
        return now - _closedTicks >= 2 * Stopwatch.Frequency; // two seconds of the readers after the close
    }

    private async Task PublishAsync(BenchApi api, string sessionId, TrainingSessions? direct, TrainingSession? session, int n)
    {
        string body = MetricsBody(n, s.Rate);
        long sent = Stopwatch.GetTimestamp();
        SentAt[n] = sent;
        if (session is not null)
        {
            using var doc = JsonDocument.Parse(body);
            direct!.Publish(session, "training_metrics", doc.RootElement.Clone(), n);
            Accepted[n] = true;
        }
        else
        {
            var reply = await api.SendAsync(HttpMethod.Post, $"api/training/sessions/{sessionId}/metrics", body);
            if (reply.Status == 202) Accepted[n] = true;
            else
            {
                Errors++;
                FirstError ??= reply.Describe();
            }
        }
        _latency.Add(Stopwatch.GetTimestamp() - sent);
    }

    /// <summary>The first message sent at least <paramref name="seconds"/> after publishing began.</summary>
    public int FirstSentAfter(double seconds)
    {
        int n = 0;
        while (n < Published && Ticks.Seconds(SentAt[n] - Start) < seconds) n++;
        return n;
    }

    /// <summary>Per (reader, accepted message from..to-1): send to receipt, or (fan-out) the server's timestamp to receipt.</summary>
    public LatencyMs Latencies(Spectator[] readers, int from, int to, bool fanout)
    {
        var all = new List<long>(readers.Length * Math.Max(0, to - from));
        foreach (var r in readers)
            for (int n = from; n < to; n++)
                if (Accepted[n] && r.ReceivedAt[n] != 0) all.Add(fanout ? r.FanoutMicroseconds[n] * Stopwatch.Frequency / 1_000_000 : r.ReceivedAt[n] - SentAt[n]);
        return LatencyMs.Of(all.ToArray());
    }

    /// <summary>A metrics message as an outside trainer posts it (TrainingMetricsData, docs/SERVER.md: Training sessions).</summary>
    private static string MetricsBody(int episode, double rate)
    {
        double t = episode / rate;
        var c = CultureInfo.InvariantCulture;
        return "{\"episode\":" + episode.ToString(c) + ",\"total_episodes\":1000000,\"current_reward\":" + Number(Math.Sin(episode * 0.1) * 10) +
               ",\"average_reward\":" + Number(5 + t * 0.01) + ",\"episode_length\":" + (300 + episode % 50).ToString(c) + ",\"win_rate\":" + Number(50 + 10 * Math.Sin(t)) +
               ",\"loss_value\":" + Number(0.5 / (1 + t)) + ",\"learning_rate\":0.0003,\"algorithm\":\"PPO\",\"training_time_elapsed\":" + Number(t) +
               ",\"actions_per_second\":5123.5}";
    }
}
