using System.Data.Common;
using Dapper;

namespace Ringside.Server.Data;

/// <summary>
/// The database schema as an ordered list of migrations. <c>schema_version</c> records the last one applied, so a
/// newer build upgrades an older database in place (each step in its own transaction) and never loses data.
/// Only ever append a migration; never edit one that has shipped.
/// </summary>
public static class Schema
{
    public sealed record Migration(int Version, string Description, Func<Database, string> Sql);

    public static IReadOnlyList<Migration> Migrations { get; } =
    [
        new(1, "seed 001: fighters, episodes, fight_frames, model_checkpoints, training_metrics", db => $"""
            CREATE TABLE fighters (
                id {db.IdColumn},
                name TEXT NOT NULL,
                glb_filename TEXT NOT NULL UNIQUE,
                model_version INTEGER NOT NULL DEFAULT 0,
                metadata_json TEXT NOT NULL,
                created_at {db.TimeColumn} NOT NULL
            );
            CREATE TABLE episodes (
                id {db.IdColumn},
                fighter_id BIGINT NOT NULL REFERENCES fighters(id) ON DELETE CASCADE,
                episode_number INTEGER NOT NULL,
                opponent_ids TEXT NOT NULL,
                total_reward DOUBLE PRECISION NOT NULL,
                duration_frames INTEGER NOT NULL,
                is_victory BOOLEAN NOT NULL,
                rank INTEGER,
                source TEXT NOT NULL,
                started_at {db.TimeColumn} NOT NULL,
                ended_at {db.TimeColumn}
            );
            CREATE INDEX ix_episodes_fighter ON episodes (fighter_id, id);
            CREATE TABLE fight_frames (
                id {db.RowIdColumn},
                episode_id BIGINT NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
                frame_number INTEGER NOT NULL,
                fighter_position TEXT NOT NULL,
                fighter_health DOUBLE PRECISION NOT NULL,
                fighter_velocity TEXT NOT NULL,
                enemies_state TEXT NOT NULL,
                action_vector TEXT NOT NULL,
                reward_delta DOUBLE PRECISION NOT NULL,
                cumulative_reward DOUBLE PRECISION NOT NULL,
                observation_vector TEXT
            );
            CREATE UNIQUE INDEX ux_fight_frames_episode_frame ON fight_frames (episode_id, frame_number);
            CREATE TABLE model_checkpoints (
                id {db.IdColumn},
                fighter_id BIGINT NOT NULL REFERENCES fighters(id) ON DELETE CASCADE,
                profile_name TEXT,
                model_version INTEGER NOT NULL,
                training_iteration INTEGER NOT NULL,
                win_rate DOUBLE PRECISION,
                avg_reward DOUBLE PRECISION,
                total_episodes_trained BIGINT NOT NULL,
                total_steps BIGINT NOT NULL,
                weights_path TEXT NOT NULL,
                training_mode TEXT NOT NULL,
                created_at {db.TimeColumn} NOT NULL
            );
            CREATE INDEX ix_model_checkpoints_fighter ON model_checkpoints (fighter_id, win_rate);
            CREATE TABLE training_metrics (
                id {db.IdColumn},
                fighter_id BIGINT NOT NULL REFERENCES fighters(id) ON DELETE CASCADE,
                training_session_id BIGINT NOT NULL,
                iteration_number INTEGER NOT NULL,
                global_step BIGINT NOT NULL,
                avg_reward_last_100 DOUBLE PRECISION,
                win_rate_last_100 DOUBLE PRECISION,
                loss DOUBLE PRECISION,
                policy_loss DOUBLE PRECISION,
                value_loss DOUBLE PRECISION,
                policy_entropy DOUBLE PRECISION,
                approx_kl DOUBLE PRECISION,
                sps DOUBLE PRECISION,
                reward_terms TEXT,
                recorded_at {db.TimeColumn} NOT NULL
            );
            CREATE INDEX ix_training_metrics_session ON training_metrics (training_session_id, iteration_number);
            CREATE INDEX ix_training_metrics_fighter ON training_metrics (fighter_id, recorded_at);
            """),
        new(2, "seed 000 phase 4: fighter_profiles, training_jobs", db => $"""
            CREATE TABLE fighter_profiles (
                id {db.IdColumn},
                fighter_id BIGINT NOT NULL REFERENCES fighters(id) ON DELETE CASCADE,
                profile_name TEXT NOT NULL,
                aggression DOUBLE PRECISION NOT NULL,
                positioning DOUBLE PRECISION NOT NULL,
                targeting DOUBLE PRECISION NOT NULL,
                risk_tolerance DOUBLE PRECISION NOT NULL,
                endurance DOUBLE PRECISION NOT NULL,
                training_mode TEXT NOT NULL,
                reward_weights TEXT NOT NULL,
                model_path TEXT,
                model_version INTEGER NOT NULL DEFAULT 0,
                win_rate DOUBLE PRECISION,
                total_episodes BIGINT NOT NULL DEFAULT 0,
                avg_reward DOUBLE PRECISION,
                evaluation TEXT,
                fingerprint TEXT,
                created_at {db.TimeColumn} NOT NULL,
                updated_at {db.TimeColumn} NOT NULL,
                UNIQUE (fighter_id, profile_name)
            );
            CREATE TABLE training_jobs (
                id {db.IdColumn},
                fighter_id BIGINT NOT NULL REFERENCES fighters(id) ON DELETE CASCADE,
                profile_name TEXT NOT NULL,
                status TEXT NOT NULL,
                progress DOUBLE PRECISION NOT NULL DEFAULT 0,
                epochs INTEGER NOT NULL,
                total_steps BIGINT NOT NULL,
                max_minutes DOUBLE PRECISION,
                learning_rate DOUBLE PRECISION NOT NULL,
                aggression DOUBLE PRECISION NOT NULL,
                positioning DOUBLE PRECISION NOT NULL,
                targeting DOUBLE PRECISION NOT NULL,
                risk_tolerance DOUBLE PRECISION NOT NULL,
                endurance DOUBLE PRECISION NOT NULL,
                training_mode TEXT NOT NULL,
                reward_weights TEXT,
                seed BIGINT NOT NULL,
                iteration INTEGER NOT NULL DEFAULT 0,
                steps_done BIGINT NOT NULL DEFAULT 0,
                sps DOUBLE PRECISION,
                recent_reward DOUBLE PRECISION,
                win_rate DOUBLE PRECISION,
                final_reward DOUBLE PRECISION,
                final_win_rate DOUBLE PRECISION,
                error_message TEXT,
                attempts INTEGER NOT NULL DEFAULT 0,
                run_dir TEXT,
                created_at {db.TimeColumn} NOT NULL,
                started_at {db.TimeColumn},
                completed_at {db.TimeColumn},
                updated_at {db.TimeColumn} NOT NULL
            );
            CREATE INDEX ix_training_jobs_fighter ON training_jobs (fighter_id, id);
            CREATE INDEX ix_training_jobs_status ON training_jobs (status);
            """),
        new(3, "api keys (hashed)", db => $"""
            CREATE TABLE api_keys (
                id {db.IdColumn},
                name TEXT NOT NULL,
                key_hash TEXT NOT NULL UNIQUE,
                created_at {db.TimeColumn} NOT NULL
            );
            """),
        new(4, "live matches, battle history, replays, profile ratings", db => $"""
            CREATE TABLE replays (
                id {db.IdColumn},
                kind TEXT NOT NULL,
                match_id BIGINT,
                training_job_id BIGINT,
                fighter_ids TEXT NOT NULL,
                profile_ids TEXT NOT NULL,
                fighters INTEGER NOT NULL,
                seed BIGINT NOT NULL,
                ticks INTEGER NOT NULL,
                winner_slot INTEGER NOT NULL,
                outcome TEXT NOT NULL,
                tags TEXT NOT NULL,
                data {(db.Provider == DatabaseProvider.Sqlite ? "BLOB" : "BYTEA")} NOT NULL,
                created_at {db.TimeColumn} NOT NULL
            );
            CREATE INDEX ix_replays_created ON replays (created_at);
            CREATE TABLE matches (
                id {db.IdColumn},
                status TEXT NOT NULL,
                seed BIGINT NOT NULL,
                max_ticks INTEGER NOT NULL,
                winner_slot INTEGER,
                reason TEXT,
                ticks INTEGER,
                replay_id BIGINT,
                created_at {db.TimeColumn} NOT NULL,
                started_at {db.TimeColumn},
                ended_at {db.TimeColumn}
            );
            CREATE INDEX ix_matches_created ON matches (created_at);
            CREATE TABLE match_participants (
                match_id BIGINT NOT NULL REFERENCES matches(id) ON DELETE CASCADE,
                slot INTEGER NOT NULL,
                fighter_id BIGINT NOT NULL,
                profile_id BIGINT,
                profile_name TEXT,
                controller TEXT NOT NULL,
                placement INTEGER,
                rating_before DOUBLE PRECISION,
                rating_after DOUBLE PRECISION,
                episode_id BIGINT,
                PRIMARY KEY (match_id, slot)
            );
            CREATE INDEX ix_match_participants_profile ON match_participants (profile_id);
            CREATE INDEX ix_match_participants_fighter ON match_participants (fighter_id);
            CREATE TABLE ratings (
                player TEXT PRIMARY KEY,
                mu DOUBLE PRECISION NOT NULL,
                sigma DOUBLE PRECISION NOT NULL,
                matches INTEGER NOT NULL,
                updated_at {db.TimeColumn} NOT NULL
            );
            ALTER TABLE fighter_profiles ADD COLUMN rating_mu DOUBLE PRECISION NOT NULL DEFAULT 25;
            ALTER TABLE fighter_profiles ADD COLUMN rating_sigma DOUBLE PRECISION NOT NULL DEFAULT 8.333333333333334;
            ALTER TABLE fighter_profiles ADD COLUMN rated_matches INTEGER NOT NULL DEFAULT 0;
            """),
        new(5, "seed 003: training sessions and their message history survive a restart", db => $"""
            CREATE TABLE training_sessions (
                id TEXT PRIMARY KEY,
                training_id TEXT NOT NULL,
                algorithm TEXT NOT NULL,
                model_generation INTEGER NOT NULL,
                total_episodes BIGINT NOT NULL,
                status TEXT NOT NULL,
                training_job_id BIGINT,
                max_spectators INTEGER NOT NULL,
                room_code TEXT,
                password_hash TEXT,
                created_at {db.TimeColumn} NOT NULL
            );
            CREATE TABLE session_messages (
                session_id TEXT NOT NULL,
                sequence BIGINT NOT NULL,
                type TEXT NOT NULL,
                timestamp {db.TimeColumn} NOT NULL,
                episode INTEGER,
                data TEXT NOT NULL,
                PRIMARY KEY (session_id, sequence)
            );
            """),
        new(6, "issue 13: the periodic evaluation of a training job (greedy win rates against the baselines) with its metrics", db => """
            ALTER TABLE training_metrics ADD COLUMN eval_vs_chaser DOUBLE PRECISION;
            ALTER TABLE training_metrics ADD COLUMN eval_vs_cautious DOUBLE PRECISION;
            ALTER TABLE training_metrics ADD COLUMN eval_free_for_all DOUBLE PRECISION;
            """),
        // SQLite (3.25+) and PostgreSQL both rename a column in place; the index is made again under a name that says what it holds.
        new(7, "training_metrics.training_session_id holds a training job's id: renamed training_job_id", db => """
            ALTER TABLE training_metrics RENAME COLUMN training_session_id TO training_job_id;
            DROP INDEX ix_training_metrics_session;
            CREATE INDEX ix_training_metrics_job ON training_metrics (training_job_id, iteration_number);
            """),
        // Keys made before roles existed could do everything: they stay write keys.
        new(8, "issue 15: an API key's role (read or write)", db => """
            ALTER TABLE api_keys ADD COLUMN role TEXT NOT NULL DEFAULT 'write';
            """),
        new(9, "issue 14: model files and jobs' resumable checkpoints in the database (every node of a cluster reads them); the worker that ran a job", db => $"""
            CREATE TABLE model_files (
                name TEXT PRIMARY KEY,
                data {db.BlobColumn} NOT NULL,
                created_at {db.TimeColumn} NOT NULL
            );
            CREATE TABLE job_checkpoints (
                training_job_id BIGINT PRIMARY KEY REFERENCES training_jobs(id) ON DELETE CASCADE,
                iteration INTEGER NOT NULL,
                model {db.BlobColumn} NOT NULL,
                optimizer {db.BlobColumn} NOT NULL,
                best {db.BlobColumn},
                saved_by TEXT NOT NULL,
                saved_at {db.TimeColumn} NOT NULL
            );
            ALTER TABLE training_jobs ADD COLUMN worker TEXT;
            """),
        // A cluster's nodes share only the database: the node that runs a live match says where it can be reached, and an
        // uploaded GLB is kept where every node can serve it (a node's fighters folder is then a cache).
        new(10, "issue 14: the node that hosts a live match (name, URL); uploaded fighter GLB files in the database", db => $"""
            ALTER TABLE matches ADD COLUMN node TEXT;
            ALTER TABLE matches ADD COLUMN node_url TEXT;
            CREATE TABLE glb_files (
                name TEXT PRIMARY KEY,
                data {db.BlobColumn} NOT NULL,
                created_at {db.TimeColumn} NOT NULL
            );
            """),
    ];

