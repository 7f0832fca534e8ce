using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ringside.Cli.Bench.Soak;

/// <summary>An operation of the API as /openapi/v1.json describes it: what the hostile inputs are made from.</summary>
public sealed record ApiOperation(string Method, string Path, JsonObject? BodySchema, bool Multipart, IReadOnlyList<ApiParameter> Parameters)
{
    public bool Writes => Method is not "GET" and not "HEAD";

    public override string ToString() => $"{Method} {Path}";

    /// <summary>Every operation of the document, with its request body's schema resolved (<c>$ref</c>s inlined, cycles cut).</summary>
    public static List<ApiOperation> FromOpenApi(JsonNode document)
    {
        var schemas = document["components"]?["schemas"]?.AsObject();
        var operations = new List<ApiOperation>();
        foreach (var (path, item) in document["paths"]!.AsObject())
            foreach (var (method, op) in item!.AsObject())
            {
                if (op is not JsonObject operation || method is "parameters" or "summary" or "description" or "servers") continue;
                var parameters = (operation["parameters"]?.AsArray() ?? []).OfType<JsonObject>()
                    .Select(p => new ApiParameter((string)p["name"]!, (string)p["in"]!, TypeOf(Resolve(p["schema"], schemas, 0)))).ToList();
                var content = operation["requestBody"]?["content"]?.AsObject();
                bool multipart = content?.ContainsKey("multipart/form-data") == true;
                var schema = content?.FirstOrDefault(c => c.Key.Contains("json", StringComparison.Ordinal) || c.Key.StartsWith("multipart", StringComparison.Ordinal)).Value?["schema"];
                operations.Add(new ApiOperation(method.ToUpperInvariant(), path, Resolve(schema, schemas, 0) as JsonObject, multipart, parameters));
            }
        return operations;
    }

    private static JsonNode? Resolve(JsonNode? schema, JsonObject? schemas, int depth)
    {
        if (schema is not JsonObject o || depth > 6) return null;
        if (o["$ref"] is JsonValue r && ((string)r!).Split('/')[^1] is var name && schemas?[name] is { } target)
            return Resolve(target, schemas, depth + 1);
        var copy = new JsonObject();
        foreach (var (key, value) in o)
            copy[key] = key switch
            {
                "properties" => new JsonObject(value!.AsObject().Select(p => KeyValuePair.Create(p.Key, Resolve(p.Value, schemas, depth + 1)))),
                "items" or "additionalProperties" => Resolve(value, schemas, depth + 1),
                "oneOf" or "anyOf" or "allOf" => new JsonArray(value!.AsArray().Select(s => Resolve(s, schemas, depth + 1)).ToArray()),
                _ => value?.DeepClone(),
            };
        return copy;
    }

    /// <summary>The schema's JSON type, the first that is not "null" (OpenAPI 3.1 lists several).</summary>
    internal static string TypeOf(JsonNode? schema)
    {
        if (schema is not JsonObject o) return "any";
        if (o["type"] is JsonValue v) return (string)v!;
        if (o["type"] is JsonArray types) return types.Select(t => (string)t!).FirstOrDefault(t => t != "null") ?? "null";
        if ((o["oneOf"] ?? o["anyOf"]) is JsonArray options) return options.Select(TypeOf).FirstOrDefault(t => t is not "null" and not "any") ?? "any";
        if (o["properties"] is not null) return "object";
        return "any";
    }
}

/// <summary>A path or query parameter of an operation ("in" is "path" or "query").</summary>
public sealed record ApiParameter(string Name, string In, string Type);

/// <summary>One hostile request: <see cref="Body"/> null sends no body; <see cref="ContentType"/> null sends none.</summary>
public sealed record HostileRequest(string Method, string Target, byte[]? Body, string? ContentType, string What)
{
    public override string ToString() => $"{Method} {(Target.Length <= 200 ? Target : Target[..200] + "...")} [{What}]";
}

