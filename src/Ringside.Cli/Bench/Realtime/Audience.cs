using System.Diagnostics;
using System.Net.WebSockets;
using static Ringside.Cli.Bench.Realtime.BenchRealtimeCommand;

namespace Ringside.Cli.Bench.Realtime;

/// <summary>
/// Everyone connected to the session: the reading spectators, each registered (it got its connection_status) before the
/// first message, and the stalled clients, which connect and never read. With stalled clients it also watches, from
/// outside, when the server drops them: the session's spectator count (GET /api/training/sessions/{id}) every 100 ms.
/// </summary>
internal sealed class Audience
{
    private readonly List<(double Seconds, long Published)> _closedAt = [];
    private readonly CancellationTokenSource _stopWatching = new();
    private Task[] _loops = [];
    private Task _watch = Task.CompletedTask;

    private Audience(Spectator[] readers, ClientWebSocket[] stalled) { Readers = readers; Stalled = stalled; }

    public Spectator[] Readers { get; }
    public ClientWebSocket[] Stalled { get; }
    public int Expected => Readers.Length + Stalled.Length;
    public double ConnectSeconds { get; private set; }

    /// <summary>Stalled clients the server has dropped so far.</summary>
    public int StalledClosed { get { lock (_closedAt) return _closedAt.Count; } }

    public static async Task<Audience> ConnectAsync(BenchApi api, string url, string sessionId, Settings s, int stalledClients, int capacity, string label)
    {
        var wsBase = new Uri(url.Replace("http://", "ws://") + $"/ws/{Uri.EscapeDataString(sessionId)}");
        Progress($"{label}: connecting {s.Spectators} spectators{(stalledClients > 0 ? $" and {stalledClients} stalled client{(stalledClients > 1 ? "s" : "")}" : "")} to session {sessionId}...");
        var connecting = Stopwatch.StartNew();
        var audience = new Audience(Enumerable.Range(0, s.Spectators).Select(i => new Spectator(i, capacity)).ToArray(),
            Enumerable.Range(0, stalledClients).Select(_ => new ClientWebSocket()).ToArray());
        var readers = audience.Readers;
        using (var gate = new SemaphoreSlim(16))
            await Task.WhenAll(readers.Select(async r =>
            {
                await gate.WaitAsync();
                try { await r.ConnectAsync(new Uri($"{wsBase}?user_name=s{r.Index}")); }
                finally { gate.Release(); }
            }));
        audience._loops = readers.Select(r => Task.Run(r.ReceiveLoopAsync)).ToArray();
        var ready = Task.WhenAll(readers.Select(r => r.Ready));
        if (await Task.WhenAny(ready, Task.Delay(TimeSpan.FromSeconds(60))) != ready)
            throw new BenchException($"{readers.Count(r => !r.Ready.IsCompleted)} of {s.Spectators} spectators got no connection_status within 60 s.");
        for (int i = 0; i < stalledClients; i++)
            await BenchSockets.ConnectAsync(audience.Stalled[i], new Uri($"{wsBase}?user_name=stalled{i}"), $"stalled client {i}"); // and never reads
        for (var wait = Stopwatch.StartNew(); await SpectatorCountAsync(api, sessionId) != audience.Expected;)
        {
            if (wait.Elapsed > TimeSpan.FromSeconds(30)) throw new BenchException($"session {sessionId} does not show {audience.Expected} spectators after 30 s.");
            await Task.Delay(50);
        }
        audience.ConnectSeconds = connecting.Elapsed.TotalSeconds;
        return audience;
    }

    /// <summary>With stalled clients: records when (seconds since publishing began) and after how many messages the server dropped each.</summary>
    public void WatchStalled(BenchApi api, string sessionId, Publication publication)
    {
        if (Stalled.Length == 0) return;
        _watch = Task.Run(async () =>
        {
            while (!_stopWatching.IsCancellationRequested)
            {
                int count = await SpectatorCountAsync(api, sessionId);
                int readersGone = Readers.Count(r => r.Closed);
                int gone = count < 0 ? 0 : Math.Max(0, Expected - readersGone - count);
                lock (_closedAt)
                    while (_closedAt.Count < Math.Min(gone, Stalled.Length))
                        _closedAt.Add((Ticks.Seconds(Stopwatch.GetTimestamp() - publication.Start), publication.Published));
                try { await Task.Delay(100, _stopWatching.Token); }
                catch (OperationCanceledException) { }
            }
        });
    }

    /// <summary>
    /// Lets the readers take what is on its way (at most 10 s), stops watching, reads what each stalled client's socket
    /// holds, and closes everyone.
    /// </summary>
    public async Task<StalledClient[]> FinishAsync(int accepted)
    {
        for (var drain = Stopwatch.StartNew(); drain.Elapsed < TimeSpan.FromSeconds(10);)
        {
            if (Readers.All(r => r.Closed || Volatile.Read(ref r.Received) >= accepted)) break;
            await Task.Delay(20);
        }
        _stopWatching.Cancel();
        await _watch;
        var stalled = new StalledClient[Stalled.Length];
        for (int i = 0; i < Stalled.Length; i++)
        {
            (double Seconds, long Published)? at;
            lock (_closedAt) at = i < _closedAt.Count ? _closedAt[i] : null;
            stalled[i] = await DrainStalledAsync(i, Stalled[i], at?.Seconds, at?.Published);
            Stalled[i].Dispose();
        }
        await Task.WhenAll(Readers.Select(r => r.CloseAsync()));
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        foreach (var r in Readers) r.Dispose();
        _stopWatching.Dispose();
        return stalled;
    }

    private static async Task<int> SpectatorCountAsync(BenchApi api, string sessionId)
    {
        var reply = await api.SendAsync(HttpMethod.Get, $"api/training/sessions/{sessionId}", null);
        return reply.Ok ? reply.Property("spectators").GetInt32() : -1;
    }

    /// <summary>Reads what a stalled client's socket holds, up to the server's close (or 3 s without anything new).</summary>
    private static async Task<StalledClient> DrainStalledAsync(int index, ClientWebSocket socket, double? closedAt, long? publishedBefore)
    {
        long messages = 0, bytes = 0;
        string? status = null, description = null, error = null;
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                var result = await socket.ReceiveAsync(buffer.AsMemory(), quiet.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    status = socket.CloseStatus?.ToString();
                    description = socket.CloseStatusDescription;
                    break;
                }
                bytes += result.Count;
                if (result.EndOfMessage) messages++;
            }
        }
        catch (OperationCanceledException) { error = "still open: nothing more arrived for 3 s"; }
        catch (WebSocketException e) { error = $"{e.WebSocketErrorCode}: {e.Message}"; }
        return new StalledClient(index, closedAt is not null, closedAt, publishedBefore, messages, bytes, status, description, error);
    }
}
