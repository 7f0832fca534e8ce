using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>What an arena training run is: a personality and mode, whom it fights, its budget, where it writes.</summary>
public sealed record ArenaTrainingOptions
{
    public Personality Personality { get; init; } = Personality.Neutral;
    public TrainingMode Mode { get; init; } = TrainingMode.Tactical;
    /// <summary>Reward weights set directly (seed 000's reward customisation); null: from personality and mode.</summary>
    public RewardWeights? Weights { get; init; }
    public FighterSpec Fighter { get; init; } = FighterSpec.Standard;
    /// <summary>
    /// Fighters per arena (2-8); the arenas are split evenly between the entries. The default, [2, 4, 4], makes a
    /// third of them duels and two thirds four-fighter free-for-alls, which need more practice.
    /// </summary>
    public IReadOnlyList<int> Fighters { get; init; } = [2, 4, 4];
    /// <summary>Bots to fight; add "self" to fight past checkpoints of the learner too.</summary>
    public IReadOnlyList<string> Opponents { get; init; } = ["chaser", "cautious", "random"];
    /// <summary>Share of opponents drawn from the self-play pool once it has checkpoints (when "self" is an opponent).</summary>
    public double SelfPlayRatio { get; init; } = 0.3;
    /// <summary>A copy of the learner joins the self-play pool every this many iterations.</summary>
    public int SnapshotEvery { get; init; } = 10;
    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;
    public long Steps { get; init; } = 2_000_000;
    public TimeSpan? MaxTime { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>Checkpoint (model.safetensors, with optimiser state beside it) every this many iterations, and at the end.</summary>
    public int CheckpointEvery { get; init; } = 25;
    public required string OutDir { get; init; }
    public PpoConfig Ppo { get; init; } = ArenaTraining.DefaultPpo;
    /// <summary>
    /// Tests only: called at each named point of an iteration's bookkeeping (<see cref="ArenaTraining.FaultPoints"/>)
    /// with the iteration, so that a test can crash the run exactly there and check what a resume makes of it.
    /// </summary>
    public Action<string, int>? FaultInjection { get; init; }

    public RewardWeights EffectiveWeights => Weights ?? RewardWeights.For(Personality, Mode);
    public IReadOnlyList<string> Bots => Opponents.Where(o => !IsSelf(o)).ToArray();
    public bool SelfPlay => Opponents.Any(IsSelf);
    private static bool IsSelf(string o) => string.Equals(o.Trim(), "self", StringComparison.OrdinalIgnoreCase);

    public void Validate()
    {
        Personality.Validate();
        Fighter.Validate("fighter");
        EffectiveWeights.Validate();
        if (Steps <= 0) throw new ArgumentException($"steps must be positive, got {Steps}.", "steps");
        if (MaxTime is { } t && t <= TimeSpan.Zero) throw new ArgumentException("max time must be positive.", "max_minutes");
        if (SnapshotEvery < 1) throw new ArgumentException("snapshot interval must be at least 1.", "snapshot_every");
        if (CheckpointEvery < 1) throw new ArgumentException("checkpoint interval must be at least 1.", "checkpoint_every");
        if (string.IsNullOrWhiteSpace(OutDir)) throw new ArgumentException("an output folder is required.", "out");
        Ppo.Validate();
    }
}

/// <summary>One line of metrics.jsonl: the trainer's iteration metrics plus the mean of each reward term.</summary>
/// <param name="Network">the learner's network as it is after this iteration: read it on the callback's thread only.</param>
public sealed record ArenaIterationMetrics(IterationMetrics Ppo, IReadOnlyDictionary<string, double> RewardTerms, double WallSeconds,
    ActorCriticNetwork? Network = null);

public sealed record ArenaTrainingResult(
    string ModelPath, string BestModelPath, long Steps, int Iterations, double WallSeconds, double Sps,
    double MeanReturn, double WinRate, double BestWinRate, bool StoppedByTime, PhaseTimes Time);

/// <summary>
/// Trains an arena fighter with PPO: the library entry point behind <c>ringside train --env arena</c> and the
/// server's training jobs. Writes to its output folder: metrics.jsonl (one line per iteration),
/// model.safetensors (latest, resumable), best.safetensors (best win rate of the last 100 episodes at a
/// checkpoint) and run.json (the options).
/// </summary>
public static class ArenaTraining
{
    public const string EnvironmentName = "arena";
    public const string ModelFile = "model.safetensors";
    public const string BestFile = "best.safetensors";
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>
    /// PPO settings for the arena: the product's 2x128 ReLU shared network, 64 arenas x 128 steps, 8 minibatches of
    /// 1,024 x 4 epochs, lr 3e-4 annealed, a small entropy bonus (0.001): an exchange is won by striking at the
    /// exact edge of reach, which a policy that stays very random cannot do; and gamma 0.995 (a 6.7 s horizon at
    /// 30 ticks/s), since outlasting a free-for-all pays off seconds later (measured in docs/BENCHMARKS.md).
    /// </summary>
    public static PpoConfig DefaultPpo { get; } = new()
    {
        NumEnvs = 64, NumSteps = 128, LearningRate = 3e-4f, NumMinibatches = 8, UpdateEpochs = 4,
        Gamma = 0.995f, GaeLambda = 0.95f, EntCoef = 0.001f, HiddenSizes = [128, 128], Activation = Activation.Relu,
        SharedTrunk = true, GradientShards = 2, Threads = 2,
    };

