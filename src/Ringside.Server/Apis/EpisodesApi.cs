using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;

namespace Ringside.Server.Apis;

public sealed record CreateEpisodeRequest(long? FighterId, int? EpisodeNumber, long[]? OpponentIds, double? TotalReward,
    int? DurationFrames, bool? IsVictory);

public sealed record CompleteEpisodeRequest(double? TotalReward, int? DurationFrames, bool? IsVictory, int? Rank);

/// <summary>Seed 001's episodes: a battle of one fighter, started, then completed with PATCH.</summary>
public static class EpisodesApi
{
    public static RouteGroupBuilder MapEpisodesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/episodes").WithTags("Episodes");
        api.MapPost("", Create).WithSummary("Start an episode");
        api.MapGet("{id:long}", Get).WithSummary("Get an episode");
        api.MapPatch("{id:long}", Complete).WithSummary("Complete an episode (reward, duration, victory, rank)");
        return api;
    }

    public static async Task<Results<Created<Episode>, ProblemHttpResult>> Create(CreateEpisodeRequest body, Database db)
    {
        var v = new Validation();
        v.Required(body.FighterId, "fighter_id");
        v.Range(body.EpisodeNumber, 0, int.MaxValue, "episode_number");
        v.Finite(body.TotalReward, "total_reward");
        v.Range(body.DurationFrames, 0, int.MaxValue, "duration_frames");
        if (body.OpponentIds is { Length: > 7 }) v.Add("opponent_ids", "an arena holds at most 8 fighters: give at most 7 opponents.");
        if (!v.Ok) return Problems.Invalid(v);

        return await db.WriteAsync(async (c, t) =>
        {
            long fighterId = body.FighterId!.Value;
            if (await FightersApi.FindAsync(c, fighterId, t) is null)
                return (Results<Created<Episode>, ProblemHttpResult>)Problems.NotFound("fighter", fighterId, "fighter_id");
            foreach (var (opponent, i) in (body.OpponentIds ?? []).Select((o, i) => (o, i)))
                if (await FightersApi.FindAsync(c, opponent, t) is null) return Problems.NotFound("fighter", opponent, $"opponent_ids[{i}]");
            var episode = await InsertAsync(c, t, fighterId, body.EpisodeNumber, body.OpponentIds ?? [], "api",
                body.TotalReward ?? 0, body.DurationFrames ?? 0, body.IsVictory ?? false);
            return TypedResults.Created($"/api/episodes/{episode.Id}", episode);
        });
    }

    /// <summary>Inserts an episode; without a number it gets the fighter's next one.</summary>
    internal static async Task<Episode> InsertAsync(DbConnection c, DbTransaction t, long fighterId, int? number, long[] opponents,
        string source, double totalReward = 0, int durationFrames = 0, bool isVictory = false)
    {
        var episode = new Episode
        {
            FighterId = fighterId,
            EpisodeNumber = number ?? 1 + await c.ExecuteScalarAsync<int>("SELECT COALESCE(MAX(episode_number), 0) FROM episodes WHERE fighter_id = @fighterId", new { fighterId }, t),
            OpponentIds = JsonSerializer.SerializeToElement(opponents),
            TotalReward = totalReward, DurationFrames = durationFrames, IsVictory = isVictory, Source = source, StartedAt = DateTime.UtcNow,
        };
        episode.Id = await c.ExecuteScalarAsync<long>("""
            INSERT INTO episodes (fighter_id, episode_number, opponent_ids, total_reward, duration_frames, is_victory, rank, source, started_at)
            VALUES (@FighterId, @EpisodeNumber, @OpponentIds, @TotalReward, @DurationFrames, @IsVictory, NULL, @Source, @StartedAt) RETURNING id
            """, episode, t);
        return episode;
    }

    public static async Task<Results<Ok<Episode>, ProblemHttpResult>> Get(long id, Database db) =>
        await db.ReadAsync(c => FindAsync(c, id)) is { } e ? TypedResults.Ok(e) : Problems.NotFound("episode", id);

    internal static Task<Episode?> FindAsync(DbConnection c, long id, DbTransaction? t = null) =>
        c.QuerySingleOrDefaultAsync<Episode>("SELECT * FROM episodes WHERE id = @id", new { id }, t);

    public static async Task<Results<Ok<Episode>, ProblemHttpResult>> Complete(long id, CompleteEpisodeRequest body, Database db)
    {
        var v = new Validation();
        v.Finite(body.TotalReward, "total_reward");
        v.Range(body.DurationFrames, 0, int.MaxValue, "duration_frames");
        v.Range(body.Rank, 1, 8, "rank");
        if (!v.Ok) return Problems.Invalid(v);
        return await db.WriteAsync(async (c, t) =>
        {
            var episode = await FindAsync(c, id, t);
            if (episode is null) return (Results<Ok<Episode>, ProblemHttpResult>)Problems.NotFound("episode", id);
            episode.TotalReward = body.TotalReward ?? episode.TotalReward;
            episode.DurationFrames = body.DurationFrames ?? episode.DurationFrames;
            episode.IsVictory = body.IsVictory ?? episode.IsVictory;
            episode.Rank = body.Rank ?? episode.Rank ?? (episode.IsVictory ? 1 : null);
            episode.EndedAt = DateTime.UtcNow;
            await c.ExecuteAsync("""
                UPDATE episodes SET total_reward = @TotalReward, duration_frames = @DurationFrames, is_victory = @IsVictory,
                rank = @Rank, ended_at = @EndedAt WHERE id = @Id
                """, episode, t);
            return TypedResults.Ok(episode);
        });
    }
}
