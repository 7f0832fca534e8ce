using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ringside.Cli.Bench.Server;

namespace Ringside.Cli.Bench.Soak;

/// <summary>Every HTTP answer of the soak, counted: 5xx and transport failures are what the bar forbids.</summary>
public sealed class SoakApi(BenchApi api)
{
    private long _requests, _serverErrors, _transportFailures, _rateLimited;
    private readonly ConcurrentQueue<string> _samples = new();

    public long Requests => Interlocked.Read(ref _requests);
    public long ServerErrors => Interlocked.Read(ref _serverErrors);
    public long TransportFailures => Interlocked.Read(ref _transportFailures);
    public string[] Samples => [.. _samples];
    public BenchApi Raw => api;

    /// <summary>The soak's own requests: a 429 (the server's rate limit, which stays on) is waited out and sent again.</summary>
    public Task<Reply> SendAsync(HttpMethod method, string relative, string? body) => SendAsync(method, api.Uri(relative), body is null ? null : BenchApi.Utf8(body), $"{method} {relative}");

    public async Task<Reply> SendAsync(HttpMethod method, Uri uri, byte[]? body, string what)
    {
        for (int attempt = 0; ; attempt++)
        {
            var reply = await Count(api.SendAsync(method, uri, body), what);
            if (reply.Status != 429 || attempt == 30) return reply;
            Interlocked.Increment(ref _rateLimited);
            await Task.Delay(1000);
        }
    }

    public long RateLimited => Interlocked.Read(ref _rateLimited);

    public async Task<Reply> Count(Task<Reply> sending, string what)
    {
        var reply = await sending;
        Interlocked.Increment(ref _requests);
        if (reply.Status >= 500) Interlocked.Increment(ref _serverErrors);
        if (reply.Status == 0) Interlocked.Increment(ref _transportFailures);
        if ((reply.Status >= 500 || reply.Status == 0) && _samples.Count < 10) _samples.Enqueue($"{what}: {reply.Describe()}");
        return reply;
    }

    /// <summary>A successful answer, or a <see cref="BenchException"/> naming what failed.</summary>
    public async Task<Reply> OkAsync(HttpMethod method, string relative, string? body)
    {
        var reply = await SendAsync(method, relative, body);
        return reply.Ok ? reply : throw new BenchException($"{method} {relative}: {reply.Describe()}");
    }
}

/// <summary>Writes the soak made and how many of them were found stored at the end.</summary>
public sealed record Acknowledged(long Acked, long Verified)
{
    public bool AllStored => Acked == Verified;
}

/// <summary>
/// Training jobs one after another (one epoch each, the smallest budget), each checked once it completes: the job's
/// profile answers with its model.
/// </summary>
internal sealed class JobsLoad(SoakApi api, long fighterId)
{
    public long Completed, Verified, Failed;

    public async Task RunAsync(CancellationToken stop)
    {
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            string profile = $"soak-{n}";
            var created = await api.OkAsync(HttpMethod.Post, "api/training-jobs",
                $$"""{"fighter_id":{{fighterId}},"profile_name":"{{profile}}","sliders":{"aggression":{{20 + n * 7 % 70}}},"epochs":1,"execute":true}""");
            long id = created.Id();
            string status = "queued";
            while (status is "pending" or "queued" or "running")
            {
                try { await Task.Delay(2000, stop); }
                catch (OperationCanceledException) { await api.SendAsync(HttpMethod.Post, $"api/training-jobs/{id}/cancel", null); return; }
                status = (await api.OkAsync(HttpMethod.Get, $"api/training-jobs/{id}", null)).Property("status").GetString() ?? "";
            }
            if (status != "completed") { Failed++; continue; }
            Completed++;
            if ((await api.SendAsync(HttpMethod.Get, $"api/fighter-profiles/{fighterId}/{profile}/model", null)).Ok) Verified++;
        }
    }
}

/// <summary>
/// One training session published into over HTTP at a steady rate, watched by WebSocket spectators that count what they
/// receive; at the end the history must hold the newest accepted messages (as many as it keeps) and every spectator must
/// have received every accepted message.
/// </summary>
internal sealed class SessionLoad(SoakApi api, string wsBase, int spectators, double rate)
{
    private readonly string _session = "soak-" + Guid.NewGuid().ToString("N")[..8];
    private readonly List<(ClientWebSocket Socket, Task<long> Reading)> _readers = [];
    public long Accepted, LastAccepted;

