using System.Collections.Concurrent;
using System.Security.Cryptography;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Inference;
using Ringside.Server.Profiles;
using Ringside.Server.Training;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <param name="JobId">with controller "training_job": the job whose latest checkpoint plays (spectating training).</param>
public sealed record MatchFighterRequest(long? FighterId, string? Controller, string? Bot = null, string? ProfileName = null, long? JobId = null);

/// <param name="WaitForSpectator">start when the first viewer connects (as a match with humans waits for them), at most 20 s.</param>
/// <param name="Seed">0 to 2^53 - 1 (<see cref="Json.MaxSafeInteger"/>); a random one when missing.</param>
public sealed record CreateMatchRequest(MatchFighterRequest[]? Fighters, long? Seed = null, double? MaxSeconds = null, double? Speed = null, bool? WaitForSpectator = null);

/// <summary>Why a live match was not started: the request's fields are invalid, name what does not exist, name what cannot play yet, or the server runs its most matches.</summary>
public enum MatchRefusal { Invalid, NotFound, Conflict, TooManyMatches }

/// <summary>A match request refused; <see cref="Errors"/> names each field at fault.</summary>
public sealed class MatchRefusedException(MatchRefusal reason, Dictionary<string, string[]> errors)
    : Exception(string.Join(" ", errors.Select(e => $"{e.Key}: {string.Join(" ", e.Value)}")))
{
    public MatchRefusal Reason { get; } = reason;
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;
}

/// <summary>The live matches of this process: created from a request, run in the background, kept a while after the end for late viewers.</summary>
public sealed class LiveMatches(Database db, ModelCache models, MatchRecorder recorder, RingsideOptions options, ThisNode node, ILogger<LiveMatches> log, IHostApplicationLifetime lifetime)
{
    private readonly ConcurrentDictionary<long, LiveMatch> _matches = new();
    /// <summary>How long a finished match stays for late viewers (its match_end); the stored match has the rest.</summary>
    public static readonly TimeSpan KeepAfterEnd = TimeSpan.FromMinutes(2);

    public LiveMatch? Find(long id) => _matches.GetValueOrDefault(id);
    public int Running => _matches.Values.Count(m => m.Status is "waiting" or "running");

