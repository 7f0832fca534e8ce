using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Sim;

namespace Ringside.Server.Inference;

/// <summary>Which model answered: the profile, its version and file (never sent: a server path), and what the checkpoint says of itself.</summary>
public sealed record ModelInfo(long FighterId, string ProfileName, int ModelVersion, [property: JsonIgnore] string ModelPath, long TrainedSteps,
    int ContractVersion, string Architecture, string TrainingMode);

/// <summary>
/// A network with a pool of policies (each with its own workspace and random stream), so concurrent requests never
/// share buffers. Every decision is <see cref="NetworkPolicy.Decide"/>, the path evaluation and training take too.
/// </summary>
public sealed class LoadedModel
{
    private readonly ActorCriticNetwork _network;
    private readonly ConcurrentBag<NetworkPolicy> _policies = new();
    private long _created;
    public ModelInfo Info { get; }

    private LoadedModel(ActorCriticNetwork network, ModelInfo info) { _network = network; Info = info; }

    /// <param name="file">the profile's model as a file on this node (<see cref="Profiles.ModelFiles.LocalPathAsync"/>).</param>
    public static LoadedModel Load(FighterProfile profile, string file)
    {
        var (network, info) = Checkpoint.Load(file, ArenaTraining.EnvironmentName, Contract.Version);
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
        if (!_policies.TryTake(out var policy))
            policy = new NetworkPolicy(_network, 1, (ulong)Interlocked.Increment(ref _created) * 0x9E3779B97F4A7C15UL, greedy: true);
        try
        {
            var probabilities = new float[_network.Spec.ActionCount];
            var (action, value) = policy.Decide(observation, sample, probabilities);
            return (action, probabilities, value);
        }
        finally { _policies.Add(policy); }
    }
}
