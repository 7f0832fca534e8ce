using System.Text.Json;

namespace Ringside.Learning;

public enum Activation { Tanh, Relu }

/// <summary>
/// The architecture of an actor-critic MLP: what a checkpoint records and what loading checks.
/// Shared: one trunk of hidden layers feeds both heads (seed 001's fighter network: 2×128 ReLU).
/// Separate: the actor and the critic each have their own trunk (CleanRL's CartPole agent: 64×64 tanh).
/// </summary>
public sealed record NetworkSpec(int ObservationSize, int ActionCount, IReadOnlyList<int> HiddenSizes, Activation Activation, bool SharedTrunk)
{
    /// <summary>Seed 001's fighter network: 2×128 ReLU, one trunk for both heads (the arena's recipe trains 2×64: docs/ARCHITECTURE.md).</summary>
    public static NetworkSpec Seed001(int observationSize, int actionCount) =>
        new(observationSize, actionCount, [128, 128], Activation.Relu, SharedTrunk: true);

    /// <summary>CleanRL ppo.py's Agent: separate 64×64 tanh actor and critic.</summary>
    public static NetworkSpec CleanRl(int observationSize, int actionCount) =>
        new(observationSize, actionCount, [64, 64], Activation.Tanh, SharedTrunk: false);

    public void Validate()
    {
        if (ObservationSize <= 0) throw new ArgumentException("observation size must be positive");
        if (ActionCount < 2) throw new ArgumentException("a categorical policy needs at least 2 actions");
        if (HiddenSizes.Any(size => size <= 0)) throw new ArgumentException("hidden sizes must be positive");
    }

    /// <summary>One-line JSON, stored in checkpoint metadata under "architecture".</summary>
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["observation_size"] = ObservationSize,
        ["action_count"] = ActionCount,
        ["hidden_sizes"] = HiddenSizes,
        ["activation"] = Activation.ToString().ToLowerInvariant(),
        ["shared_trunk"] = SharedTrunk,
    });

    /// <exception cref="FormatException">when the text is not an architecture this code can build.</exception>
    public static NetworkSpec FromJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var spec = new NetworkSpec(
                root.GetProperty("observation_size").GetInt32(),
                root.GetProperty("action_count").GetInt32(),
                root.GetProperty("hidden_sizes").EnumerateArray().Select(size => size.GetInt32()).ToArray(),
                Enum.Parse<Activation>(root.GetProperty("activation").GetString()!, ignoreCase: true),
                root.GetProperty("shared_trunk").GetBoolean());
            spec.Validate();
            return spec;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            throw new FormatException($"not a valid architecture: {json} ({e.Message})", e);
        }
    }

    // Records compare lists by reference; two specs with equal sizes are the same architecture.
    public bool Equals(NetworkSpec? other) =>
        other is not null && ObservationSize == other.ObservationSize && ActionCount == other.ActionCount
        && Activation == other.Activation && SharedTrunk == other.SharedTrunk && HiddenSizes.SequenceEqual(other.HiddenSizes);

    public override int GetHashCode() => HashCode.Combine(ObservationSize, ActionCount, Activation, SharedTrunk, HiddenSizes.Count);

    public override string ToString() =>
        $"{(SharedTrunk ? "shared" : "separate")} {string.Join('x', HiddenSizes)} {Activation.ToString().ToLowerInvariant()} ({ObservationSize} → {ActionCount} actions + value)";
}
