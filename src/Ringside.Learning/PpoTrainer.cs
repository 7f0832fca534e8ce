using System.Diagnostics;
using System.Numerics.Tensors;

namespace Ringside.Learning;

/// <summary>
/// PPO's hyperparameters, named and defaulted as CleanRL's ppo.py (docs.cleanrl.dev/rl-algorithms/ppo/#ppopy),
/// plus the network and how the update uses threads. The network default is seed 001's 2×128 ReLU shared
/// trunk (the arena's recipe, <c>ArenaTraining.DefaultPpo</c>, uses 2×64); <see cref="CartPole"/> is CleanRL's CartPole
/// agent (separate 64×64 tanh).
/// </summary>
public sealed record PpoConfig
{
    /// <summary>the number of parallel game environments (must equal the environment's EnvCount)</summary>
    public int NumEnvs { get; init; } = 4;
    /// <summary>the number of steps to run in each environment per policy rollout</summary>
    public int NumSteps { get; init; } = 128;
    /// <summary>the learning rate of the optimizer</summary>
    public float LearningRate { get; init; } = 2.5e-4f;
    /// <summary>toggle learning rate annealing (linear to 0 over the run) for policy and value networks</summary>
    public bool AnnealLr { get; init; } = true;
    /// <summary>the discount factor gamma</summary>
    public float Gamma { get; init; } = 0.99f;
    /// <summary>the lambda for the general advantage estimation</summary>
    public float GaeLambda { get; init; } = 0.95f;
    /// <summary>the number of mini-batches</summary>
    public int NumMinibatches { get; init; } = 4;
    /// <summary>the K epochs to update the policy</summary>
    public int UpdateEpochs { get; init; } = 4;
    /// <summary>toggles advantages normalization (per minibatch)</summary>
    public bool NormAdv { get; init; } = true;
    /// <summary>the surrogate clipping coefficient</summary>
    public float ClipCoef { get; init; } = 0.2f;
    /// <summary>toggles whether or not to use a clipped loss for the value function, as per the paper</summary>
    public bool ClipVloss { get; init; } = true;
    /// <summary>coefficient of the entropy</summary>
    public float EntCoef { get; init; } = 0.01f;
    /// <summary>coefficient of the value function</summary>
    public float VfCoef { get; init; } = 0.5f;
    /// <summary>the maximum norm for the gradient clipping</summary>
    public float MaxGradNorm { get; init; } = 0.5f;
    /// <summary>the target KL divergence threshold (stop the update's epochs early when exceeded); null: off</summary>
    public float? TargetKl { get; init; }
    /// <summary>Adam's epsilon (CleanRL: 1e-5)</summary>
    public float AdamEpsilon { get; init; } = 1e-5f;

    /// <summary>hidden layer sizes of the MLP</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [128, 128];
    /// <summary>activation of the hidden layers</summary>
    public Activation Activation { get; init; } = Activation.Relu;
    /// <summary>one trunk for actor and critic (true) or one each (false)</summary>
    public bool SharedTrunk { get; init; } = true;

    /// <summary>the minibatch is cut into this many shards whose gradients are summed in a fixed order;
    /// results depend on this number but not on <see cref="Threads"/></summary>
    public int GradientShards { get; init; } = 2;
    /// <summary>threads that compute the shards of a minibatch in parallel (each takes the next unclaimed shard)</summary>
    public int Threads { get; init; } = 1;

    public int BatchSize => NumEnvs * NumSteps;
    public int MinibatchSize => BatchSize / NumMinibatches;

    /// <summary>CleanRL ppo.py's defaults for CartPole-v1 (its Agent: separate 64×64 tanh actor and critic).</summary>
    public static PpoConfig CartPole { get; } = new() { HiddenSizes = [64, 64], Activation = Activation.Tanh, SharedTrunk = false };

    public NetworkSpec NetworkSpec(int observationSize, int actionCount) =>
        new(observationSize, actionCount, HiddenSizes, Activation, SharedTrunk);

