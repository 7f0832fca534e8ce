using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace Ringside.Server.Realtime;

/// <summary>
/// One WebSocket client with back-pressure: a slow client never slows anyone else. Ordered messages (metrics, status,
/// match events) wait in a bounded queue and are never dropped or reordered; a client that lets the queue fill is
/// closed with a clear reason. State frames are "latest wins": a slow viewer skips to the newest state instead of
/// receiving stale ones.
/// </summary>
public sealed class WsConnection : IAsyncDisposable
{
    public const int MaxInboundBytes = 64 * 1024;
    private readonly WebSocket _socket;
    private readonly Channel<byte[]> _ordered;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeSpan _sendTimeout;
    private byte[]? _latestState;
    private Task? _writer;
    private string? _closeReason;

    public Guid Id { get; } = Guid.NewGuid();
    public string UserName { get; }
    public long Sent => Interlocked.Read(ref _sent);
    public long SkippedStates => Interlocked.Read(ref _skipped);
    public bool IsOpen => !_stop.IsCancellationRequested;
    private long _sent, _skipped;
    private static long _closedTooSlow;

    /// <summary>Why the server closed the connection, if it did.</summary>
    public string? CloseReason => _closeReason;

    /// <summary>Logs a too-slow close (who, why); called by the endpoint when the connection ends.</summary>
    public void LogIfTooSlow(ILogger log, string stream)
    {
        if (_closeStatus == WebSocketCloseStatus.PolicyViolation)
            log.LogWarning("Closed {User} on {Stream}: {Reason} ({Sent} messages sent).", UserName, stream, _closeReason, Sent);
    }

    /// <summary>Clients this process closed for being too slow (shown by GET /status).</summary>
    public static long ClosedTooSlow => Interlocked.Read(ref _closedTooSlow);

    public WsConnection(WebSocket socket, string userName, int queueCapacity = 1024, TimeSpan? sendTimeout = null)
    {
        _socket = socket;
        UserName = userName;
        _sendTimeout = sendTimeout ?? TimeSpan.FromSeconds(10);
        _ordered = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public void Start() => _writer = Task.Run(WriteLoop);

    /// <summary>Queues an ordered message; a full queue means the client is too slow and is closed.</summary>
    public bool Send(byte[] message)
    {
        if (!IsOpen) return false;
        if (!_ordered.Writer.TryWrite(message))
        {
            Close(WebSocketCloseStatus.PolicyViolation, $"client too slow: {_ordered.Reader.Count} messages waiting");
            return false;
        }
        _wake.Release();
        return true;
    }

    public bool Send(object message) => Send(Messages.Serialize(message));

    /// <summary>Offers the newest state; an unsent older state is replaced (and counted as skipped).</summary>
    public void OfferState(byte[] state)
    {
        if (!IsOpen) return;
        if (Interlocked.Exchange(ref _latestState, state) is not null) Interlocked.Increment(ref _skipped);
        _wake.Release();
    }

    /// <summary>Closes with a reason the client can read (its close frame's description).</summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null) return;
        if (status == WebSocketCloseStatus.PolicyViolation) Interlocked.Increment(ref _closedTooSlow);
        _closeStatus = status;
        _stop.Cancel();
        _wake.Release();
    }

    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    private async Task WriteLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                byte[]? next = _ordered.Reader.TryRead(out var ordered) ? ordered : Interlocked.Exchange(ref _latestState, null);
                if (next is null) { await _wake.WaitAsync(_stop.Token); continue; }
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_sendTimeout);
                try { await _socket.SendAsync(next, WebSocketMessageType.Text, true, timeout.Token); }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    Close(WebSocketCloseStatus.PolicyViolation, $"client too slow: a message waited over {_sendTimeout.TotalSeconds:0} s");
                    break;
                }
                Interlocked.Increment(ref _sent);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { _stop.Cancel(); }
        await CloseSocketAsync();
    }

    private async Task CloseSocketAsync()
    {
        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _socket.CloseOutputAsync(_closeStatus, _closeReason ?? "closed", timeout.Token); }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { _socket.Abort(); return; }
        // The client's answering close frame ends the receive loop; a client that never sends one is cut off.
        _ = Task.Delay(CloseHandshakeTimeout).ContinueWith(_ => { if (_socket.State != WebSocketState.Closed) _socket.Abort(); }, TaskScheduler.Default);
    }

    /// <summary>How long a client has to answer the server's close frame before its connection is cut.</summary>
    public static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Reads text messages until the client closes; each is passed to <paramref name="onMessage"/>.</summary>
    public async Task ReceiveAsync(Func<string, Task> onMessage, CancellationToken token)
    {
        var buffer = new byte[8 * 1024];
        using var message = new MemoryStream();
        bool tooBig = false;
        // Not cancelled by Close: cancelling a receive aborts the socket, and the close frame with its reason would never
        // leave. After the server's close frame (CloseSent) the loop reads on until the client's answer.
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent && !token.IsCancellationRequested)
            {
                var result = await _socket.ReceiveAsync(buffer, token);
                if (result.MessageType == WebSocketMessageType.Close) { Close(WebSocketCloseStatus.NormalClosure, "bye"); break; }
                if (!IsOpen) continue; // closing: what the client still sends is not acted on
                // A message over the limit is read to its end and dropped, answered with an error: the connection stays open.
                if (!tooBig) message.Write(buffer, 0, result.Count);
                if (message.Length > MaxInboundBytes) { tooBig = true; message.SetLength(0); }
                if (!result.EndOfMessage) continue;
                if (tooBig)
                {
                    tooBig = false;
                    Send(Messages.Error($"a message is at most {MaxInboundBytes} bytes."));
                    continue;
                }
                string text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                await onMessage(text);
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsOpen) Close(WebSocketCloseStatus.NormalClosure, "closed");
        if (_writer is not null) await _writer;
        _stop.Dispose();
        _wake.Dispose();
    }
}
