namespace Ringside.Sim;

/// <summary>
/// A fixed set of threads that each run one partition of a job and then wait: the calling thread takes
/// partition 0. Unlike Parallel.For it allocates nothing per run, which the training loop relies on.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] threads;
    private readonly ManualResetEventSlim[] start;
    private readonly ManualResetEventSlim done = new(false, spinCount: 200);
    private Action<int>? job;
    private int pending;
    private volatile bool disposed;
    private Exception? failure;

    public int Partitions { get; }

    public WorkerPool(int partitions)
    {
        Partitions = Math.Max(1, partitions);
        threads = new Thread[Partitions - 1];
        start = new ManualResetEventSlim[Partitions - 1];
        for (int w = 0; w < threads.Length; w++)
        {
            start[w] = new ManualResetEventSlim(false, spinCount: 200);
            int partition = w + 1;
            threads[w] = new Thread(() => WorkLoop(partition)) { IsBackground = true, Name = $"ringside-sim-{partition}" };
            threads[w].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/>(p) for every partition p and returns when all have finished.</summary>
    public void Run(Action<int> work)
    {
        if (threads.Length == 0) { work(0); return; }
        job = work;
        failure = null;
        done.Reset();
        Volatile.Write(ref pending, threads.Length);
        foreach (var e in start) e.Set();
        try { work(0); }
        finally { done.Wait(); }
        if (failure is { } error) throw new AggregateException("a simulation worker failed", error);
    }

    private void WorkLoop(int partition)
    {
        var signal = start[partition - 1];
        while (true)
        {
            signal.Wait();
            signal.Reset();
            if (disposed) return;
            try { job!(partition); }
            catch (Exception e) { failure = e; }
            if (Interlocked.Decrement(ref pending) == 0) done.Set();
        }
    }

    /// <summary>The [start, end) range of <paramref name="count"/> items that partition <paramref name="p"/> owns.</summary>
    public (int Start, int End) Range(int p, int count) =>
        ((int)((long)count * p / Partitions), (int)((long)count * (p + 1) / Partitions));

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var e in start) e.Set();
        foreach (var t in threads) t.Join();
    }
}
