using System.Data.Common;
using System.Text.Json;
using Dapper;
using Ringside.Server.Data;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <summary>
/// Stores a finished live match in one transaction: the replay, the battle history (participants, placings),
/// the new ratings (profiles, bots and humans all rated together, OpenSkill), and one episode with its fight frames
/// per fighter, so fighter statistics include arena battles.
/// </summary>
public sealed class MatchRecorder(Database db)
{
    /// <param name="node">the node that runs the match, where the other nodes of a cluster relay its viewers (docs/SERVER.md, Cluster).</param>
    public Task<long> CreateAsync(ulong seed, int maxTicks, ThisNode node) => db.WriteAsync((c, t) => c.ExecuteScalarAsync<long>(
        "INSERT INTO matches (status, seed, max_ticks, created_at, node, node_url) VALUES ('waiting', @seed, @maxTicks, @now, @name, @url) RETURNING id",
        new { seed = (long)seed, maxTicks, now = DateTime.UtcNow, name = node.Name, url = node.Url }, t));

    public Task MarkStartedAsync(long id) => db.WriteAsync((c, t) => c.ExecuteAsync(
        "UPDATE matches SET status = 'running', started_at = @now WHERE id = @id", new { id, now = DateTime.UtcNow }, t));

    public Task MarkFailedAsync(long id) => db.WriteAsync((c, t) => c.ExecuteAsync(
        "UPDATE matches SET status = 'failed', ended_at = @now WHERE id = @id", new { id, now = DateTime.UtcNow }, t));

    /// <summary>Placings: survivors by health, then the eliminated, latest out first; equal records share a place.</summary>
    public static int[] Placements(Match match)
    {
        int n = match.FighterCount;
        var score = new (int Alive, float Key)[n];
        for (int s = 0; s < n; s++)
        {
            var f = match.Fighter(s);
            score[s] = f.Alive ? (1, f.Health) : (0, f.EliminatedAtTick);
        }
        var placements = new int[n];
        for (int s = 0; s < n; s++)
            placements[s] = 1 + Enumerable.Range(0, n).Count(o => score[o].Alive > score[s].Alive || score[o].Alive == score[s].Alive && score[o].Key > score[s].Key);
        return placements;
    }

    public async Task<LiveMatch.MatchEnd> StoreAsync(LiveMatch live, MatchRecording recording)
    {
        var match = live.Simulation;
        var result = match.Result();
        int[] placements = Placements(match);
        // The simulation's winner decides; placings only order the rest (a time-limit tie on health is a draw).
        int winner = result.Winner;
        string reason = result.TimeLimit ? "time_limit" : "last_standing";
        using var replayBytes = new MemoryStream();
        match.ToReplay().Save(replayBytes);
        var fighterIds = live.Slots.Select(s => s.Fighter.Id).ToArray();
        var profileIds = live.Slots.Select(s => s.Profile?.Id).ToArray();
        var now = DateTime.UtcNow;

        return await db.WriteAsync(async (c, t) =>
        {
            long replayId = await c.ExecuteScalarAsync<long>("""
                INSERT INTO replays (kind, match_id, fighter_ids, profile_ids, fighters, seed, ticks, winner_slot, outcome, tags, data, created_at)
                VALUES ('match', @Id, @fighters, @profiles, @count, @seed, @ticks, @winner, @outcome, '["match"]', @data, @now) RETURNING id
                """, new
            {
                live.Id,
                fighters = JsonSerializer.Serialize(fighterIds),
                profiles = JsonSerializer.Serialize(profileIds),
                count = live.Slots.Count,
                seed = (long)live.Seed,
                ticks = result.Frames,
                winner,
                outcome = winner >= 0 ? "win" : "draw",
                data = replayBytes.ToArray(),
                now,
            }, t);

            var before = new Ratings.Rating[live.Slots.Count];
            for (int s = 0; s < before.Length; s++) before[s] = await ReadRatingAsync(c, t, live.Slots[s]);
            var after = Ratings.Update(before, placements);
            var ratings = new List<object>();
            for (int s = 0; s < after.Length; s++)
            {
                var slot = live.Slots[s];
                await WriteRatingAsync(c, t, slot, after[s], now);
                var episode = await EpisodeStore.InsertAsync(c, t, slot.Fighter.Id, null,
                    fighterIds.Where((_, i) => i != s).ToArray(), "match", result.Rewards[s], recording.Fighters[s].Count,
                    isVictory: winner == s);
                await c.ExecuteAsync("UPDATE episodes SET rank = @rank, ended_at = @now WHERE id = @id", new { rank = placements[s], now, id = episode.Id }, t);
                await EpisodeStore.InsertFramesAsync(c, t, Frames(episode.Id, s, recording));
                await c.ExecuteAsync("""
                    INSERT INTO match_participants (match_id, slot, fighter_id, profile_id, profile_name, controller, placement, rating_before, rating_after, episode_id)
                    VALUES (@matchId, @slot, @fighterId, @profileId, @profileName, @controller, @placement, @ratingBefore, @ratingAfter, @episodeId)
                    """, new
                {
                    matchId = live.Id,
                    slot = s,
                    fighterId = slot.Fighter.Id,
                    profileId = slot.Profile?.Id,
                    profileName = slot.Profile?.ProfileName,
                    controller = slot.Controller,
                    placement = placements[s],
                    ratingBefore = before[s].Ordinal,
                    ratingAfter = after[s].Ordinal,
                    episodeId = episode.Id,
                }, t);
                ratings.Add(new { slot = s, player = PlayerKey(slot), before = before[s].Ordinal, after = after[s].Ordinal });
            }
            await c.ExecuteAsync("""
                UPDATE matches SET status = 'finished', winner_slot = @winner, reason = @reason, ticks = @ticks, replay_id = @replayId, ended_at = @now
                WHERE id = @id
                """, new { id = live.Id, winner, reason, ticks = result.Frames, replayId, now }, t);
            return new LiveMatch.MatchEnd(winner, reason, result.Frames, replayId, placements, ratings);
        });
    }

