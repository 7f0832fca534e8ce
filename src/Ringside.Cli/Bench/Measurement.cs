using System.Diagnostics;

namespace Ringside.Cli.Bench;

/// <summary>Stopwatch ticks in the units the benches report.</summary>
public static class Ticks
{
    public static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    public static double Ms(double ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>
/// This process's clock, CPU time, allocations, GC and JIT at one moment; <c>b - a</c> is what happened between two
/// snapshots. In-process that is the server and the load generator together.
/// </summary>
public readonly record struct ProcessSnapshot(long At, TimeSpan Cpu, long Allocated, TimeSpan Pause, int Gen0, int Gen2, TimeSpan Jit)
{
    public static ProcessSnapshot Take()
    {
        using var process = Process.GetCurrentProcess();
        return new ProcessSnapshot(Stopwatch.GetTimestamp(), process.TotalProcessorTime, GC.GetTotalAllocatedBytes(false), GC.GetTotalPauseDuration(),
            GC.CollectionCount(0), GC.CollectionCount(2), System.Runtime.JitInfo.GetCompilationTime());
    }

    public static ProcessSnapshot operator -(ProcessSnapshot b, ProcessSnapshot a) =>
        new(b.At - a.At, b.Cpu - a.Cpu, b.Allocated - a.Allocated, b.Pause - a.Pause, b.Gen0 - a.Gen0, b.Gen2 - a.Gen2, b.Jit - a.Jit);
}

/// <summary>
/// True once the JIT spent at most 20 ms compiling in the last second (tiered compilation has settled): in-process the
/// server and the load generator share the CPU with the tiered JIT, and instrumented (PGO) code runs several times slower
/// than final code, so the benches warm up until then.
/// </summary>
public sealed class JitWatch
{
    private static readonly TimeSpan QuietPerSecond = TimeSpan.FromMilliseconds(20);
    private readonly Queue<(long At, TimeSpan Compiling)> _samples = new();

    public bool Settled(long now)
    {
        _samples.Enqueue((now, System.Runtime.JitInfo.GetCompilationTime()));
        while (_samples.Count > 2 && now - _samples.ElementAt(1).At >= Stopwatch.Frequency) _samples.Dequeue();
        var (oldest, compiled) = _samples.Peek();
        return now - oldest >= Stopwatch.Frequency && _samples.Last().Compiling - compiled <= QuietPerSecond;
    }
}

/// <summary>Latency percentiles (nearest rank), maximum and mean in milliseconds, over <c>samples</c> durations.</summary>
public sealed record LatencyMs(long Samples, double P50, double P90, double P99, double Max, double Mean)
{
    /// <summary>The summary of Stopwatch-tick durations; sorts <paramref name="ticks"/> in place.</summary>
    public static LatencyMs Of(long[] ticks)
    {
        Array.Sort(ticks);
        double P(double p) => ticks.Length == 0 ? double.NaN : Ticks.Ms(ticks[Math.Clamp((int)Math.Ceiling(p * ticks.Length) - 1, 0, ticks.Length - 1)]);
        return new LatencyMs(ticks.Length, P(0.50), P(0.90), P(0.99), ticks.Length == 0 ? double.NaN : Ticks.Ms(ticks[^1]),
            ticks.Length == 0 ? double.NaN : Ticks.Ms(ticks.Average(x => (double)x)));
    }
}
