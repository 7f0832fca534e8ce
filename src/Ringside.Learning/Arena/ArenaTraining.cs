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
    /// <summary>Reward weights set directly (docs/CONTRACT.md, Personality → weights); null: from personality and mode.</summary>
    public RewardWeights? Weights { get; init; }
    public FighterSpec Fighter { get; init; } = FighterSpec.Standard;
    /// <summary>
    /// Fighters per arena (2-8); the arenas are split evenly between the entries. The default, [2, 4], makes half of
    /// them duels and half four-fighter free-for-alls: duels teach the exchange fastest, free-for-alls what to do
    /// among several (with [2, 4, 4] the free-for-all came no sooner and the duels later).
    /// </summary>
    public IReadOnlyList<int> Fighters { get; init; } = [2, 4];
    /// <summary>Bots to fight, and "self" for past checkpoints of the learner (see <see cref="ArenaTraining.DefaultOpponents"/>).</summary>
    public IReadOnlyList<string> Opponents { get; init; } = ArenaTraining.DefaultOpponents;
    /// <summary>
    /// Share of opponents drawn from the self-play pool once it has checkpoints (when "self" is an opponent). At 50 % the
    /// fighters beat a fighter of the earlier recipe more often, but the positioning slider lost its bar on half the seeds
    /// (docs/BENCHMARKS.md, "Competence", session 16).
    /// </summary>
    public double SelfPlayRatio { get; init; } = 0.3;
    /// <summary>A copy of the learner joins the self-play pool every this many iterations.</summary>
    public int SnapshotEvery { get; init; } = 10;
    public int MaxTicks { get; init; } = ArenaRules.DefaultMaxTicks;
    /// <summary>Training reward for the outcome of an episode, ± (see <see cref="ArenaEnvOptions.OutcomeReward"/>).</summary>
    public float OutcomeReward { get; init; } = ArenaTraining.DefaultOutcomeReward;
    public long Steps { get; init; } = ArenaTraining.DefaultSteps;
    /// <summary>Wall-time limit: the run stops after the iteration that reaches it, and the learning rate anneals to 0 by it
    /// (or by <see cref="Steps"/>, whichever comes first).</summary>
    public TimeSpan? MaxTime { get; init; }
    public ulong Seed { get; init; } = 1;
    /// <summary>
    /// A checkup (<see cref="Arena.Checkup"/>: 1v1 against chaser and cautious, four-fighter free-for-all) after
    /// every this many steps of training (rounded to whole iterations), and at the end; best.safetensors is the checkpoint
    /// with the best checkup. An epoch of a server job is one such segment.
    /// </summary>
    public long EvaluateEverySteps { get; init; } = ArenaTraining.DefaultEvaluateEverySteps;
    /// <summary>Episodes per line-up of each checkup.</summary>
    public int EvaluationEpisodes { get; init; } = ArenaTraining.DefaultEvaluationEpisodes;
    /// <summary>Checkpoint (model.safetensors, with optimiser state beside it) every this many iterations, and at the end.</summary>
    public int CheckpointEvery { get; init; } = 25;
    public required string OutDir { get; init; }
    public PpoConfig Ppo { get; init; } = ArenaTraining.DefaultPpo;
    /// <summary>
    /// Tests only: called at each named point of an iteration's bookkeeping (<see cref="ArenaTraining.FaultPoints"/>)
    /// with the iteration, so that a test can crash the run exactly there and check what a resume makes of it.
    /// </summary>
    public Action<string, int>? FaultInjection { get; init; }
    /// <summary>
    /// Called with the iteration after each resumable checkpoint is on disk (model.safetensors and its optimiser file), on
    /// the trainer's thread: the server copies it where another machine can resume from it.
    /// </summary>
    public Action<int>? CheckpointSaved { get; init; }

    public RewardWeights EffectiveWeights => Weights ?? RewardWeights.For(Personality, Mode);
    /// <summary>The personality's training-only style terms (none for a neutral personality).</summary>
    public Style Style => Arena.Style.For(Personality);
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
        if (EvaluateEverySteps < 1) throw new ArgumentException("evaluation interval must be at least 1 step.", "evaluate_every");
        if (EvaluationEpisodes < 1) throw new ArgumentException("evaluation episodes must be at least 1.", "evaluation_episodes");
        if (string.IsNullOrWhiteSpace(OutDir)) throw new ArgumentException("an output folder is required.", "out");
        Ppo.Validate();
    }
}

