using System.Text.Json;
using Dapper;
using Ringside.Assets;

namespace Ringside.Server.Data;

/// <summary>
/// The default roster: our generated GLB wrestlers, written to DataDir/fighters and registered as fighters on first
/// start (and whenever one is missing), with their size and speed as metadata.
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
                ["size"] = Math.Round((double)entry.Size, 3), ["speed"] = Math.Round((double)entry.Speed, 3), ["roster"] = "default",
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
    }
}
