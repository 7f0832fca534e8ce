using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed record RegisterFighterRequest(string? GlbFilename, string? Name = null, JsonElement? MetadataJson = null);

public sealed record FighterStats(
    long FighterId, long TotalEpisodes, long CompletedEpisodes, long Wins, long Losses, double? WinRate,
    double? AvgReward, double? BestReward, double? AvgDurationFrames, long TotalFrames, double? RecentAvgReward,
    IReadOnlyList<RewardPoint> RewardProgression, long Profiles, long TrainingJobs, ModelCheckpoint? BestModel);

public sealed class RewardPoint
{
    public long EpisodeId { get; set; }
    public int EpisodeNumber { get; set; }
    public double TotalReward { get; set; }
    public bool IsVictory { get; set; }
}

/// <summary>Fighters (docs/SERVER.md, Endpoints): register, list, get, stats, episodes, checkpoints, best model.</summary>
public static class FightersApi
{
    public static RouteGroupBuilder MapFightersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/fighters").WithTags("Fighters");
        api.MapPost("", Register).WithName("registerFighter").ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Register a fighter (idempotent per glb_filename)");
        api.MapGet("", List).WithName("listFighters").WithSummary("List fighters");
        api.MapGet("{id:long}", Get).WithName("getFighter").WithSummary("Get a fighter");
        api.MapGet("{id:long}/stats", Stats).WithName("getFighterStats").WithSummary("Fighter statistics");
        api.MapGet("{id:long}/episodes", Episodes).WithName("listFighterEpisodes").WithSummary("Episodes of a fighter, newest first (skip/limit)");
        api.MapGet("{id:long}/checkpoints", Checkpoints).WithName("listFighterCheckpoints").WithSummary("Saved models of a fighter");
        api.MapGet("{id:long}/best-model", BestModel).WithName("getFighterBestModel").WithSummary("The fighter's best saved model");
        return api;
    }

    public static Task<Results<Created<Fighter>, Ok<Fighter>, ProblemHttpResult>> Register(RegisterFighterRequest body, Database db, RingsideOptions options) =>
        RegisterAsync(body, db, options, uploaded: null);

    /// <param name="uploaded">the GLB's bytes when the request brought them (<see cref="WebUi.Upload"/>); else a new fighter's file is read from the fighters folder.</param>
    internal static async Task<Results<Created<Fighter>, Ok<Fighter>, ProblemHttpResult>> RegisterAsync(RegisterFighterRequest body, Database db, RingsideOptions options, byte[]? uploaded)
    {
        var v = new Validation();
        string? file = v.Required(body.GlbFilename, "glb_filename");
        if (file is not null && !IsModelFileName(file))
            v.Add("glb_filename", "must be a file name ending in .glb (letters, digits, '-', '_', '.'), without folders.");
        var metadata = ValidateMetadata(body.MetadataJson, v);
        if (body.Name is { Length: > 100 }) v.Add("name", "must be at most 100 characters.");
        if (!v.Ok) return Problems.Invalid(v);
        // A fighter is its model: the file must be in the fighters folder (a roster file, or one sent to POST /api/fighters/upload)
        // or, uploaded to another node of a cluster, in the database.
        string path = Path.Combine(Roster.FightersDir(options), file!);
        if (uploaded is null && !File.Exists(path) && !await GlbFiles.IsStoredAsync(db, file!))
            return Problems.Field(404, "glb_filename", $"the fighters folder has no {file}: upload the model with POST /api/fighters/upload.");

        string name = string.IsNullOrWhiteSpace(body.Name) ? Path.GetFileNameWithoutExtension(file!) : body.Name.Trim();
        var (fighter, created) = await db.WriteAsync(async (c, t) =>
        {
            var existing = await c.QuerySingleOrDefaultAsync<Fighter>("SELECT * FROM fighters WHERE glb_filename = @file", new { file }, t);
            if (existing is not null) return (existing, false);
            var row = new Fighter { Name = name, GlbFilename = file!, MetadataJson = metadata, CreatedAt = DateTime.UtcNow };
            row.Id = await c.ExecuteScalarAsync<long>(
                "INSERT INTO fighters (name, glb_filename, model_version, metadata_json, created_at) VALUES (@Name, @GlbFilename, 0, @MetadataJson, @CreatedAt) RETURNING id", row, t);
            // The fighter and its model land together, so every node of a cluster can serve the model of every fighter it lists.
            byte[]? glb = uploaded ?? (File.Exists(path) ? await File.ReadAllBytesAsync(path) : null);
            if (glb is not null) await GlbFiles.StoreAsync(c, t, file!, glb);
            return (row, true);
        });
        if (created) return TypedResults.Created($"/api/fighters/{fighter.Id}", fighter);
        // Registering the same model file again (a game does it on every start) returns the fighter it already is.
        if (!JsonElement.DeepEquals(fighter.MetadataJson, metadata))
            return Problems.Conflict("glb_filename", $"fighter {fighter.Id} already uses {file} with other metadata.");
        return TypedResults.Ok(fighter);
    }

    /// <summary>A plain file name with a stem before ".glb": no folders, no hidden or control characters.</summary>
    internal static bool IsModelFileName(string file) =>
        file.Length is > 4 and <= 200 && file.EndsWith(".glb", StringComparison.OrdinalIgnoreCase) && file[0] != '.'
        && file.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.');

    /// <summary>Size and speed, each 0.5 to 2 (1 when missing); other metadata keys are kept as given.</summary>
    internal static JsonElement ValidateMetadata(JsonElement? metadata, Validation v)
    {
        var map = new Dictionary<string, JsonElement>();
        if (metadata is { ValueKind: not JsonValueKind.Null } m)
        {
            if (m.ValueKind != JsonValueKind.Object) { v.Add("metadata_json", "must be a JSON object such as {\"size\": 1.0, \"speed\": 1.0}."); return default; }
            if (Utf16.FirstIllFormed(m, "metadata_json") is { } illFormed) { v.Add(illFormed, Utf16.IllFormedMessage); return default; }
            foreach (var p in m.EnumerateObject()) map[p.Name] = p.Value;
        }
        foreach (var key in new[] { "size", "speed" })
        {
            if (!map.TryGetValue(key, out var value)) { map[key] = JsonSerializer.SerializeToElement(1.0); continue; }
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var d))
                v.Add($"metadata_json.{key}", "must be a number.");
            else v.Range(d, FighterSpec.MinMultiplier, FighterSpec.MaxMultiplier, $"metadata_json.{key}");
        }
        return JsonSerializer.SerializeToElement(map);
    }

    public static async Task<Ok<IEnumerable<Fighter>>> List(Database db) =>
        TypedResults.Ok(await db.ReadAsync(c => c.QueryAsync<Fighter>("SELECT * FROM fighters ORDER BY id")));

    public static async Task<Results<Ok<Fighter>, ProblemHttpResult>> Get(long id, Database db) =>
        await db.ReadAsync(c => FighterStore.FindAsync(c, id)) is { } f ? TypedResults.Ok(f) : Problems.NotFound("fighter", id);

    public static async Task<Results<Ok<FighterStats>, ProblemHttpResult>> Stats(long id, Database db) =>
        await db.ReadAsync(async c =>
        {
            if (await FighterStore.FindAsync(c, id) is null) return (Results<Ok<FighterStats>, ProblemHttpResult>)Problems.NotFound("fighter", id);
            var totals = await c.QuerySingleAsync<(long Total, long Completed, long Wins, double? AvgReward, double? BestReward, double? AvgDuration)>("""
                SELECT COUNT(*), COUNT(ended_at), COALESCE(SUM(CASE WHEN is_victory THEN 1 ELSE 0 END), 0),
                       CAST(AVG(total_reward) AS DOUBLE PRECISION), CAST(MAX(total_reward) AS DOUBLE PRECISION),
                       CAST(AVG(duration_frames) AS DOUBLE PRECISION)
                FROM episodes WHERE fighter_id = @id
                """, new { id });
            long frames = await c.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM fight_frames f JOIN episodes e ON e.id = f.episode_id WHERE e.fighter_id = @id", new { id });
            var recent = (await c.QueryAsync<RewardPoint>("""
                SELECT id AS episode_id, episode_number, total_reward, is_victory FROM episodes
                WHERE fighter_id = @id AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 50
                """, new { id })).Reverse().ToList();
            long profiles = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fighter_profiles WHERE fighter_id = @id", new { id });
            long jobs = await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM training_jobs WHERE fighter_id = @id", new { id });
            long losses = totals.Completed - totals.Wins;
            double? recentAvg = recent.Count == 0 ? null : recent.TakeLast(10).Average(p => p.TotalReward);
            return TypedResults.Ok(new FighterStats(id, totals.Total, totals.Completed, totals.Wins, losses,
                totals.Completed == 0 ? null : (double)totals.Wins / totals.Completed, totals.AvgReward, totals.BestReward,
                totals.AvgDuration, frames, recentAvg, recent, profiles, jobs, await FighterStore.BestCheckpointAsync(c, id)));
        });

    public static Task<Results<Ok<IEnumerable<Episode>>, ProblemHttpResult>> Episodes(long id, Database db, RingsideOptions options,
        HttpResponse response, int skip = 0, int limit = 100) =>
        Paging.PageAsync<Episode>(db, options, response, id, skip, limit, "fighter", "SELECT id FROM fighters WHERE id = @id",
            "SELECT COUNT(*) FROM episodes WHERE fighter_id = @id",
            "SELECT * FROM episodes WHERE fighter_id = @id ORDER BY id DESC LIMIT @limit OFFSET @skip");

    public static async Task<Results<Ok<IEnumerable<ModelCheckpoint>>, ProblemHttpResult>> Checkpoints(long id, Database db) =>
        await db.ReadAsync(async c => await FighterStore.FindAsync(c, id) is null
            ? (Results<Ok<IEnumerable<ModelCheckpoint>>, ProblemHttpResult>)Problems.NotFound("fighter", id)
            : TypedResults.Ok(await c.QueryAsync<ModelCheckpoint>("SELECT * FROM model_checkpoints WHERE fighter_id = @id ORDER BY id", new { id })));

    public static async Task<Results<Ok<ModelCheckpoint>, ProblemHttpResult>> BestModel(long id, Database db) =>
        await db.ReadAsync(async c =>
        {
            if (await FighterStore.FindAsync(c, id) is null) return (Results<Ok<ModelCheckpoint>, ProblemHttpResult>)Problems.NotFound("fighter", id);
            return await FighterStore.BestCheckpointAsync(c, id) is { } best
                ? TypedResults.Ok(best)
                : Problems.Field(404, "id", $"fighter {id} has no saved model yet: train a profile first.");
        });
}