    /// <exception cref="ArgumentException">naming the first setting that cannot work.</exception>
    public void Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new ArgumentException(message); }
        Require(NumEnvs > 0, "num_envs must be positive");
        Require(NumSteps > 0, "num_steps must be positive");
        Require(NumMinibatches > 0 && BatchSize % NumMinibatches == 0, $"num_minibatches must divide the batch size {BatchSize}");
        Require(UpdateEpochs > 0, "update_epochs must be positive");
        Require(LearningRate > 0 && float.IsFinite(LearningRate), "learning_rate must be positive");
        Require(Gamma is >= 0 and <= 1, "gamma must be in [0, 1]");
        Require(GaeLambda is >= 0 and <= 1, "gae_lambda must be in [0, 1]");
        Require(ClipCoef > 0, "clip_coef must be positive");
        Require(MaxGradNorm > 0, "max_grad_norm must be positive");
        Require(AdamEpsilon > 0, "adam_epsilon must be positive");
        Require(GradientShards > 0 && GradientShards <= MinibatchSize, "gradient_shards must be between 1 and the minibatch size");
        Require(Threads > 0, "threads must be positive");
        Require(!NormAdv || MinibatchSize > 1, "norm_adv needs minibatches of at least 2 samples");
        NetworkSpec(1, 2).Validate();
    }
}

/// <summary>What one PPO iteration (collect, advantages, update) reports; names follow CleanRL's charts/ and losses/.</summary>
/// <param name="Sps">environment steps per second since <see cref="PpoTrainer.Train"/> started</param>
/// <param name="MeanReturn">mean return of the last 100 finished episodes (NaN before the first)</param>
/// <param name="WinRate">fraction of the last 100 finished episodes won</param>
/// <param name="Episodes">episodes finished since the trainer was made</param>
/// <param name="PolicyLoss">this and the other losses are means over every minibatch of the update (CleanRL logs the last)</param>
/// <param name="Time">cumulative seconds per phase</param>
public sealed record IterationMetrics(
    int Iteration, int Iterations, long GlobalStep, double Sps,
    double MeanReturn, double MeanLength, double WinRate, long Episodes,
    float LearningRate, float PolicyLoss, float ValueLoss, float Entropy, float OldApproxKl, float ApproxKl, float ClipFrac,
    float ExplainedVariance, PhaseTimes Time);

/// <summary>Seconds spent in each phase since training started: where the time goes.</summary>
public sealed record PhaseTimes(double EnvStep, double RolloutForward, double UpdateForward, double Backward, double Optimizer, double Other)
{
    public double Total => EnvStep + RolloutForward + UpdateForward + Backward + Optimizer + Other;
}

/// <summary>
/// Proximal Policy Optimisation as CleanRL's ppo.py, with one method per phase in the order they run:
/// <see cref="Collect"/>, <see cref="ComputeAdvantages"/>, <see cref="Update"/>. The learner only sees an
/// <see cref="IVectorEnv"/>: opponents driven by other policies (self-play) live inside the environment.
/// </summary>
public sealed class PpoTrainer : IDisposable
{
    public PpoConfig Config { get; }
    public IVectorEnv Env { get; }
    public ActorCriticNetwork Network { get; }
    public Adam Optimizer { get; }
    public ulong Seed { get; }
    public long GlobalStep { get; private set; }
    /// <summary>Iterations completed (CleanRL: update − 1).</summary>
    public int Iteration { get; private set; }
    public EpisodeWindow RecentEpisodes { get; } = new(100);
    /// <summary>Called for every finished episode with the global step at which it ended.</summary>
    public Action<long, EpisodeEnd>? EpisodeCompleted { get; set; }

    // ALGO LOGIC: storage, allocated once, shaped [steps, envs] (observations [steps, envs, obs]).
    private readonly float[] _obs;
    private readonly int[] _actions;
    private readonly float[] _logprobs, _rewards, _values, _advantages, _returns;
    /// <summary>The episode ended at this step (terminal or truncated): nothing after it belongs to the same return.</summary>
    private readonly bool[] _dones;

    // Environment interface buffers.
    private readonly float[] _nextObs, _nextValues, _stepRewards, _finalObs, _truncatedObs, _truncatedValues;
    private readonly bool[] _terminals, _truncations;
    private readonly float[] _lastGaeLam;

