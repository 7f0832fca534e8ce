using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Inference;
using Ringside.Server.Profiles;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed record CreateProfileRequest(long? FighterId, string? ProfileName, double? Aggression = null, double? Positioning = null,
    double? Targeting = null, double? RiskTolerance = null, double? Endurance = null, string? TrainingMode = null,
    Dictionary<string, double>? RewardWeights = null) : IPersonalityRequest;

public sealed record UpdateProfileRequest(double? Aggression = null, double? Positioning = null, double? Targeting = null, double? RiskTolerance = null,
    double? Endurance = null, string? TrainingMode = null, Dictionary<string, double>? RewardWeights = null, double? WinRate = null,
    long? TotalEpisodes = null, double? AvgReward = null) : IPersonalityRequest;

/// <summary>Fighter personality profiles (docs/SERVER.md, Endpoints): create, list, get, update, delete, and export/import as JSON.</summary>
public static class ProfilesApi
{
    public static void MapProfilesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/fighter-profiles").WithTags("Fighter profiles");
        api.MapPost("", Create).WithName("createProfile")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Create a personality profile");
        api.MapGet("", ListAll).WithName("listProfiles").WithSummary("All profiles of all fighters");
        api.MapGet("{fighterId:long}", List).WithName("listFighterProfiles").WithSummary("Profiles of a fighter");
        api.MapGet("{fighterId:long}/{profileName}", Get).WithName("getProfile").WithSummary("Get a profile");
        api.MapPatch("{fighterId:long}/{profileName}", Update).WithName("updateProfile").WithSummary("Update a profile's personality or stats");
        api.MapDelete("{fighterId:long}/{profileName}", Delete).WithName("deleteProfile").WithSummary("Delete a profile");
        api.MapGet("{fighterId:long}/{profileName}/export", Export).WithName("exportProfile").WithSummary("Export a profile (with its model) as JSON").Needs(Access.Read);
        api.MapGet("{fighterId:long}/{profileName}/model", Model).WithName("downloadProfileModel")
            .Produces(StatusCodes.Status200OK, typeof(Stream), "application/octet-stream")
            .WithSummary("The profile's model as a .safetensors file (PyTorch, Hugging Face, the browser)").Needs(Access.Read);
        api.MapPost("import", Import).WithName("importProfile")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("Import a profile exported as JSON");
    }

    public static async Task<Results<Created<FighterProfile>, ProblemHttpResult>> Create(CreateProfileRequest body, Database db)
    {
        var v = new Validation();
        v.Required(body.FighterId, "fighter_id");
        ProfileStore.ValidateName(body.ProfileName, v);
        var setup = PersonalityInput.Read(body, v);
        if (!v.Ok || setup is null) return Problems.Invalid(v);
        return await InsertAsync(db, body.FighterId!.Value, body.ProfileName!, setup, p => { });
    }

    internal static async Task<Results<Created<FighterProfile>, ProblemHttpResult>> InsertAsync(Database db, long fighterId, string name,
        PersonalitySetup setup, Action<FighterProfile> fill, Func<DbConnection, DbTransaction, Task>? alsoStore = null)
    {
        try
        {
            return await db.WriteAsync(async (c, t) =>
            {
                if (await FighterStore.FindAsync(c, fighterId, t) is null)
                    return (Results<Created<FighterProfile>, ProblemHttpResult>)Problems.NotFound("fighter", fighterId, "fighter_id");
                if (await ProfileStore.FindAsync(c, fighterId, name, t) is not null) return DuplicateName(fighterId, name);
                var now = DateTime.UtcNow;
                var p = new FighterProfile
                {
                    FighterId = fighterId,
                    ProfileName = name,
                    TrainingMode = setup.Mode.Name(),
                    RewardWeights = setup.WeightsJson,
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                p.SetPersonality(setup.Personality);
                fill(p);
                await ProfileStore.InsertAsync(c, t, p);
                if (alsoStore is not null) await alsoStore(c, t);
                return TypedResults.Created($"/api/fighter-profiles/{fighterId}/{Uri.EscapeDataString(name)}", p);
            });
        }
        catch (Exception e) when (Database.IsUniqueViolation(e))
        {
            return DuplicateName(fighterId, name); // a concurrent create of the same name won the race
        }
    }

    private static ProblemHttpResult DuplicateName(long fighterId, string name) =>
        Problems.Conflict("profile_name", $"fighter {fighterId} already has a profile named '{name}'.");

    private static PersonalitySetup SetupOf(FighterProfile p) => new(p.GetPersonality(), TrainingModes.Parse(p.TrainingMode), default, null);

    public static async Task<Ok<IEnumerable<FighterProfile>>> ListAll(Database db) =>
        TypedResults.Ok(await db.ReadAsync(c => c.QueryAsync<FighterProfile>("SELECT * FROM fighter_profiles ORDER BY fighter_id, profile_name")));

    public static async Task<Results<Ok<IEnumerable<FighterProfile>>, ProblemHttpResult>> List(long fighterId, Database db) =>
        await db.ReadAsync(async c => await FighterStore.FindAsync(c, fighterId) is null
            ? (Results<Ok<IEnumerable<FighterProfile>>, ProblemHttpResult>)Problems.NotFound("fighter", fighterId, "fighter_id")
            : TypedResults.Ok(await c.QueryAsync<FighterProfile>("SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId ORDER BY profile_name", new { fighterId })));

    public static async Task<Results<Ok<FighterProfile>, ProblemHttpResult>> Get(long fighterId, string profileName, Database db) =>
        await db.ReadAsync(c => ProfileStore.FindAsync(c, fighterId, profileName)) is { } p ? TypedResults.Ok(p) : ProfileNotFound(fighterId, profileName);

    internal static ProblemHttpResult ProfileNotFound(long fighterId, string name) =>
        Problems.Field(404, "profile_name", $"fighter {fighterId} has no profile named '{name}'.");

    public static async Task<Results<Ok<FighterProfile>, ProblemHttpResult>> Update(long fighterId, string profileName, UpdateProfileRequest body, Database db, ModelCache models)
    {
        var v = new Validation();
        v.Range(body.WinRate, 0, 1, "win_rate");
        v.Range(body.TotalEpisodes, 0, Json.MaxSafeInteger, "total_episodes");
        v.Finite(body.AvgReward, "avg_reward");
        if (!v.Ok) return Problems.Invalid(v);
        try
        {
            return await UpdateRowAsync(fighterId, profileName, body, db, v);
        }
        finally { models.Invalidate(fighterId); } // after the write, so no lookup can cache the old row again
    }

    private static async Task<Results<Ok<FighterProfile>, ProblemHttpResult>> UpdateRowAsync(long fighterId, string profileName, UpdateProfileRequest body,
        Database db, Validation v)
    {
        return await db.WriteAsync(async (c, t) =>
        {
            var p = await ProfileStore.FindAsync(c, fighterId, profileName, t);
            if (p is null) return (Results<Ok<FighterProfile>, ProblemHttpResult>)ProfileNotFound(fighterId, profileName);
            var setup = PersonalityInput.Read(body, v, SetupOf(p));
            if (setup is null) return Problems.Invalid(v);
            p.SetPersonality(setup.Personality);
            p.TrainingMode = setup.Mode.Name();
            p.RewardWeights = setup.WeightsJson;
            p.WinRate = body.WinRate ?? p.WinRate;
            p.TotalEpisodes = body.TotalEpisodes ?? p.TotalEpisodes;
            p.AvgReward = body.AvgReward ?? p.AvgReward;
            p.UpdatedAt = DateTime.UtcNow;
            await c.ExecuteAsync($"""
                UPDATE fighter_profiles SET {PersonalityColumns.Assignments}, training_mode = @TrainingMode, reward_weights = @RewardWeights,
                    win_rate = @WinRate, total_episodes = @TotalEpisodes, avg_reward = @AvgReward, updated_at = @UpdatedAt
                WHERE id = @Id
                """, p, t);
            return TypedResults.Ok(p);
        });
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(long fighterId, string profileName, Database db, ModelCache models)
    {
        try
        {
            return await db.WriteAsync(async (c, t) =>
            await c.ExecuteAsync("DELETE FROM fighter_profiles WHERE fighter_id = @fighterId AND profile_name = @profileName", new { fighterId, profileName }, t) == 0
                ? (Results<NoContent, ProblemHttpResult>)ProfileNotFound(fighterId, profileName)
                : TypedResults.NoContent());
        }
        finally { models.Invalidate(fighterId); }
    }

    public static async Task<Results<Ok<ProfileDocument>, ProblemHttpResult>> Export(long fighterId, string profileName, Database db)
    {
        var (fighter, profile) = await db.ReadAsync(async c => (await FighterStore.FindAsync(c, fighterId), await ProfileStore.FindAsync(c, fighterId, profileName)));
        if (fighter is null || profile is null) return ProfileNotFound(fighterId, profileName);
        ExportedModel? model = await ModelFiles.ReadAsync(db, profile.ModelPath) is { } bytes
            ? new ExportedModel(Convert.ToBase64String(bytes), Path.GetFileName(profile.ModelPath!))
            : null;
        profile.ModelPath = null; // a path on this server means nothing elsewhere; the model travels in the document
        return TypedResults.Ok(new ProfileDocument(ProfileDocument.FormatName, 1, profile,
            new ExportedFighter(fighter.GlbFilename, fighter.MetadataJson), model, DateTime.UtcNow));
    }

    public static async Task<Results<FileContentHttpResult, ProblemHttpResult>> Model(long fighterId, string profileName, Database db)
    {
        var profile = await db.ReadAsync(c => ProfileStore.FindAsync(c, fighterId, profileName));
        if (profile is null) return ProfileNotFound(fighterId, profileName);
        byte[] model = await ModelFiles.ReadAsync(db, profile.ModelPath) ?? [];
        if (model.Length == 0) return Problems.Field(404, "profile_name", $"profile '{profileName}' has no trained model yet.");
        string download = $"{string.Concat(profileName.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_'))}-v{profile.ModelVersion}.safetensors";
        return TypedResults.File(model, "application/octet-stream", download);
    }

    /// <summary>
    /// Imports an exported document: into fighter_id (default: the fighter with the document's glb_filename) under
    /// profile_name (default: the document's). A model must be a valid arena checkpoint of this contract version.
    /// </summary>
    public static async Task<Results<Created<FighterProfile>, ProblemHttpResult>> Import(ProfileDocument body, Database db, RingsideOptions options,
        [FromQuery(Name = "fighter_id")] long? fighterId = null, [FromQuery(Name = "profile_name")] string? profileName = null)
    {
        var v = new Validation();
        if (body.Format != ProfileDocument.FormatName) v.Add("format", $"must be \"{ProfileDocument.FormatName}\".");
        if (body.Version != 1) v.Add("version", "must be 1.");
        if (body.Profile is null) v.Add("profile", "is required.");
        string? name = profileName ?? body.Profile?.ProfileName;
        ProfileStore.ValidateName(name, v, profileName is null ? "profile.profile_name" : "profile_name");
        byte[]? weights = null;
        if (body.Model is { } m)
        {
            try { weights = Convert.FromBase64String(m.SafetensorsBase64 ?? ""); }
            catch (FormatException) { v.Add("model.safetensors_base64", "is not valid base64."); }
        }
        if (!v.Ok) return Problems.Invalid(v);
        var p = body.Profile!;
        var setup = PersonalityInput.Read(PersonalityInput.Of(p, p.TrainingMode), v);
        if (setup is null) return Problems.Invalid(v);
        setup = setup with { Weights = ReadWeights(p.RewardWeights, setup.Weights, v) };
        if (!v.Ok) return Problems.Invalid(v);

        long target = fighterId ?? await db.ReadAsync(c => c.ExecuteScalarAsync<long?>("SELECT id FROM fighters WHERE glb_filename = @f",
            new { f = body.Fighter?.GlbFilename ?? "" })) ?? 0;
        if (target == 0) return Problems.Field(404, "fighter_id", "no fighter_id given and no fighter uses the document's glb_filename.");

        string? modelPath = null;
        if (weights is not null)
        {
            modelPath = ModelFiles.NewPath(options, "import");
            await File.WriteAllBytesAsync(modelPath, weights);
            try { Fighters.Load(modelPath, 1, 0); }
            catch (Exception e) when (e is CheckpointException or ArgumentException or InvalidDataException)
            {
                File.Delete(modelPath);
                return Problems.Field(400, "model.safetensors_base64", $"is not a usable arena model: {ServerPaths.Redact(e.Message)}");
            }
        }
        var created = await InsertAsync(db, target, name!, setup, alsoStore: modelPath is null ? null : (c, t) => ModelFiles.StoreAsync(c, t, modelPath, weights!), fill: row =>
        {
            row.ModelPath = modelPath;
            row.ModelVersion = modelPath is null ? 0 : Math.Max(1, p.ModelVersion);
            row.WinRate = p.WinRate; row.TotalEpisodes = p.TotalEpisodes; row.AvgReward = p.AvgReward;
            row.Evaluation = p.Evaluation; row.Fingerprint = p.Fingerprint;
        });
        if (created.Result is not Created<FighterProfile> && modelPath is not null) File.Delete(modelPath);
        return created;
    }

    private static RewardWeights ReadWeights(JsonElement json, RewardWeights fallback, Validation v)
    {
        if (json.ValueKind != JsonValueKind.Object) return fallback;
        var map = new Dictionary<string, float>();
        foreach (var term in json.EnumerateObject())
        {
            if (Array.IndexOf(Sim.RewardWeights.TermNames, term.Name) < 0) { v.Add($"profile.reward_weights.{term.Name}", "is not a reward term."); continue; }
            if (term.Value.ValueKind != JsonValueKind.Number || !term.Value.TryGetDouble(out var d) || !double.IsFinite(d))
                v.Add($"profile.reward_weights.{term.Name}", "must be a finite number.");
            else map[term.Name] = (float)d;
        }
        return v.Ok ? fallback.With(map) : fallback;
    }
}
