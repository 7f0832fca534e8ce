using System.Net.WebSockets;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Realtime;

namespace Ringside.Server.Apis;

public sealed class MatchParticipant
{
    public long MatchId { get; set; }
    public int Slot { get; set; }
    public long FighterId { get; set; }
    public long? ProfileId { get; set; }
    public string? ProfileName { get; set; }
    public string Controller { get; set; } = "";
    public int? Placement { get; set; }
    public double? RatingBefore { get; set; }
    public double? RatingAfter { get; set; }
    public long? EpisodeId { get; set; }
}

public sealed class MatchRecord
{
    public long Id { get; set; }
    public string Status { get; set; } = "";
    public long Seed { get; set; }
    public int MaxTicks { get; set; }
    public int? WinnerSlot { get; set; }
    public string? Reason { get; set; }
    public int? Ticks { get; set; }
    public long? ReplayId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
    /// <summary>The node that runs (or ran) the match and its base URL (docs/SERVER.md, Cluster); any node relays its stream.</summary>
    public string? Node { get; set; }
    public string? NodeUrl { get; set; }
    public List<MatchParticipant> Participants { get; set; } = [];
}

/// <summary>A started live match: what a client needs to connect, and each player's token (by slot).</summary>
public sealed record MatchCreated(long Id, string Status, long Seed, int TicksPerSecond, int MaxTicks, float RingHalfSize, double Speed,
    IReadOnlyList<MatchFighterInfo> Fighters, Dictionary<string, string> PlayerTokens, string WsUrl);

public sealed class RatingRow
{
    /// <summary>"profile:ID", "bot:NAME" or "human".</summary>
    public string Player { get; set; } = "";
    public string Name { get; set; } = "";
    public long? FighterId { get; set; }
    public long? ProfileId { get; set; }
    public double Mu { get; set; }
    public double Sigma { get; set; }
    /// <summary>mu - 3 sigma.</summary>
    public double Rating { get; set; }
    public int Matches { get; set; }
}