    /// <summary>Profiles are rated on their row; bots and humans each have one shared rating ("bot:chaser", "human").</summary>
    public static string PlayerKey(MatchSlot slot) => slot.Profile is { } p ? $"profile:{p.Id}" : slot.IsHuman ? "human" : slot.Controller;

    private static async Task<Ratings.Rating> ReadRatingAsync(DbConnection c, DbTransaction t, MatchSlot slot)
    {
        if (slot.Profile is { } p)
        {
            var row = await c.QuerySingleAsync<(double Mu, double Sigma)>("SELECT rating_mu, rating_sigma FROM fighter_profiles WHERE id = @Id", new { p.Id }, t);
            return new Ratings.Rating(row.Mu, row.Sigma);
        }
        var other = await c.QuerySingleOrDefaultAsync<(double Mu, double Sigma)?>("SELECT mu, sigma FROM ratings WHERE player = @key", new { key = PlayerKey(slot) }, t);
        return other is { } r ? new Ratings.Rating(r.Mu, r.Sigma) : new Ratings.Rating(Ratings.InitialMu, Ratings.InitialSigma);
    }

    private static async Task WriteRatingAsync(DbConnection c, DbTransaction t, MatchSlot slot, Ratings.Rating rating, DateTime now)
    {
        if (slot.Profile is { } p)
        {
            await c.ExecuteAsync("UPDATE fighter_profiles SET rating_mu = @Mu, rating_sigma = @Sigma, rated_matches = rated_matches + 1 WHERE id = @Id",
                new { rating.Mu, rating.Sigma, p.Id }, t);
            return;
        }
        await c.ExecuteAsync("""
            INSERT INTO ratings (player, mu, sigma, matches, updated_at) VALUES (@key, @Mu, @Sigma, 1, @now)
            ON CONFLICT (player) DO UPDATE SET mu = excluded.mu, sigma = excluded.sigma, matches = ratings.matches + 1, updated_at = excluded.updated_at
            """, new { key = PlayerKey(slot), rating.Mu, rating.Sigma, now }, t);
    }

    private static List<FrameRow> Frames(long episodeId, int slot, MatchRecording recording)
    {
        var ticks = recording.Fighters[slot];
        var frames = new List<FrameRow>(ticks.Count);
        double cumulative = 0;
        for (int i = 0; i < ticks.Count; i++)
        {
            var k = ticks[i];
            cumulative += k.Reward;
            // The others' state at this tick, as a posted frame's enemies_state (docs/SERVER.md).
            var enemies = recording.Fighters.Select((list, other) => (list, other)).Where(x => x.other != slot)
                .Where(x => x.list.Count > 0)
                .Select(x => x.list[Math.Clamp(k.Number - x.list[0].Number, 0, x.list.Count - 1)]) // one entry per tick until it was out
                .Select(e => new { pos = new[] { e.X, e.Y }, health = e.Health, alive = e.Alive }).ToArray();
            frames.Add(new FrameRow(episodeId, k.Number, EpisodeStore.NumberArray([k.X, k.Y]), k.Health, EpisodeStore.NumberArray([k.Vx, k.Vy]),
                JsonSerializer.SerializeToElement(enemies).GetRawText(), EpisodeStore.NumberArray([k.Action]), k.Reward, cumulative,
                EpisodeStore.NumberArray(k.Observation.Select(o => (double)o).ToArray())));
        }
        return frames;
    }
}
