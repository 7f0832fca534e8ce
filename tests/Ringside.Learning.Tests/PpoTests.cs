namespace Ringside.Learning.Tests;

public class PpoTests
{
    /// <summary>
    /// GAE against a second, plain implementation: per environment, A_t = Σ_l (γλ)^l δ_{t+l} summed explicitly up to the end
    /// of the episode, with δ bootstrapping from V(final observation) on truncation, from nothing on termination.
    /// </summary>
    [Fact]
    public void GaeMatchesPlainSumsIncludingTruncationBootstrap()
    {
        const int steps = 40, envs = 3;
        const float gamma = 0.99f, lambda = 0.95f;
        var rng = new Rng(12);
        float[] rewards = new float[steps * envs], values = new float[steps * envs], finalValues = new float[steps * envs], nextValue = new float[envs];
        bool[] terminals = new bool[steps * envs], truncations = new bool[steps * envs];
        for (int i = 0; i < steps * envs; i++)
        {
            rewards[i] = rng.NextFloat() * 2 - 1;
            values[i] = rng.NextFloat() * 10;
            finalValues[i] = rng.NextFloat() * 10;
            double u = rng.NextDouble();
            terminals[i] = u < 0.05;
            truncations[i] = u is >= 0.05 and < 0.1;
        }
        for (int e = 0; e < envs; e++) nextValue[e] = rng.NextFloat() * 10;

        // What Collect stores: the bootstrap folded into the reward, and "done" for either ending.
        float[] storedRewards = new float[steps * envs];
        bool[] dones = new bool[steps * envs];
        for (int i = 0; i < steps * envs; i++)
        {
            storedRewards[i] = rewards[i] + (truncations[i] ? gamma * finalValues[i] : 0);
            dones[i] = terminals[i] || truncations[i];
        }
        float[] advantages = new float[steps * envs], returns = new float[steps * envs];
        PpoTrainer.Gae(storedRewards, values, dones, nextValue, steps, envs, gamma, lambda, new float[envs], advantages, returns);

        for (int e = 0; e < envs; e++)
            for (int t = 0; t < steps; t++)
            {
                double expected = 0, weight = 1;
                for (int u = t; u < steps; u++)
                {
                    int i = u * envs + e;
                    double next = terminals[i] ? 0 : truncations[i] ? finalValues[i] : u + 1 < steps ? values[i + envs] : nextValue[e];
                    expected += weight * (rewards[i] + gamma * next - values[i]);
                    if (terminals[i] || truncations[i]) break;
                    weight *= gamma * lambda;
                }
                Assert.Equal(expected, advantages[t * envs + e], 1e-4);
                Assert.Equal(expected + values[t * envs + e], returns[t * envs + e], 1e-4);
            }
    }

    public static TheoryData<bool, string> LossCases() => new()
    {
        { true, "tanh-separate" }, { false, "tanh-separate" }, { true, "relu-shared" },
    };

    /// <summary>The whole PPO loss (clipped policy, clipped value, entropy) against finite differences of a double reference.</summary>
    [Theory, MemberData(nameof(LossCases))]
    public void LossGradientMatchesFiniteDifferences(bool clipVloss, string architecture)
    {
        var spec = architecture == "relu-shared"
            ? new NetworkSpec(4, 3, [6, 5], Activation.Relu, SharedTrunk: true)
            : new NetworkSpec(4, 3, [6, 5], Activation.Tanh, SharedTrunk: false);
        var config = new PpoConfig { ClipCoef = 0.2f, EntCoef = 0.05f, VfCoef = 0.5f, ClipVloss = clipVloss };
        var network = new ActorCriticNetwork(spec, seed: 1);
        ReferenceNetwork.Randomize(network, 2);
        const int n = 11, actionCount = 3;
        var observations = ReferenceNetwork.RandomObservations(n * 4, 3);
        var workspace = network.CreateWorkspace(n);
        network.Forward(workspace, observations, n);
        Categorical.Normalize(workspace.Logits, workspace.Probabilities, workspace.LogProbabilities, n, actionCount);

        // Old log-probabilities and values perturbed by ±0.5 so that some samples are clipped and some are not.
        var rng = new Rng(4);
        int[] actions = new int[n];
        float[] oldLogprobs = new float[n], advantages = new float[n], returns = new float[n], oldValues = new float[n];
        for (int i = 0; i < n; i++)
        {
            actions[i] = rng.NextInt(actionCount);
            oldLogprobs[i] = workspace.LogProbabilities[i * actionCount + actions[i]] + (rng.NextFloat() - 0.5f);
            advantages[i] = (float)rng.NextGaussian();
            returns[i] = (float)rng.NextGaussian();
            oldValues[i] = workspace.Values[i] + (rng.NextFloat() - 0.5f);
        }
        var sums = PpoTrainer.LossGradients(config, workspace, n, actions, oldLogprobs, advantages, returns, oldValues, scale: 1f / n);
        var gradients = new float[network.ParameterCount];
        network.Backward(workspace, observations, n, gradients);

        var reference = new ReferenceNetwork(network);
        double Loss(double[] p)
        {
            var (logits, values) = reference.Forward(p, observations, n);
            double pg = 0, v = 0, entropy = 0, clip = config.ClipCoef;
            for (int i = 0; i < n; i++)
            {
                var z = logits.Skip(i * actionCount).Take(actionCount).ToArray();
                double max = z.Max(), logSum = Math.Log(z.Sum(x => Math.Exp(x - max))) + max;
                var logp = z.Select(x => x - logSum).ToArray();
                double ratio = Math.Exp(logp[actions[i]] - oldLogprobs[i]);
                pg += Math.Max(-advantages[i] * ratio, -advantages[i] * Math.Clamp(ratio, 1 - clip, 1 + clip));
                double unclipped = Math.Pow(values[i] - returns[i], 2);
                double clipped = Math.Pow(oldValues[i] + Math.Clamp(values[i] - oldValues[i], -clip, clip) - returns[i], 2);
                v += 0.5 * (clipVloss ? Math.Max(unclipped, clipped) : unclipped);
                entropy -= logp.Sum(l => Math.Exp(l) * l);
            }
            return pg / n - config.EntCoef * entropy / n + config.VfCoef * v / n;
        }
        var parameters = network.Parameters.Select(p => (double)p).ToArray();
        double expectedLoss = Loss(parameters);
        double reportedLoss = sums.PolicyLoss / n - config.EntCoef * sums.Entropy / n + config.VfCoef * sums.ValueLoss / n;
        Assert.Equal(expectedLoss, reportedLoss, 1e-4);
        Assert.InRange(sums.ClipFrac, 1, n - 1); // the case mixes clipped and unclipped samples

        var numerical = ReferenceNetwork.NumericalGradient(parameters, Loss);
        for (int i = 0; i < numerical.Length; i++)
            Assert.True(Math.Abs(numerical[i] - gradients[i]) <= 2e-5 + 1e-3 * Math.Abs(numerical[i]),
                        $"parameter {i}: numerical {numerical[i]}, analytical {gradients[i]}");
    }

