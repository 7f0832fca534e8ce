using System.Globalization;
using System.Text.Json;

namespace Ringside.Learning;

/// <summary>What a checkpoint says about the policy besides its weights.</summary>
public sealed record CheckpointInfo
{
    /// <summary>The environment the policy acts in: "arena", "cartpole".</summary>
    public required string Environment { get; init; }
    /// <summary>Version of that environment's observation/action contract (arena: Ringside.Sim.Contract.Version).</summary>
    public required int ContractVersion { get; init; }
    public string? Personality { get; init; }
    public string? Mode { get; init; }
    /// <summary>Environment steps the policy was trained for.</summary>
    public long Steps { get; init; }
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    /// <summary>Any further string metadata (fighter spec, reward weights …); keys must not clash with the reserved ones.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Policy checkpoints: one .safetensors file with the network's tensors under PyTorch names and metadata
/// (format, format_version, environment, contract_version, architecture, personality, mode, steps, metrics).
/// For resuming training, the optimiser and trainer state go to a sibling file, <c>name.optimizer.safetensors</c>
/// (Adam's exp_avg.* and exp_avg_sq.* per tensor, its step, the global step, iteration and random states), so the
/// policy file that the game and the browser load stays small and loads into PyTorch without extra keys.
/// The sibling also holds its own copy of the weights (param.*): each file is replaced atomically, but the pair is
/// not, so a crash between the two renames leaves a policy file one checkpoint ahead of the optimiser state. Resuming
/// reads the sibling alone and is therefore always one consistent checkpoint (<see cref="ResumeIteration"/>).
/// </summary>
public static class Checkpoint
{
    public const string PolicyFormat = "ringside-policy";
    public const string TrainerFormat = "ringside-trainer";
    public const int FormatVersion = 1;

    private static readonly string[] ReservedKeys =
        ["format", "format_version", "environment", "contract_version", "architecture", "personality", "mode", "steps", "metrics"];

    public static string OptimizerPath(string policyPath) =>
        Path.Combine(Path.GetDirectoryName(policyPath) ?? "", Path.GetFileNameWithoutExtension(policyPath) + ".optimizer.safetensors");