    public static ArenaEnvOptions EnvOptions(ArenaTrainingOptions o) => new()
    {
        Envs = o.Ppo.NumEnvs, Fighters = o.Fighters, Learner = o.Fighter, Weights = o.EffectiveWeights, MaxTicks = o.MaxTicks,
        Bots = o.Bots, SelfPlayRatio = o.SelfPlay ? (o.Bots.Count == 0 ? 1 : o.SelfPlayRatio) : 0,
    };

    public static CheckpointInfo Info(ArenaTrainingOptions o, IReadOnlyDictionary<string, double> metrics) => new()
    {
        Environment = EnvironmentName,
        ContractVersion = Contract.Version,
        Personality = JsonSerializer.Serialize(new
        {
            aggression = o.Personality.Aggression, positioning = o.Personality.Positioning, targeting = o.Personality.Targeting,
            risk_tolerance = o.Personality.RiskTolerance, endurance = o.Personality.Endurance,
        }),
        Mode = o.Mode.Name(),
        Metrics = metrics,
        Extra = new Dictionary<string, string>
        {
            ["fighter_size"] = o.Fighter.Size.ToString("R", CultureInfo.InvariantCulture),
            ["fighter_speed"] = o.Fighter.Speed.ToString("R", CultureInfo.InvariantCulture),
            ["reward_weights"] = JsonSerializer.Serialize(RewardWeights.TermNames
                .Select((name, k) => (name, k)).ToDictionary(x => x.name, x => o.EffectiveWeights[(RewardTerm)x.k])),
            ["opponents"] = string.Join(",", o.Opponents),
            ["fighters"] = string.Join(",", o.Fighters),
        },
    };

    /// <summary>
    /// The points of an iteration's bookkeeping, in order: the iteration's metrics have been reported (metrics.jsonl
    /// and <c>onIteration</c>); the policy file of a checkpoint is written but not yet its trainer state; the
    /// checkpoint is complete. A crash at any of them must leave a run that resumes with every iteration reported once.
    /// </summary>
    public static readonly string[] FaultPoints = ["reported", "policy-saved", "checkpoint-saved"];

    /// <summary>
    /// The iteration a resume of <paramref name="outDir"/> continues after. Whatever the first attempt reported
    /// beyond it will be reported again, so a caller that stored those reports replaces them (the server deletes them).
    /// </summary>
    public static int ResumeIteration(string outDir) => Checkpoint.ResumeIteration(Path.Combine(outDir, ModelFile));

