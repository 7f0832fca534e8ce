using System.Collections.Concurrent;
using System.Diagnostics;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed record InferenceRequest(double[]? Observation, string? ProfileName, bool? Sample);

public sealed record ModelInfo(long FighterId, string ProfileName, int ModelVersion, string ModelPath, long TrainedSteps, int ContractVersion,
    string Architecture, string TrainingMode);

public sealed record InferenceResponse(int Action, string ActionName, float[] ActionProbabilities, float Value, ModelInfo ModelInfo);

/// <summary>Seed 000's inference with profile selection: the action a profile's real network chooses for an observation.</summary>
public static class InferenceApi
{
    public static void MapInferenceApi(this IEndpointRouteBuilder app) =>
        app.MapPost("api/fighters/{id:long}/inference", Infer).WithTags("Inference")
            .WithSummary("Action, action probabilities and value of a profile's network (default: the fighter's best profile)");

    public static async Task<Results<Ok<InferenceResponse>, ProblemHttpResult>> Infer(long id, InferenceRequest body, Database db, ModelCache models)
    {
        var v = new Validation();
        if (body.Observation is null) v.Add("observation", "is required.");
        else if (body.Observation.Length != Contract.ObservationSize)
            v.Add("observation", $"must have exactly {Contract.ObservationSize} numbers (contract v{Contract.Version}), got {body.Observation.Length}.");
        else if (Array.FindIndex(body.Observation, d => !double.IsFinite(d)) is var bad and >= 0) v.Add($"observation[{bad}]", "must be a finite number.");
        if (body.ProfileName is { Length: > 64 }) v.Add("profile_name", "must be at most 64 characters.");
        if (!v.Ok) return Problems.Invalid(v);

        var profile = await models.FindProfileAsync(db, id, body.ProfileName);
        if (profile is null)
        {
            if (await db.ReadAsync(c => FightersApi.FindAsync(c, id)) is null) return Problems.NotFound("fighter", id);
            return body.ProfileName is { } n ? ProfilesApi.ProfileNotFound(id, n)
                : Problems.Field(404, "profile_name", $"fighter {id} has no trained profile yet: train one, or name a profile.");
        }
        if (profile.ModelPath is null)
            return Problems.Field(409, "profile_name", $"profile '{profile.ProfileName}' has no model yet: run a training job for it first.");

        var model = models.Get(profile);
        Span<float> observation = stackalloc float[Contract.ObservationSize];
        for (int i = 0; i < observation.Length; i++) observation[i] = (float)body.Observation![i];
        var (action, probabilities, value) = model.Decide(observation, body.Sample == true);
        return TypedResults.Ok(new InferenceResponse(action, Contract.ActionNames[action], probabilities, value, model.Info));
    }
}

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
    /// The profile a request names (or the fighter's best trained one), read at most once per second per key; this
    /// process's new model versions invalidate at once (<see cref="Invalidate"/>), other processes' within a second.
    /// </summary>
    public async Task<FighterProfile?> FindProfileAsync(Database db, long fighterId, string? name)
    {
        var key = (fighterId, name ?? "");
        if (_lookups.TryGetValue(key, out var hit) && Stopwatch.GetElapsedTime(hit.At) < LookupLifetime) return hit.Profile;
        var profile = await db.ReadAsync(c => name is not null
            ? ProfilesApi.FindAsync(c, fighterId, name)
            : c.QueryFirstOrDefaultAsync<FighterProfile>(
                "SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId AND model_path IS NOT NULL ORDER BY COALESCE(win_rate, -1) DESC, model_version DESC LIMIT 1",
                new { fighterId }));
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

    public LoadedModel Get(FighterProfile profile)
    {
        if (_byProfile.TryGetValue(profile.Id, out var cached) && cached.Info.ModelVersion == profile.ModelVersion && cached.Info.ModelPath == profile.ModelPath)
            return cached;
        var loaded = LoadedModel.Load(profile);
        _byProfile[profile.Id] = loaded;
        return loaded;
    }

    public int Count => _byProfile.Count;
}

/// <summary>A network with a pool of workspaces, so concurrent requests never share buffers.</summary>
public sealed class LoadedModel
{
    private readonly ActorCriticNetwork _network;
    private readonly ConcurrentBag<NetworkWorkspace> _workspaces = new();
    private readonly ThreadLocal<Rng> _random = new(() => new Rng((ulong)Environment.CurrentManagedThreadId * 0x9E3779B97F4A7C15UL, stream: 7));
    public ModelInfo Info { get; }

    private LoadedModel(ActorCriticNetwork network, ModelInfo info) { _network = network; Info = info; }

    public static LoadedModel Load(FighterProfile profile)
    {
        var (network, info) = Checkpoint.Load(profile.ModelPath!, ArenaTraining.EnvironmentName, Contract.Version);
        return new LoadedModel(network, new ModelInfo(profile.FighterId, profile.ProfileName, profile.ModelVersion, profile.ModelPath!, info.Steps,
            info.ContractVersion, network.Spec.ToJson(), info.Mode ?? profile.TrainingMode));
    }

    /// <summary>A checkpoint file that is not (yet) a profile's model, such as a running job's latest checkpoint.</summary>
    public static LoadedModel LoadFile(string path, long fighterId, string label)
    {
        var (network, info) = Checkpoint.Load(path, ArenaTraining.EnvironmentName, Contract.Version);
        return new LoadedModel(network, new ModelInfo(fighterId, label, 0, path, info.Steps, info.ContractVersion, network.Spec.ToJson(), info.Mode ?? "tactical"));
    }

    /// <summary>The most likely action (or a sampled one), the action probabilities and the state value.</summary>
    public (int Action, float[] Probabilities, float Value) Decide(ReadOnlySpan<float> observation, bool sample)
    {
        if (!_workspaces.TryTake(out var workspace)) workspace = _network.CreateWorkspace(1);
        try
        {
            _network.Forward(workspace, observation, 1);
            int n = _network.Spec.ActionCount;
            var probabilities = new float[n];
            Categorical.Normalize(workspace.Logits, probabilities, workspace.LogProbabilities, 1, n);
            int action = sample ? Categorical.Sample(probabilities, _random.Value!.NextFloat()) : Categorical.Mode(probabilities);
            return (action, probabilities, workspace.Values[0]);
        }
        finally { _workspaces.Add(workspace); }
    }
}
