using System.Runtime.ExceptionServices;

namespace Ringside.Learning;

/// <summary>
/// Runs numbered pieces of work on the caller and <c>threads − 1</c> worker threads. Threads claim pieces in turn
/// from a shared counter, so a thread slowed by other load on the machine simply takes fewer pieces. A piece's
/// result never depends on which thread ran it, so results do not depend on the thread count. Nothing is
/// allocated per <see cref="Run"/>; workers sleep on a semaphore between calls.
/// </summary>
internal sealed class ShardRunner : IDisposable
{
    private readonly Thread[] _workers;
    private readonly SemaphoreSlim[] _go;
    private readonly SemaphoreSlim _finished = new(0);
    private Action<int>? _work;
    private int _pieces;
    private int _nextPiece;
    private Exception? _failure;
    private volatile bool _stopping;

    public ShardRunner(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads));
        Threads = threads;
        _go = Enumerable.Range(1, threads - 1).Select(_ => new SemaphoreSlim(0)).ToArray();
        _workers = Enumerable.Range(1, threads - 1).Select(t => new Thread(() => WorkerLoop(t))
        {
            IsBackground = true,
            Name = $"ringside-shard-{t}",
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
        _nextPiece = 0;
        _failure = null;
        int helpers = Math.Min(Threads, pieces) - 1;
        for (int t = 0; t < helpers; t++) _go[t].Release();
        RunClaimedCatching();
        for (int t = 0; t < helpers; t++) _finished.Wait();
        // Whichever thread ran the failing piece, the caller sees the original exception, as when single-threaded.
        if (_failure is not null) ExceptionDispatchInfo.Capture(_failure).Throw();
    }

    private void RunClaimedCatching()
    {
        try { RunClaimed(); }
        catch (Exception e) { Interlocked.CompareExchange(ref _failure, e, null); }
    }

    private void RunClaimed()
    {
        int piece;
        while ((piece = Interlocked.Increment(ref _nextPiece) - 1) < _pieces) _work!(piece);
    }

    private void WorkerLoop(int thread)
    {
        while (true)
        {
            _go[thread - 1].Wait();
            if (_stopping) return;
            RunClaimedCatching();
            _finished.Release();
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var go in _go) go.Release();
        foreach (var worker in _workers) worker.Join();
    }
}
