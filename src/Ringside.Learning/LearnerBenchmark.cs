using System.Diagnostics;

namespace Ringside.Learning;

/// <summary>
/// Throughput of the learner alone, on a synthetic environment (random observations and rewards) so that only the
/// network's work is timed: the PPO update (forward + loss + backward + clipping + Adam, as <see cref="PpoTrainer.Update"/>
/// runs it) and rollout inference (forward + sampling for one batch of agents).
/// </summary>
public static class LearnerBenchmark
{
    /// <param name="UpdateSamplesPerSecond">minibatch samples through forward + backward + optimiser per wall-clock second (one epoch = one pass over the batch).</param>
    /// <param name="UpdateSamplesPerCpuSecond">the same per second of process CPU time: what the work costs, even on a busy machine.</param>
    /// <param name="InferenceSamplesPerSecond">agent observations through the rollout forward pass and sampling per wall-clock second.</param>
    public sealed record Result(string Network, int Minibatch, int GradientShards, int Threads, double UpdateSamplesPerSecond,
                                double UpdateSamplesPerCpuSecond, double InferenceSamplesPerSecond, PhaseTimes UpdateTime);

    /// <param name="config">NumEnvs × NumSteps is the batch; its MinibatchSize is the size measured.</param>
    public static Result Run(PpoConfig config, int observationSize, int actionCount, double seconds)
    {
        var env = new SyntheticEnv(config.NumEnvs, observationSize, actionCount);
        using var trainer = new PpoTrainer(config, env, seed: 1);
        trainer.Collect();
        trainer.ComputeAdvantages();
        for (int i = 0; i < 3; i++) trainer.Update(config.LearningRate); // warm-up: JIT tiers

        var before = trainer.Times();
        long samples = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            trainer.Update(config.LearningRate);
            samples += (long)config.UpdateEpochs * config.BatchSize;
        }
        double updateRate = samples / clock.Elapsed.TotalSeconds;
        double updateCpuRate = samples / (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var after = trainer.Times();
        var updateTime = new PhaseTimes(0, 0, after.UpdateForward - before.UpdateForward, after.Backward - before.Backward,
                                        after.Optimizer - before.Optimizer, 0);

        var policy = new NetworkPolicy(trainer.Network, config.NumEnvs, seed: 2);
        var observations = new float[config.NumEnvs * observationSize];
        new Rng(3).NextFloats(observations);
        var actions = new int[config.NumEnvs];
        var logProbs = new float[config.NumEnvs];
        var values = new float[config.NumEnvs];
        for (int i = 0; i < 200; i++) policy.Act(observations, config.NumEnvs, actions, logProbs, values);
        long inferred = 0;
        clock.Restart();
        while (clock.Elapsed.TotalSeconds < seconds / 2)
        {
            for (int i = 0; i < 100; i++) policy.Act(observations, config.NumEnvs, actions, logProbs, values);
            inferred += 100L * config.NumEnvs;
        }
        double inferenceRate = inferred / clock.Elapsed.TotalSeconds;
        return new Result(trainer.Network.Spec.ToString(), config.MinibatchSize, config.GradientShards, config.Threads,
                          updateRate, updateCpuRate, inferenceRate, updateTime);
    }

    /// <summary>Random observations in [−1, 1), random rewards, episodes of random length: shapes without a simulation.</summary>
    private sealed class SyntheticEnv(int envCount, int observationSize, int actionCount) : IVectorEnv
    {
        private readonly Rng _rng = new(11);
        private readonly EpisodeEnd[] _completed = new EpisodeEnd[envCount];
        private int _completedCount;

        public int EnvCount => envCount;
        public int ObservationSize => observationSize;
        public int ActionCount => actionCount;
        public ReadOnlySpan<EpisodeEnd> CompletedEpisodes => _completed.AsSpan(0, _completedCount);

        public void Reset(ulong seed, Span<float> observations) => _rng.NextFloats(observations);

        public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards, Span<bool> terminals,
                         Span<bool> truncations, Span<float> finalObservations)
        {
            _completedCount = 0;
            _rng.NextFloats(observations);
            for (int e = 0; e < envCount; e++)
            {
                rewards[e] = _rng.NextFloat() - 0.5f;
                terminals[e] = _rng.NextInt(100) == 0;
                truncations[e] = false;
                if (terminals[e]) _completed[_completedCount++] = new EpisodeEnd(e, 0, 100, 0);
            }
        }
    }
}
