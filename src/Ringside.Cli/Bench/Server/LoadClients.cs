using System.Diagnostics;
using System.Globalization;
using static Ringside.Cli.Bench.Server.BenchServerCommand;

namespace Ringside.Cli.Bench.Server;

/// <summary>
/// The load side of <c>bench server</c>'s scenarios: clients that each keep one request in flight, their counts, and the
/// measured window. A request counts when it succeeds and completes inside the window.
/// </summary>
internal static class LoadClients
{
    /// <summary>Sends and, when the answer is a success completed inside the measured window, counts it and its latency.</summary>
    public static async Task<Reply> TimedAsync(this BenchApi api, HttpMethod method, Uri uri, byte[] body, ClientStats st, MeasuredWindow window,
        long items = 1, int length = -1)
    {
        long start = Stopwatch.GetTimestamp();
        var reply = await api.SendAsync(method, uri, body, length);
        long end = Stopwatch.GetTimestamp();
        if (st.Check(reply) && window.Counts(end))
        {
            st.Requests++;
            st.Items += items;
            st.Latency(end - start);
        }
        return reply;
    }
}

/// <summary>
/// The warm-up, then the measured window. The warm-up lasts at least --warmup seconds and then until the JIT has settled
/// (<see cref="JitWatch"/>) or --max-warmup.
/// </summary>
internal sealed class MeasuredWindow
{
    private long _from = long.MaxValue, _end = long.MaxValue;
    public long Start { get; } = Stopwatch.GetTimestamp();
    public long From => Volatile.Read(ref _from);
    public long End => Volatile.Read(ref _end);
    public double WarmupSeconds { get; private set; }
    public double Seconds { get; private set; }

    public bool Open(long now) => now < End;
    public bool Counts(long completed) => completed >= From && completed <= End;

    /// <summary>Runs the warm-up, opens the window, and measures this process while it is open.</summary>
    public async Task<ProcessUse> RunAsync(Settings s, string scenario)
    {
        var jit = new JitWatch();
        bool settled;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            double elapsed = Ticks.Seconds(now - Start);
            settled = jit.Settled(now);
            if (elapsed >= s.Warmup && (settled || elapsed >= s.MaxWarmup)) break;
            await Task.Delay(100);
        }
        var before = ProcessSnapshot.Take();
        long from = Stopwatch.GetTimestamp();
        WarmupSeconds = Ticks.Seconds(from - Start);
        Seconds = s.Seconds;
        Volatile.Write(ref _end, from + (long)(s.Seconds * Stopwatch.Frequency));
        Volatile.Write(ref _from, from);
        Progress($"{scenario}: measuring {s.Seconds:0.#} s after {WarmupSeconds:0.0} s of warm-up" +
                 (settled || s.MaxWarmup == 0 ? "..." : " (the JIT was still compiling at --max-warmup)..."));
        long wait = End - Stopwatch.GetTimestamp();
        if (wait > 0) await Task.Delay(TimeSpan.FromSeconds(Ticks.Seconds(wait)));
        return ProcessUse.Of(ProcessSnapshot.Take() - before, Seconds);
    }
}

/// <summary>One client's counts and latencies (Stopwatch ticks, preallocated), merged after the run.</summary>
internal sealed class ClientStats(int capacity)
{
    private long[] _latencies = new long[capacity];
    public int Count { get; private set; }
    public ReadOnlySpan<long> Latencies => _latencies.AsSpan(0, Count);
    public long Requests, Items, EpisodeRequests, Loops, Errors, Locked;
    public readonly Dictionary<string, long> Statuses = [];
    public readonly List<string> Samples = [];

    public static ClientStats[] Create(int clients, double seconds, int perClientPerSecond) =>
        Enumerable.Range(0, clients).Select(_ => new ClientStats((int)Math.Clamp(seconds * perClientPerSecond, 256, 1 << 22))).ToArray();

    public void Latency(long ticks)
    {
        if (Count == _latencies.Length) Array.Resize(ref _latencies, Count * 2);
        _latencies[Count++] = ticks;
    }

    /// <summary>True for a 2xx answer; anything else is an error, and one whose text mentions locked or busy is also counted as such.</summary>
    public bool Check(Reply reply)
    {
        if (reply.Ok) return true;
        Errors++;
        string key = reply.Status == 0 ? "exception" : reply.Status.ToString(CultureInfo.InvariantCulture);
        Statuses[key] = Statuses.GetValueOrDefault(key) + 1;
        string text = reply.Text;
        if (text.Contains("locked", StringComparison.OrdinalIgnoreCase) || text.Contains("busy", StringComparison.OrdinalIgnoreCase)) Locked++;
        if (Samples.Count < 3) Samples.Add(reply.Describe());
        return false;
    }
}

/// <summary>Every client's counts together.</summary>
internal sealed record Totals(long Requests, long Items, long Errors, long Locked, Dictionary<string, long> Statuses, string[] Samples, RequestLatencyMs Latency)
{
    public static Totals Merge(ClientStats[] stats)
    {
        var all = new long[stats.Sum(s => s.Count)];
        int at = 0;
        foreach (var s in stats) { s.Latencies.CopyTo(all.AsSpan(at)); at += s.Count; }
        var statuses = new Dictionary<string, long>();
        foreach (var s in stats)
            foreach (var (k, v) in s.Statuses) statuses[k] = statuses.GetValueOrDefault(k) + v;
        return new Totals(stats.Sum(s => s.Requests), stats.Sum(s => s.Items), stats.Sum(s => s.Errors), stats.Sum(s => s.Locked), statuses,
            stats.SelectMany(s => s.Samples).Take(3).ToArray(), RequestLatencyMs.From(LatencyMs.Of(all)));
    }
}
