namespace Ringside.Learning;

/// <summary>
/// Runs numbered pieces of work on a fixed set of threads: the caller takes pieces 0, T, 2T …, worker t takes
/// t, t+T, … . Which thread runs a piece never changes what it computes, so results do not depend on the
/// thread count. Nothing is allocated per <see cref="Run"/>; workers sleep on a semaphore between calls.
/// </summary>
internal sealed class ShardRunner : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _go;
    private readonly SemaphoreSlim _finished = new(0);
    private Action<int>? _work;
    private int _pieces;
    private Exception? _failure;
    private volatile bool _stopping;

    public ShardRunner(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads));
        Threads = threads;
        _go = Enumerable.Range(1, threads - 1).Select(_ => new SemaphoreSlim(0)).ToArray();
        _workers = Enumerable.Range(1, threads - 1).Select(t => new Thread(() => WorkerLoop(t))
        {
            IsBackground = true, Name = $"ringside-shard-{t}",
        }).ToArray();
        foreach (var worker in _workers) worker.Start();
    }

    public int Threads { get; }

    public void Run(int pieces, Action<int> work)
    {
        if (Threads == 1 || pieces == 1)
        {
            for (int piece = 0; piece < pieces; piece++) work(piece);
            return;
        }
        _work = work;
        _pieces = pieces;
        _failure = null;
        int busy = Math.Min(Threads, pieces) - 1;
        for (int t = 0; t < busy; t++) _go[t].Release();
        try { RunShare(0); }
        finally { for (int t = 0; t < busy; t++) _finished.Wait(); }
        if (_failure is not null) throw new AggregateException("a shard failed", _failure);
    }

    private void RunShare(int thread)
    {
        for (int piece = thread; piece < _pieces; piece += Threads) _work!(piece);
    }

    private void WorkerLoop(int thread)
    {
        while (true)
        {
            _go[thread - 1].Wait();
            if (_stopping) return;
            try { RunShare(thread); }
            catch (Exception e) { _failure = e; }
            finally { _finished.Release(); }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var go in _go) go.Release();
        foreach (var worker in _workers) worker.Join();
    }
}
