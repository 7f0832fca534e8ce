using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dapper;
using Ringside.Server.Apis;
using Ringside.Server.Data;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <param name="JobId">with controller "training_job": the job whose latest checkpoint plays (spectating training).</param>
public sealed record MatchFighterRequest(long? FighterId, string? Controller, string? Bot, string? ProfileName, long? JobId = null);

/// <param name="WaitForSpectator">start when the first viewer connects (as a match with humans waits for them), at most 20 s.</param>
public sealed record CreateMatchRequest(MatchFighterRequest[]? Fighters, long? Seed, double? MaxSeconds, double? Speed, bool? WaitForSpectator = null);

/// <summary>The live matches of this process: created from a request, run in the background, kept a while after the end for late viewers.</summary>
public sealed class LiveMatches(Database db, ModelCache models, MatchRecorder recorder, RingsideOptions options, ILogger<LiveMatches> log, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<long, LiveMatch> _matches = new();
    public static readonly TimeSpan KeepAfterEnd = TimeSpan.FromMinutes(10);

    public LiveMatch? Find(long id) => _matches.GetValueOrDefault(id);
    public int Running => _matches.Values.Count(m => m.Status is "waiting" or "running");

    /// <summary>Validates the request against the database; a problem names the field, else the match is started.</summary>
    public async Task<(LiveMatch? Match, Http.Validation Problems, int Status)> CreateAsync(CreateMatchRequest body)
    {
        var v = new Http.Validation();
        if (Running >= options.Limits.MaxLiveMatches)
        {
            v.Add("fighters", $"{Running} live matches are running, the most this server runs at once ({options.Limits.MaxLiveMatches}): try again when one ends.");
            return (null, v, 429);
        }
        var fighters = body.Fighters;
        if (fighters is null || fighters.Length < ArenaConfig.MinFighters || fighters.Length > ArenaConfig.MaxFighters)
            v.Add("fighters", $"give {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters} fighters.");
        v.Range(body.MaxSeconds, 1, 600, "max_seconds");
        v.Range(body.Speed, 0.1, 50, "speed");
        if (!v.Ok) return (null, v, 400);

        var slots = new List<MatchSlot>();
        int status = 400;
        ulong seed = body.Seed is { } s ? (ulong)s : (ulong)Random.Shared.NextInt64();
        for (int i = 0; i < fighters!.Length; i++)
        {
            var f = fighters[i];
            string field = $"fighters[{i}]";
            if (f?.FighterId is not { } fighterId) { v.Add($"{field}.fighter_id", "is required."); continue; }
            var fighter = await db.ReadAsync(c => FightersApi.FindAsync(c, fighterId));
            if (fighter is null) { v.Add($"{field}.fighter_id", $"fighter {fighterId} does not exist."); status = 404; continue; }
            var spec = FightersApi.SpecOf(fighter);
            ulong slotSeed = SplitMix64.Mix(seed, (ulong)i);
            switch (f.Controller?.ToLowerInvariant())
            {
                case "human":
                    slots.Add(new MatchSlot { Slot = i, Fighter = fighter, Spec = spec, Controller = "human", PlayerToken = NewToken() });
                    break;
                case "bot":
                    if (f.Bot is null || !Bots.IsBot(f.Bot)) { v.Add($"{field}.bot", $"must be one of {string.Join(", ", Bots.Names)}."); continue; }
                    slots.Add(BotSlot(i, fighter, spec, f.Bot.ToLowerInvariant(), slotSeed));
                    break;
                case "training_job":
                    var job = f.JobId is { } jobId ? await Training.JobStore.FindAsync(db, jobId) : null;
                    string? checkpoint = job?.RunDir is { } dir ? Path.Combine(dir, Learning.Arena.ArenaTraining.ModelFile) : null;
                    if (job is null) { v.Add($"{field}.job_id", $"training job {f.JobId} does not exist."); status = 404; continue; }
                    if (checkpoint is null || !File.Exists(checkpoint)) { v.Add($"{field}.job_id", $"training job {job.Id} has no checkpoint yet: wait for its first iterations."); status = 409; continue; }
                    // The job's current policy, as of its latest checkpoint; not a profile, so rated under "job:N".
                    slots.Add(new MatchSlot { Slot = i, Fighter = fighter, Spec = spec, Controller = $"job:{job.Id}", Model = LoadedModel.LoadFile(checkpoint, fighter.Id, $"job {job.Id}") });
                    break;
                case "profile" or "default":
                    bool isDefault = f.Controller!.Equals("default", StringComparison.OrdinalIgnoreCase);
                    var profile = await db.ReadAsync(c => isDefault
                        ? c.QueryFirstOrDefaultAsync<FighterProfile>("""
                            SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId AND model_path IS NOT NULL
                            ORDER BY rating_mu - 3 * rating_sigma DESC, COALESCE(win_rate, -1) DESC LIMIT 1
                            """, new { fighterId })
                        : ProfilesApi.FindAsync(c, fighterId, f.ProfileName ?? ""));
                    if (profile is null && isDefault) { slots.Add(BotSlot(i, fighter, spec, "chaser", slotSeed)); break; } // default AI without training: the chaser
                    if (profile is null) { v.Add($"{field}.profile_name", $"fighter {fighterId} has no profile named '{f.ProfileName}'."); status = 404; continue; }
                    if (profile.ModelPath is null) { v.Add($"{field}.profile_name", $"profile '{profile.ProfileName}' has no trained model yet."); status = 409; continue; }
                    slots.Add(new MatchSlot { Slot = i, Fighter = fighter, Spec = spec, Controller = $"profile:{profile.ProfileName}", Profile = profile, Model = models.Get(profile) });
                    break;
                default:
                    v.Add($"{field}.controller", "must be human, default, bot, profile or training_job.");
                    break;
            }
        }
        if (!v.Ok) return (null, v, v.Errors.Count == 1 ? status : 400);

        int maxTicks = (int)Math.Round((body.MaxSeconds ?? 60) * ArenaRules.TicksPerSecond);
        long id = await recorder.CreateAsync(seed, maxTicks);
        var match = new LiveMatch(id, seed, slots, maxTicks, body.Speed ?? 1, body.WaitForSpectator ?? false);
        _matches[id] = match;
        _ = Task.Run(async () =>
        {
            await match.RunAsync(recorder, log, lifetime.ApplicationStopping);
            await Task.Delay(KeepAfterEnd, lifetime.ApplicationStopping).ContinueWith(_ => { });
            match.CloseViewers("the match is over");
            _matches.TryRemove(id, out _);
        });
        return (match, v, 201);
    }

    private static MatchSlot BotSlot(int i, Fighter fighter, FighterSpec spec, string bot, ulong seed) =>
        new() { Slot = i, Fighter = fighter, Spec = spec, Controller = $"bot:{bot}", Bot = Bots.Create(bot, spec, seed) };

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
}
