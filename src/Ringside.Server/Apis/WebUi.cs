using System.Globalization;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;
using Ringside.Assets;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <summary>The fields of an upload's form, as the API document shows them (<see cref="WebUi.Upload"/> reads the form itself).</summary>
public sealed record UploadForm(IFormFile File, string? Name = null, double? Size = null, double? Speed = null);

/// <summary>
/// The browser UI: the pages and modules of wwwroot (copied beside the assembly at build, so the server's and the
/// CLI's outputs both have them), three.js vendored into wwwroot/vendor by scripts/web.sh, the fighters' GLB files
/// from DataDir/fighters at /fighters/{file} (a cache of the database for uploads: <see cref="GlbFiles"/>), and GLB upload.
/// </summary>
public static class WebUi
{
    /// <summary>Largest GLB a user may upload (further bounded by the request body limit).</summary>
    public const long MaxGlbBytes = 16 * 1024 * 1024;

    public static void MapWebUi(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<RingsideOptions>();
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".glb"] = "model/gltf-binary";
        types.Mappings[".gltf"] = "model/gltf+json";
        types.Mappings[".mjs"] = "text/javascript";

        // Static files run after routing: a request that matched an endpoint (the API) never reaches them.
        string webRoot = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(webRoot))
        {
            var files = new PhysicalFileProvider(webRoot);
            app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                ContentTypeProvider = types,
                // Pages and modules change with the server; let browsers revalidate rather than guess (ETags make it cheap).
                OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
            });
        }
        else app.Logger.LogWarning("No web UI: {WebRoot} is missing (build the server project; scripts/web.sh vendors three.js).", webRoot);

        string fightersDir = Roster.FightersDir(options);
        Directory.CreateDirectory(fightersDir);
        // A GLB uploaded to another node of a cluster is fetched into this node's folder on its first request.
        var db = app.Services.GetRequiredService<Database>();
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/fighters", out var rest) && rest.Value is ['/', .. var file]
                && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)) && FightersApi.IsModelFileName(file))
                await GlbFiles.EnsureCachedAsync(db, fightersDir, file, context.RequestAborted);
            await next();
        });
        app.UseStaticFiles(new StaticFileOptions
        {
            RequestPath = "/fighters",
            FileProvider = new PhysicalFileProvider(fightersDir),
            ContentTypeProvider = types,
            OnPrepareResponse = c => c.Context.Response.Headers.CacheControl = "no-cache",
        });

        // Until a hub page exists, the site's root opens the arena.
        app.MapGet("/", () => File.Exists(Path.Combine(webRoot, "index.html")) ? Results.Redirect("/index.html") : Results.Redirect("/arena.html"))
            .ExcludeFromDescription().Needs(Access.Public);

        app.MapPost("/api/fighters/upload", Upload).WithName("uploadFighter").WithTags("Fighters")
            .WithSummary("Upload a .glb model (multipart: file, name?, size?, speed?); it is validated, stored and registered as a fighter")
            .Accepts<UploadForm>("multipart/form-data")
            .DisableAntiforgery();
    }

    /// <summary>
    /// Validates everything first (form fields, then the GLB's container, JSON and references), so a refused upload
    /// stores nothing; then writes the file under a free name and registers it like <see cref="FightersApi.Register"/>.
    /// </summary>
    public static async Task<Results<Created<Fighter>, ProblemHttpResult>> Upload(HttpRequest request, Database db, RingsideOptions options, CancellationToken token)
    {
        var v = new Validation();
        if (!request.HasFormContentType)
        {
            v.Add("file", "is required: send multipart/form-data with the .glb in a field named 'file'.");
            return Problems.Invalid(v);
        }
        IFormCollection form;
        try { form = await request.ReadFormAsync(token); }
        catch (Exception e) when (e is (InvalidDataException or InvalidOperationException or IOException) and not BadHttpRequestException && !token.IsCancellationRequested)
        {
            // A malformed multipart body: no boundary, a truncated part, too many fields, a header line over the limit.
            bool tooLarge = e.Message.Contains("body length limit", StringComparison.OrdinalIgnoreCase);
            return Problems.Field(tooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, "body",
                $"the multipart/form-data body cannot be read: {e.Message}");
        }
        var upload = form.Files.GetFile("file");
        string? name = form["name"].FirstOrDefault();
        var metadata = new Dictionary<string, double>();
        foreach (string key in new[] { "size", "speed" })
        {
            string? text = form[key].FirstOrDefault();
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                v.Add(key, $"must be a number from {FighterSpec.MinMultiplier} to {FighterSpec.MaxMultiplier}, got '{text}'.");
            else
            {
                v.Range(value, FighterSpec.MinMultiplier, FighterSpec.MaxMultiplier, key);
                metadata[key] = value;
            }
        }
        if (name is { Length: > 100 }) v.Add("name", "must be at most 100 characters.");

        long maxBytes = Math.Min(MaxGlbBytes, options.Limits.MaxBodyBytes);
        byte[]? bytes = null;
        if (upload is null) v.Add("file", "is required: a .glb file (glTF 2.0 binary) in a field named 'file'.");
        else if (upload.Length > maxBytes) v.Add("file", $"is too large: {upload.Length} bytes, the limit is {maxBytes} bytes.");
        else
        {
            using var buffer = new MemoryStream((int)upload.Length);
            await upload.CopyToAsync(buffer, token);
            bytes = buffer.ToArray();
            foreach (string error in GlbValidator.Validate(bytes, maxBytes).Errors) v.Add("file", error);
        }
        if (!v.Ok) return Problems.Invalid(v);

        string displayName = string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(upload!.FileName) : name.Trim();
        if (string.IsNullOrWhiteSpace(displayName)) displayName = "Uploaded fighter";
        string dir = Roster.FightersDir(options);
        Directory.CreateDirectory(dir);
        var (file, path) = await ClaimFileAsync(db, dir, Slug(displayName), bytes!, token);

        var result = await FightersApi.RegisterAsync(new RegisterFighterRequest(file, displayName, JsonSerializer.SerializeToElement(metadata)), db, options, bytes);
        switch (result.Result)
        {
            case Created<Fighter> created: return created;
            case ProblemHttpResult problem: File.Delete(path); return problem;
            default: // an existing row for a file name we just claimed: cannot happen (checked first), but keep nothing behind
                File.Delete(path);
                return Problems.Conflict("file", $"a fighter already uses {file}; upload again.");
        }
    }

    /// <summary>Writes the bytes to a file name that neither the folder nor the fighters table uses ("name.glb", "name-2.glb", ...).</summary>
    private static async Task<(string File, string Path)> ClaimFileAsync(Database db, string dir, string stem, byte[] bytes, CancellationToken token)
    {
        for (int n = 1; ; n++)
        {
            string file = n == 1 ? $"{stem}.glb" : $"{stem}-{n}.glb";
            string path = Path.Combine(dir, file);
            if (File.Exists(path)) continue;
            if (await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fighters WHERE glb_filename = @file", new { file })) > 0) continue;
            try
            {
                await using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write); // claims the name atomically
                await stream.WriteAsync(bytes, token);
                return (file, path);
            }
            catch (IOException) when (File.Exists(path)) { } // another upload took it first
        }
    }

    /// <summary>"Rocket Ray!" → "rocket-ray"; other characters are dropped ("fighter" when nothing is left).</summary>
    internal static string Slug(string name)
    {
        var slug = new StringBuilder();
        foreach (char c in name.Normalize(NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9') slug.Append(c);
            else if ((c is ' ' or '-' or '_' or '.') && slug.Length > 0 && slug[^1] != '-') slug.Append('-');
            if (slug.Length >= 48) break;
        }
        string s = slug.ToString().Trim('-');
        return s.Length == 0 ? "fighter" : s;
    }
}