/// <summary>
/// A seeded, bounded generator of hostile requests for any operation of the API (issue 15's fuzz): wrong JSON types for
/// every field, missing and extra fields, huge and non-finite numbers, lone surrogates, deep nesting, empty and truncated
/// bodies, wrong content types and charsets, long strings within the body limit, malformed multipart, and bad path and
/// query values. Bodies start from a plausible value built from the operation's schema, so one mutation at a time
/// reaches past the parser into the endpoint's own validation. The same seed gives the same requests.
/// </summary>
/// <param name="validValue">a value that names something that exists for a path, query or body field (a fighter id for
/// "fighter_id"), or null when the generator should make one up; it lets a hostile body reach an existing resource.</param>
public sealed class HostileInputs(int seed, Func<string, string?> validValue, int longStringBytes = 1 << 20)
{
    private const string Marker = "\u0001hostile\u0001";
    private readonly Random _rng = new(seed);

    /// <summary>Raw JSON values that are the wrong type, out of range or not representable for most fields.</summary>
    private static readonly string[] WrongValues =
    [
        "\"text\"", "\"\"", "123", "-1", "0", "1.5", "true", "false", "null", "[]", "{}", "[1,2]", "{\"a\":1}", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"",
        "1e400", "-1e400", "99999999999999999999999999", "-9223372036854775809", "9223372036854775808", "18446744073709551616",
        "\"\\ud800\"", "\"a\\udc00b\"", "\"\\u0000\"", "\"12\"", "\"1e5\"", "\"2026-13-45T99:99:99Z\"", "[\"\\ud800\"]", "{\"\\ud800\":1}",
        "1.7976931348623157e308", "4.9e-324", "-0", "[null]", "[[[[]]]]", "\"" + new string('x', 300) + "\"",
    ];

    /// <summary>Whole bodies that are not the JSON object an endpoint expects, or not JSON at all.</summary>
    private static readonly string[] WrongBodies =
    [
        "", " ", "null", "[]", "[{}]", "\"text\"", "1", "true", "{", "{\"a\":", "{\"a\" 1}", "{'a': 1}", "{\"a\":1,}", "{\"a\":NaN}", "{\"a\":Infinity}",
        "{\"a\":1}{\"b\":2}", "\"\\ud800\"", "{\"\\ud800\":1}", "{\"a\":\"\\uZZZZ\"}", "\u0000", "<xml/>", "a=1&b=2",
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "application/json; charset=bogus", "application/json; charset=utf-16",
        "application/json; charset=\"\"", "application/json; charset=latin1", "multipart/form-data", "multipart/form-data; boundary=", "application/octet-stream",
        "application/json;;;", "*/*", "application/",
    ];

    private static readonly string[] BadPathValues =
    [
        "0", "-1", "abc", "1.5", "9223372036854775807", "9223372036854775808", "99999999999999999999999", "%00", "%ED%A0%80", "%FF%FE", "..%2F..%2Fetc",
        "%2e%2e", "a%20b", "%F0%9F%98%80", "1e3", "%22%3E%3Cscript%3E", "_", "-", "job-0", "null", new string('9', 400),
    ];

    private static readonly string[] BadQueryValues =
    [
        "", "-1", "0", "abc", "1.5", "1e10", "NaN", "Infinity", "99999999999999999999", "-9223372036854775809", "%00", "%ED%A0%80", "%FF", "true", "[]",
        "2026-13-45", "2026-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999", "0001-01-01", "%22", new string('x', 4000), "1,2,3",
    ];

    /// <summary>A hostile write: a mutated body (or content type) for an operation with a body, a hostile path otherwise.</summary>
    public HostileRequest Write(ApiOperation op)
    {
        string target = Target(op, hostilePath: _rng.NextDouble() < 0.15, hostileQuery: _rng.NextDouble() < 0.15);
        if (op.Multipart) return Multipart(op, target);
        if (op.BodySchema is null && _rng.NextDouble() < 0.5) return new HostileRequest(op.Method, target, null, null, "no body");
        var body = Plausible(op.BodySchema, "", 0) as JsonObject ?? [];
        if (body.Count == 0) { body["episode"] = 1; body["value"] = 0.5; } // a free-form object (a session message)
        double roll = _rng.NextDouble();
        if (roll < 0.50) return Json(op, target, MutateField(body, out string what), what);
        if (roll < 0.60) return Json(op, target, WithExtraField(body, out string what), what);
        if (roll < 0.72) return Json(op, target, Utf8(Pick(WrongBodies)), "wrong body");
        if (roll < 0.78) return Json(op, target, Deep(_rng.Next(2) == 0 ? 70 : 20_000), "deep nesting");
        if (roll < 0.83) return Json(op, target, Truncated(body), "truncated body");
        if (roll < 0.87) return Json(op, target, LongString(body), "long string");
        if (roll < 0.90) return Json(op, target, [0xFF, 0xFE, 0x7B, 0xC3, 0x28, 0x7D], "invalid UTF-8");
        if (roll < 0.93) return Json(op, target, [0xEF, 0xBB, 0xBF, .. Utf8(body.ToJsonString())], "byte order mark");
        string type = Pick(ContentTypes);
        return new HostileRequest(op.Method, target, Utf8(body.ToJsonString()), type, $"content type {type}");
    }