    // Update buffers: the shuffled indices and one gathered minibatch.
    private readonly int[] _batchIndices;
    private readonly float[] _mbObs, _mbLogprobs, _mbAdvantages, _mbReturns, _mbValues;
    private readonly int[] _mbActions;
    private readonly NetworkWorkspace[] _shardWorkspaces;
    private readonly float[][] _shardGradients;
    private readonly LossSums[] _shardLosses;
    private readonly long[] _shardForwardTicks, _shardBackwardTicks;
    private readonly float[] _gradients;
    private readonly ShardRunner _shards;
    private readonly Action<int> _shardWork;
    private readonly Action<int> _stepWork;
    private int _stepRow;

    private readonly NetworkPolicy _policy;
    private readonly Rng _shuffleRng;
    private bool _envStarted;
    private ulong _envResetSeed;

    private long _envTicks, _rolloutForwardTicks, _updateForwardTicks, _backwardTicks, _optimizerTicks, _totalTicks;

    /// <param name="network">start from these weights (fine-tuning, resuming); by default a new network from <paramref name="seed"/>.</param>
    public PpoTrainer(PpoConfig config, IVectorEnv env, ulong seed, ActorCriticNetwork? network = null)
    {
        config.Validate();
        if (env.EnvCount != config.NumEnvs)
            throw new ArgumentException($"num_envs is {config.NumEnvs} but the environment has {env.EnvCount}");
        Config = config;
        Env = env;
        Seed = seed;
        var spec = config.NetworkSpec(env.ObservationSize, env.ActionCount);
        if (network is not null && !network.Spec.Equals(spec))
            throw new ArgumentException($"network is {network.Spec}, config and environment ask for {spec}");
        Network = network ?? new ActorCriticNetwork(spec, seed);
        Optimizer = new Adam(Network.ParameterCount, config.AdamEpsilon);
        _policy = new NetworkPolicy(Network, env.EnvCount, seed);
        _shuffleRng = new Rng(seed, stream: 0x5B0FF1E);
        _envResetSeed = seed;

        int steps = config.NumSteps, envs = config.NumEnvs, obsSize = env.ObservationSize, batch = config.BatchSize;
        _obs = new float[steps * envs * obsSize];
        _actions = new int[steps * envs];
        _logprobs = new float[steps * envs];
        _rewards = new float[steps * envs];
        _values = new float[steps * envs];
        _advantages = new float[steps * envs];
        _returns = new float[steps * envs];
        _dones = new bool[steps * envs];

        _nextObs = new float[envs * obsSize];
        _nextValues = new float[envs];
        _stepRewards = new float[envs];
        _finalObs = new float[envs * obsSize];
        _truncatedObs = new float[envs * obsSize];
        _truncatedValues = new float[envs];
        _terminals = new bool[envs];
        _truncations = new bool[envs];
        _lastGaeLam = new float[envs];

        int minibatch = config.MinibatchSize;
        _batchIndices = Enumerable.Range(0, batch).ToArray();
        _mbObs = new float[minibatch * obsSize];
        _mbActions = new int[minibatch];
        _mbLogprobs = new float[minibatch];
        _mbAdvantages = new float[minibatch];
        _mbReturns = new float[minibatch];
        _mbValues = new float[minibatch];
        int shards = config.GradientShards;
        _shardWorkspaces = Enumerable.Range(0, shards).Select(s => Network.CreateWorkspace(ShardRange(s).Count)).ToArray();
        _shardGradients = Enumerable.Range(0, shards).Select(_ => new float[Network.ParameterCount]).ToArray();
        _shardLosses = new LossSums[shards];
        _shardForwardTicks = new long[shards];
        _shardBackwardTicks = new long[shards];
        _gradients = new float[Network.ParameterCount];
        _shards = new ShardRunner(Math.Min(config.Threads, shards));
        _shardWork = ShardForwardBackward;
        _stepWork = piece =>
        {
            int envs = Config.NumEnvs, row = _stepRow;
            if (piece == 0) Env.PrepareStep();
            else _policy.Act(_nextObs, envs, _actions.AsSpan(row, envs), _logprobs.AsSpan(row, envs), _values.AsSpan(row, envs));
        };
    }

