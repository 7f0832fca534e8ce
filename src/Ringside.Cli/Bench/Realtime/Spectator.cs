using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace Ringside.Cli.Bench.Realtime;

/// <summary>
/// A spectator that reads every message as it comes and checks it: each published episode once, in order of the
/// session's sequence numbers. Receive times are kept per episode for the latencies.
/// </summary>
internal sealed class Spectator(int index, int capacity) : IDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSequence;
    private volatile bool _closed, _closing;
    public int Index { get; } = index;
    /// <summary>Done once the server's connection_status arrived: the spectator is registered.</summary>
    public Task Ready => _ready.Task;
    public long[] ReceivedAt { get; } = new long[capacity];
    /// <summary>Server publish time (the message's timestamp) to receipt.</summary>
    public int[] FanoutMicroseconds { get; } = new int[capacity];
    public long Received, Bytes;
    public long Duplicates, Reordered, SequenceGaps, OutOfRange;
    public string? Error { get; private set; }
    public bool Closed => _closed;
    /// <summary>Closed before the bench closed it.</summary>
    public bool LostEarly { get; private set; }

    public Task ConnectAsync(Uri uri) => BenchSockets.ConnectAsync(_socket, uri, $"spectator {Index}");

    public async Task ReceiveLoopAsync()
    {
        var reader = new BenchSockets.MessageReader(_socket);
        try
        {
            while (true)
            {
                var (message, closed) = await reader.NextAsync();
                if (closed)
                {
                    if (!_closing)
                    {
                        LostEarly = true;
                        Error ??= $"spectator {Index} closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}";
                    }
                    break;
                }
                Handle(message, Stopwatch.GetTimestamp(), DateTime.UtcNow);
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            if (!_closing)
            {
                LostEarly = true;
                Error ??= $"spectator {Index}: {e.GetType().Name}: {e.Message}";
            }
        }
        finally { _closed = true; }
    }

    private void Handle(ReadOnlyMemory<byte> message, long now, DateTime utcNow)
    {
        using var doc = JsonDocument.Parse(message);
        var root = doc.RootElement;
        string? type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
        if (type == "connection_status") { _ready.TrySetResult(); return; }
        if (type != "training_metrics") return;
        long sequence = root.GetProperty("sequence").GetInt64();
        int episode = root.GetProperty("data").GetProperty("episode").GetInt32();
        var published = root.GetProperty("timestamp").GetDateTimeOffset().UtcDateTime;
        if (_lastSequence != 0 && sequence < _lastSequence) Reordered++;
        else if (_lastSequence != 0 && sequence > _lastSequence + 1) SequenceGaps++;
        _lastSequence = Math.Max(_lastSequence, sequence);
        if ((uint)episode >= (uint)ReceivedAt.Length) { OutOfRange++; return; }
        if (ReceivedAt[episode] != 0) { Duplicates++; return; }
        ReceivedAt[episode] = now;
        FanoutMicroseconds[episode] = (int)Math.Clamp((utcNow - published).Ticks / 10, int.MinValue, int.MaxValue);
        Bytes += message.Length;
        Volatile.Write(ref Received, Received + 1);
    }

    public Task CloseAsync()
    {
        _closing = true;
        return BenchSockets.CloseAsync(_socket);
    }

    public void Dispose() => _socket.Dispose();
}
