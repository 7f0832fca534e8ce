namespace Ringside.Server.Http;

/// <summary>
/// Headers on every response (pages, modules, API, problems): the pages load only the server's own scripts (no inline
/// script: each page is a module file, with no import map), may not be framed, and send no referrer elsewhere.
/// </summary>
public static class SecurityHeaders
{
    // img-src blob: and data: are the GLB loader's embedded textures and the pages' inline icon; connect-src 'self'
    // includes the server's own WebSockets (CSP 3).
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self' data: blob:; " +
        "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>The same for the interactive API page (/docs, Swagger UI), whose bundle writes style elements: inline styles, never scripts.</summary>
    public const string DocsContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' data: blob:; " +
        "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>Middleware, first: set when the response starts, so that an error page written later has them too.</summary>
    public static Task Add(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = context.Request.Path.StartsWithSegments("/docs") ? DocsContentSecurityPolicy : ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        });
        return next();
    }
}
