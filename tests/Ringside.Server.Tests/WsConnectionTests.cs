using System.Net.WebSockets;
using System.Text;
using Ringside.Server.Realtime;

namespace Ringside.Server.Tests;

/// <summary>Back-pressure of one connection, with sockets that can be made slow or stalled.</summary>
public sealed class WsConnectionTests
{
    /// <summary>A WebSocket whose sends take <see cref="Delay"/> (or never finish when stalled) and are recorded.</summary>
    private sealed class FakeSocket : WebSocket
    {
        public readonly List<string> SentMessages = [];
        public TimeSpan Delay = TimeSpan.Zero;
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
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay, t);
            lock (SentMessages) SentMessages.Add(Encoding.UTF8.GetString(buffer));
        }
    }

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

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
        for (int i = 0; i < 50 && connection.IsOpen; i++) await Task.Delay(20);
        Assert.False(connection.IsOpen);
        await connection.DisposeAsync();
        Assert.Contains("waited over", socket.ClosedWith);
    }

    [Fact]
    public async Task A_slow_viewer_skips_to_the_newest_state_but_gets_every_ordered_message_in_order()
    {
        var socket = new FakeSocket { Delay = TimeSpan.FromMilliseconds(20) };
        var connection = new WsConnection(socket, "slow", queueCapacity: 1000);
        connection.Start();
        for (int i = 0; i < 100; i++)
        {
            connection.OfferState(Bytes($"state{i}"));
            if (i % 10 == 0) connection.Send(Bytes($"event{i}"));
            await Task.Delay(1);
        }
        for (int i = 0; i < 300 && !socket.SentMessages.Contains("state99"); i++) await Task.Delay(10);
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
