using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ringside.Server.Data;

namespace Ringside.Server.Http;

/// <summary>
/// API keys: random bearer tokens of which only a SHA-256 hash is stored (a key has 256 bits of entropy, so a fast
/// hash is enough; there is nothing to brute-force). Mutating requests need one whenever the server listens beyond
/// loopback, or always when Security:RequireApiKey is "always". Keys never reach a log.
/// </summary>
public sealed class ApiKeys(Database db, RingsideOptions options, IServer server)
{
    private HashSet<string>? _hashes;
    private DateTime _hashesLoadedAt;
    private bool? _beyondLoopback;

    public static string NewKey() => "rk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>Creates a key and stores its hash; the caller shows the key once.</summary>
    public static async Task<string> CreateAsync(Database db, string name)
    {
        string key = NewKey();
        await AddHashAsync(db, name, Hash(key));
        return key;
    }

    /// <summary>Stores the configured key's hash (idempotent), so the key itself is kept nowhere by the server.</summary>
    public async Task RegisterConfiguredKeyAsync()
    {
        if (options.Security.ApiKey is { Length: > 0 } key) await AddHashAsync(db, "configured", Hash(key));
        _hashes = null;
    }

    private static async Task AddHashAsync(Database db, string name, string hash)
    {
        await db.WriteAsync(async (c, t) =>
        {
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE key_hash = @hash", new { hash }, t) == 0)
                await c.ExecuteAsync("INSERT INTO api_keys (name, key_hash, created_at) VALUES (@name, @hash, @now)", new { name, hash, now = DateTime.UtcNow }, t);
        });
    }

    public bool Required
    {
        get
        {
            if (string.Equals(options.Security.RequireApiKey, "always", StringComparison.OrdinalIgnoreCase)) return true;
            return _beyondLoopback ??= ListensBeyondLoopback();
        }
    }

    private bool ListensBeyondLoopback() => AnyBeyondLoopback(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);

    /// <summary>True when any address (http://0.0.0.0:8001, http://+:80, http://192.168.1.5:8001 ...) is not loopback.</summary>
    public static bool AnyBeyondLoopback(IEnumerable<string> addresses)
    {
        foreach (var address in addresses)
        {
            if (!Uri.TryCreate(address.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri)) return true;
            if (uri.IsLoopback) continue;
            if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip)) continue;
            return true;
        }
        return false;
    }

    public async Task<bool> IsValidAsync(string key)
    {
        // Keys made by `ringside apikey create` while the server runs are seen within 10 s.
        if (_hashes is null || DateTime.UtcNow - _hashesLoadedAt > TimeSpan.FromSeconds(10))
        {
            _hashes = (await db.ReadAsync(c => c.QueryAsync<string>("SELECT key_hash FROM api_keys"))).ToHashSet();
            _hashesLoadedAt = DateTime.UtcNow;
        }
        byte[] hash = Encoding.ASCII.GetBytes(Hash(key));
        // Constant time, whatever the key: compare against every stored hash.
        bool found = false;
        foreach (var stored in _hashes) found |= CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(stored));
        return found;
    }

    /// <summary>
    /// Whether a request needs a key when keys are required: a POST, PUT, PATCH or DELETE under /api. The API document
    /// (<see cref="ApiDocument"/>) asks the same question of each route template.
    /// </summary>
    public static bool NeedsKey(string method, PathString path) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)) && path.StartsWithSegments("/api");

    /// <summary>Middleware: a request that <see cref="NeedsKey"/> sends "Authorization: Bearer KEY" when keys are required.</summary>
    public static async Task Enforce(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (NeedsKey(request.Method, request.Path))
        {
            var keys = context.RequestServices.GetRequiredService<ApiKeys>();
            if (keys.Required)
            {
                string header = request.Headers.Authorization.ToString();
                string? key = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
                if (key is null || !await keys.IsValidAsync(key))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    await Results.Problem(new Microsoft.AspNetCore.Mvc.ProblemDetails
                    {
                        Status = 401,
                        Title = "An API key is required.",
                        Detail = key is null
                            ? "This server needs an API key for changes: send \"Authorization: Bearer <key>\" (create one with `ringside apikey create`)."
                            : "The API key is not valid.",
                    }).ExecuteAsync(context);
                    return;
                }
            }
        }
        await next();
    }
}
