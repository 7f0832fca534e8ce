using System.Data.Common;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;

namespace Ringside.Server.Apis;

public sealed record CreateEpisodeRequest(long? FighterId, int? EpisodeNumber = null, long[]? OpponentIds = null, double? TotalReward = null,
    int? DurationFrames = null, bool? IsVictory = null);

public sealed record CompleteEpisodeRequest(double? TotalReward = null, int? DurationFrames = null, bool? IsVictory = null, int? Rank = null);

/// <summary>Episodes (docs/SERVER.md, Endpoints): a battle of one fighter, started, then completed with PATCH.</summary>
public static class EpisodesApi
{
    public static RouteGroupBuilder MapEpisodesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("api/episodes").WithTags("Episodes");
        api.MapPost("", Create).WithName("createEpisode").ProducesProblem(StatusCodes.Status404NotFound).WithSummary("Start an episode");
        api.MapGet("{id:long}", Get).WithName("getEpisode").WithSummary("Get an episode");
        api.MapPatch("{id:long}", Complete).WithName("completeEpisode").WithSummary("Complete an episode (reward, duration, victory, rank)");
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
            if (await FighterStore.FindAsync(c, fighterId, t) is null)
                return (Results<Created<Episode>, ProblemHttpResult>)Problems.NotFound("fighter", fighterId, "fighter_id");
            foreach (var (opponent, i) in (body.OpponentIds ?? []).Select((o, i) => (o, i)))
                if (await FighterStore.FindAsync(c, opponent, t) is null) return Problems.NotFound("fighter", opponent, $"opponent_ids[{i}]");
            var episode = await EpisodeStore.InsertAsync(c, t, fighterId, body.EpisodeNumber, body.OpponentIds ?? [], "api",
                body.TotalReward ?? 0, body.DurationFrames ?? 0, body.IsVictory ?? false);
            return TypedResults.Created($"/api/episodes/{episode.Id}", episode);
        });
    }

    public static async Task<Results<Ok<Episode>, ProblemHttpResult>> Get(long id, Database db) =>
        await db.ReadAsync(c => EpisodeStore.FindAsync(c, id)) is { } e ? TypedResults.Ok(e) : Problems.NotFound("episode", id);

    public static async Task<Results<Ok<Episode>, ProblemHttpResult>> Complete(long id, CompleteEpisodeRequest body, Database db)
    {
        var v = new Validation();
        v.Finite(body.TotalReward, "total_reward");
        v.Range(body.DurationFrames, 0, int.MaxValue, "duration_frames");
        v.Range(body.Rank, 1, 8, "rank");
        if (!v.Ok) return Problems.Invalid(v);
        return await db.WriteAsync(async (c, t) =>
        {
            var episode = await EpisodeStore.FindAsync(c, id, t);
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
