using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Ringside.Server.Http;

/// <summary>RFC 7807 problem details, always naming the field at fault in <c>errors</c> when there is one.</summary>
public static class Problems
{
    /// <summary>A problem naming one field; what the field and message echo of the input is repaired (<see cref="Utf16.Repaired"/>).</summary>
    public static ProblemHttpResult Field(int status, string field, string message, string? title = null)
    {
        (field, message) = (Utf16.Repaired(field), Utf16.Repaired(message));
        return TypedResults.Problem(new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
        {
            Status = status,
            Title = title ?? Title(status),
            Detail = message,
        });
    }

    public static ProblemHttpResult NotFound(string what, object id, string field = "id") =>
        Field(StatusCodes.Status404NotFound, field, $"{what} {id} does not exist.");

    public static ProblemHttpResult Conflict(string field, string message) => Field(StatusCodes.Status409Conflict, field, message);

    public static ProblemHttpResult Invalid(Validation v)
    {
        var errors = new Dictionary<string, string[]>();
        foreach (var (field, messages) in v.Errors) errors[Utf16.Repaired(field)] = messages.Select(Utf16.Repaired).ToArray();
        return TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "One or more fields are invalid.",
            Detail = string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")),
        });
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad request.",
        401 => "An API key is required.",
        404 => "Not found.",
        409 => "Conflict.",
        413 => "The request body is too large.",
        415 => "Unsupported media type.",
        422 => "The request cannot be processed.",
        429 => "Too many requests.",
        _ => "Error.",
    };

    /// <summary>
    /// Turns what ASP.NET Core throws for a bad request (unreadable or mistyped JSON, a body over the limit, a bad
    /// route or query value) into a problem whose <c>errors</c> names the field from the JSON path.
    /// </summary>
    public sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken token)
        {
            if (exception is not BadHttpRequestException bad) return false;
            var (field, message) = exception.InnerException is JsonException json
                ? (Truncated(json) ? "body" : FieldOf(json.Path), Describe(json))
                : ("body", bad.Message);
            if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge) field = "body";
            context.Response.StatusCode = bad.StatusCode;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new HttpValidationProblemDetails(new Dictionary<string, string[]> { [field] = [message] })
                {
                    Status = bad.StatusCode,
                    Title = Title(bad.StatusCode),
                    Detail = message,
                },
                Exception = exception,
            });
        }

        /// <summary>"$.frames[3].fighter_health" → "frames[3].fighter_health"; the root → "body".</summary>
        private static string FieldOf(string? path) =>
            string.IsNullOrEmpty(path) || path == "$" ? "body" : path.StartsWith("$.") ? path[2..] : path.TrimStart('$');

        /// <summary>The body ended early: no field is at fault, the document is.</summary>
        private static bool Truncated(JsonException e) =>
            e.Message.Contains("Expected depth to be zero", StringComparison.Ordinal) || e.Message.Contains("end of data", StringComparison.Ordinal);

        private static string Describe(JsonException e)
        {
            // The serializer's message names CLR types; keep the part a client can act on.
            string text = e.Message;
            int cut = text.IndexOf(" Path:", StringComparison.Ordinal);
            if (cut > 0) text = text[..cut];
            if (text.Contains("could not be converted", StringComparison.Ordinal))
                return "has the wrong type or is not a finite number.";
            return text;
        }
    }
}

/// <summary>Collects field errors of a request; empty when the request is valid.</summary>
public sealed class Validation
{
    public Dictionary<string, string[]> Errors { get; } = new();
    public bool Ok => Errors.Count == 0;

    public void Add(string field, string message) =>
        Errors[field] = Errors.TryGetValue(field, out var existing) ? [.. existing, message] : [message];

    public T? Required<T>(T? value, string field) where T : struct
    {
        if (value is null) Add(field, "is required.");
        return value;
    }

    public string? Required(string? value, string field, int maxLength = 200)
    {
        if (string.IsNullOrWhiteSpace(value)) Add(field, "is required.");
        else if (value.Length > maxLength) Add(field, $"must be at most {maxLength} characters.");
        return value;
    }

    public void Finite(double? value, string field)
    {
        if (value is { } v && !double.IsFinite(v)) Add(field, "must be a finite number.");
    }

    public void Range(double? value, double min, double max, string field)
    {
        if (value is not { } v) return;
        if (!double.IsFinite(v) || v < min || v > max) Add(field, $"must be a number from {min} to {max}, got {v}.");
    }

    public void Range(long? value, long min, long max, string field)
    {
        if (value is { } v && (v < min || v > max)) Add(field, $"must be from {min} to {max}, got {v}.");
    }

    /// <summary>A JSON array of finite numbers whose length is in [min, max].</summary>
    public void Numbers(JsonElement? value, int min, int max, string field, bool required = false)
    {
        if (value is not { } e || e.ValueKind == JsonValueKind.Null)
        {
            if (required) Add(field, "is required.");
            return;
        }
        if (e.ValueKind != JsonValueKind.Array) { Add(field, "must be an array of numbers."); return; }
        int n = e.GetArrayLength();
        if (n < min || n > max)
        {
            Add(field, min == max ? $"must have exactly {min} numbers, got {n}." : $"must have {min} to {max} numbers, got {n}.");
            return;
        }
        int i = 0;
        foreach (var item in e.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var d) || !double.IsFinite(d))
            {
                Add($"{field}[{i}]", "must be a finite number.");
                return;
            }
            i++;
        }
    }
}
