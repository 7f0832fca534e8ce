using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ringside.Server.Data;

namespace Ringside.Server.Http;

/// <summary>What a key may do: read (everything a GET shows, model weights and exports included) or write (also change).</summary>
public enum KeyRole { Read, Write }

/// <summary>A verified key: its row id (the rate limiter's client) and its role.</summary>
public sealed record ApiCaller(long KeyId, KeyRole Role);

/// <summary>When keys are asked for (Security:RequireApiKey; docs/SERVER.md, Security model).</summary>
public enum KeyMode
{
    /// <summary>"auto" on a server that listens on loopback only: the machine's own users may do everything.</summary>
    Open,
    /// <summary>"writes", and "auto" beyond loopback: spectators read and watch; weights, exports and changes need a key.</summary>
    Writes,
    /// <summary>"always": every read and every stream needs a key too; only health, the pages and the API document stay open.</summary>
    Always,
}

/// <summary>
/// API keys: random bearer tokens of which only a SHA-256 hash is stored (a key has 256 bits of entropy, so a fast
/// hash is enough; there is nothing to brute-force), each with a role. Keys never reach a log.
/// </summary>
public sealed class ApiKeys(Database db, RingsideOptions options, IServer server)
{
    private Dictionary<string, ApiCaller>? _keys;
    private DateTime _keysLoadedAt;
    private KeyMode? _mode;

    public static string NewKey() => "rk_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static string RoleName(KeyRole role) => role == KeyRole.Read ? "read" : "write";

    public static KeyRole ParseRole(string role) => role.ToLowerInvariant() switch
    {
        "read" => KeyRole.Read,
        "write" => KeyRole.Write,
        _ => throw new ArgumentException($"a key's role is read or write, not '{role}'."),
    };

    /// <summary>Creates a key and stores its hash; the caller shows the key once.</summary>
    public static async Task<string> CreateAsync(Database db, string name, KeyRole role = KeyRole.Write)
    {
        string key = NewKey();
        await AddHashAsync(db, name, Hash(key), role);
        return key;
    }

    /// <summary>Stores the configured keys' hashes (idempotent), so the keys themselves are kept nowhere by the server.</summary>
    public async Task RegisterConfiguredKeysAsync()
    {
        if (options.Security.ApiKey is { Length: > 0 } key) await AddHashAsync(db, "configured", Hash(key), KeyRole.Write);
        if (options.Security.ReadApiKey is { Length: > 0 } readKey) await AddHashAsync(db, "configured-read", Hash(readKey), KeyRole.Read);
        _keys = null;
    }

    private static async Task AddHashAsync(Database db, string name, string hash, KeyRole role)
    {
        await db.WriteAsync(async (c, t) =>
        {
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM api_keys WHERE key_hash = @hash", new { hash }, t) == 0)
                await c.ExecuteAsync("INSERT INTO api_keys (name, key_hash, role, created_at) VALUES (@name, @hash, @role, @now)",
                    new { name, hash, role = RoleName(role), now = DateTime.UtcNow }, t);
        });
    }

    /// <summary>Security:RequireApiKey read once: "auto" asks the server where it listens, which is known once it has started.</summary>
    public KeyMode Mode => _mode ??= ModeOf(options.Security.RequireApiKey, () => AnyBeyondLoopback(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []));

    public static KeyMode ModeOf(string setting, Func<bool> beyondLoopback) => setting.ToLowerInvariant() switch
    {
        "auto" => beyondLoopback() ? KeyMode.Writes : KeyMode.Open,
        "writes" => KeyMode.Writes,
        "always" => KeyMode.Always,
        _ => throw new InvalidOperationException($"Ringside:Security:RequireApiKey is '{setting}'; expected auto, writes or always."),
    };

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

    public async Task<bool> IsValidAsync(string key) => await VerifyAsync(key) is not null;

    /// <summary>The key's id and role, or null for a key that is not stored.</summary>
    public async Task<ApiCaller?> VerifyAsync(string key)
    {
        // Keys made by `ringside apikey create` while the server runs are seen within 10 s.
        var keys = _keys;
        if (keys is null || DateTime.UtcNow - _keysLoadedAt > TimeSpan.FromSeconds(10))
        {
            var rows = await db.ReadAsync(c => c.QueryAsync<(long Id, string KeyHash, string Role)>("SELECT id, key_hash, role FROM api_keys"));
            _keys = keys = rows.ToDictionary(r => r.KeyHash, r => new ApiCaller(r.Id, ParseRole(r.Role)));
            _keysLoadedAt = DateTime.UtcNow;
        }
        byte[] hash = Encoding.ASCII.GetBytes(Hash(key));
        // Constant time, whatever the key: compare against every stored hash.
        ApiCaller? found = null;
        foreach (var (stored, caller) in keys)
            if (CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(stored))) found = caller;
        return found;
    }
}