    public async Task StartAsync()
    {
        await api.OkAsync(HttpMethod.Post, "api/training/sessions", $$"""{"session_id":"{{_session}}","training_id":"soak","total_episodes":0}""");
        for (int i = 0; i < spectators; i++)
        {
            var socket = new ClientWebSocket();
            await BenchSockets.ConnectAsync(socket, new Uri($"{wsBase}/ws/{_session}?user_name=soak{i}"), $"soak spectator {i}");
            _readers.Add((socket, CountMetricsAsync(socket)));
        }
    }

    public Task RunAsync(CancellationToken stop) => Paced.RunAsync(rate, stop, async n =>
    {
        var reply = await api.SendAsync(HttpMethod.Post, $"api/training/sessions/{_session}/metrics",
            $$"""{"episode":{{n % 1_000_000}},"current_reward":{{BenchApi.Number(Math.Sin(n * 0.01))}},"win_rate":{{n % 100}},"note":"soak message {{n}}"}""");
        if (reply.Status == 202) { Accepted++; LastAccepted = reply.Property("sequence").GetInt64(); }
    });

    /// <summary>Messages received by every spectator (it closes them), and whether the history holds the newest accepted ones.</summary>
    public async Task<(long MinReceived, bool HistoryHoldsNewest, int HistoryTotal)> FinishAsync()
    {
        await Task.Delay(2000); // the last broadcasts are on their way
        foreach (var (socket, _) in _readers) await BenchSockets.CloseAsync(socket);
        long min = long.MaxValue;
        foreach (var (socket, reading) in _readers)
        {
            min = Math.Min(min, await reading);
            socket.Dispose();
        }
        var history = await api.OkAsync(HttpMethod.Get, $"api/training/sessions/{_session}/history?offset=0&limit=1", null);
        int total = history.Property("total").GetInt32();
        var newest = await api.OkAsync(HttpMethod.Get, $"api/training/sessions/{_session}/history?offset={Math.Max(0, total - 1)}&limit=1", null);
        long lastStored = newest.Property("messages").EnumerateArray().Select(m => m.GetProperty("sequence").GetInt64()).LastOrDefault();
        return (_readers.Count == 0 ? 0 : min, total > 0 && lastStored == LastAccepted, total);
    }

    private static async Task<long> CountMetricsAsync(ClientWebSocket socket)
    {
        var reader = new BenchSockets.MessageReader(socket);
        long received = 0;
        try
        {
            while (true)
            {
                var (message, closed) = await reader.NextAsync();
                if (closed) return received;
                using var doc = JsonDocument.Parse(message);
                if (doc.RootElement.GetProperty("type").GetString() == "training_metrics") received++;
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException) { return received; }
    }
}

/// <summary>
/// Live bot matches one after another, each watched by viewers from its first tick to match_end; then the stored match
/// must be finished with a replay, and a replay viewer streams that replay to its end.
/// </summary>
internal sealed class MatchesLoad(SoakApi api, string wsBase, long[] fighters, int viewers, double maxSeconds)
{
    public long Played, Verified, ReplaysStreamed;

    public async Task RunAsync(CancellationToken stop)
    {
        for (int n = 0; !stop.IsCancellationRequested; n++)
        {
            string[] bots = ["chaser", "cautious", "random", "chaser"];
            string lineup = string.Join(',', bots.Select((bot, i) => $$"""{"fighter_id":{{fighters[(n + i) % fighters.Length]}},"controller":"bot","bot":"{{bot}}"}"""));
            var created = await api.OkAsync(HttpMethod.Post, "api/matches",
                $$"""{"fighters":[{{lineup}}],"seed":{{n}},"max_seconds":{{BenchApi.Number(maxSeconds)}},"wait_for_spectator":true}""");
            long id = created.Id();
            var watching = Enumerable.Range(0, viewers).Select(_ => WatchAsync(new Uri($"{wsBase}/ws/matches/{id}"), "match_end")).ToArray();
            bool allSawEnd = (await Task.WhenAll(watching)).All(x => x);
            Played++;
            // The match is stored in the transaction that ends it; its viewers see match_end after.
            var stored = await api.SendAsync(HttpMethod.Get, $"api/matches/{id}", null);
            if (!stored.Ok || stored.Property("status").GetString() != "finished" || stored.Property("replay_id").ValueKind != JsonValueKind.Number || !allSawEnd)
                continue;
            Verified++;
            long replay = stored.Property("replay_id").GetInt64();
            if (await WatchAsync(new Uri($"{wsBase}/ws/replays/{replay}/frames?batch_size=300"), "replay_end")) ReplaysStreamed++;
        }
    }

