namespace Ringside.Learning.Tests;

public class ShardRunnerTests
{
    [Fact]
    public void PiecesRunOnTheirFixedThreadsAndAllRun()
    {
        using var runner = new ShardRunner(threads: 2);
        var threadOfPiece = new int[5];
        var ran = new int[5];
        for (int round = 0; round < 100; round++)
        {
            runner.Run(5, piece =>
            {
                threadOfPiece[piece] = Environment.CurrentManagedThreadId;
                Interlocked.Increment(ref ran[piece]);
            });
        }
        Assert.All(ran, count => Assert.Equal(100, count));
        // Caller takes pieces 0, 2, 4; the worker 1, 3.
        Assert.Equal(Environment.CurrentManagedThreadId, threadOfPiece[0]);
        Assert.Equal(threadOfPiece[0], threadOfPiece[2]);
        Assert.Equal(threadOfPiece[1], threadOfPiece[3]);
        Assert.NotEqual(threadOfPiece[0], threadOfPiece[1]);
    }

    [Fact]
    public void AFailingPieceIsReportedToTheCaller()
    {
        using var runner = new ShardRunner(threads: 2);
        var e = Assert.Throws<AggregateException>(() => runner.Run(2, piece => { if (piece == 1) throw new InvalidOperationException("boom"); }));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        runner.Run(2, _ => { }); // still usable
    }
}
