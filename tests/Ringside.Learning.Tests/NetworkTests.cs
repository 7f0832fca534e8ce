namespace Ringside.Learning.Tests;

public class NetworkTests
{
    public static TheoryData<string> Architectures() => ["tanh-separate", "relu-shared", "relu-separate-3layers", "linear"];

    private static NetworkSpec Spec(string name) => name switch
    {
        "tanh-separate" => new NetworkSpec(5, 3, [6, 4], Activation.Tanh, SharedTrunk: false),
        "relu-shared" => new NetworkSpec(5, 4, [7, 6], Activation.Relu, SharedTrunk: true),
        "relu-separate-3layers" => new NetworkSpec(3, 2, [5, 4, 3], Activation.Relu, SharedTrunk: false),
        _ => new NetworkSpec(4, 3, [], Activation.Tanh, SharedTrunk: true),
    };

    [Theory, MemberData(nameof(Architectures))]
    public void ForwardMatchesDoubleReference(string architecture)
    {
        var network = new ActorCriticNetwork(Spec(architecture), seed: 3);
        ReferenceNetwork.Randomize(network, 4);
        const int batch = 7;
        var observations = ReferenceNetwork.RandomObservations(batch * network.Spec.ObservationSize, 5);
        var workspace = network.CreateWorkspace(batch);
        network.Forward(workspace, observations, batch);
        var (logits, values) = new ReferenceNetwork(network).Forward(network.Parameters.Select(p => (double)p).ToArray(), observations, batch);
        for (int i = 0; i < logits.Length; i++) Assert.Equal(logits[i], workspace.Logits[i], 1e-5);
        for (int i = 0; i < batch; i++) Assert.Equal(values[i], workspace.Values[i], 1e-5);
    }

    /// <summary>For L = Σ c·logits + Σ d·values with random c, d, backward must match central differences of the reference.</summary>
    [Theory, MemberData(nameof(Architectures))]
    public void BackwardMatchesFiniteDifferences(string architecture)
    {
        var network = new ActorCriticNetwork(Spec(architecture), seed: 3);
        ReferenceNetwork.Randomize(network, 6);
        const int batch = 7;
        int actions = network.Spec.ActionCount;
        var observations = ReferenceNetwork.RandomObservations(batch * network.Spec.ObservationSize, 7);
        var logitWeights = ReferenceNetwork.RandomObservations(batch * actions, 8);
        var valueWeights = ReferenceNetwork.RandomObservations(batch, 9);

        var workspace = network.CreateWorkspace(batch);
        network.Forward(workspace, observations, batch);
        logitWeights.CopyTo(workspace.LogitGradients, 0);
        valueWeights.CopyTo(workspace.ValueGradients, 0);
        var gradients = new float[network.ParameterCount];
        network.Backward(workspace, observations, batch, gradients);

        var reference = new ReferenceNetwork(network);
        double Loss(double[] p)
        {
            var (logits, values) = reference.Forward(p, observations, batch);
            return logits.Select((z, i) => z * logitWeights[i]).Sum() + values.Select((v, i) => v * valueWeights[i]).Sum();
        }
        var numerical = ReferenceNetwork.NumericalGradient(network.Parameters.Select(p => (double)p).ToArray(), Loss);
        for (int i = 0; i < numerical.Length; i++)
            Assert.True(Math.Abs(numerical[i] - gradients[i]) <= 1e-4 + 1e-3 * Math.Abs(numerical[i]),
                        $"{architecture} parameter {i}: numerical {numerical[i]}, backward {gradients[i]}");
    }

