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
            runner.Run(6, piece =>
            {
                threadOfPiece[piece] = Environment.CurrentManagedThreadId;
                Interlocked.Increment(ref ran[piece]);
                Thread.SpinWait(20_000); // long enough that the worker wakes before the caller has done everything
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