    public static void Save(string path, ActorCriticNetwork network, CheckpointInfo info)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = PolicyFormat,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["environment"] = info.Environment,
            ["contract_version"] = info.ContractVersion.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = network.Spec.ToJson(),
            ["steps"] = info.Steps.ToString(CultureInfo.InvariantCulture),
            ["metrics"] = JsonSerializer.Serialize(info.Metrics.ToDictionary(m => m.Key, m => double.IsFinite(m.Value) ? m.Value : (double?)null)),
        };
        if (info.Personality is not null) metadata["personality"] = info.Personality;
        if (info.Mode is not null) metadata["mode"] = info.Mode;
        foreach (var (key, value) in info.Extra)
        {
            if (ReservedKeys.Contains(key)) throw new ArgumentException($"metadata key '{key}' is reserved");
            metadata[key] = value;
        }
        SafeTensors.Write(path, network.Tensors.Select(slot => new SafeTensor(slot.Name, slot.Shape, network.Parameters.AsSpan(slot.Offset, slot.Length).ToArray())), metadata);
    }

    /// <summary>Loads a policy; gives bit-identical outputs to the network that was saved.</summary>
    /// <param name="environment">if given, the checkpoint must be for this environment.</param>
    /// <param name="contractVersion">if given, the checkpoint must use this contract version.</param>
    /// <exception cref="CheckpointException">naming the file and the problem.</exception>
    public static (ActorCriticNetwork Network, CheckpointInfo Info) Load(string path, string? environment = null, int? contractVersion = null)
    {
        var (tensors, metadata) = SafeTensors.Read(path);
        RequireFormat(path, metadata, PolicyFormat);
        var info = new CheckpointInfo
        {
            Environment = Required(path, metadata, "environment"),
            ContractVersion = ParseInt(path, metadata, "contract_version"),
            Personality = metadata.GetValueOrDefault("personality"),
            Mode = metadata.GetValueOrDefault("mode"),
            Steps = metadata.ContainsKey("steps") ? ParseLong(path, metadata, "steps") : 0,
            Metrics = ParseMetrics(path, metadata),
            Extra = metadata.Where(m => !ReservedKeys.Contains(m.Key)).ToDictionary(),
        };
        if (environment is not null && info.Environment != environment)
            throw new CheckpointException($"{path}: the policy is for environment '{info.Environment}', not '{environment}'");
        if (contractVersion is not null && info.ContractVersion != contractVersion)
            throw new CheckpointException($"{path}: the policy uses contract v{info.ContractVersion}; this build needs v{contractVersion}");

        NetworkSpec spec;
        try { spec = NetworkSpec.FromJson(Required(path, metadata, "architecture")); }
        catch (FormatException e) { throw new CheckpointException($"{path}: {e.Message}", e); }
        var network = new ActorCriticNetwork(spec, seed: 0);
        foreach (var slot in network.Tensors)
            Fetch(path, tensors, slot.Name, slot.Shape).CopyTo(network.Parameters, slot.Offset);
        network.CommitParameters();
        return (network, info);
    }

    /// <summary>Saved with a policy so training can resume where it stopped.</summary>
    internal sealed record TrainerState(ulong Seed, long GlobalStep, int Iteration, ulong[] SamplingRng, ulong[] ShuffleRng);

    internal static void SaveTrainerState(string policyPath, ActorCriticNetwork network, Adam adam, TrainerState state)
    {
        var metadata = new Dictionary<string, string>
        {
            ["format"] = TrainerFormat,
            ["format_version"] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            ["architecture"] = network.Spec.ToJson(),
            ["adam_step"] = adam.Step.ToString(CultureInfo.InvariantCulture),
            ["adam_epsilon"] = adam.Epsilon.ToString("R", CultureInfo.InvariantCulture),
            ["seed"] = state.Seed.ToString(CultureInfo.InvariantCulture),
            ["global_step"] = state.GlobalStep.ToString(CultureInfo.InvariantCulture),
            ["iteration"] = state.Iteration.ToString(CultureInfo.InvariantCulture),
            ["sampling_rng"] = string.Join(',', state.SamplingRng),
            ["shuffle_rng"] = string.Join(',', state.ShuffleRng),
        };
        var tensors = network.Tensors.SelectMany(slot => new[]
        {
            new SafeTensor("param." + slot.Name, slot.Shape, network.Parameters.AsSpan(slot.Offset, slot.Length).ToArray()),
            new SafeTensor("exp_avg." + slot.Name, slot.Shape, adam.FirstMoment.AsSpan(slot.Offset, slot.Length).ToArray()),
            new SafeTensor("exp_avg_sq." + slot.Name, slot.Shape, adam.SecondMoment.AsSpan(slot.Offset, slot.Length).ToArray()),
        });
        SafeTensors.Write(OptimizerPath(policyPath), tensors, metadata);
    }

    /// <summary>
    /// The iteration a resume from <paramref name="policyPath"/> continues after: the trainer state's, which may be a
    /// checkpoint behind the policy file's own metrics after a crash between the two files.
    /// </summary>
    public static int ResumeIteration(string policyPath)
    {
        string path = OptimizerPath(policyPath);
        if (!File.Exists(path)) throw new CheckpointException($"{path}: missing; it holds the optimiser state needed to resume {policyPath}");
        var (_, metadata) = SafeTensors.Read(path);
        RequireFormat(path, metadata, TrainerFormat);
        return ParseInt(path, metadata, "iteration");
    }

    /// <summary>
    /// Restores the weights (when the file has them) and Adam from the sibling optimiser file, and returns the trainer
    /// state stored with them.
    /// </summary>
    internal static TrainerState LoadTrainerState(string policyPath, ActorCriticNetwork network, Adam adam)
    {
        string path = OptimizerPath(policyPath);
        if (!File.Exists(path)) throw new CheckpointException($"{path}: missing; it holds the optimiser state needed to resume {policyPath}");
        var (tensors, metadata) = SafeTensors.Read(path);
        RequireFormat(path, metadata, TrainerFormat);
        if (Required(path, metadata, "architecture") != network.Spec.ToJson())
            throw new CheckpointException($"{path}: optimiser state is for another architecture than {policyPath}");
        if (network.Tensors.All(slot => tensors.ContainsKey("param." + slot.Name)))
        {
            foreach (var slot in network.Tensors) Fetch(path, tensors, "param." + slot.Name, slot.Shape).CopyTo(network.Parameters, slot.Offset);
            network.CommitParameters();
        }
        var firstMoment = new float[network.ParameterCount];
        var secondMoment = new float[network.ParameterCount];
        foreach (var slot in network.Tensors)
        {
            Fetch(path, tensors, "exp_avg." + slot.Name, slot.Shape).CopyTo(firstMoment, slot.Offset);
            Fetch(path, tensors, "exp_avg_sq." + slot.Name, slot.Shape).CopyTo(secondMoment, slot.Offset);
        }
        adam.Restore(firstMoment, secondMoment, ParseLong(path, metadata, "adam_step"));
        return new TrainerState(
            ulong.Parse(Required(path, metadata, "seed"), CultureInfo.InvariantCulture),
            ParseLong(path, metadata, "global_step"),
            ParseInt(path, metadata, "iteration"),
            ParseRng(path, metadata, "sampling_rng"),
            ParseRng(path, metadata, "shuffle_rng"));
    }

    private static float[] Fetch(string path, IReadOnlyDictionary<string, SafeTensor> tensors, string name, int[] shape)
    {
        if (!tensors.TryGetValue(name, out var tensor)) throw new CheckpointException($"{path}: tensor {name} is missing");
        if (!tensor.Shape.SequenceEqual(shape))
            throw new CheckpointException($"{path}: tensor {name} has shape [{string.Join(", ", tensor.Shape)}], the architecture needs [{string.Join(", ", shape)}]");
        return tensor.Values;
    }

    private static void RequireFormat(string path, IReadOnlyDictionary<string, string> metadata, string format)
    {
        string found = metadata.GetValueOrDefault("format") ?? "(none)";
        if (found != format) throw new CheckpointException($"{path}: metadata format is '{found}', expected '{format}'");
        int version = ParseInt(path, metadata, "format_version");
        if (version != FormatVersion)
            throw new CheckpointException($"{path}: checkpoint format v{version} is not supported (this build reads v{FormatVersion})");
    }

    private static string Required(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var value) ? value : throw new CheckpointException($"{path}: metadata '{key}' is missing");

    private static int ParseInt(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        int.TryParse(Required(path, metadata, key), CultureInfo.InvariantCulture, out int value)
            ? value : throw new CheckpointException($"{path}: metadata '{key}' is not an integer");

    private static long ParseLong(string path, IReadOnlyDictionary<string, string> metadata, string key) =>
        long.TryParse(Required(path, metadata, key), CultureInfo.InvariantCulture, out long value)
            ? value : throw new CheckpointException($"{path}: metadata '{key}' is not an integer");

    private static ulong[] ParseRng(string path, IReadOnlyDictionary<string, string> metadata, string key)
    {
        var parts = Required(path, metadata, key).Split(',');
        var state = new ulong[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!ulong.TryParse(parts[i], CultureInfo.InvariantCulture, out state[i])) throw new CheckpointException($"{path}: metadata '{key}' is not a random state");
        if (state.Length != 4) throw new CheckpointException($"{path}: metadata '{key}' is not a random state");
        return state;
    }

    private static IReadOnlyDictionary<string, double> ParseMetrics(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue("metrics", out var json)) return new Dictionary<string, double>();
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, double?>>(json)!.ToDictionary(m => m.Key, m => m.Value ?? double.NaN);
        }
        catch (JsonException e)
        {
            throw new CheckpointException($"{path}: metadata 'metrics' is not a JSON object of numbers", e);
        }
    }
}