/// <summary>One line of metrics.jsonl: the trainer's iteration metrics plus the mean of each reward term.</summary>
/// <param name="Network">the learner's network as it is after this iteration: read it on the callback's thread only.</param>
/// <param name="Checkup">the evaluation run after this iteration, when one was due.</param>
/// <param name="NewBest">that checkup is the best so far: best.safetensors was saved from this iteration.</param>
public sealed record ArenaIterationMetrics(IterationMetrics Ppo, IReadOnlyDictionary<string, double> RewardTerms, double WallSeconds,
    ActorCriticNetwork? Network = null, Checkup? Checkup = null, bool NewBest = false);

/// <param name="Best">the checkup of best.safetensors (this run's, or an earlier attempt's when resumed); null if none ran.</param>
/// <param name="Checkups">this run's checkups, in order.</param>
public sealed record ArenaTrainingResult(
    string ModelPath, string BestModelPath, long Steps, int Iterations, double WallSeconds, double Sps,
    double MeanReturn, double WinRate, Checkup? Best, IReadOnlyList<Checkup> Checkups, bool StoppedByTime, PhaseTimes Time);

/// <summary>
/// Trains an arena fighter with PPO: the library entry point behind <c>ringside train --env arena</c> and the
/// server's training jobs. Writes to its output folder: metrics.jsonl (one line per iteration),
/// model.safetensors (latest, resumable), best.safetensors (the policy with the best periodic checkup against the
/// baseline bots; see <see cref="Checkup"/>) and run.json (the options).
/// </summary>
public static class ArenaTraining
{
    public const string EnvironmentName = "arena";
    public const string ModelFile = "model.safetensors";
    public const string BestFile = "best.safetensors";
    public const string MetricsFile = "metrics.jsonl";
    public const long DefaultEvaluateEverySteps = 1 << 20;
    public const int DefaultEvaluationEpisodes = 100;
    /// <summary>A server job's epoch: two checkup intervals of training, then a checkup.</summary>
    public const long DefaultEpochSteps = 2 * DefaultEvaluateEverySteps;
    public const float DefaultOutcomeReward = 10f;
    /// <summary>
    /// The three bots and the learner's own past checkpoints (<see cref="ArenaTrainingOptions.SelfPlayRatio"/> of the
    /// opponents once the pool has one). The bots alone teach how to beat the bots: a fighter trained on them for 30 s
    /// won 55 % of greedy duels against one trained for 20 M steps with the earlier recipe; with self-play, 96 %.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultOpponents = ["chaser", "cautious", "random", "self"];

    /// <summary>
    /// PPO settings for the arena, tuned for learning per second on two cores (docs/BENCHMARKS.md, "Competence"): a
    /// 2x64 ReLU shared network at four update epochs (not seed 001's 2x128 at two: docs/ARCHITECTURE.md says why),
    /// 64 arenas x 128 steps, 8 minibatches of 1,024, lr 2e-3 annealed, an entropy bonus of 0.01
    /// (at 0.001 the policy settled early, in about one run of three, on waiting out the cautious bot), and gamma
    /// 0.995 (a 6.7 s horizon at 30 ticks/s), since outlasting a free-for-all pays off seconds later.
    /// </summary>
    public static PpoConfig DefaultPpo { get; } = new()
    {
        NumEnvs = 64,
        NumSteps = 128,
        LearningRate = 2e-3f,
        NumMinibatches = 8,
        UpdateEpochs = 4,
        Gamma = 0.995f,
        GaeLambda = 0.95f,
        EntCoef = 0.01f,
        HiddenSizes = [64, 64],
        Activation = Activation.Relu,
        SharedTrunk = true,
        GradientShards = 2,
        Threads = 2,
    };