    /// <summary>
    /// Runs iterations until <paramref name="totalSteps"/> / batch size are done (continuing after a resume). The callback runs
    /// between iterations, so it may save checkpoints; cancelling stops after the current iteration.
    /// </summary>
    /// <param name="timeUsed">with a time limit, the share of it used so far (0 to 1): the learning rate then anneals to 0
    /// by whichever ends first, the steps or the time. Without it, a run stopped by its clock would end at a high rate,
    /// with a policy that still moves from one update to the next.</param>
    public void Train(long totalSteps, Action<IterationMetrics>? onIteration = null, CancellationToken cancellation = default,
                      Func<double>? timeUsed = null)
    {
        if (totalSteps < Config.BatchSize)
            throw new ArgumentException($"total steps {totalSteps} are fewer than one batch (num_envs × num_steps = {Config.BatchSize})");
        int iterations = checked((int)(totalSteps / Config.BatchSize));
        long startStep = GlobalStep, startTicks = Stopwatch.GetTimestamp();
        while (Iteration < iterations && !cancellation.IsCancellationRequested)
        {
            float left = 1f - (float)Iteration / iterations;
            if (timeUsed is not null) left = MathF.Min(left, 1f - (float)Math.Clamp(timeUsed(), 0, 1));
            var metrics = RunIteration(iterations, left, startStep, startTicks);
            onIteration?.Invoke(metrics);
        }
    }

    /// <summary>One iteration: anneal the learning rate (to <paramref name="frac"/> of its start), collect, compute advantages, update.</summary>
    private IterationMetrics RunIteration(int iterations, float frac, long spsStartStep, long spsStartTicks)
    {
        long iterationStart = Stopwatch.GetTimestamp();
        float lr = Config.AnnealLr ? frac * Config.LearningRate : Config.LearningRate;

        Collect();
        ComputeAdvantages();
        var losses = Update(lr);
        Iteration++;

        _totalTicks += Stopwatch.GetTimestamp() - iterationStart;
        double sps = (GlobalStep - spsStartStep) / Stopwatch.GetElapsedTime(spsStartTicks).TotalSeconds;
        return new IterationMetrics(Iteration, iterations, GlobalStep, sps,
            RecentEpisodes.MeanReturn, RecentEpisodes.MeanLength, RecentEpisodes.WinRate, RecentEpisodes.Total, lr,
            losses.PolicyLoss, losses.ValueLoss, losses.Entropy, losses.OldApproxKl, losses.ApproxKl, losses.ClipFrac,
            ExplainedVariance(), Times());
    }

    // ---- phase 1: collect a rollout of NumSteps steps in every environment -------------------------------

    public void Collect()
    {
        int envs = Config.NumEnvs, obsSize = Env.ObservationSize;
        if (!_envStarted)
        {
            Env.Reset(_envResetSeed, _nextObs);
            _envStarted = true;
        }
        for (int step = 0; step < Config.NumSteps; step++)
        {
            GlobalStep += envs;
            int row = step * envs;
            _nextObs.CopyTo(_obs, row * obsSize);

            // ALGO LOGIC: action logic
            long t0 = Stopwatch.GetTimestamp();
            // The env's opponents decide on one of the trainer's threads while the learner decides on the other.
            _stepRow = row;
            _shards.Run(2, _stepWork);
            long t1 = Stopwatch.GetTimestamp();
            Env.Step(_actions.AsSpan(row, envs), _nextObs, _stepRewards, _terminals, _truncations, _finalObs);
            long t2 = Stopwatch.GetTimestamp();
            _rolloutForwardTicks += t1 - t0;
            _envTicks += t2 - t1;

            int truncated = 0;
            for (int e = 0; e < envs; e++)
            {
                _rewards[row + e] = _stepRewards[e];
                _dones[row + e] = _terminals[e] || _truncations[e];
                if (_truncations[e] && !_terminals[e])
                    _finalObs.AsSpan(e * obsSize, obsSize).CopyTo(_truncatedObs.AsSpan(truncated++ * obsSize));
            }
            if (truncated > 0) BootstrapTruncated(row, truncated);

            foreach (var episode in Env.CompletedEpisodes)
            {
                RecentEpisodes.Add(episode);
                EpisodeCompleted?.Invoke(GlobalStep, episode);
            }
        }
        // bootstrap value of the observation after the rollout
        long t3 = Stopwatch.GetTimestamp();
        _policy.Evaluate(_nextObs, envs, _nextValues);
        _rolloutForwardTicks += Stopwatch.GetTimestamp() - t3;
    }

