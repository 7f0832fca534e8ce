using Microsoft.AspNetCore.Mvc;

namespace Ringside.Server.Http;

/// <summary>What a request needs (docs/SERVER.md, Security model).</summary>
public enum Access
{
    /// <summary>Open in every mode: health, the pages and their modules, the API document.</summary>
    Public,
    /// <summary>What a spectator reads and watches: open unless RequireApiKey is "always", then a read key.</summary>
    Spectator,
    /// <summary>Model weights, exports and inference: a read or write key whenever keys are asked for.</summary>
    Read,
    /// <summary>Any change: a write key whenever keys are asked for.</summary>
    Write,
}

/// <summary>Endpoint metadata naming what an endpoint needs when the default (by method) is not it.</summary>
public sealed record AccessRule(Access Needs);

/// <summary>
/// One policy for HTTP and WebSockets (an upgrade is a GET that reaches the same middleware): who the caller is (a
/// verified bearer key, or anonymous), what the request needs, and for WebSockets whether the page that opens one
/// may. What a request needs: its endpoint's <see cref="AccessRule"/>, else Write for POST, PUT, PATCH and DELETE,
/// else Spectator for an endpoint or a fighter's GLB, else Public (the pages' static files, which hold no data).
/// </summary>
public static class AccessPolicy
{
    public static TBuilder Needs<TBuilder>(this TBuilder builder, Access access) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AccessRule(access));

    /// <summary>The verified caller of this request (null: anonymous, or a key that is not valid).</summary>
    public static ApiCaller? Caller(this HttpContext context) => context.Features.Get<ApiCaller>();

    /// <summary>Middleware, before the rate limiter: verifies a bearer key, so that the limiter counts per verified key.</summary>
    public static async Task Authenticate(HttpContext context, Func<Task> next)
    {
        if (BearerKey(context.Request) is { } key && await context.RequestServices.GetRequiredService<ApiKeys>().VerifyAsync(key) is { } caller)
            context.Features.Set(caller);
        await next();
    }

    /// <summary>Middleware, after the rate limiter: refuses what the caller may not do (401, 403) and foreign pages' WebSockets (403).</summary>
    public static async Task Enforce(HttpContext context, Func<Task> next)
    {
        var keys = context.RequestServices.GetRequiredService<ApiKeys>();
        if (context.WebSockets.IsWebSocketRequest && !OriginAllowed(context))
        {
            await Refuse(context, 403, "This page's origin may not open the server's WebSockets.",
                $"Origin {context.Request.Headers.Origin} is neither this server nor one of Ringside:Security:CorsOrigins.");
            return;
        }
        var needs = NeedsOf(context);
        if (KeyNeeded(needs, keys.Mode))
        {
            var caller = context.Caller();
            if (caller is null)
            {
                bool sent = BearerKey(context.Request) is not null;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                await Refuse(context, 401, "An API key is required.", sent
                    ? "The API key is not valid."
                    : $"This server needs an API key for {What(needs)}: send \"Authorization: Bearer <key>\" (create one with `ringside apikey create`).");
                return;
            }
            if (needs == Access.Write && caller.Role != KeyRole.Write)
            {
                await Refuse(context, 403, "This key may only read.", "Changes need a write key (`ringside apikey create --role write`).");
                return;
            }
        }
        await next();
    }

    private static string What(Access needs) => needs switch
    {
        Access.Write => "changes",
        Access.Read => "model weights, exports and inference",
        _ => "every read and stream",
    };

    public static bool KeyNeeded(Access needs, KeyMode mode) =>
        mode != KeyMode.Open && (needs is Access.Read or Access.Write || (needs == Access.Spectator && mode == KeyMode.Always));

    public static Access NeedsOf(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        return NeedsOf(context.Request.Method, endpoint?.Metadata.GetMetadata<AccessRule>(), endpoint is not null, context.Request.Path);
    }

    /// <summary>The same for a request, or for an operation of the API document (<see cref="ApiDocument"/>).</summary>
    public static Access NeedsOf(string method, AccessRule? rule, bool isEndpoint, PathString path)
    {
        if (rule is not null) return rule.Needs;
        if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method)) return Access.Write;
        if (isEndpoint || path.StartsWithSegments("/fighters")) return Access.Spectator;
        return Access.Public;
    }

    /// <summary>
    /// The key of "Authorization: Bearer KEY", or for a browser's WebSocket (whose headers a page cannot set) of the
    /// offered subprotocols "ringside" and "ringside.key.KEY".
    /// </summary>
    public static string? BearerKey(HttpRequest request)
    {
        string header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && header[7..].Trim() is { Length: > 0 } key) return key;
        foreach (string protocol in request.Headers.SecWebSocketProtocol.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries)))
            if (protocol.StartsWith(KeyProtocolPrefix, StringComparison.Ordinal) && protocol.Length > KeyProtocolPrefix.Length) return protocol[KeyProtocolPrefix.Length..];
        return null;
    }

    public const string Protocol = "ringside", KeyProtocolPrefix = "ringside.key.";

    /// <summary>The subprotocol a WebSocket is accepted with: "ringside" when the client offered it (a browser sending its key), else none.</summary>
    public static string? SubProtocol(HttpContext context) => context.WebSockets.WebSocketRequestedProtocols.Contains(Protocol) ? Protocol : null;

    /// <summary>
    /// A WebSocket without an Origin (a script, a game engine) is not a browser page and passes to the key rules; a
    /// browser's is allowed from this server's own pages (same host and port) or from a CORS origin.
    /// </summary>
    public static bool OriginAllowed(HttpContext context)
    {
        string origin = context.Request.Headers.Origin.ToString();
        if (origin.Length == 0) return true;
        var allowed = context.RequestServices.GetRequiredService<RingsideOptions>().Security.CorsOrigins;
        if (allowed.Any(a => string.Equals(a.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase))) return true;
        // Same origin: the authority the browser connected to is the one it came from (a TLS proxy in front changes
        // the scheme, not the host).
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private static Task Refuse(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Results.Problem(new ProblemDetails { Status = status, Title = title, Detail = detail }).ExecuteAsync(context);
    }
}
