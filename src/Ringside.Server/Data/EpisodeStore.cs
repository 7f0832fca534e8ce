using System.Data;
using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace Ringside.Server.Data;

/// <summary>A frame's column values, formatted before the write lock is taken so the lock covers only the INSERTs.</summary>
public readonly record struct FrameRow(long EpisodeId, int FrameNumber, string Position, double Health, string Velocity, string Enemies,
    string Action, double Reward, double Cumulative, string? Observation);

/// <summary>The episodes and fight_frames rows: what a game posts and what a live match records.</summary>
public static class EpisodeStore
{
    /// <summary>Inserts an episode; without a number it gets the fighter's next one.</summary>
    public static async Task<Episode> InsertAsync(DbConnection c, DbTransaction t, long fighterId, int? number, long[] opponents,
        string source, double totalReward = 0, int durationFrames = 0, bool isVictory = false)
    {
        var episode = new Episode
        {
            FighterId = fighterId,
            EpisodeNumber = number ?? 1 + await c.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(episode_number), 0) FROM episodes WHERE fighter_id = @fighterId", new { fighterId }, t),
            OpponentIds = JsonSerializer.SerializeToElement(opponents),
            TotalReward = totalReward,
            DurationFrames = durationFrames,
            IsVictory = isVictory,
            Source = source,
            StartedAt = DateTime.UtcNow,
        };
        episode.Id = await c.ExecuteScalarAsync<long>("""
            INSERT INTO episodes (fighter_id, episode_number, opponent_ids, total_reward, duration_frames, is_victory, rank, source, started_at)
            VALUES (@FighterId, @EpisodeNumber, @OpponentIds, @TotalReward, @DurationFrames, @IsVictory, NULL, @Source, @StartedAt) RETURNING id
            """, episode, t);
        return episode;
    }

    public static Task<Episode?> FindAsync(DbConnection c, long id, DbTransaction? t = null) =>
        c.QuerySingleOrDefaultAsync<Episode>("SELECT * FROM episodes WHERE id = @id", new { id }, t);

    /// <summary>A JSON array of numbers, shortest round-trip form: several times faster than the general serializer here.</summary>
    public static string NumberArray(double[] values)
    {
        Span<char> buffer = stackalloc char[Math.Min(16_384, 2 + values.Length * 25)];
        int n = 0;
        buffer[n++] = '[';
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) buffer[n++] = ',';
            if (!values[i].TryFormat(buffer[n..], out int written, default, System.Globalization.CultureInfo.InvariantCulture))
                return JsonSerializer.Serialize(values);
            n += written;
        }
        buffer[n++] = ']';
        return new string(buffer[..n]);
    }

    /// <summary>One prepared INSERT reused for every frame: the batch path's speed comes from here.</summary>
    public static async Task InsertFramesAsync(DbConnection c, DbTransaction t, IReadOnlyList<FrameRow> frames)
    {
        await using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = """
            INSERT INTO fight_frames (episode_id, frame_number, fighter_position, fighter_health, fighter_velocity, enemies_state,
                action_vector, reward_delta, cumulative_reward, observation_vector)
            VALUES (@e, @n, @p, @h, @v, @s, @a, @r, @cr, @o)
            """;
        DbParameter Add(string name, DbType type)
        {
            var p = command.CreateParameter();
            p.ParameterName = "@" + name; // with the prefix, SQLite finds the parameter without trying each prefix per execution
            p.DbType = type;
            command.Parameters.Add(p);
            return p;
        }
        DbParameter e = Add("e", DbType.Int64), n = Add("n", DbType.Int32), p = Add("p", DbType.String), h = Add("h", DbType.Double),
            v = Add("v", DbType.String), s = Add("s", DbType.String), a = Add("a", DbType.String), r = Add("r", DbType.Double),
            cr = Add("cr", DbType.Double), o = Add("o", DbType.String);
        await command.PrepareAsync();
        foreach (var f in frames)
        {
            e.Value = f.EpisodeId; n.Value = f.FrameNumber; p.Value = f.Position; h.Value = f.Health; v.Value = f.Velocity;
            s.Value = f.Enemies; a.Value = f.Action; r.Value = f.Reward; cr.Value = f.Cumulative; o.Value = (object?)f.Observation ?? DBNull.Value;
            command.ExecuteNonQuery(); // synchronous: inside the write transaction there is nothing to wait for but SQLite itself
        }
    }
}