    /// <summary>
    /// A truncated episode was cut off, not finished: its return continues past the cut, so add γ·V(final observation)
    /// to the last reward and then treat the step as done (the next observation belongs to a new episode).
    /// </summary>
    private void BootstrapTruncated(int row, int truncated)
    {
        long t0 = Stopwatch.GetTimestamp();
        _policy.Evaluate(_truncatedObs, truncated, _truncatedValues);
        _rolloutForwardTicks += Stopwatch.GetTimestamp() - t0;
        for (int e = 0, k = 0; e < Config.NumEnvs; e++)
            if (_truncations[e] && !_terminals[e])
                _rewards[row + e] += Config.Gamma * _truncatedValues[k++];
    }

    // ---- phase 2: generalised advantage estimation --------------------------------------------------------

    public void ComputeAdvantages() =>
        Gae(_rewards, _values, _dones, _nextValues, Config.NumSteps, Config.NumEnvs, Config.Gamma, Config.GaeLambda,
            _lastGaeLam, _advantages, _returns);

    /// <summary>
    /// GAE (Schulman et al. 2015) over [steps, envs] buffers, as CleanRL's loop but with <paramref name="dones"/>[t]
    /// meaning "the episode ended at step t" (CleanRL stores that flag one step later). Truncations must already be
    /// bootstrapped into <paramref name="rewards"/>.
    /// </summary>
    internal static void Gae(ReadOnlySpan<float> rewards, ReadOnlySpan<float> values, ReadOnlySpan<bool> dones,
                             ReadOnlySpan<float> nextValue, int steps, int envs, float gamma, float gaeLambda,
                             Span<float> lastgaelam, Span<float> advantages, Span<float> returns)
    {
        lastgaelam.Clear();
        for (int t = steps - 1; t >= 0; t--)
            for (int e = 0; e < envs; e++)
            {
                int i = t * envs + e;
                float nextnonterminal = dones[i] ? 0f : 1f;
                float nextvalues = t == steps - 1 ? nextValue[e] : values[i + envs];
                float delta = rewards[i] + gamma * nextvalues * nextnonterminal - values[i];
                advantages[i] = lastgaelam[e] = delta + gamma * gaeLambda * nextnonterminal * lastgaelam[e];
            }
        TensorPrimitives.Add(advantages, values, returns);
    }

    // ---- phase 3: optimise the policy and value network on the rollout -----------------------------------

    /// <summary>The update's minibatch loss terms, averaged over the minibatches it ran.</summary>
    public readonly record struct UpdateLosses(float PolicyLoss, float ValueLoss, float Entropy, float OldApproxKl, float ApproxKl, float ClipFrac);

    public UpdateLosses Update(float learningRate)
    {
        int batch = Config.BatchSize, minibatch = Config.MinibatchSize, minibatches = 0;
        var total = new LossSums();
        for (int epoch = 0; epoch < Config.UpdateEpochs; epoch++)
        {
            _shuffleRng.Shuffle(_batchIndices);
            LossSums last = default;
            for (int start = 0; start < batch; start += minibatch)
            {
                last = UpdateMinibatch(_batchIndices.AsSpan(start, minibatch), learningRate);
                total += last;
                minibatches++;
            }
            if (Config.TargetKl is { } targetKl && last.ApproxKl / minibatch > targetKl)
                break;
        }
        double samples = (double)minibatches * minibatch;
        return new UpdateLosses((float)(total.PolicyLoss / samples), (float)(total.ValueLoss / samples), (float)(total.Entropy / samples),
                                (float)(total.OldApproxKl / samples), (float)(total.ApproxKl / samples), (float)(total.ClipFrac / samples));
    }

