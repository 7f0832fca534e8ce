using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace Ringside.Learning.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ringside-checkpoints-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static readonly CheckpointInfo Info = new()
    {
        Environment = "arena",
        ContractVersion = 1,
        Personality = "aggression=80",
        Mode = "aggression",
        Steps = 1234,
        Metrics = new Dictionary<string, double> { ["win_rate"] = 0.75, ["mean_return"] = double.NaN },
        Extra = new Dictionary<string, string> { ["fighter"] = "standard" },
    };

    [Fact]
    public void LoadedPolicyGivesBitIdenticalOutputs()
    {
        var network = new ActorCriticNetwork(NetworkSpec.Seed001(30, 10), seed: 5);
        ReferenceNetwork.Randomize(network, 6);
        string path = PathOf("policy.safetensors");
        Checkpoint.Save(path, network, Info);

        var (loaded, info) = Checkpoint.Load(path, environment: "arena", contractVersion: 1);
        Assert.Equal(network.Spec, loaded.Spec);
        Assert.Equal(network.Parameters, loaded.Parameters);
        var observations = ReferenceNetwork.RandomObservations(16 * 30, 7);
        var (a, b) = (network.CreateWorkspace(16), loaded.CreateWorkspace(16));
        network.Forward(a, observations, 16);
        loaded.Forward(b, observations, 16);
        Assert.Equal(a.Logits, b.Logits);
        Assert.Equal(a.Values, b.Values);

        Assert.Equal(("arena", 1, "aggression=80", "aggression", 1234L), (info.Environment, info.ContractVersion, info.Personality, info.Mode, info.Steps));
        Assert.Equal(0.75, info.Metrics["win_rate"]);
        Assert.True(double.IsNaN(info.Metrics["mean_return"]));
        Assert.Equal("standard", info.Extra["fighter"]);
    }

    [Fact]
    public void FileIsPlainSafetensors()
    {
        var network = new ActorCriticNetwork(NetworkSpec.CleanRl(4, 2), seed: 1);
        string path = PathOf("cartpole.safetensors");
        Checkpoint.Save(path, network, new CheckpointInfo { Environment = "cartpole", ContractVersion = 1 });
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + network.ParameterCount * 4, bytes.Length);
        using var header = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        var weight = header.RootElement.GetProperty("actor.0.weight");
        Assert.Equal("F32", weight.GetProperty("dtype").GetString());
        Assert.Equal([64, 4], weight.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal([0L, 64 * 4 * 4], weight.GetProperty("data_offsets").EnumerateArray().Select(v => v.GetInt64()));
        var metadata = header.RootElement.GetProperty("__metadata__");
        Assert.Equal("1", metadata.GetProperty("contract_version").GetString());
        Assert.Contains("\"hidden_sizes\":[64,64]", metadata.GetProperty("architecture").GetString());
        float first = BitConverter.ToSingle(bytes, 8 + (int)headerLength);
        Assert.Equal(network.Parameters[0], first);
    }

    [Fact]
    public void ResumeContinuesAtTheSameStepWithTheSameOptimiserState()
    {
        var config = PpoConfig.CartPole;
        string path = PathOf("run.safetensors");
        using var trainer = new PpoTrainer(config, new CartPoleVectorEnv(config.NumEnvs), seed: 3);
        trainer.Train(3 * config.BatchSize);
        trainer.SaveCheckpoint(path, new CheckpointInfo { Environment = "cartpole", ContractVersion = 1 });
        Assert.True(File.Exists(Checkpoint.OptimizerPath(path)));

        using var resumed = PpoTrainer.Resume(path, config, new CartPoleVectorEnv(config.NumEnvs), environment: "cartpole");
        Assert.Equal(trainer.GlobalStep, resumed.GlobalStep);
        Assert.Equal(3, resumed.Iteration);
        Assert.Equal(trainer.Seed, resumed.Seed);
        Assert.Equal(trainer.Network.Parameters, resumed.Network.Parameters);
        Assert.Equal(trainer.Optimizer.Step, resumed.Optimizer.Step);
        Assert.Equal(trainer.Optimizer.FirstMoment, resumed.Optimizer.FirstMoment);
        Assert.Equal(trainer.Optimizer.SecondMoment, resumed.Optimizer.SecondMoment);

        resumed.Train(4 * config.BatchSize);
        Assert.Equal(4 * config.BatchSize, resumed.GlobalStep);
        Assert.Equal(trainer.Optimizer.Step + config.UpdateEpochs * config.NumMinibatches, resumed.Optimizer.Step);
    }

    [Fact]
    public void TruncatedFileIsRejected()
    {
        string path = SaveSmall("truncated.safetensors");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path)).Message);
        File.WriteAllBytes(path, bytes[..5]);
        Assert.Contains("truncated", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void WrongShapeIsRejected()
    {
        string path = SaveSmall("shape.safetensors");
        var (tensors, metadata) = SafeTensors.Read(path);
        var list = tensors.Values.Select(t => t.Name == "trunk.0.weight" ? new SafeTensor(t.Name, [t.Shape[1], t.Shape[0]], t.Values) : t);
        SafeTensors.Write(path, list, metadata);
        var message = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path)).Message;
        Assert.Contains("trunk.0.weight has shape [3, 8]", message);
    }

    [Fact]
    public void MissingTensorIsRejected()
    {
        string path = SaveSmall("missing.safetensors");
        var (tensors, metadata) = SafeTensors.Read(path);
        SafeTensors.Write(path, tensors.Values.Where(t => t.Name != "critic.bias"), metadata);
        Assert.Contains("tensor critic.bias is missing", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void OtherContractOrFormatVersionIsRejected()
    {
        string path = SaveSmall("contract.safetensors");
        Assert.Contains("contract v1; this build needs v2", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, contractVersion: 2)).Message);
        Assert.Contains("environment 'arena', not 'cartpole'", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, environment: "cartpole")).Message);

        var (tensors, metadata) = SafeTensors.Read(path);
        var newer = metadata.ToDictionary();
        newer["format_version"] = "2";
        SafeTensors.Write(path, tensors.Values, newer);
        Assert.Contains("format v2 is not supported", Assert.Throws<CheckpointException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void GarbageAndOtherDtypesAreRejected()
    {
        string path = PathOf("garbage.safetensors");
        File.WriteAllText(path, "this is not a checkpoint at all, just some text");
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(path));

        string header = "{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        var bytes = new byte[8 + header.Length + 4];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        Encoding.UTF8.GetBytes(header).CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("dtype F16", Assert.Throws<CheckpointException>(() => SafeTensors.Read(path)).Message);

        Assert.Contains("cannot read", Assert.Throws<CheckpointException>(() => Checkpoint.Load(PathOf("absent.safetensors"))).Message);
    }

    [Fact]
    public void ResumeWithoutOptimiserStateNamesTheMissingFile()
    {
        var network = new ActorCriticNetwork(PpoConfig.CartPole.NetworkSpec(4, 2), seed: 1);
        string path = PathOf("policy-only.safetensors");
        Checkpoint.Save(path, network, new CheckpointInfo { Environment = "cartpole", ContractVersion = 1 });
        var message = Assert.Throws<CheckpointException>(() => PpoTrainer.Resume(path, PpoConfig.CartPole, new CartPoleVectorEnv(4))).Message;
        Assert.Contains("policy-only.optimizer.safetensors: missing", message);
    }

    private string SaveSmall(string name)
    {
        string path = PathOf(name);
        Checkpoint.Save(path, new ActorCriticNetwork(new NetworkSpec(3, 2, [8], Activation.Relu, SharedTrunk: true), seed: 1), Info);
        return path;
    }
}
