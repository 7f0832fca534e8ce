using System.Net.WebSockets;
using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Realtime;

/// <summary>The node of a cluster that runs a live match, as its row in <c>matches</c> names it.</summary>
/// <param name="Url">the node's advertised base URL; null when it has none (Ringside:Cluster:AdvertisedUrl unset and not inferable).</param>
public sealed record MatchHost(string Node, string? Url);

/// <summary>A relay that could not reach the hosting node's stream; <see cref="HostStatus"/> is what that node answered, if it answered.</summary>
public sealed class MatchRelayFailedException(MatchHost host, int? hostStatus, string message) : Exception(message)
{
    public MatchHost Host { get; } = host;
    public int? HostStatus { get; } = hostStatus;
}

/// <summary>
/// Live matches run in the memory of the node that created them (docs/SERVER.md, Cluster). A viewer or player who
/// reaches another node of the cluster is relayed: this node connects to the hosting node's <c>/ws/matches/{id}</c>
/// with the client's key and query, and copies frames both ways until either side closes, then closes the other with
/// the same status and reason. The hosting node keeps its own back-pressure: a relay that stops reading is a slow
/// client there.
/// </summary>
public sealed class MatchRelay(Database db, RingsideOptions options, ThisNode self)
{
    /// <summary>Marks a relayed request (its value: the relaying node), so that a relay is never relayed again (no loops).</summary>
    public const string RelayedByHeader = "X-Ringside-Relayed-By";
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    /// <summary>How long the second side may take to finish its closing handshake after the first side closed.</summary>
    public static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The other node that runs match <paramref name="id"/>, or null: not in a cluster, a request that was relayed
    /// already, no such match, one of this node's, or one that ended so long ago that its host has let it go.
    /// </summary>
    public async Task<MatchHost?> FindHostAsync(long id, string? relayedBy)
    {
        if (!options.QuartzClustered || !string.IsNullOrEmpty(relayedBy)) return null;
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<HostRow>("SELECT node, node_url, ended_at FROM matches WHERE id = @id", new { id }));
        if (row?.Node is null || row.Node == self.Name) return null;
        if (row.EndedAt is { } ended && DateTime.SpecifyKind(ended, DateTimeKind.Utc) < DateTime.UtcNow - LiveMatches.KeepAfterEnd) return null;
        return new MatchHost(row.Node, row.NodeUrl);
    }

    private sealed class HostRow
    {
        public string? Node { get; set; }
        public string? NodeUrl { get; set; }
        public DateTime? EndedAt { get; set; }
    }

    /// <summary>Opens the hosting node's stream of the match with the client's query (player_token, user_name) and key.</summary>
    /// <exception cref="MatchRelayFailedException">the node has no URL, does not answer in time, or refused.</exception>
    public async Task<WebSocket> ConnectAsync(MatchHost host, long id, string? query, string? key, CancellationToken token)
    {
        if (host.Url is null)
            throw new MatchRelayFailedException(host, null, $"node {host.Node} runs match {id} but advertises no URL (set Ringside:Cluster:AdvertisedUrl on it).");
        var baseUri = new Uri(host.Url);
        var target = new UriBuilder(baseUri)
        {
            Scheme = baseUri.Scheme == "https" ? "wss" : "ws",
            Path = $"{baseUri.AbsolutePath.TrimEnd('/')}/ws/matches/{id}",
            Query = query?.TrimStart('?') ?? "",
        }.Uri;
        var upstream = new ClientWebSocket();
        upstream.Options.CollectHttpResponseDetails = true;
        upstream.Options.SetRequestHeader(RelayedByHeader, self.Name);
        // No Origin: this node has checked the browser's page already; the hosting node applies the key rules.
        if (key is not null) upstream.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await upstream.ConnectAsync(target, timeout.Token);
            return upstream;
        }
        catch (Exception e) when (e is WebSocketException or HttpRequestException || e is OperationCanceledException && !token.IsCancellationRequested)
        {
            int? status = upstream.HttpStatusCode == 0 ? null : (int)upstream.HttpStatusCode;
            upstream.Dispose();
            throw new MatchRelayFailedException(host, status, status is { } s
                ? $"node {host.Node} ({host.Url}), which runs match {id}, answered {s}."
                : $"node {host.Node} ({host.Url}), which runs match {id}, does not answer: {(e is OperationCanceledException ? "timed out" : e.Message)}");
        }
    }

    /// <summary>Copies messages both ways until one side closes or fails; the other side is then closed too.</summary>
    public static async Task RelayAsync(WebSocket client, WebSocket upstream, CancellationToken token)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
        var down = PumpAsync(upstream, client, "the node that hosts the match went away", stop.Token);
        var up = PumpAsync(client, upstream, "the viewer went away", stop.Token);
        var first = await Task.WhenAny(down, up);
        var second = first == down ? up : down;
        // The second pump forwards the other side's answer to the close; one that never comes is cut off.
        if (await Task.WhenAny(second, Task.Delay(CloseTimeout, CancellationToken.None)) != second) await stop.CancelAsync();
        await second.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        foreach (var socket in new[] { client, upstream })
            if (socket.State != WebSocketState.Closed) socket.Abort();
    }

    /// <summary>Forwards every message (fragment by fragment, so nothing is buffered whole) and finally the close.</summary>
    private static async Task PumpAsync(WebSocket from, WebSocket to, string reasonIfLost, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, token);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await CloseQuietlyAsync(to, from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, token);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // One side is gone without a close (a reset, a kill) or cannot be written: tell the other why.
            await CloseQuietlyAsync(to, WebSocketCloseStatus.EndpointUnavailable, reasonIfLost, CancellationToken.None);
        }
    }

    private static async Task CloseQuietlyAsync(WebSocket socket, WebSocketCloseStatus status, string? reason, CancellationToken token)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        // A close that can never be answered (a dead peer) must not hold the relay: CloseTimeout bounds it.
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(token);
        bounded.CancelAfter(CloseTimeout);
        try { await socket.CloseOutputAsync(status, reason, bounded.Token); }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException) { }
    }
}
