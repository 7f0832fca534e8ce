using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Realtime;

namespace Ringside.Server.Apis;

public sealed record TopProfile(long Id, long FighterId, string ProfileName, string FighterName, double Rating, int RatedMatches, double? WinRate);

public sealed record SiteStats(long Fighters, long Profiles, long TrainedProfiles, long JobsRunning, long JobsQueued, long MatchesPlayed, int LiveMatches,
    long Episodes, long Replays, IReadOnlyList<TopProfile> TopRated);

/// <summary>The main menu's live numbers.</summary>
public static class StatsApi
{
    public static void MapStatsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("api/stats", Get).WithName("getStats").WithTags("Health")
            .WithSummary("Counts for the main menu: fighters, profiles, jobs, matches, top rated profiles");

    public static async Task<Ok<SiteStats>> Get(Database db, LiveMatches live) => TypedResults.Ok(await db.ReadAsync(async c =>
    {
        long Count(string sql) => c.ExecuteScalar<long>(sql);
        var top = (await c.QueryAsync<TopProfileRow>("""
            SELECT p.id, p.fighter_id, p.profile_name, f.name AS fighter_name, p.rating_mu - 3 * p.rating_sigma AS rating, p.rated_matches, p.win_rate
            FROM fighter_profiles p JOIN fighters f ON f.id = p.fighter_id
            WHERE p.model_path IS NOT NULL
            ORDER BY CASE WHEN p.rated_matches > 0 THEN 0 ELSE 1 END, p.rating_mu - 3 * p.rating_sigma DESC, COALESCE(p.win_rate, -1) DESC LIMIT 5
            """)).Select(r => new TopProfile(r.Id, r.FighterId, r.ProfileName, r.FighterName, Math.Round(r.Rating, 2), r.RatedMatches, r.WinRate)).ToList();
        return new SiteStats(
            Count("SELECT COUNT(*) FROM fighters"), Count("SELECT COUNT(*) FROM fighter_profiles"),
            Count("SELECT COUNT(*) FROM fighter_profiles WHERE model_path IS NOT NULL"),
            Count("SELECT COUNT(*) FROM training_jobs WHERE status = 'running'"), Count("SELECT COUNT(*) FROM training_jobs WHERE status = 'queued'"),
            Count("SELECT COUNT(*) FROM matches WHERE status = 'finished'"), live.Running, Count("SELECT COUNT(*) FROM episodes"),
            Count("SELECT COUNT(*) FROM replays"), top);
    }));

    private sealed class TopProfileRow
    {
        public long Id { get; set; }
        public long FighterId { get; set; }
        public string ProfileName { get; set; } = "";
        public string FighterName { get; set; } = "";
        public double Rating { get; set; }
        public int RatedMatches { get; set; }
        public double? WinRate { get; set; }
    }
}