    /// <summary>The default budget: 16 epochs, enough for the free-for-all bar with room to spare (about a minute).</summary>
    public const long DefaultSteps = 16 * DefaultEpochSteps;

    public static ArenaEnvOptions EnvOptions(ArenaTrainingOptions o) => new()
    {
        Envs = o.Ppo.NumEnvs,
        Fighters = o.Fighters,
        Learner = o.Fighter,
        Weights = o.EffectiveWeights,
        MaxTicks = o.MaxTicks,
        Bots = o.Bots,
        OutcomeReward = o.OutcomeReward,
        Style = o.Style,
        SelfPlayRatio = o.SelfPlay ? (o.Bots.Count == 0 ? 1 : o.SelfPlayRatio) : 0,
    };

    public static CheckpointInfo Info(ArenaTrainingOptions o, IReadOnlyDictionary<string, double> metrics) => new()
    {
        Environment = EnvironmentName,
        ContractVersion = Contract.Version,
        Personality = JsonSerializer.Serialize(Fighters.SlidersOf(o.Personality)),
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

        // The time limit is checked after each iteration, so that the last one (by steps or by time) ends with a checkup;
        // only an outside cancellation (a cancelled job, a server stopping) ends a run without one.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var metricsFile = new StreamWriter(metricsPath, append: resume);
        var clock = Stopwatch.StartNew();
        var termMeans = new double[RewardWeights.Count];
        IterationMetrics? last = null;
        int evaluateEvery = (int)Math.Clamp(options.EvaluateEverySteps / options.Ppo.BatchSize, 1, int.MaxValue);
        var checkups = new List<Checkup>();
        Checkup? best = resume ? CheckupOf(bestPath) : null;
        ActorCriticNetwork? bestNetwork = best is null ? null : Checkpoint.Load(bestPath).Network; // to meet later ones head to head

        void SaveCheckpoint(IterationMetrics m)
        {
            var metrics = new Dictionary<string, double>
            {
                ["mean_return"] = Finite(m.MeanReturn),
                ["win_rate"] = Finite(m.WinRate),
                ["iteration"] = m.Iteration,
            };
            trainer.SaveCheckpoint(modelPath, Info(options, metrics), () => Fault("policy-saved", m.Iteration));
            Fault("checkpoint-saved", m.Iteration);
            options.CheckpointSaved?.Invoke(m.Iteration);
        }

        trainer.Train(options.Steps, m =>
        {
            last = m;
            bool stoppedByTime = options.MaxTime is { } maxTime && clock.Elapsed >= maxTime;
            Checkup? checkup = null;
            bool newBest = false;
            if (m.Iteration % evaluateEvery == 0 || m.Iteration == m.Iterations || stoppedByTime)
            {
                checkup = Checkup.Run(trainer.Network, options.Fighter, options.EffectiveWeights, options.MaxTicks, options.EvaluationEpisodes,
                    m.Iteration, m.GlobalStep, clock.Elapsed.TotalSeconds);
                if (best is not null && bestNetwork is not null && checkup.NeedsHeadToHead(best))
                    checkup = checkup.WithHeadToHead(trainer.Network, bestNetwork, options.Fighter, options.EffectiveWeights, options.MaxTicks);
                checkups.Add(checkup);
                if (checkup.Replaces(best))
                {
                    best = checkup;
                    bestNetwork = trainer.Network.Clone();
                    newBest = true;
                    var metrics = new Dictionary<string, double>(checkup.ToMetrics()) { ["mean_return"] = Finite(m.MeanReturn), ["iteration"] = m.Iteration };
                    Checkpoint.Save(bestPath, trainer.Network, Info(options, metrics) with { Steps = trainer.GlobalStep });
                }
            }
            env.TakeTermMeans(termMeans);
            var terms = new Dictionary<string, double>();
            for (int k = 0; k < RewardWeights.Count; k++) terms[RewardWeights.TermNames[k]] = termMeans[k];
            var line = new ArenaIterationMetrics(m, terms, clock.Elapsed.TotalSeconds, trainer.Network, checkup, newBest);
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
            if (m.Iteration % options.CheckpointEvery == 0 || m.Iteration == m.Iterations) SaveCheckpoint(m);
            if (stoppedByTime) stop.Cancel();
        }, stop.Token, options.MaxTime is { } limit ? () => clock.Elapsed / limit : null);

        bool stoppedEarly = last is not null && last.Iteration < last.Iterations;
        if (last is not null && (stoppedEarly || last.Iteration % options.CheckpointEvery != 0)) SaveCheckpoint(last);
        if (last is null) trainer.SaveCheckpoint(modelPath, Info(options, new Dictionary<string, double>()));
        if (!File.Exists(bestPath)) File.Copy(modelPath, bestPath, overwrite: true);

        double wall = clock.Elapsed.TotalSeconds;
        return new ArenaTrainingResult(modelPath, bestPath, trainer.GlobalStep, trainer.Iteration, wall,
            last?.Sps ?? 0, last?.MeanReturn ?? double.NaN, last?.WinRate ?? double.NaN, best, checkups,
            stoppedEarly && !cancellation.IsCancellationRequested, trainer.Times());
    }