    private LossSums UpdateMinibatch(ReadOnlySpan<int> mbInds, float learningRate)
    {
        int obsSize = Env.ObservationSize, size = mbInds.Length;
        for (int j = 0; j < size; j++)
        {
            int i = mbInds[j];
            _obs.AsSpan(i * obsSize, obsSize).CopyTo(_mbObs.AsSpan(j * obsSize));
            _mbActions[j] = _actions[i];
            _mbLogprobs[j] = _logprobs[i];
            _mbAdvantages[j] = _advantages[i];
            _mbReturns[j] = _returns[i];
            _mbValues[j] = _values[i];
        }
        if (Config.NormAdv) NormalizeAdvantages(_mbAdvantages);

        // Forward and backward, shard by shard (in parallel when Threads > 1), then sum in shard order.
        long t0 = Stopwatch.GetTimestamp();
        _shards.Run(Config.GradientShards, _shardWork);
        var sums = new LossSums();
        long forward = 0, backward = 0;
        _shardGradients[0].CopyTo(_gradients, 0);
        for (int s = 0; s < Config.GradientShards; s++)
        {
            if (s > 0) TensorPrimitives.Add(_gradients, _shardGradients[s], _gradients);
            sums += _shardLosses[s];
            forward += _shardForwardTicks[s];
            backward += _shardBackwardTicks[s];
        }
        long t1 = Stopwatch.GetTimestamp();
        // Charge the parallel wall time to forward and backward in proportion to the work each did.
        long forwardShare = (long)((t1 - t0) * ((double)forward / Math.Max(1, forward + backward)));
        _updateForwardTicks += forwardShare;
        _backwardTicks += t1 - t0 - forwardShare;

        float norm = GradientClipping.ClipGlobalNorm(_gradients, Config.MaxGradNorm);
        // A NaN or infinity would spread through Adam into every weight and then into the checkpoints: stop instead.
        if (!float.IsFinite(norm))
            throw new InvalidOperationException($"training diverged at iteration {Iteration + 1}: the gradient norm is {norm} " +
                                                "(non-finite rewards or observations, or a learning rate too high)");
        Optimizer.Update(Network.Parameters, _gradients, learningRate);
        Network.CommitParameters();
        _optimizerTicks += Stopwatch.GetTimestamp() - t1;
        return sums;
    }

    /// <summary>(a − mean) / (std + 1e-8) with torch's unbiased std, over one minibatch.</summary>
    internal static void NormalizeAdvantages(Span<float> advantages)
    {
        double mean = 0, squares = 0;
        foreach (float a in advantages) mean += a;
        mean /= advantages.Length;
        foreach (float a in advantages) squares += (a - mean) * (a - mean);
        double std = Math.Sqrt(squares / (advantages.Length - 1));
        for (int i = 0; i < advantages.Length; i++) advantages[i] = (float)((advantages[i] - mean) / (std + 1e-8));
    }

    private (int Start, int Count) ShardRange(int shard)
    {
        int size = Config.MinibatchSize, shards = Config.GradientShards;
        int start = (int)((long)size * shard / shards), end = (int)((long)size * (shard + 1) / shards);
        return (start, end - start);
    }

    private void ShardForwardBackward(int shard)
    {
        var (start, count) = ShardRange(shard);
        int obsSize = Env.ObservationSize, actions = Env.ActionCount;
        var workspace = _shardWorkspaces[shard];
        var gradients = _shardGradients[shard];
        var obs = _mbObs.AsSpan(start * obsSize, count * obsSize);

        long t0 = Stopwatch.GetTimestamp();
        Network.Forward(workspace, obs, count);
        Categorical.Normalize(workspace.Logits, workspace.Probabilities, workspace.LogProbabilities, count, actions);
        long t1 = Stopwatch.GetTimestamp();
        _shardLosses[shard] = LossGradients(Config, workspace, count, _mbActions.AsSpan(start, count), _mbLogprobs.AsSpan(start, count),
            _mbAdvantages.AsSpan(start, count), _mbReturns.AsSpan(start, count), _mbValues.AsSpan(start, count),
            scale: 1f / Config.MinibatchSize);
        Array.Clear(gradients);
        Network.Backward(workspace, obs, count, gradients);
        long t2 = Stopwatch.GetTimestamp();
        _shardForwardTicks[shard] = t1 - t0;
        _shardBackwardTicks[shard] = t2 - t1;
    }

