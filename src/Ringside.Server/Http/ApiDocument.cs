using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Ringside.Server.Http;

/// <summary>
/// The OpenAPI document at /openapi/v1.json, made to say what the server does (docs/SERVER.md, "The API document"):
/// every 4xx that the middleware or the endpoint can answer, with the one problem schema; the API key where the
/// server asks for it; 64-bit integers bounded to what a JavaScript number holds; times as strings. The operation ids
/// are the endpoints' names (WithName in each route table); tests/openapi lints the document and checks the server's
/// answers against it.
/// </summary>
public static class ApiDocument
{
    public const string KeyScheme = "api_key";
    private const string ProblemSchema = "Problem";

    public static IServiceCollection AddApiDocument(this IServiceCollection services) => services.AddOpenApi(o =>
    {
        o.AddSchemaTransformer(BoundIntegersAndTypeTimes);
        o.AddDocumentTransformer(Describe);
    });

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Health", "The server's health, the contract's sizes and the main menu's counts."),
        ("Fighters", "Fighters (a GLB model with a size and a speed): registration, upload, statistics, saved models."),
        ("Episodes", "A battle of one fighter: started, then completed with its reward and result."),
        ("Fight frames", "The frames of an episode, one by one or in batches."),
        ("Fighter profiles", "Personality profiles (five sliders and a training mode), their models, export and import."),
        ("Training jobs", "Durable PPO training jobs of a profile, their progress and metrics."),
        ("Inference", "The action a profile's network chooses for an observation."),
        ("Matches", "Live matches of 2-8 fighters, the battle history and the ratings."),
        ("Replays", "Stored matches and evaluation episodes, re-simulated on demand."),
        ("Training sessions", "Live training sessions: published messages, history and server status."),
    ];

    private static Task Describe(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken token)
    {
        var services = context.ApplicationServices;
        var options = services.GetRequiredService<RingsideOptions>();
        var keys = services.GetRequiredService<ApiKeys>();

        document.Info.Title = "Ringside API";
        document.Info.Description =
            "REST API of Ringside: fighters, episodes, fight frames, profiles, training jobs, inference, live matches and replays (docs/SERVER.md). " +
            "Every error is an RFC 7807 problem (application/problem+json) whose `errors` names the field at fault. " +
            $"Every integer, 64-bit ids and seeds included, stays within ±(2^53 - 1) = ±{Json.MaxSafeInteger}, so a JavaScript client reads it exactly.";
        // Servers come from the request ("http://host:port/"); a base URL ends without a slash, as paths start with one.
        foreach (var server in document.Servers ?? []) if (server.Url is { Length: > 1 } url) server.Url = url.TrimEnd('/');
        document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Schemas[ProblemSchema] = Problem();
        document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
        {
            [KeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key sent as `Authorization: Bearer KEY` (`ringside apikey create --role read|write` prints one; " +
                    "Ringside:Security:ApiKey and ReadApiKey configure one). Changes need a write key, model weights, exports and inference a " +
                    "read or write key, whenever the server asks for keys (Ringside:Security:RequireApiKey writes, or auto beyond loopback); " +
                    "with always, every read needs a key too (docs/SERVER.md, Security model). " +
                    $"This server's mode: {keys.Mode.ToString().ToLowerInvariant()}.",
            },
        };

        // What each operation needs, from its endpoint's metadata as the access policy reads it for a request.
        var rules = context.DescriptionGroups.SelectMany(g => g.Items).Where(d => d.HttpMethod is not null)
            .GroupBy(d => (Method: d.HttpMethod!.ToUpperInvariant(), Path: "/" + WithoutConstraints(d.RelativePath ?? "")))
            .ToDictionary(g => g.Key, g => g.First().ActionDescriptor.EndpointMetadata.OfType<AccessRule>().LastOrDefault());
        foreach (var (path, item) in document.Paths)
            foreach (var (method, operation) in item.Operations ?? [])
            {
                var needs = AccessPolicy.NeedsOf(method.Method, rules.GetValueOrDefault((method.Method.ToUpperInvariant(), path)), isEndpoint: true, path);
                bool required = AccessPolicy.KeyNeeded(needs, keys.Mode);
                // Where the server does not ask for a key now but would in mode "writes", the key is optional.
                operation.Security = required ? KeyRequirement(document, optional: false)
                    : needs is Access.Read or Access.Write ? KeyRequirement(document, optional: true) : [];
                DeclareProblems(document, operation, path, required, required && needs == Access.Write, options.RateLimit.Enabled);
            }
        AnyValueAdmitsNull(document.Components.Schemas);
        // The problems all point at the one schema above; the generated ones are then unused.
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas.Remove("HttpValidationProblemDetails");
        return Task.CompletedTask;
    }

    /// <summary>"api/fighter-profiles/{fighterId:long}/{profileName}" as the document writes it: "api/fighter-profiles/{fighterId}/{profileName}".</summary>
    private static string WithoutConstraints(string route) => System.Text.RegularExpressions.Regex.Replace(route, @"\{([^}:?=]+)[^}]*\}", "{$1}");

    /// <summary>
    /// An optional JSON value (JsonElement?) comes out as "oneOf: [null, JsonElement]", but JsonElement is any value,
    /// null included, so a null would match both and break the oneOf: the property is just the any-value schema.
    /// </summary>
    private static void AnyValueAdmitsNull(IDictionary<string, IOpenApiSchema> schemas)
    {
        foreach (var schema in schemas.Values.OfType<OpenApiSchema>())
            foreach (var (name, property) in schema.Properties?.ToList() ?? [])
                if (property.OneOf is { Count: 2 } oneOf && oneOf.Any(s => s.Type == JsonSchemaType.Null)
                    && oneOf.OfType<OpenApiSchemaReference>().FirstOrDefault(s => s.Reference.Id == "JsonElement") is { } any)
                    schema.Properties![name] = any;
    }

    /// <summary>The key, or (where the server does not ask for it now) nothing or the key.</summary>
    private static List<OpenApiSecurityRequirement> KeyRequirement(OpenApiDocument document, bool optional)
    {
        var key = new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(KeyScheme, document)] = [] };
        return optional ? [new OpenApiSecurityRequirement(), key] : [key];
    }

    /// <summary>
    /// The 4xx answers that come from the pipeline rather than from the endpoint (docs/SERVER.md, Errors): 400 for a
    /// body or query value that does not parse, 401 without a valid key, 404 for an unknown id in the path, 413 and 415
    /// for a body too large or not UTF-8 JSON, 429 from the rate limiter. An endpoint declares its own (409, a 404 for
    /// an id in the body) with ProducesProblem; every 4xx then gets the problem schema.
    /// </summary>
    private static void DeclareProblems(OpenApiDocument document, OpenApiOperation operation, string path, bool keyRequired, bool writeKeyRequired,
        bool rateLimited)
    {
        var parameters = operation.Parameters ?? [];
        bool hasBody = operation.RequestBody is not null;
        var statuses = new List<int>();
        if (hasBody || parameters.Any(p => p.In == ParameterLocation.Query)) statuses.Add(StatusCodes.Status400BadRequest);
        if (keyRequired) statuses.Add(StatusCodes.Status401Unauthorized);
        if (writeKeyRequired) statuses.Add(StatusCodes.Status403Forbidden); // a read key
        if (path.Contains('{')) statuses.Add(StatusCodes.Status404NotFound);
        if (hasBody) statuses.Add(StatusCodes.Status413PayloadTooLarge);
        if (operation.RequestBody?.Content?.ContainsKey("application/json") == true) statuses.Add(StatusCodes.Status415UnsupportedMediaType);
        if (rateLimited) statuses.Add(StatusCodes.Status429TooManyRequests);

        operation.Responses ??= new OpenApiResponses();
        foreach (int status in statuses)
            operation.Responses.TryAdd(status.ToString(CultureInfo.InvariantCulture), new OpenApiResponse());
        foreach (var (code, response) in operation.Responses.ToList())
        {
            if (!code.StartsWith('4')) continue;
            operation.Responses[code] = new OpenApiResponse
            {
                Description = string.IsNullOrEmpty(response.Description) ? ReasonOf(code) : response.Description,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, document) },
                },
            };
        }
    }

    private static string ReasonOf(string code) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(int.Parse(code, CultureInfo.InvariantCulture));

    /// <summary>What <see cref="Problems"/>, the status-code pages, the key check and the rate limiter write.</summary>
    private static OpenApiSchema Problem() => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 7807 problem. `errors` maps each field at fault (a JSON path such as `frames[17].observation_vector`) to what is wrong with it.",
        Required = new HashSet<string> { "status", "title" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["trace_id"] = new OpenApiSchema { Type = JsonSchemaType.String },
        },
    };

    /// <summary>
    /// 64-bit integers are bounded to ±(2^53 - 1), seeds to 0..2^53 - 1 (what the server validates); times, written by
    /// a converter of our own that the schema generator cannot see through, are strings.
    /// </summary>
    private static Task BoundIntegersAndTypeTimes(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken token)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.Integer) && schema.Format is "int64" or "uint64")
        {
            bool seed = context.JsonPropertyInfo?.Name == "seed" || context.ParameterDescription?.Name == "seed";
            schema.Format = "int64";
            schema.Minimum = seed ? "0" : (-Json.MaxSafeInteger).ToString(CultureInfo.InvariantCulture);
            schema.Maximum = Json.MaxSafeInteger.ToString(CultureInfo.InvariantCulture);
        }
        if (schema.Format == "date-time" && schema.Type is null)
            schema.Type = Nullable.GetUnderlyingType(context.JsonTypeInfo.Type) is null ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
        return Task.CompletedTask;
    }
}