    /// <summary>A hostile read: bad path and query values, repeated and unknown parameters.</summary>
    public HostileRequest Read(ApiOperation op)
    {
        bool hostilePath = op.Parameters.Any(p => p.In == "path") && _rng.NextDouble() < 0.4;
        string target = Target(op, hostilePath, hostileQuery: true);
        return new HostileRequest(op.Method, target, null, null, hostilePath ? "bad path and query" : "bad query");
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Paths and queries

    private string Target(ApiOperation op, bool hostilePath, bool hostileQuery)
    {
        var path = new StringBuilder(op.Path);
        foreach (var p in op.Parameters.Where(p => p.In == "path"))
        {
            string value = hostilePath && _rng.Next(2) == 0 ? Pick(BadPathValues) : Uri.EscapeDataString(validValue(p.Name) ?? "1");
            path.Replace("{" + p.Name + "}", value);
        }
        var query = new List<string>();
        foreach (var p in op.Parameters.Where(p => p.In == "query"))
        {
            if (!hostileQuery) continue;
            if (_rng.NextDouble() < 0.3) continue;
            query.Add($"{p.Name}={Pick(BadQueryValues)}");
            if (_rng.NextDouble() < 0.1) query.Add($"{p.Name}={Pick(BadQueryValues)}"); // the same parameter twice
        }
        if (hostileQuery && _rng.NextDouble() < 0.2) query.Add($"{Pick(BadQueryValues)}={Pick(BadQueryValues)}");
        return query.Count == 0 ? path.ToString() : path + "?" + string.Join('&', query);
    }

    // ----------------------------------------------------------------------------------------------------------------
    // JSON bodies

    /// <summary>A value that fits the schema, with real ids where <c>validValue</c> knows one.</summary>
    private JsonNode? Plausible(JsonNode? schema, string name, int depth)
    {
        if (depth > 5) return null;
        if (name.Length > 0 && validValue(name) is { } known)
            return long.TryParse(known, NumberStyles.Integer, CultureInfo.InvariantCulture, out long id) ? JsonValue.Create(id) : JsonValue.Create(known);
        var o = schema as JsonObject;
        if (o?["enum"] is JsonArray values && values.Count > 0) return values[_rng.Next(values.Count)]?.DeepClone();
        switch (ApiOperation.TypeOf(schema))
        {
            case "object":
                var result = new JsonObject();
                foreach (var (key, property) in o?["properties"]?.AsObject() ?? [])
                    if (_rng.NextDouble() < 0.85) result[key] = Plausible(property, key, depth + 1);
                return result;
            case "array":
                int count = 1 + _rng.Next(3);
                return new JsonArray(Enumerable.Range(0, count).Select(_ => Plausible(o?["items"], "", depth + 1)).ToArray());
            case "integer": return JsonValue.Create(_rng.Next(0, 5));
            case "number": return JsonValue.Create(Math.Round(_rng.NextDouble(), 3));
            case "boolean": return JsonValue.Create(_rng.Next(2) == 0);
            case "string": return JsonValue.Create(o?["format"]?.ToString() == "date-time" ? "2026-01-01T00:00:00Z" : "soak-" + _rng.Next(1000));
            default: return JsonValue.Create(1);
        }
    }

    /// <summary>One field anywhere in the body replaced by a wrong value, or removed.</summary>
    private byte[] MutateField(JsonObject body, out string what)
    {
        var slots = new List<(JsonNode Parent, string? Key, int Index, string Path)>();
        Collect(body, "", slots);
        if (slots.Count == 0) { what = "empty object"; return Utf8("{}"); }
        var (parent, key, index, path) = slots[_rng.Next(slots.Count)];
        if (_rng.NextDouble() < 0.2 && key is not null)
        {
            parent.AsObject().Remove(key);
            what = $"missing {path}";
            return Utf8(body.ToJsonString());
        }
        string raw = Pick(WrongValues);
        if (key is not null) parent[key] = Marker; else parent[index] = Marker;
        what = $"{path} = {(raw.Length > 40 ? raw[..40] + "..." : raw)}";
        return Utf8(body.ToJsonString().Replace(JsonSerializer.Serialize(Marker), raw));
    }

    private static void Collect(JsonNode node, string path, List<(JsonNode, string?, int, string)> slots)
    {
        if (node is JsonObject o)
            foreach (var (key, child) in o.ToList())
            {
                string at = path.Length == 0 ? key : $"{path}.{key}";
                slots.Add((o, key, -1, at));
                if (child is not null) Collect(child, at, slots);
            }
        else if (node is JsonArray a)
            for (int i = 0; i < a.Count; i++)
            {
                slots.Add((a, null, i, $"{path}[{i}]"));
                if (a[i] is { } child) Collect(child, $"{path}[{i}]", slots);
            }
    }

    private byte[] WithExtraField(JsonObject body, out string what)
    {
        string raw = Pick(WrongValues);
        string key = _rng.Next(3) switch { 0 => "unknown_field", 1 => "__proto__", _ => "\\ud800" };
        body["extra"] = Marker;
        what = $"extra field {key}";
        return Utf8(body.ToJsonString().Replace("\"extra\":" + JsonSerializer.Serialize(Marker), $"\"{key}\":{raw}"));
    }

    private static byte[] Deep(int depth) => Utf8(new string('[', depth) + new string(']', depth));

    private byte[] Truncated(JsonObject body)
    {
        byte[] whole = Utf8(body.ToJsonString());
        return whole[..Math.Max(1, _rng.Next(whole.Length))];
    }

    /// <summary>The body with one string field (or an extra one) as long as the generator's bound allows.</summary>
    private byte[] LongString(JsonObject body)
    {
        body["extra"] = Marker;
        string text = new('x', _rng.Next(longStringBytes / 2, longStringBytes));
        return Utf8(body.ToJsonString().Replace(JsonSerializer.Serialize(Marker), JsonSerializer.Serialize(text)));
    }

    private HostileRequest Json(ApiOperation op, string target, byte[] body, string what) => new(op.Method, target, body, "application/json", what);

    // ----------------------------------------------------------------------------------------------------------------
    // Multipart bodies

    private HostileRequest Multipart(ApiOperation op, string target)
    {
        const string b = "hostileBoundary";
        string Part(string name, string value, string? file = null) =>
            $"--{b}\r\nContent-Disposition: form-data; name=\"{name}\"{(file is null ? "" : $"; filename=\"{file}\"")}\r\n\r\n{value}\r\n";
        string[] fields = ["name", "size", "speed", "file"];
        string body, type = $"multipart/form-data; boundary={b}", what;
        switch (_rng.Next(8))
        {
            case 0: body = Part("name", "x") + $"--{b}--\r\n"; type = "multipart/form-data"; what = "no boundary"; break;
            case 1: body = $"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.glb\"\r\n\r\nglTF"; what = "truncated"; break;
            case 2: body = string.Concat(Enumerable.Range(0, 1100).Select(i => Part($"f{i}", "1"))) + $"--{b}--\r\n"; what = "too many fields"; break;
            case 3: body = $"--{b}\r\nContent-Disposition: form-data; name=\"name\"\r\nX-Long: {new string('a', 20_000)}\r\n\r\nx\r\n--{b}--\r\n"; what = "long header"; break;
            case 4: body = Part("file", "glTF\u0002\0\0\0garbage", "../../evil.glb") + $"--{b}--\r\n"; what = "bad file, escaping name"; break;
            case 5:
                string field = Pick(fields);
                body = Part(field, Pick(BadQueryValues), field == "file" ? "\ud83d.glb" : null) + $"--{b}--\r\n";
                what = $"bad {field}";
                break;
            case 6: body = ""; what = "empty multipart"; break;
            default: body = Part("file", "", "") + Part("size", "NaN") + Part("speed", "1e400") + $"--{b}--\r\n"; what = "empty file, bad numbers"; break;
        }
        return new HostileRequest(op.Method, target, Utf8(body), type, what);
    }

    private T Pick<T>(T[] items) => items[_rng.Next(items.Length)];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
