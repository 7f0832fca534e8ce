using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Tests;

public sealed class SchemaTests
{
    [Fact]
    public async Task A_newer_build_upgrades_an_older_database_without_losing_data()
    {
        string dir = Directory.CreateTempSubdirectory("ringside-upgrade-").FullName;
        try
        {
            using (var old = new Database(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "ringside.db")}"))
            {
                Assert.Equal((0, 1), await Schema.UpgradeAsync(old, upTo: 1)); // the seed 001 tables only
                await old.WriteAsync(async (c, t) =>
                {
                    await c.ExecuteAsync("INSERT INTO fighters (name, glb_filename, model_version, metadata_json, created_at) VALUES ('Old Timer', 'old-timer.glb', 3, '{\"size\":1.2,\"speed\":0.8}', @now)", new { now = DateTime.UtcNow }, t);
                    await c.ExecuteAsync("INSERT INTO episodes (fighter_id, episode_number, opponent_ids, total_reward, duration_frames, is_victory, source, started_at) VALUES (1, 1, '[]', 42.5, 900, 1, 'api', @now)", new { now = DateTime.UtcNow }, t);
                });
                await Assert.ThrowsAnyAsync<Exception>(() => old.ReadAsync(c => c.QueryAsync("SELECT * FROM fighter_profiles")));
            }

            using var server = new RingsideFactory(dataDir: dir);
            var client = server.CreateClient();
            Assert.Equal(Schema.Latest, (int)(await client.GetJson("/health"))["schema_version"]!);
            var fighter = await client.GetJson("/api/fighters/1");
            Assert.Equal("Old Timer", (string)fighter["name"]!);
            Assert.Equal(3, (int)fighter["model_version"]!);
            var stats = await client.GetJson("/api/fighters/1/stats");
            Assert.Equal(42.5, (double)stats["avg_reward"]!);
            // The tables of the newer migrations work on the upgraded file.
            await client.PostJson("/api/fighter-profiles", new { fighter_id = 1, profile_name = "veteran" });
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_metrics_job_column_is_renamed_in_place_and_keeps_its_rows(bool postgres)
    {
        string dir = Directory.CreateTempSubdirectory("ringside-upgrade-").FullName;
        try
        {
            using var db = postgres ? new Database(DatabaseProvider.Postgres, Postgres.NewDatabase())
                : new Database(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "x.db")}");
            await Schema.UpgradeAsync(db, upTo: 6);
            await db.WriteAsync(async (c, t) =>
            {
                await c.ExecuteAsync("INSERT INTO fighters (name, glb_filename, model_version, metadata_json, created_at) VALUES ('A', 'a.glb', 0, '{}', @now)", new { now = DateTime.UtcNow }, t);
                await c.ExecuteAsync("INSERT INTO training_metrics (fighter_id, training_session_id, iteration_number, global_step, recorded_at) VALUES (1, 17, 3, 24576, @now)", new { now = DateTime.UtcNow }, t);
            });

            Assert.Equal((6, Schema.Latest), await Schema.UpgradeAsync(db));
            Assert.Equal(17, await db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT training_job_id FROM training_metrics WHERE iteration_number = 3")));
            await Assert.ThrowsAnyAsync<Exception>(() => db.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT training_session_id FROM training_metrics")));
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Upgrading_twice_is_a_no_op()
    {
        string dir = Directory.CreateTempSubdirectory("ringside-upgrade-").FullName;
        using var db = new Database(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(dir, "x.db")}");
        Assert.Equal((0, Schema.Latest), await Schema.UpgradeAsync(db));
        Assert.Equal((Schema.Latest, Schema.Latest), await Schema.UpgradeAsync(db));
        Assert.Equal("wal", await db.ReadAsync(c => c.ExecuteScalarAsync<string>("PRAGMA journal_mode")));
        Directory.Delete(dir, recursive: true);
    }
}
