using System.Collections.Concurrent;
using System.Diagnostics;
using Ringside.Server.Data;
using Ringside.Server.Profiles;

namespace Ringside.Server.Inference;

/// <summary>
/// Loaded networks, one per profile, kept in memory. The cache key includes the model version, so a profile that
/// gets a new model (a finished training job) is loaded afresh on its next request and the old one dropped.
/// </summary>
public sealed class ModelCache
{
    private readonly ConcurrentDictionary<long, LoadedModel> _byProfile = new();
    private readonly ConcurrentDictionary<(long Fighter, string Name), (FighterProfile Profile, long At)> _lookups = new();
    /// <summary>How long a profile lookup is reused: inference at thousands of requests per second need not read the row each time.</summary>
    public static readonly TimeSpan LookupLifetime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The profile a request names (or the fighter's <see cref="ProfileStore.BestByWinRateAsync">best by win rate</see>),
    /// read at most once per second per key; this process's new model versions invalidate at once
    /// (<see cref="Invalidate"/>), other processes' within a second.
    /// </summary>
    public async Task<FighterProfile?> FindProfileAsync(Database db, long fighterId, string? name)
    {
        var key = (fighterId, name ?? "");
        if (_lookups.TryGetValue(key, out var hit) && Stopwatch.GetElapsedTime(hit.At) < LookupLifetime) return hit.Profile;
        var profile = await db.ReadAsync(c => name is not null
            ? ProfileStore.FindAsync(c, fighterId, name)
            : ProfileStore.BestByWinRateAsync(c, fighterId));
        if (profile is not null) _lookups[key] = (profile, Stopwatch.GetTimestamp());
        else _lookups.TryRemove(key, out _);
        return profile;
    }

    /// <summary>Forgets the lookups of a fighter whose profiles changed (a finished job, an edit, a delete).</summary>
    public void Invalidate(long fighterId)
    {
        foreach (var key in _lookups.Keys)
            if (key.Fighter == fighterId) _lookups.TryRemove(key, out _);
    }

    /// <summary>The profile's network, loaded once per model version (from the database when another node wrote the file).</summary>
    public async Task<LoadedModel> GetAsync(Database db, RingsideOptions options, FighterProfile profile)
    {
        if (_byProfile.TryGetValue(profile.Id, out var cached) && cached.Info.ModelVersion == profile.ModelVersion && cached.Info.ModelPath == profile.ModelPath)
            return cached;
        string file = await ModelFiles.LocalPathAsync(db, options, profile.ModelPath)
            ?? throw new FileNotFoundException($"the model of profile '{profile.ProfileName}' is neither on this node nor in the database.", profile.ModelPath);
        var loaded = LoadedModel.Load(profile, file);
        _byProfile[profile.Id] = loaded;
        return loaded;
    }

    public int Count => _byProfile.Count;
}
