using System.Collections.Concurrent;
using System.Diagnostics;

namespace Ringside.Server.Http;

/// <summary>
/// A token bucket per client: the verified key's id, or for anonymous callers and keys that are not valid the client's
/// address, so a made-up bearer token spends its sender's bucket. The state is bounded: at most MaxClients buckets;
/// when that many exist, full buckets (clients that have rested long enough to hold no debt) are dropped, and if none
/// is, new clients share one overflow bucket until some are.
/// </summary>
public sealed class ClientRateLimiter(RateLimitOptions limits)
{
    public const string Overflow = "overflow";
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new();
    private readonly Lock _sweep = new();

    /// <summary>Buckets held now (the bound's test reads it).</summary>
    public int Clients => _buckets.Count;

    public static string ClientOf(HttpContext context) =>
        context.Caller() is { } caller ? "key:" + caller.KeyId : "ip:" + context.Connection.RemoteIpAddress;

    /// <summary>Takes a token for the client; when there is none, how long until there is.</summary>
    public bool TryTake(string client, out TimeSpan retryAfter)
    {
        long now = Stopwatch.GetTimestamp();
        if (!_buckets.TryGetValue(client, out var bucket))
        {
            if (_buckets.Count >= limits.MaxClients) DropFull(now);
            if (_buckets.Count >= limits.MaxClients) client = Overflow;
            bucket = _buckets.GetOrAdd(client, _ => new Bucket(limits.Burst, now));
        }
        return bucket.TryTake(now, Math.Max(1, limits.Burst), Math.Max(1, limits.PermitsPerSecond), out retryAfter);
    }

    private void DropFull(long now)
    {
        lock (_sweep)
        {
            if (_buckets.Count < limits.MaxClients) return;
            foreach (var (client, bucket) in _buckets)
                if (client != Overflow && bucket.IsFull(now, Math.Max(1, limits.Burst), Math.Max(1, limits.PermitsPerSecond))) _buckets.TryRemove(client, out _);
        }
    }

    /// <summary>Middleware: a refused request gets 429 with Retry-After, as an RFC 7807 problem.</summary>
    public async Task Limit(HttpContext context, Func<Task> next)
    {
        if (TryTake(ClientOf(context), out var retryAfter))
        {
            await next();
            return;
        }
        int seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = seconds.ToString();
        await Results.Problem(statusCode: 429, title: "Too many requests.",
            detail: $"This client sent more than {limits.PermitsPerSecond} requests per second; retry after {seconds} s.").ExecuteAsync(context);
    }

    private sealed class Bucket(double tokens, long updated)
    {
        private readonly Lock _lock = new();
        private double _tokens = tokens;
        private long _updated = updated;

        public bool TryTake(long now, int burst, int perSecond, out TimeSpan retryAfter)
        {
            lock (_lock)
            {
                Refill(now, burst, perSecond);
                if (_tokens >= 1)
                {
                    _tokens -= 1;
                    retryAfter = TimeSpan.Zero;
                    return true;
                }
                retryAfter = TimeSpan.FromSeconds((1 - _tokens) / perSecond);
                return false;
            }
        }

        public bool IsFull(long now, int burst, int perSecond)
        {
            lock (_lock)
            {
                Refill(now, burst, perSecond);
                return _tokens >= burst;
            }
        }

        private void Refill(long now, int burst, int perSecond)
        {
            if (now <= _updated) return; // another thread's later clock already counted
            _tokens = Math.Min(burst, _tokens + Stopwatch.GetElapsedTime(_updated, now).TotalSeconds * perSecond);
            _updated = now;
        }
    }
}
