using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringside.Server.Http;

/// <summary>The wire format: snake_case fields (docs/SERVER.md, Endpoints), UTC times ending in Z, strict numbers (no "NaN").</summary>
public static class Json
{
    /// <summary>
    /// 2^53 - 1, the largest integer a JavaScript number holds exactly: every integer the API takes or gives (ids,
    /// seeds, counts) stays within it, so a browser client never rounds one.
    /// </summary>
    public const long MaxSafeInteger = (1L << 53) - 1;

    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.NumberHandling = JsonNumberHandling.Strict;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        o.Converters.Add(new UtcDateTimeConverter());
        o.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        return o;
    }

    /// <summary>SQLite hands times back without a kind; every time the server stores is UTC.</summary>
    private sealed class UtcDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetDateTime().ToUniversalTime();

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(DateTime.SpecifyKind(value, value.Kind == DateTimeKind.Local ? DateTimeKind.Local : DateTimeKind.Utc)
                .ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }
}