    /// <summary>Sums of the per-sample loss terms over a shard or minibatch.</summary>
    internal readonly record struct LossSums(double PolicyLoss, double ValueLoss, double Entropy, double OldApproxKl, double ApproxKl, double ClipFrac)
    {
        public static LossSums operator +(LossSums a, LossSums b) => new(a.PolicyLoss + b.PolicyLoss, a.ValueLoss + b.ValueLoss,
            a.Entropy + b.Entropy, a.OldApproxKl + b.OldApproxKl, a.ApproxKl + b.ApproxKl, a.ClipFrac + b.ClipFrac);
    }

    /// <summary>
    /// CleanRL's loss = pg_loss − ent_coef·entropy + vf_coef·v_loss for the rows of a forward pass (probabilities already
    /// normalised), with each row weighted by <paramref name="scale"/> (1/minibatch size: the mean). Writes dLoss/dlogits
    /// and dLoss/dvalue into the workspace for <see cref="ActorCriticNetwork.Backward"/> and returns the unweighted sums.
    /// Where torch.max/clamp pick a branch, the gradient is that branch's (ties only happen where both agree).
    /// </summary>
    internal static LossSums LossGradients(PpoConfig config, NetworkWorkspace workspace, int count, ReadOnlySpan<int> actions,
        ReadOnlySpan<float> oldLogprobs, ReadOnlySpan<float> advantages, ReadOnlySpan<float> returns, ReadOnlySpan<float> oldValues, float scale)
    {
        int actionCount = workspace.Spec.ActionCount;
        float clip = config.ClipCoef;
        double pgLoss = 0, vLoss = 0, entropySum = 0, oldApproxKl = 0, approxKl = 0, clipFrac = 0;
        for (int i = 0; i < count; i++)
        {
            var probabilities = workspace.Probabilities.AsSpan(i * actionCount, actionCount);
            var logProbabilities = workspace.LogProbabilities.AsSpan(i * actionCount, actionCount);
            int action = actions[i];
            float logratio = logProbabilities[action] - oldLogprobs[i];
            float ratio = PortableMath.Exp(logratio);
            // calculate approx_kl http://joschu.net/blog/kl-approx.html
            oldApproxKl += -logratio;
            approxKl += ratio - 1 - logratio;
            if (MathF.Abs(ratio - 1) > clip) clipFrac++;

            // Policy loss
            float advantage = advantages[i];
            float pgLoss1 = -advantage * ratio;
            float pgLoss2 = -advantage * Math.Clamp(ratio, 1 - clip, 1 + clip);
            pgLoss += MathF.Max(pgLoss1, pgLoss2);
            float dLogProb = pgLoss1 >= pgLoss2 ? -advantage * ratio : 0f; // d ratio / d log π = ratio

            // Value loss
            float newValue = workspace.Values[i], target = returns[i];
            float vLossUnclipped = (newValue - target) * (newValue - target);
            float dValue = newValue - target;
            if (config.ClipVloss)
            {
                float difference = newValue - oldValues[i];
                float vClipped = oldValues[i] + Math.Clamp(difference, -clip, clip);
                float vLossClipped = (vClipped - target) * (vClipped - target);
                vLoss += 0.5 * MathF.Max(vLossUnclipped, vLossClipped);
                if (vLossClipped > vLossUnclipped) dValue = MathF.Abs(difference) <= clip ? vClipped - target : 0f;
            }
            else
            {
                vLoss += 0.5 * vLossUnclipped;
            }

            float entropy = Categorical.Entropy(probabilities, logProbabilities);
            entropySum += entropy;

            // loss = pg_loss − ent_coef · entropy + vf_coef · v_loss, each a mean over the minibatch
            Categorical.Gradient(probabilities, logProbabilities, action, entropy, scale * dLogProb, -scale * config.EntCoef,
                                 workspace.LogitGradients.AsSpan(i * actionCount, actionCount));
            workspace.ValueGradients[i] = scale * config.VfCoef * dValue;
        }
        return new LossSums(pgLoss, vLoss, entropySum, oldApproxKl, approxKl, clipFrac);
    }