    public static int Latest => Migrations[^1].Version;

    /// <summary>Applies every migration newer than the database; returns the version before and after.</summary>
    public static async Task<(int From, int To)> UpgradeAsync(Database db, int? upTo = null, CancellationToken token = default)
    {
        int target = upTo ?? Latest;
        if (db.Provider == DatabaseProvider.Sqlite)
        {
            // WAL is a property of the file: set once, it stays. Readers then never block the writer.
            await using var connection = await db.OpenAsync(token);
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        return await db.WriteAsync(async (connection, transaction) =>
        {
            if (db.Provider == DatabaseProvider.Postgres)
                await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7468321)", transaction: transaction); // one upgrader at a time
            await connection.ExecuteAsync($"CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, description TEXT NOT NULL, applied_at {db.TimeColumn} NOT NULL)", transaction: transaction);
            int from = await CurrentAsync(connection, transaction);
            foreach (var migration in Migrations.Where(m => m.Version > from && m.Version <= target))
            {
                await connection.ExecuteAsync(migration.Sql(db), transaction: transaction);
                await connection.ExecuteAsync("INSERT INTO schema_version (version, description, applied_at) VALUES (@Version, @Description, @At)",
                    new { migration.Version, migration.Description, At = DateTime.UtcNow }, transaction);
            }
            return (from, Math.Max(from, target));
        }, token);
    }

    public static async Task<int> CurrentAsync(DbConnection connection, DbTransaction? transaction = null) =>
        await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version", transaction: transaction) ?? 0;
}
