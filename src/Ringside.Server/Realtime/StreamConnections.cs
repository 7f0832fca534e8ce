namespace Ringside.Server.Realtime;

/// <summary>The kinds of WebSocket stream (docs/SERVER.md, Real time).</summary>
public enum StreamKind { Session, Match, Replay }

/// <summary>The open WebSocket connections of every stream, for <c>GET /status</c>.</summary>
public sealed class StreamConnections
{
    private readonly int[] _open = new int[Enum.GetValues<StreamKind>().Length];

    public int Of(StreamKind kind) => Volatile.Read(ref _open[(int)kind]);

    public int Total => Enum.GetValues<StreamKind>().Sum(Of);

    /// <summary>Counts one connection of the stream until the returned handle is disposed.</summary>
    public IDisposable Open(StreamKind kind)
    {
        Interlocked.Increment(ref _open[(int)kind]);
        return new Handle(this, kind);
    }

    private sealed class Handle(StreamConnections owner, StreamKind kind) : IDisposable
    {
        private int _closed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) Interlocked.Decrement(ref owner._open[(int)kind]);
        }
    }
}