    // ---- checkpoints --------------------------------------------------------------------------------------

    /// <summary>
    /// Saves the policy to <paramref name="path"/> (with <see cref="CheckpointInfo.Steps"/> = <see cref="GlobalStep"/>) and, beside
    /// it, the optimiser and trainer state that <see cref="Resume"/> needs (see <see cref="Checkpoint"/>).
    /// </summary>
    /// <param name="policySaved">called between the two files (tests use it to crash there).</param>
    public void SaveCheckpoint(string path, CheckpointInfo info, Action? policySaved = null)
    {
        Checkpoint.Save(path, Network, info with { Steps = GlobalStep });
        policySaved?.Invoke();
        Checkpoint.SaveTrainerState(path, Network, Optimizer,
            new Checkpoint.TrainerState(Seed, GlobalStep, Iteration, _policy.Random.GetState(), _shuffleRng.GetState()));
    }

    /// <summary>
    /// A trainer that continues from a checkpoint: the same weights, Adam moments and step, global step, iteration (so the
    /// learning-rate schedule continues) and random streams. Environment state is not saved: the environments start new
    /// episodes, seeded from the run's seed and the iteration. The hidden layers are the checkpoint's, whatever
    /// <paramref name="config"/> says: a run started before the recipe's network changed (2x128 until session 15, 2x64
    /// since) goes on after the upgrade with the network it has.
    /// </summary>
    /// <exception cref="CheckpointException">the files are unusable or do not fit <paramref name="env"/>.</exception>
    public static PpoTrainer Resume(string path, PpoConfig config, IVectorEnv env, string? environment = null, int? contractVersion = null)
    {
        var (network, _) = Checkpoint.Load(path, environment, contractVersion);
        config = config with { HiddenSizes = network.Spec.HiddenSizes, Activation = network.Spec.Activation, SharedTrunk = network.Spec.SharedTrunk };
        var spec = config.NetworkSpec(env.ObservationSize, env.ActionCount);
        if (!network.Spec.Equals(spec))
            throw new CheckpointException($"{path}: the policy is {network.Spec}, but the configuration asks for {spec}");
        var adam = new Adam(network.ParameterCount, config.AdamEpsilon);
        var state = Checkpoint.LoadTrainerState(path, network, adam);
        var trainer = new PpoTrainer(config, env, state.Seed, network);
        trainer.Optimizer.Restore(adam.FirstMoment, adam.SecondMoment, adam.Step);
        trainer.GlobalStep = state.GlobalStep;
        trainer.Iteration = state.Iteration;
        trainer._policy.Random.SetState(state.SamplingRng);
        trainer._shuffleRng.SetState(state.ShuffleRng);
        trainer._envResetSeed = state.Seed ^ ((ulong)state.Iteration * 0x9E3779B97F4A7C15UL);
        return trainer;
    }

    // ---- reporting -------------------------------------------------------------------------------------

    /// <summary>1 − Var(returns − values) / Var(returns) over the rollout (NaN when the returns do not vary).</summary>
    private float ExplainedVariance()
    {
        double meanY = 0, meanResidual = 0;
        int n = _returns.Length;
        for (int i = 0; i < n; i++) { meanY += _returns[i]; meanResidual += _returns[i] - _values[i]; }
        meanY /= n;
        meanResidual /= n;
        double varY = 0, varResidual = 0;
        for (int i = 0; i < n; i++)
        {
            varY += (_returns[i] - meanY) * (_returns[i] - meanY);
            double residual = _returns[i] - _values[i] - meanResidual;
            varResidual += residual * residual;
        }
        return varY == 0 ? float.NaN : (float)(1 - varResidual / varY);
    }

    public PhaseTimes Times()
    {
        static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
        long other = _totalTicks - _envTicks - _rolloutForwardTicks - _updateForwardTicks - _backwardTicks - _optimizerTicks;
        return new PhaseTimes(Seconds(_envTicks), Seconds(_rolloutForwardTicks), Seconds(_updateForwardTicks), Seconds(_backwardTicks),
                              Seconds(_optimizerTicks), Seconds(Math.Max(0, other)));
    }

    public void Dispose() => _shards.Dispose();
}
