using System.Net.WebSockets;

namespace Ringside.Cli.Bench;

/// <summary>The client side of the WebSocket benches: connecting, reading whole messages into one reused buffer, closing.</summary>
internal static class BenchSockets
{
    public static async Task ConnectAsync(ClientWebSocket socket, Uri uri, string who)
    {
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try { await socket.ConnectAsync(uri, CancellationToken.None); }
        catch (Exception e) when (e is WebSocketException or HttpRequestException)
        {
            throw new BenchException($"{who} could not connect to {uri}: {e.Message}");
        }
    }

    /// <summary>Sends a normal close (the server's answer is left to the reader); aborts a socket that cannot close within 5 s.</summary>
    public static async Task CloseAsync(WebSocket socket)
    {
        if (socket.State != WebSocketState.Open) return;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try { await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bench over", timeout.Token); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException) { socket.Abort(); }
    }

    public sealed class MessageReader(WebSocket socket)
    {
        public byte[] Buffer { get; private set; } = new byte[16 * 1024];

        /// <summary>The next whole message (in <see cref="Buffer"/>), or closed when the server closed.</summary>
        public async Task<(ReadOnlyMemory<byte> Message, bool Closed)> NextAsync()
        {
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == Buffer.Length) { var bigger = new byte[Buffer.Length * 2]; Buffer.CopyTo(bigger, 0); Buffer = bigger; }
                result = await socket.ReceiveAsync(Buffer.AsMemory(count), CancellationToken.None);
                count += result.Count;
            } while (!result.EndOfMessage);
            return (Buffer.AsMemory(0, count), result.MessageType == WebSocketMessageType.Close);
        }
    }
}
