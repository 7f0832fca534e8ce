namespace Ringside.Learning.Tests;

public class ShardRunnerTests
{
    [Fact]
    public void EveryPieceRunsOnceAndTheWorkerTakesPart()
    {
        using var runner = new ShardRunner(threads: 2);
        var threads = new HashSet<int>();
        var ran = new int[6];
        for (int round = 0; round < 200; round++)
        {
            var threadOfPiece = new int[6];
            var started = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
            runner.Run(6, piece =>
            {
                threadOfPiece[piece] = Environment.CurrentManagedThreadId;
                started[Environment.CurrentManagedThreadId] = true;
                Interlocked.Increment(ref ran[piece]);
                // Round 0 holds piece 0 until a second thread has started a piece: the worker takes part however the
                // threads are scheduled, and a runner that left everything to one thread would never let it go.
                if (round == 0 && piece == 0) SpinWait.SpinUntil(() => started.Count >= 2, TimeSpan.FromMinutes(2));
                Thread.SpinWait(20_000);
            });
            threads.UnionWith(threadOfPiece);
        }
        Assert.All(ran, count => Assert.Equal(200, count));
        Assert.Equal(2, threads.Count);
    }

    [Fact]
    public void AFailingPieceIsReportedToTheCaller()
    {
        using var runner = new ShardRunner(threads: 2);
        for (int round = 0; round < 20; round++)
            Assert.Equal("boom", Assert.Throws<InvalidOperationException>(
                () => runner.Run(4, piece => { if (piece == 1) throw new InvalidOperationException("boom"); })).Message);
        runner.Run(2, _ => { }); // still usable
    }
}