    [Fact]
    public void AdvantageNormalisationUsesUnbiasedStd()
    {
        float[] a = [1, 2, 3, 4];
        PpoTrainer.NormalizeAdvantages(a);
        double std = Math.Sqrt((2.25 + 0.25 + 0.25 + 2.25) / 3);
        Assert.Equal(-1.5 / std, a[0], 1e-5);
        Assert.Equal(1.5 / std, a[3], 1e-5);
    }

    [Fact]
    public void SameSeedSameRunAndThreadsDoNotChangeResults()
    {
        float[] Train(int threads, ulong seed)
        {
            var config = PpoConfig.CartPole with { GradientShards = 2, Threads = threads };
            using var trainer = new PpoTrainer(config, new CartPoleVectorEnv(config.NumEnvs), seed);
            trainer.Train(5 * config.BatchSize);
            return trainer.Network.Parameters;
        }
        var single = Train(1, 7);
        Assert.Equal(single, Train(1, 7));
        Assert.Equal(single, Train(2, 7));
        Assert.NotEqual(single, Train(1, 8));
    }

    [Fact]
    public void ShortCartPoleRunLearnsFarBeyondRandom()
    {
        // A random policy averages ~22; CleanRL's settings pass 100 well before 50k steps.
        var result = CartPoleRun.Run(PpoConfig.CartPole, seed: 1, totalSteps: 40_960);
        Assert.True(result.FinalMeanReturn > 100, $"mean return of the last 20 episodes: {result.FinalMeanReturn}");
    }

    [Fact]
    public void TrainingPhasesDoNotAllocateAfterWarmUp()
    {
        var config = PpoConfig.CartPole with { Threads = 1 };
        using var trainer = new PpoTrainer(config, new CartPoleVectorEnv(config.NumEnvs), seed: 1);
        void Iteration()
        {
            trainer.Collect();
            trainer.ComputeAdvantages();
            trainer.Update(config.LearningRate);
        }
        for (int i = 0; i < 3; i++) Iteration();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) Iteration();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void BadConfigurationsAreRejectedWithTheirName()
    {
        var e = Assert.Throws<ArgumentException>(() => new PpoConfig { NumMinibatches = 3 }.Validate());
        Assert.Contains("num_minibatches", e.Message);
        var env = new CartPoleVectorEnv(2);
        e = Assert.Throws<ArgumentException>(() => new PpoTrainer(PpoConfig.CartPole, env, 1));
        Assert.Contains("num_envs", e.Message);
    }
}

public class DivergenceTests
{
    /// <summary>An environment whose rewards turn NaN: training must stop with a clear error, not save NaN weights.</summary>
    private sealed class PoisonedEnv : IVectorEnv
    {
        public int EnvCount => 4;
        public int ObservationSize => 2;
        public int ActionCount => 2;
        public ReadOnlySpan<EpisodeEnd> CompletedEpisodes => default;
        public void Reset(ulong seed, Span<float> observations) => observations.Fill(0.5f);
        public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards, Span<bool> terminals,
                         Span<bool> truncations, Span<float> finalObservations)
        {
            observations.Fill(0.5f);
            rewards.Fill(float.NaN);
            terminals.Clear();
            truncations.Clear();
        }
    }

    [Fact]
    public void NonFiniteGradientsStopTraining()
    {
        var config = new PpoConfig { NumEnvs = 4, NumSteps = 8, HiddenSizes = [8] };
        using var trainer = new PpoTrainer(config, new PoisonedEnv(), seed: 1);
        var before = (float[])trainer.Network.Parameters.Clone();
        var e = Assert.Throws<InvalidOperationException>(() => trainer.Train(config.BatchSize));
        Assert.Contains("diverged", e.Message);
        Assert.Equal(before, trainer.Network.Parameters);
    }
}