    [Fact]
    public void BackwardAccumulatesIntoGradients()
    {
        var network = new ActorCriticNetwork(Spec("relu-shared"), seed: 1);
        ReferenceNetwork.Randomize(network, 2);
        var observations = ReferenceNetwork.RandomObservations(3 * 5, 3);
        var workspace = network.CreateWorkspace(3);
        network.Forward(workspace, observations, 3);
        Array.Fill(workspace.LogitGradients, 0.5f);
        Array.Fill(workspace.ValueGradients, -1f);
        var once = new float[network.ParameterCount];
        network.Backward(workspace, observations, 3, once);
        var twice = (float[])once.Clone();
        network.Backward(workspace, observations, 3, twice);
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], twice[i], 1e-5);
    }

    [Theory, InlineData(false), InlineData(true)]
    public void InitialisationIsOrthogonalWithCleanRlGains(bool shared)
    {
        var network = new ActorCriticNetwork(shared ? NetworkSpec.Seed001(30, 10) : NetworkSpec.CleanRl(4, 2), seed: 1);
        foreach (var slot in network.Tensors)
        {
            var values = network.Parameters.AsSpan(slot.Offset, slot.Length);
            if (slot.Name.EndsWith(".bias")) { Assert.All(values.ToArray(), v => Assert.Equal(0f, v)); continue; }
            double gain = slot.Name is "actor.4.weight" or "actor.weight" ? 0.01 : slot.Name is "critic.4.weight" or "critic.weight" ? 1 : Math.Sqrt(2);
            int rows = slot.Shape[0], cols = slot.Shape[1];
            // The smaller Gram matrix (W Wᵀ if wide, Wᵀ W if tall) must be gain² · I.
            bool wide = rows <= cols;
            int n = wide ? rows : cols;
            for (int a = 0; a < n; a++)
                for (int b = 0; b < n; b++)
                {
                    double dot = 0;
                    for (int k = 0; k < (wide ? cols : rows); k++)
                        dot += wide ? values[a * cols + k] * values[b * cols + k] : values[k * cols + a] * values[k * cols + b];
                    Assert.Equal(a == b ? gain * gain : 0, dot, 1e-5);
                }
        }
    }

    [Fact]
    public void SameSeedSameNetwork()
    {
        var a = new ActorCriticNetwork(NetworkSpec.Seed001(30, 10), seed: 42);
        var b = new ActorCriticNetwork(NetworkSpec.Seed001(30, 10), seed: 42);
        var c = new ActorCriticNetwork(NetworkSpec.Seed001(30, 10), seed: 43);
        Assert.Equal(a.Parameters, b.Parameters);
        Assert.NotEqual(a.Parameters, c.Parameters);
        Assert.Equal(["trunk.0.weight", "trunk.0.bias", "trunk.2.weight", "trunk.2.bias", "actor.weight", "actor.bias", "critic.weight", "critic.bias"],
                     a.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void InferenceAndTrainingPassesDoNotAllocate()
    {
        var network = new ActorCriticNetwork(NetworkSpec.Seed001(30, 10), seed: 1);
        var policy = new NetworkPolicy(network, capacity: 64, seed: 2);
        var observations = ReferenceNetwork.RandomObservations(64 * 30, 3);
        var actions = new int[64];
        var logProbs = new float[64];
        var values = new float[64];
        var workspace = network.CreateWorkspace(64);
        var gradients = new float[network.ParameterCount];
        void Work()
        {
            policy.Act(observations, 64, actions, logProbs, values);
            policy.Act(observations.AsSpan(0, 30), 1, actions.AsSpan(0, 1));
            network.Forward(workspace, observations, 64);
            network.Backward(workspace, observations, 64, gradients);
        }
        for (int i = 0; i < 50; i++) Work(); // warm-up: tiered JIT, statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Work();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void SamplingFollowsTheProbabilities()
    {
        var rng = new Rng(5);
        float[] probabilities = [0.1f, 0.6f, 0.3f];
        var counts = new int[3];
        for (int i = 0; i < 100_000; i++) counts[Categorical.Sample(probabilities, rng.NextFloat())]++;
        for (int a = 0; a < 3; a++) Assert.Equal(probabilities[a], counts[a] / 100_000.0, 0.01);
    }

    [Fact]
    public void AdamMatchesTorchFormula()
    {
        var rng = new Rng(1);
        float[] parameters = Enumerable.Range(0, 37).Select(_ => rng.NextFloat()).ToArray();
        double[] p = parameters.Select(x => (double)x).ToArray(), m = new double[37], v = new double[37];
        var adam = new Adam(37, epsilon: 1e-5f);
        for (int t = 1; t <= 5; t++)
        {
            float[] g = Enumerable.Range(0, 37).Select(_ => rng.NextFloat() - 0.5f).ToArray();
            adam.Update(parameters, g, 0.01f);
            for (int i = 0; i < 37; i++)
            {
                m[i] = 0.9 * m[i] + 0.1 * g[i];
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
                p[i] -= 0.01 / (1 - Math.Pow(0.9, t)) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-5);
            }
        }
        for (int i = 0; i < 37; i++) Assert.Equal(p[i], parameters[i], 1e-5);
        Assert.Equal(5, adam.Step);
    }

    [Fact]
    public void ClippingScalesToTheMaximumNorm()
    {
        float[] g = [3, 4];
        Assert.Equal(5f, GradientClipping.ClipGlobalNorm(g, 0.5f));
        Assert.Equal(0.5, Math.Sqrt(g[0] * g[0] + g[1] * g[1]), 1e-5);
        float[] small = [0.1f, 0.1f];
        GradientClipping.ClipGlobalNorm(small, 0.5f);
        Assert.Equal([0.1f, 0.1f], small);
    }
}

public class LearnerBenchmarkTests
{
    [Fact]
    public void BenchmarkRunsAndReportsPositiveRates()
    {
        var config = new PpoConfig { NumEnvs = 8, NumSteps = 16, HiddenSizes = [16], GradientShards = 2, Threads = 2 };
        var result = LearnerBenchmark.Run(config, observationSize: 6, actionCount: 3, seconds: 0.05);
        Assert.True(result.UpdateSamplesPerSecond > 0 && result.UpdateSamplesPerCpuSecond > 0 && result.InferenceSamplesPerSecond > 0);
        Assert.Equal(32, result.Minibatch);
    }
}
