using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Ringside.Cli.Bench;

/// <summary>An HTTP answer as the benches count it: a transport failure is status 0 with its message.</summary>
public readonly record struct Reply(int Status, byte[] Body, string? Failure, long? TotalCount)
{
    public bool Ok => Status is >= 200 and < 300;

    public string Text => Failure ?? Encoding.UTF8.GetString(Body);

    public string Describe() => (Status == 0 ? "" : $"HTTP {Status}: ") + (Text.Length <= 300 ? Text : Text[..300] + "...");

    /// <summary>The "id" of the JSON object in the body (what a POST that creates something answers).</summary>
    public long Id() => Property("id").GetInt64();

    /// <summary>A top-level property of the JSON object in the body (a copy that outlives the parsed document).</summary>
    public JsonElement Property(string name)
    {
        using var doc = JsonDocument.Parse(Body);
        return doc.RootElement.GetProperty(name).Clone();
    }
}

/// <summary>The benches' HTTP client: requests to the server under test, answers read whole, failures returned rather than thrown.</summary>
public sealed class BenchApi(HttpClient http, string url)
{
    private readonly Uri _base = new(url.TrimEnd('/') + "/");

    public Uri Uri(string relative) => new(_base, relative);

    public Task<Reply> SendAsync(HttpMethod method, string relative, string? body) =>
        SendAsync(method, Uri(relative), body is null ? null : Utf8(body));

    /// <summary>Sends the first <paramref name="length"/> bytes of <paramref name="body"/> (all by default) as JSON.</summary>
    public Task<Reply> SendAsync(HttpMethod method, Uri uri, byte[]? body, int length = -1) =>
        SendAsync(method, uri, body is null ? null : new ByteArrayContent(body, 0, length < 0 ? body.Length : length), "application/json");

    /// <summary>
    /// Sends a body with any content type (none when null), unchecked, to a target that may hold anything a client could
    /// send (hostile inputs); a target that is not even a URI is a transport failure.
    /// </summary>
    public Task<Reply> SendRawAsync(HttpMethod method, string target, byte[]? body, string? contentType)
    {
        if (!System.Uri.TryCreate(_base, target, out var uri)) return Task.FromResult(new Reply(0, [], $"not a URI: {target}", null));
        return SendAsync(method, uri, body is null ? null : new ByteArrayContent(body), contentType);
    }

    /// <summary>Posts a multipart form (an upload).</summary>
    public Task<Reply> PostFormAsync(string relative, MultipartFormDataContent form) => SendAsync(HttpMethod.Post, Uri(relative), form, null);

    private async Task<Reply> SendAsync(HttpMethod method, Uri uri, HttpContent? content, string? contentType)
    {
        using var request = new HttpRequestMessage(method, uri);
        if (content is not null)
        {
            request.Content = content;
            if (contentType is not null && !content.Headers.TryAddWithoutValidation("Content-Type", contentType))
                content.Headers.ContentType = null;
        }
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            byte[] bytes = await response.Content.ReadAsByteArrayAsync();
            long? total = response.Headers.TryGetValues("X-Total-Count", out var values)
                          && long.TryParse(values.FirstOrDefault(), CultureInfo.InvariantCulture, out var n) ? n : null;
            return new Reply((int)response.StatusCode, bytes, null, total);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return new Reply(0, [], $"{e.GetType().Name}: {e.Message}", null);
        }
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A number as JSON text, rounded to 4 decimals.</summary>
    public static string Number(double value) => Math.Round(value, 4).ToString("R", CultureInfo.InvariantCulture);
}
