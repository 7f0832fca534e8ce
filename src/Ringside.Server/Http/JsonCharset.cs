using Microsoft.Net.Http.Headers;

namespace Ringside.Server.Http;

/// <summary>
/// JSON is UTF-8 (RFC 8259): a JSON body that names another charset gets a 415 problem before any endpoint reads it,
/// where ASP.NET would otherwise fail on an unknown encoding with a 500.
/// </summary>
public static class JsonCharset
{
    public static IApplicationBuilder UseJsonCharsetCheck(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Request.ContentType is { } header && MediaTypeHeaderValue.TryParse(header, out var type)
            && type.MediaType.Value is { } media && (media.EndsWith("/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase))
            && type.Charset.Value is { } charset && !IsUtf8(charset))
        {
            await Problems.Field(StatusCodes.Status415UnsupportedMediaType, "content-type",
                $"JSON bodies are UTF-8; charset '{charset}' is not supported (send charset=utf-8 or none).").ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    private static bool IsUtf8(string charset) =>
        charset.Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Trim('"').Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