    /// <summary>Validates the request against the database and starts the match.</summary>
    /// <exception cref="MatchRefusedException">the request cannot start a match; the problem names the field.</exception>
    public async Task<LiveMatch> CreateAsync(CreateMatchRequest body)
    {
        var v = new Validation();
        if (Running >= options.Limits.MaxLiveMatches)
        {
            v.Add("fighters", $"{Running} live matches are running, the most this server runs at once ({options.Limits.MaxLiveMatches}): try again when one ends.");
            throw new MatchRefusedException(MatchRefusal.TooManyMatches, v.Errors);
        }
        var fighters = body.Fighters;
        if (fighters is null || fighters.Length < ArenaConfig.MinFighters || fighters.Length > ArenaConfig.MaxFighters)
            v.Add("fighters", $"give {ArenaConfig.MinFighters} to {ArenaConfig.MaxFighters} fighters.");
        v.Range(body.MaxSeconds, 1, 600, "max_seconds");
        v.Range(body.Speed, 0.1, 50, "speed");
        v.Range(body.Seed, 0, Json.MaxSafeInteger, "seed");
        if (!v.Ok) throw new MatchRefusedException(MatchRefusal.Invalid, v.Errors);

        var slots = new List<MatchSlot>();
        var refusal = MatchRefusal.Invalid; // the kind of the last refusal that is not a plain invalid field
        ulong seed = (ulong)(body.Seed ?? Random.Shared.NextInt64(Json.MaxSafeInteger + 1));
        for (int i = 0; i < fighters!.Length; i++)
        {
            var f = fighters[i];
            string field = $"fighters[{i}]";
            if (f?.FighterId is not { } fighterId) { v.Add($"{field}.fighter_id", "is required."); continue; }
            var fighter = await db.ReadAsync(c => FighterStore.FindAsync(c, fighterId));
            if (fighter is null) { v.Add($"{field}.fighter_id", $"fighter {fighterId} does not exist."); refusal = MatchRefusal.NotFound; continue; }
            var spec = FighterStore.SpecOf(fighter);
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
                    var job = f.JobId is { } jobId ? await JobStore.FindAsync(db, jobId) : null;
                    if (job is null) { v.Add($"{field}.job_id", $"training job {f.JobId} does not exist."); refusal = MatchRefusal.NotFound; continue; }
                    string? checkpoint = await JobCheckpointFileAsync(job);
                    if (checkpoint is null || !File.Exists(checkpoint)) { v.Add($"{field}.job_id", $"training job {job.Id} has no checkpoint yet: wait for its first iterations."); refusal = MatchRefusal.Conflict; continue; }
                    // The job's current policy, as of its latest checkpoint; not a profile, so rated under "job:N".
                    slots.Add(new MatchSlot { Slot = i, Fighter = fighter, Spec = spec, Controller = $"job:{job.Id}", Model = LoadedModel.LoadFile(checkpoint, fighter.Id, $"job {job.Id}") });
                    break;
                case "profile" or "default":
                    bool isDefault = f.Controller!.Equals("default", StringComparison.OrdinalIgnoreCase);
                    var profile = await db.ReadAsync(c => isDefault
                        ? ProfileStore.BestByRatingAsync(c, fighterId)
                        : ProfileStore.FindAsync(c, fighterId, f.ProfileName ?? ""));
                    if (profile is null && isDefault) { slots.Add(BotSlot(i, fighter, spec, "chaser", slotSeed)); break; } // default AI without training: the chaser
                    if (profile is null) { v.Add($"{field}.profile_name", $"fighter {fighterId} has no profile named '{f.ProfileName}'."); refusal = MatchRefusal.NotFound; continue; }
                    if (profile.ModelPath is null) { v.Add($"{field}.profile_name", $"profile '{profile.ProfileName}' has no trained model yet."); refusal = MatchRefusal.Conflict; continue; }
                    slots.Add(new MatchSlot { Slot = i, Fighter = fighter, Spec = spec, Controller = $"profile:{profile.ProfileName}", Profile = profile, Model = await models.GetAsync(db, options, profile) });
                    break;
                default:
                    v.Add($"{field}.controller", "must be human, default, bot, profile or training_job.");
                    break;
            }
        }
        if (!v.Ok) throw new MatchRefusedException(v.Errors.Count == 1 ? refusal : MatchRefusal.Invalid, v.Errors);

        int maxTicks = (int)Math.Round((body.MaxSeconds ?? 60) * ArenaRules.TicksPerSecond);
        long id = await recorder.CreateAsync(seed, maxTicks, node);
        var match = new LiveMatch(id, seed, slots, maxTicks, body.Speed ?? 1, body.WaitForSpectator ?? false);
        _matches[id] = match;
        _ = Task.Run(async () =>
        {
            await match.RunAsync(recorder, log, lifetime.ApplicationStopping);
            await Task.Delay(KeepAfterEnd, lifetime.ApplicationStopping).ContinueWith(_ => { });
            match.CloseViewers("the match is over");
            _matches.TryRemove(id, out _);
        });
        return match;
    }

    /// <summary>A job's latest checkpoint as a file here: its run folder's when it runs on this node, else the one in the database (a cluster).</summary>
    private async Task<string?> JobCheckpointFileAsync(TrainingJob job)
    {
        string? local = job.RunDir is { } dir ? Path.Combine(dir, Learning.Arena.ArenaTraining.ModelFile) : null;
        if (local is not null && File.Exists(local)) return local;
        if (await JobCheckpoints.LatestModelAsync(db, job.Id) is not { } model) return null;
        string copy = Path.Combine(options.RunsDir, $"job-{job.Id}-spectated.safetensors");
        Directory.CreateDirectory(options.RunsDir);
        string partial = $"{copy}.{Guid.NewGuid():N}.partial";
        await File.WriteAllBytesAsync(partial, model);
        File.Move(partial, copy, overwrite: true);
        return copy;
    }

    private static MatchSlot BotSlot(int i, Fighter fighter, FighterSpec spec, string bot, ulong seed) =>
        new() { Slot = i, Fighter = fighter, Spec = spec, Controller = $"bot:{bot}", Bot = Bots.Create(bot, spec, seed) };

    private static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
}