    /// <param name="resume">continue from this folder's model.safetensors (same options) instead of starting afresh.</param>
    public static ArenaTrainingResult Run(ArenaTrainingOptions options, Action<ArenaIterationMetrics>? onIteration = null,
                                          bool resume = false, CancellationToken cancellation = default)
    {
        options.Validate();
        Directory.CreateDirectory(options.OutDir);
        string modelPath = Path.Combine(options.OutDir, ModelFile), bestPath = Path.Combine(options.OutDir, BestFile);
        string metricsPath = Path.Combine(options.OutDir, MetricsFile);
        using var env = new ArenaVectorEnv(EnvOptions(options));
        using var trainer = resume
            ? PpoTrainer.Resume(modelPath, options.Ppo, env, EnvironmentName, Contract.Version)
            : new PpoTrainer(options.Ppo, env, options.Seed);
        if (!resume) File.WriteAllText(Path.Combine(options.OutDir, "run.json"), JsonSerializer.Serialize(RunDescription(options)));
        else DropMetricsAfter(metricsPath, trainer.Iteration);
        void Fault(string point, int iteration) => options.FaultInjection?.Invoke(point, iteration);
        // Self-play starts with the learner's own initial policy in the pool, so "self" alone has an opponent at once.
        if (options.SelfPlay) env.AddToPool(new NetworkPolicy(trainer.Network.Clone(), env.OpponentCapacity, options.Seed ^ 0x5E1F));

        using var timeLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (options.MaxTime is { } maxTime) timeLimit.CancelAfter(maxTime);
        using var metricsFile = new StreamWriter(metricsPath, append: resume);
        var clock = Stopwatch.StartNew();
        double bestWinRate = double.NegativeInfinity;
        var termMeans = new double[RewardWeights.Count];
        IterationMetrics? last = null;

        void SaveCheckpoints(IterationMetrics m)
        {
            var metrics = new Dictionary<string, double>
            {
                ["mean_return"] = Finite(m.MeanReturn), ["win_rate"] = Finite(m.WinRate), ["iteration"] = m.Iteration,
            };
            trainer.SaveCheckpoint(modelPath, Info(options, metrics), () => Fault("policy-saved", m.Iteration));
            Fault("checkpoint-saved", m.Iteration);
            // The best marker: the checkpoint with the best recent win rate so far (ties: the later, better-trained one).
            if (m.Episodes >= 20 && Finite(m.WinRate) >= bestWinRate)
            {
                bestWinRate = Finite(m.WinRate);
                Checkpoint.Save(bestPath, trainer.Network, Info(options, metrics) with { Steps = trainer.GlobalStep });
            }
        }

        trainer.Train(options.Steps, m =>
        {
            last = m;
            env.TakeTermMeans(termMeans);
            var terms = new Dictionary<string, double>();
            for (int k = 0; k < RewardWeights.Count; k++) terms[RewardWeights.TermNames[k]] = termMeans[k];
            var line = new ArenaIterationMetrics(m, terms, clock.Elapsed.TotalSeconds, trainer.Network);
            metricsFile.WriteLine(JsonSerializer.Serialize(MetricsLine(line)));
            metricsFile.Flush();

            // Reported before the checkpoint: a crash in between replays this iteration (its report replaced), never skips it.
            onIteration?.Invoke(line);
            Fault("reported", m.Iteration);

            if (options.SelfPlay && m.Iteration % options.SnapshotEvery == 0)
            {
                var snapshot = trainer.Network.Clone();
                env.AddToPool(new NetworkPolicy(snapshot, env.OpponentCapacity, options.Seed ^ (ulong)m.Iteration));
            }
            if (m.Iteration % options.CheckpointEvery == 0 || m.Iteration == m.Iterations) SaveCheckpoints(m);
        }, timeLimit.Token);

        bool stoppedByTime = last is not null && last.Iteration < last.Iterations;
        if (last is not null && (stoppedByTime || last.Iteration % options.CheckpointEvery != 0)) SaveCheckpoints(last);
        if (last is null) trainer.SaveCheckpoint(modelPath, Info(options, new Dictionary<string, double>()));
        if (!File.Exists(bestPath)) File.Copy(modelPath, bestPath, overwrite: true);

        double wall = clock.Elapsed.TotalSeconds;
        return new ArenaTrainingResult(modelPath, bestPath, trainer.GlobalStep, trainer.Iteration, wall,
            last?.Sps ?? 0, last?.MeanReturn ?? double.NaN, last?.WinRate ?? double.NaN,
            double.IsNegativeInfinity(bestWinRate) ? double.NaN : bestWinRate, stoppedByTime, trainer.Times());
    }

    /// <summary>A resumed run reports the iterations after its checkpoint again: their old lines go.</summary>
    private static void DropMetricsAfter(string metricsPath, int iteration)
    {
        if (!File.Exists(metricsPath)) return;
        var kept = File.ReadLines(metricsPath).Where(line =>
        {
            try
            {
                using var json = JsonDocument.Parse(line);
                return json.RootElement.GetProperty("iteration").GetInt32() <= iteration;
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException) { return false; }
        }).ToList();
        File.WriteAllLines(metricsPath, kept);
    }

    private static double Finite(double value) => double.IsFinite(value) ? value : 0;

    private static object RunDescription(ArenaTrainingOptions o) => new
    {
        personality = new { o.Personality.Aggression, o.Personality.Positioning, o.Personality.Targeting, o.Personality.RiskTolerance, o.Personality.Endurance },
        mode = o.Mode.Name(),
        weights = RewardWeights.TermNames.Select((n, k) => new { term = n, weight = o.EffectiveWeights[(RewardTerm)k] }),
        fighter = new { size = o.Fighter.Size, speed = o.Fighter.Speed },
        fighters = o.Fighters,
        opponents = o.Opponents,
        self_play_ratio = o.SelfPlayRatio,
        steps = o.Steps,
        max_seconds = o.MaxTime?.TotalSeconds,
        seed = o.Seed,
        ppo = o.Ppo,
    };

    private static object MetricsLine(ArenaIterationMetrics line)
    {
        var m = line.Ppo;
        return new Dictionary<string, object?>
        {
            ["iteration"] = m.Iteration, ["global_step"] = m.GlobalStep, ["wall_seconds"] = line.WallSeconds, ["sps"] = m.Sps,
            ["mean_reward"] = NullIfNaN(m.MeanReturn), ["mean_length"] = NullIfNaN(m.MeanLength), ["win_rate"] = NullIfNaN(m.WinRate),
            ["episodes"] = m.Episodes, ["policy_loss"] = m.PolicyLoss, ["value_loss"] = m.ValueLoss, ["entropy"] = m.Entropy,
            ["approx_kl"] = m.ApproxKl, ["clip_fraction"] = m.ClipFrac, ["explained_variance"] = NullIfNaN(m.ExplainedVariance),
            ["learning_rate"] = m.LearningRate, ["reward_terms"] = line.RewardTerms,
        };
    }

    private static double? NullIfNaN(double value) => double.IsFinite(value) ? value : null;
}