    /// <summary>The checkup stored in a best.safetensors, or null (no file, or one without a checkup).</summary>
    public static Checkup? CheckupOf(string bestPath)
    {
        if (!File.Exists(bestPath)) return null;
        var metrics = Checkpoint.Load(bestPath).Info.Metrics;
        if (!metrics.TryGetValue("eval_score", out _)) return null;
        double Get(string key) => metrics.TryGetValue(key, out double v) ? v : double.NaN;
        return new Checkup((int)Get("eval_iteration"), 0, 0, 0, Get("eval_vs_chaser"), Get("eval_vs_cautious"), Get("eval_free_for_all"));
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
        outcome_reward = o.OutcomeReward,
        style = new
        {
            for_closeness = o.Style.ForCloseness,
            for_centre = o.Style.ForCentre,
            per_hit_on_weakest = o.Style.PerHitOnWeakest,
            for_exposure = o.Style.ForExposure,
            for_health = o.Style.ForHealth,
            for_health_at_win = o.Style.ForHealthAtWin,
        },
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
            ["iteration"] = m.Iteration,
            ["global_step"] = m.GlobalStep,
            ["wall_seconds"] = line.WallSeconds,
            ["sps"] = m.Sps,
            ["mean_reward"] = NullIfNaN(m.MeanReturn),
            ["mean_length"] = NullIfNaN(m.MeanLength),
            ["win_rate"] = NullIfNaN(m.WinRate),
            ["episodes"] = m.Episodes,
            ["policy_loss"] = m.PolicyLoss,
            ["value_loss"] = m.ValueLoss,
            ["entropy"] = m.Entropy,
            ["approx_kl"] = m.ApproxKl,
            ["clip_fraction"] = m.ClipFrac,
            ["explained_variance"] = NullIfNaN(m.ExplainedVariance),
            ["learning_rate"] = m.LearningRate,
            ["reward_terms"] = line.RewardTerms,
            ["evaluation"] = line.Checkup is { } c ? new Dictionary<string, double?>
            {
                ["vs_chaser"] = c.VsChaser,
                ["vs_cautious"] = c.VsCautious,
                ["free_for_all"] = c.FreeForAll,
                ["score"] = c.Score,
                ["wall_seconds"] = c.WallSeconds,
                ["vs_best"] = NullIfNaN(c.VsBest),
                ["lost_to_best"] = NullIfNaN(c.LostToBest),
            } : null,
        };
    }

    private static double? NullIfNaN(double value) => double.IsFinite(value) ? value : null;
}
