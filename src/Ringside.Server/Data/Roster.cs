using System.Text.Json;
using Dapper;
using Ringside.Assets;
using Ringside.Server.Profiles;

namespace Ringside.Server.Data;

/// <summary>
/// The default roster: our generated GLB wrestlers, written to DataDir/fighters and registered as fighters on first
/// start (and whenever one is missing), with their size and speed as metadata; and each one's trained signature
/// profile (src/Ringside.Assets/Roster, made by <c>ringside roster train</c>) with its evaluation and fingerprint.
/// </summary>
public static class Roster
{
    public static string FightersDir(RingsideOptions options) => Path.Combine(options.FullDataDir, "fighters");

    public static async Task SeedAsync(Database db, RingsideOptions options)
    {
        string dir = FightersDir(options);
        Directory.CreateDirectory(dir);
        foreach (var entry in DefaultRoster.Entries)
        {
            string file = entry.Name + ".glb";
            string path = Path.Combine(dir, file);
            if (!File.Exists(path)) await File.WriteAllBytesAsync(path, DefaultRoster.Build(entry));
            var metadata = JsonSerializer.SerializeToElement(new Dictionary<string, object>
            {
                ["size"] = Math.Round((double)entry.Size, 3),
                ["speed"] = Math.Round((double)entry.Speed, 3),
                ["roster"] = "default",
            });
            await db.WriteAsync(async (c, t) =>
            {
                if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fighters WHERE glb_filename = @file", new { file }, t) == 0)
                    await c.ExecuteAsync("""
                        INSERT INTO fighters (name, glb_filename, model_version, metadata_json, created_at)
                        VALUES (@name, @file, 0, @metadata, @now)
                        """, new { name = entry.DisplayName, file, metadata, now = DateTime.UtcNow }, t);
            });
        }
        await SeedProfilesAsync(db, options);
    }

    /// <summary>
    /// Registers each built-in wrestler's signature profile once (a user may retrain or delete it afterwards; a fighter
    /// that has a profile of that name keeps it). Its model is copied into the models folder like any other.
    /// </summary>
    private static async Task SeedProfilesAsync(Database db, RingsideOptions options)
    {
        string indexPath = Path.Combine(DefaultRoster.ModelsDir, "roster.json");
        if (!File.Exists(indexPath)) return;
        using var index = JsonDocument.Parse(await File.ReadAllTextAsync(indexPath));
        var profiles = index.RootElement.GetProperty("profiles");
        foreach (var entry in DefaultRoster.Entries)
        {
            string source = DefaultRoster.ModelPath(entry);
            if (!profiles.TryGetProperty(entry.Name, out var shipped) || !File.Exists(source)) continue;
            await db.WriteAsync(async (c, t) =>
            {
                long? fighterId = await c.ExecuteScalarAsync<long?>("SELECT id FROM fighters WHERE glb_filename = @file", new { file = entry.FileName }, t);
                if (fighterId is null) return;
                if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM fighter_profiles WHERE fighter_id = @fighterId AND profile_name = @name",
                        new { fighterId, name = DefaultRoster.SignatureProfile }, t) > 0) return;
                string model = ModelFiles.NewPath(options, $"fighter-{fighterId}-{DefaultRoster.SignatureProfile}");
                File.Copy(source, model);
                await ModelFiles.StoreAsync(c, t, model, await File.ReadAllBytesAsync(source));
                var now = DateTime.UtcNow;
                var profile = new FighterProfile
                {
                    FighterId = fighterId.Value,
                    ProfileName = DefaultRoster.SignatureProfile,
                    TrainingMode = "tactical",
                    RewardWeights = JsonSerializer.SerializeToElement(new Dictionary<string, float>()),
                    ModelPath = model,
                    ModelVersion = 1,
                    WinRate = shipped.GetProperty("win_rate").GetDouble(),
                    AvgReward = shipped.GetProperty("mean_reward").GetDouble(),
                    Evaluation = shipped.GetProperty("evaluation").Clone(),
                    Fingerprint = shipped.GetProperty("fingerprint").Clone(),
                    CreatedAt = now,
                    UpdatedAt = now,
                };
                var s = entry.Sliders;
                profile.SetPersonality(new Sim.Personality(s.Aggression, s.Positioning, s.Targeting, s.RiskTolerance, s.Endurance));
                await ProfileStore.InsertAsync(c, t, profile);
            });
        }
    }
}