    /// <summary>Reads a stream until a message of type <paramref name="last"/> (true) or its close (false).</summary>
    private static async Task<bool> WatchAsync(Uri uri, string last)
    {
        using var socket = new ClientWebSocket();
        try
        {
            await BenchSockets.ConnectAsync(socket, uri, "soak viewer");
            var reader = new BenchSockets.MessageReader(socket);
            while (true)
            {
                var (message, closed) = await reader.NextAsync();
                if (closed) return false;
                using var doc = JsonDocument.Parse(message);
                if (doc.RootElement.GetProperty("type").GetString() == last)
                {
                    await BenchSockets.CloseAsync(socket);
                    return true;
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or BenchException) { return false; }
    }
}

/// <summary>Episodes with a batch of frames each, completed; at the end every acknowledged episode must hold all its frames.</summary>
internal sealed class FramesLoad(SoakApi api, long fighterId, int framesPerBatch, double batchesPerSecond)
{
    private readonly FrameBodies _bodies = FrameBodies.Build(framesPerBatch, seed: 15);
    private readonly List<long> _acked = [];

    public long FramesAcked => _acked.Count * (long)framesPerBatch;

    public Task RunAsync(CancellationToken stop) => Paced.RunAsync(batchesPerSecond, stop, async _ =>
    {
        var episode = await api.SendAsync(HttpMethod.Post, "api/episodes", $$"""{"fighter_id":{{fighterId}}}""");
        if (!episode.Ok) return;
        long id = episode.Id();
        var batch = await api.SendAsync(HttpMethod.Post, api.Raw.Uri("api/fight-frames/batch"), _bodies.For(id), "POST api/fight-frames/batch");
        if (batch.Ok) _acked.Add(id);
        await api.SendAsync(HttpMethod.Patch, $"api/episodes/{id}", """{"total_reward":1.5,"duration_frames":100,"is_victory":true,"rank":1}""");
    });

    public async Task<Acknowledged> VerifyAsync()
    {
        long verified = 0;
        foreach (long id in _acked)
        {
            var page = await api.SendAsync(HttpMethod.Get, $"api/episodes/{id}/frames?skip=0&limit=1", null);
            if (page.Ok && page.TotalCount == framesPerBatch) verified++;
        }
        return new Acknowledged(FramesAcked, verified * framesPerBatch);
    }
}

/// <summary>
/// A slice of the fuzz (<see cref="HostileInputs"/>) at a steady rate against the operations whose valid bodies start no
/// work of their own (training jobs and live matches are the other loads' business) and delete nothing.
/// </summary>
internal sealed class HostileLoad(SoakApi api, List<ApiOperation> operations, Func<string, string?> validValue, double rate, int seed)
{
    private readonly HostileInputs _inputs = new(seed, validValue, longStringBytes: 256 * 1024);
    public long Sent, Refused;

    public static bool Included(ApiOperation op) =>
        op.Method != "DELETE" && !op.Path.StartsWith("/api/training-jobs", StringComparison.Ordinal) && op.Path != "/api/matches";

    public Task RunAsync(CancellationToken stop)
    {
        var rng = new Random(seed);
        return Paced.RunAsync(rate, stop, async _ =>
        {
            var op = operations[rng.Next(operations.Count)];
            var request = op.Writes ? _inputs.Write(op) : _inputs.Read(op);
            var sent = await api.Raw.SendRawAsync(new HttpMethod(request.Method), request.Target, request.Body, request.ContentType);
            if (sent.Status == 0 && sent.Failure?.StartsWith("not a URI", StringComparison.Ordinal) == true) return; // never left this process
            var reply = await api.Count(Task.FromResult(sent), request.ToString());
            Sent++;
            if (reply.Status is >= 400 and < 500) Refused++;
        });
    }
}

/// <summary>A steady rate: the n-th action starts at n / rate seconds (later if the one before ran long), until stopped.</summary>
internal static class Paced
{
    public static async Task RunAsync(double perSecond, CancellationToken stop, Func<long, Task> act)
    {
        var clock = Stopwatch.StartNew();
        for (long n = 0; !stop.IsCancellationRequested; n++)
        {
            var due = TimeSpan.FromSeconds(n / perSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero)
                try { await Task.Delay(due, stop); }
                catch (OperationCanceledException) { return; }
            await act(n);
        }
    }
}

/// <summary>What the soak needs from the server's JSON beyond <see cref="Reply"/>.</summary>
internal static class SoakJson
{
    public static long[] FighterIds(Reply fighters) =>
        JsonNode.Parse(fighters.Body)!.AsArray().Select(f => (long)f!["id"]!).ToArray();
}