/// <summary>Live matches (2-8 fighters; docs/SERVER.md, Live matches), the battle history and the ratings.</summary>
public static class MatchesApi
{
    public static void MapMatchesApi(this WebApplication app)
    {
        var api = app.MapGroup("api").WithTags("Matches");
        api.MapPost("matches", Create).WithName("createMatch").WithSummary("Start a live match: 2-8 fighters, each human, default AI, a bot or a trained profile")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status429TooManyRequests); // 429 also without the rate limiter: too many live matches
        api.MapGet("matches", History).WithName("listMatches").WithSummary("Battle history, newest first (fighter_id, profile_id, limit)");
        api.MapGet("matches/{id:long}", Get).WithName("getMatch").WithSummary("A match: status, result and participants");
        api.MapGet("ratings", RatingsTable).WithName("listRatings").WithSummary("Ratings of profiles, bots and humans (OpenSkill, mu - 3 sigma)");
        app.Map("/ws/matches/{id:long}", Stream).ExcludeFromDescription();
    }

    public static async Task<Results<Created<MatchCreated>, ProblemHttpResult>> Create(CreateMatchRequest body, LiveMatches matches)
    {
        LiveMatch match;
        try { match = await matches.CreateAsync(body); }
        catch (MatchRefusedException refused) { return Refused(refused); }
        var tokens = match.Slots.Where(s => s.PlayerToken is not null).ToDictionary(s => s.Slot.ToString(), s => s.PlayerToken!);
        return TypedResults.Created($"/api/matches/{match.Id}", new MatchCreated(match.Id, match.Status, (long)match.Seed, Sim.ArenaRules.TicksPerSecond,
            match.MaxTicks, Sim.ArenaRules.RingHalfSize, match.Speed, match.FighterInfo(), tokens, $"/ws/matches/{match.Id}"));
    }

    private static ProblemHttpResult Refused(MatchRefusedException refused)
    {
        var (status, title) = refused.Reason switch
        {
            MatchRefusal.NotFound => (404, "Not found."),
            MatchRefusal.Conflict => (409, "Conflict."),
            MatchRefusal.TooManyMatches => (429, "Too many live matches."),
            _ => (400, "One or more fields are invalid."),
        };
        return TypedResults.Problem(new HttpValidationProblemDetails(refused.Errors.ToDictionary()) { Status = status, Title = title, Detail = refused.Message });
    }

    public static async Task<Results<Ok<IEnumerable<MatchRecord>>, ProblemHttpResult>> History(Database db, RingsideOptions options,
        [FromQuery(Name = "fighter_id")] long? fighterId = null, [FromQuery(Name = "profile_id")] long? profileId = null, int limit = 50)
    {
        var v = new Validation();
        Paging.Records(v, options, 0, limit);
        if (!v.Ok) return Problems.Invalid(v);
        return TypedResults.Ok(await db.ReadAsync(async c =>
        {
            var rows = (await c.QueryAsync<MatchRecord>("""
                SELECT * FROM matches m WHERE status = 'finished'
                  AND (@fighterId IS NULL OR EXISTS (SELECT 1 FROM match_participants p WHERE p.match_id = m.id AND p.fighter_id = @fighterId))
                  AND (@profileId IS NULL OR EXISTS (SELECT 1 FROM match_participants p WHERE p.match_id = m.id AND p.profile_id = @profileId))
                ORDER BY id DESC LIMIT @limit
                """, new { fighterId, profileId, limit })).ToList();
            await AttachParticipantsAsync(c, rows);
            return (IEnumerable<MatchRecord>)rows;
        }));
    }

    private static async Task AttachParticipantsAsync(System.Data.Common.DbConnection c, List<MatchRecord> rows)
    {
        if (rows.Count == 0) return;
        long min = rows.Min(r => r.Id), max = rows.Max(r => r.Id);
        var participants = await c.QueryAsync<MatchParticipant>(
            "SELECT * FROM match_participants WHERE match_id BETWEEN @min AND @max ORDER BY match_id, slot", new { min, max });
        var byMatch = participants.GroupBy(p => p.MatchId).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var row in rows) row.Participants = byMatch.GetValueOrDefault(row.Id) ?? [];
    }

    public static async Task<Results<Ok<MatchRecord>, ProblemHttpResult>> Get(long id, Database db)
    {
        var row = await db.ReadAsync(async c =>
        {
            var match = await c.QuerySingleOrDefaultAsync<MatchRecord>("SELECT * FROM matches WHERE id = @id", new { id });
            if (match is not null) await AttachParticipantsAsync(c, [match]);
            return match;
        });
        return row is null ? Problems.NotFound("match", id) : TypedResults.Ok(row);
    }

    public static async Task<Ok<IEnumerable<RatingRow>>> RatingsTable(Database db) => TypedResults.Ok(await db.ReadAsync(async c =>
    {
        var profiles = await c.QueryAsync<RatingRow>("""
            SELECT 'profile:' || CAST(p.id AS TEXT) AS player, p.profile_name || ' (' || f.name || ')' AS name, p.fighter_id, p.id AS profile_id,
                   p.rating_mu AS mu, p.rating_sigma AS sigma, p.rating_mu - 3 * p.rating_sigma AS rating, p.rated_matches AS matches
            FROM fighter_profiles p JOIN fighters f ON f.id = p.fighter_id WHERE p.rated_matches > 0
            """);
        var others = await c.QueryAsync<RatingRow>("""
            SELECT player, player AS name, NULL AS fighter_id, NULL AS profile_id, mu, sigma, mu - 3 * sigma AS rating, matches FROM ratings
            """);
        return profiles.Concat(others).OrderByDescending(r => r.Rating).AsEnumerable();
    }));

    /// <summary>WS /ws/matches/{id}?player_token=...: the live state stream; a player's connection also sends input.</summary>
    public static async Task Stream(HttpContext context, long id, LiveMatches matches, MatchRelay relay, StreamConnections streams, ILogger<WsConnection> log)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Problems.Field(400, "connection", "this is a WebSocket endpoint: connect with ws://").ExecuteAsync(context);
            return;
        }
        var match = matches.Find(id);
        if (match is null && await relay.FindHostAsync(id, context.Request.Headers[MatchRelay.RelayedByHeader]) is { } host)
        {
            await RelayAsync(context, id, host, relay, streams);
            return;
        }
        if (match is null) { await Problems.NotFound("live match", id).ExecuteAsync(context); return; }
        string? token = context.Request.Query["player_token"];
        var player = match.SlotOfToken(token);
        if (token is not null && player is null) { await Problems.Field(403, "player_token", "this token does not control a fighter of this match.").ExecuteAsync(context); return; }

        using var socket = await context.WebSockets.AcceptWebSocketAsync(AccessPolicy.SubProtocol(context));
        using var counted = streams.Open(StreamKind.Match);
        await using var connection = new WsConnection(socket, context.Request.Query["user_name"].FirstOrDefault() ?? (player is null ? "spectator" : $"player{player.Slot}"));
        // Join before the writer starts: match_info (queued by Join) then goes out before any state the loop offers.
        match.Join(connection, player);
        connection.Start();
        try
        {
            await connection.ReceiveAsync(text => { match.OnMessage(connection, player, text); return Task.CompletedTask; }, context.RequestAborted);
        }
        finally
        {
            match.Leave(connection);
            connection.LogIfTooSlow(log, $"match {id}");
        }
    }

    /// <summary>
    /// A match that another node of the cluster runs: the client, already checked here like one of this node's own
    /// (key, Origin), is relayed to that node with its key and query; what the node refuses (a wrong player_token, a
    /// match it no longer has) is answered as that node answered it, a node that cannot be reached with 502.
    /// </summary>
    private static async Task RelayAsync(HttpContext context, long id, MatchHost host, MatchRelay relay, StreamConnections streams)
    {
        WebSocket upstream;
        try { upstream = await relay.ConnectAsync(host, id, context.Request.QueryString.Value, AccessPolicy.BearerKey(context.Request), context.RequestAborted); }
        catch (MatchRelayFailedException failed)
        {
            await RelayRefused(id, failed).ExecuteAsync(context);
            return;
        }
        using (upstream)
        {
            using var socket = await context.WebSockets.AcceptWebSocketAsync(AccessPolicy.SubProtocol(context));
            using var counted = streams.Open(StreamKind.Match);
            await MatchRelay.RelayAsync(socket, upstream, context.RequestAborted);
        }
    }

    private static ProblemHttpResult RelayRefused(long id, MatchRelayFailedException failed)
    {
        var problem = failed.HostStatus switch
        {
            403 => Problems.Field(403, "player_token", "this token does not control a fighter of this match."),
            404 => Problems.NotFound("live match", id),
            _ => Problems.Field(StatusCodes.Status502BadGateway, "id", failed.Message, "The node that runs the match cannot be reached."),
        };
        problem.ProblemDetails.Extensions["node"] = failed.Host.Node;
        problem.ProblemDetails.Extensions["node_url"] = failed.Host.Url;
        return problem;
    }
}
