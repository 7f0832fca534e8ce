using System.Net.WebSockets;
using System.Text;
using Ringside.Server.Realtime;

namespace Ringside.Server.Tests;

/// <summary>Back-pressure of one connection, with sockets that can be made slow or stalled.</summary>
public sealed class WsConnectionTests
{
    /// <summary>
    /// A WebSocket whose sends are recorded; when stalled they never finish, and with a <see cref="Gate"/> each send
    /// waits for a permit of it (the test decides how slow the client is, not the machine).
    /// </summary>
    private sealed class FakeSocket : WebSocket
    {
        public readonly List<string> SentMessages = [];
        public SemaphoreSlim? Gate;
        public bool Stalled;
        public string? ClosedWith;
        private WebSocketState _state = WebSocketState.Open;
        public override WebSocketCloseStatus? CloseStatus => null;
        public override string? CloseStatusDescription => ClosedWith;
        public override WebSocketState State => _state;
        public override string? SubProtocol => null;
        public override void Abort() => _state = WebSocketState.Aborted;
        public override Task CloseAsync(WebSocketCloseStatus s, string? d, CancellationToken t) => CloseOutputAsync(s, d, t);
        public override Task CloseOutputAsync(WebSocketCloseStatus s, string? d, CancellationToken t) { ClosedWith = d; _state = WebSocketState.CloseSent; return Task.CompletedTask; }
        public override void Dispose() { }
        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken t) =>
            Task.Delay(Timeout.Infinite, t).ContinueWith(_ => new WebSocketReceiveResult(0, WebSocketMessageType.Close, true));
        public override async Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType type, bool end, CancellationToken t)
        {
            if (Stalled) await Task.Delay(Timeout.Infinite, t);
            if (Gate is not null) await Gate.WaitAsync(t);
            lock (SentMessages) SentMessages.Add(Encoding.UTF8.GetString(buffer));
        }
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static bool Sent(FakeSocket socket, string message)
    {
        lock (socket.SentMessages) return socket.SentMessages.Contains(message);
    }

    /// <summary>Polls until the condition holds, or fails the test after a generous deadline.</summary>
    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen in 60 s");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task A_stalled_client_is_closed_with_a_reason_when_its_ordered_queue_fills()
    {
        var socket = new FakeSocket { Stalled = true };
        var connection = new WsConnection(socket, "stalled", queueCapacity: 8, sendTimeout: TimeSpan.FromSeconds(30));
        connection.Start();
        int accepted = 0;
        for (int i = 0; i < 20; i++) if (connection.Send(Bytes($"m{i}"))) accepted++;
        Assert.InRange(accepted, 8, 9); // the queue (and at most one message in flight)
        Assert.False(connection.IsOpen);
        await connection.DisposeAsync();
        Assert.StartsWith("client too slow", socket.ClosedWith);
    }

    [Fact]
    public async Task A_send_that_hangs_past_the_timeout_closes_the_client()
    {
        var socket = new FakeSocket { Stalled = true };
        var connection = new WsConnection(socket, "hung", queueCapacity: 100, sendTimeout: TimeSpan.FromMilliseconds(200));
        connection.Start();
        connection.Send(Bytes("first"));
        await Until(() => !connection.IsOpen, "closing the hung client");
        Assert.False(connection.IsOpen);
        await connection.DisposeAsync();
        Assert.Contains("waited over", socket.ClosedWith);
    }

    [Fact]
    public async Task A_slow_viewer_skips_to_the_newest_state_but_gets_every_ordered_message_in_order()
    {
        // The client is slow by construction: it may send one message for every five states offered.
        var socket = new FakeSocket { Gate = new SemaphoreSlim(0) };
        var connection = new WsConnection(socket, "slow", queueCapacity: 1000, sendTimeout: TimeSpan.FromMinutes(5));
        connection.Start();
        for (int i = 0; i < 100; i++)
        {
            connection.OfferState(Bytes($"state{i}"));
            if (i % 10 == 0) connection.Send(Bytes($"event{i}"));
            if (i % 5 == 4) socket.Gate.Release();
            await Task.Yield();
        }
        socket.Gate.Release(1000); // then it catches up
        await Until(() => Sent(socket, "state99") && Sent(socket, "event90"), "sending the newest state and the last event");
        await connection.DisposeAsync();
        List<string> sent;
        lock (socket.SentMessages) sent = [.. socket.SentMessages];
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"event{i * 10}"), sent.Where(m => m.StartsWith("event")));
        var states = sent.Where(m => m.StartsWith("state")).Select(m => int.Parse(m[5..])).ToList();
        Assert.Equal(states.OrderBy(x => x), states);       // never an older state after a newer one
        Assert.Equal(99, states[^1]);                       // the newest arrives
        Assert.True(connection.SkippedStates > 0 && states.Count < 100, "a slow viewer skips states");
    }
}
