using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Commands;

/// <summary>
/// <c>ringside train</c>: PPO on an environment. Every <see cref="PpoConfig"/> field has a flag (--num-envs,
/// --learning-rate …); flags not given keep the environment's preset (cartpole: CleanRL's ppo.py settings).
/// With --json the last stdout line is one JSON object; otherwise progress lines go to stderr.
/// </summary>
public static class TrainCommand
{
    private static readonly Option<string> Env = new("--env") { Description = "Environment: cartpole or arena.", DefaultValueFactory = _ => "arena" };
    private static readonly Option<int> Seed = new("--seed") { Description = "Seed of the run (network, sampling, shuffling, environments).", DefaultValueFactory = _ => 1 };
    private static readonly Option<long?> Steps = new("--steps") { Description = "Total environment steps (CleanRL: total_timesteps); default 500,000 for cartpole, the arena recipe's 33.5 M for arena." };
    private static readonly Option<bool> Json = new("--json") { Description = "Print one JSON object as the last line." };
    private static readonly Option<string?> Save = new("--save") { Description = "Save the trained policy to this .safetensors file (optimiser state beside it)." };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue training from this checkpoint (and its .optimizer.safetensors)." };
    private static readonly Option<int> LogEvery = new("--log-every") { Description = "Progress line every N iterations (0: about once a second).", DefaultValueFactory = _ => 0 };

    // One flag per PpoConfig field; null means "keep the preset".
    private static readonly Option<int?> NumEnvs = new("--num-envs") { Description = "the number of parallel game environments" };
    private static readonly Option<int?> NumSteps = new("--num-steps") { Description = "the number of steps to run in each environment per policy rollout" };
    private static readonly Option<float?> LearningRate = new("--learning-rate") { Description = "the learning rate of the optimizer" };
    private static readonly Option<bool?> AnnealLr = new("--anneal-lr") { Description = "toggle learning rate annealing (true/false)" };
    private static readonly Option<float?> Gamma = new("--gamma") { Description = "the discount factor gamma" };
    private static readonly Option<float?> GaeLambda = new("--gae-lambda") { Description = "the lambda for the general advantage estimation" };
    private static readonly Option<int?> NumMinibatches = new("--num-minibatches") { Description = "the number of mini-batches" };
    private static readonly Option<int?> UpdateEpochs = new("--update-epochs") { Description = "the K epochs to update the policy" };
    private static readonly Option<bool?> NormAdv = new("--norm-adv") { Description = "toggles advantages normalization (true/false)" };
    private static readonly Option<float?> ClipCoef = new("--clip-coef") { Description = "the surrogate clipping coefficient" };
    private static readonly Option<bool?> ClipVloss = new("--clip-vloss") { Description = "toggles the clipped value loss (true/false)" };
    private static readonly Option<float?> EntCoef = new("--ent-coef") { Description = "coefficient of the entropy" };
    private static readonly Option<float?> VfCoef = new("--vf-coef") { Description = "coefficient of the value function" };
    private static readonly Option<float?> MaxGradNorm = new("--max-grad-norm") { Description = "the maximum norm for the gradient clipping" };
    private static readonly Option<float?> TargetKl = new("--target-kl") { Description = "the target KL divergence threshold (0: off)" };
    private static readonly Option<float?> AdamEpsilon = new("--adam-epsilon") { Description = "Adam's epsilon" };
    private static readonly Option<string?> HiddenSizes = new("--hidden-sizes") { Description = "hidden layer sizes, e.g. 128,128" };
    private static readonly Option<string?> ActivationName = new("--activation") { Description = "hidden activation: tanh or relu" };
    private static readonly Option<bool?> SharedTrunk = new("--shared-trunk") { Description = "one trunk for actor and critic (true) or one each (false)" };
    private static readonly Option<int?> GradientShards = new("--gradient-shards") { Description = "minibatch shards whose gradients are summed in a fixed order" };
    private static readonly Option<int?> Threads = new("--threads") { Description = "threads computing the shards in parallel (results do not depend on it)" };

    // Arena options.
    private static readonly Option<string?> ProfileFile = new("--profile") { Description = "Personality profile JSON (aggression, positioning, targeting, risk_tolerance, endurance, training_mode, reward_weights); flags override it." };
    private static readonly Option<float?> Aggression = new("--aggression") { Description = "Personality slider 0-100 (50 neutral)." };
    private static readonly Option<float?> Positioning = new("--positioning") { Description = "Personality slider 0-100 (50 neutral)." };
    private static readonly Option<float?> Targeting = new("--targeting") { Description = "Personality slider 0-100 (50 neutral)." };
    private static readonly Option<float?> RiskTolerance = new("--risk-tolerance") { Description = "Personality slider 0-100 (50 neutral)." };
    private static readonly Option<float?> Endurance = new("--endurance") { Description = "Personality slider 0-100 (50 neutral)." };
    private static readonly Option<string?> Mode = new("--mode") { Description = "Training mode: survival, aggression, tactical, adaptation, tournament." };
    private static readonly Option<string> FighterCount = new("--fighters") { Description = "Fighters per arena, the learner included (2-8); the arenas are split evenly between the entries (default: half duels, half four-fighter free-for-alls).", DefaultValueFactory = _ => "2,4" };
    private static readonly Option<string> Opponents = new("--opponents") { Description = "Opponents: bots (chaser, cautious, random, idle) and 'self' for past checkpoints.", DefaultValueFactory = _ => string.Join(",", ArenaTraining.DefaultOpponents) };
    private static readonly Option<double> SelfPlayRatio = new("--self-play-ratio") { Description = "Share of opponents drawn from past checkpoints when 'self' is an opponent.", DefaultValueFactory = _ => 0.3 };
    private static readonly Option<float?> OutcomeReward = new("--outcome-reward") { Description = "Training reward for winning (+) or losing (−) an episode; 0: the contract's reward terms only." };
    private static readonly Option<float> Size = new("--size") { Description = "The learner's fighter size (0.5-2).", DefaultValueFactory = _ => 1f };
    private static readonly Option<float> Speed = new("--speed") { Description = "The learner's fighter speed (0.5-2).", DefaultValueFactory = _ => 1f };
    private static readonly Option<double?> MaxMinutes = new("--max-minutes") { Description = "Stop after this much wall time (saving a checkpoint)." };
    private static readonly Option<long> EvaluateEvery = new("--evaluate-every") { Description = "Steps of training between checkups (1v1 against chaser and cautious, four-fighter free-for-all); best.safetensors is the checkpoint with the best checkup.", DefaultValueFactory = _ => ArenaTraining.DefaultEvaluateEverySteps };
    private static readonly Option<int> EvaluationEpisodes = new("--evaluation-episodes") { Description = "Episodes per line-up of each checkup.", DefaultValueFactory = _ => ArenaTraining.DefaultEvaluationEpisodes };
    private static readonly Option<string?> Out = new("--out") { Description = "Run folder: metrics.jsonl, model.safetensors, best.safetensors, run.json (arena)." };

    public static Command Create()
    {
        var command = new Command("train", "Train a policy with PPO (CleanRL's ppo.py in C#).")
        {
            Env, Seed, Steps, Json, Save, Resume, LogEvery,
            NumEnvs, NumSteps, LearningRate, AnnealLr, Gamma, GaeLambda, NumMinibatches, UpdateEpochs, NormAdv, ClipCoef,
            ClipVloss, EntCoef, VfCoef, MaxGradNorm, TargetKl, AdamEpsilon, HiddenSizes, ActivationName, SharedTrunk,
            GradientShards, Threads,
            ProfileFile, Aggression, Positioning, Targeting, RiskTolerance, Endurance, Mode, FighterCount, Opponents, SelfPlayRatio, OutcomeReward,
            Size, Speed, MaxMinutes, EvaluateEvery, EvaluationEpisodes, Out,
        };
        command.SetAction(parseResult => Output.Guard(() => Run(parseResult)));
        return command;
    }

    private static int Run(ParseResult p)
    {
        long steps = p.GetValue(Steps) ?? 1;
        if (steps <= 0) throw new ArgumentException($"--steps must be positive, got {steps}.");
        string env = p.GetValue(Env)!.Trim().ToLowerInvariant();
        return env switch
        {
            "cartpole" => RunCartPole(p, WithOverrides(PpoConfig.CartPole, p)),
            "arena" => RunArena(p),
            _ => throw new ArgumentException($"unknown --env '{env}'; expected cartpole or arena."),
        };
    }

    /// <summary>CartPole-v1 with CleanRL's settings unless overridden; reports what CleanRL's benchmark reports.</summary>
    private static int RunCartPole(ParseResult p, PpoConfig config)
    {
        bool json = p.GetValue(Json);
        if (p.GetValue(Resume) is not null) throw new ArgumentException("--resume is not supported for cartpole runs; they take seconds.");
        var progress = new Progress(json, p.GetValue(LogEvery));
        if (!json) Console.Error.WriteLine($"cartpole: {config.NetworkSpec(4, 2)}, {config.NumEnvs} envs × {config.NumSteps} steps, seed {p.GetValue(Seed)}");
        var result = CartPoleRun.Run(config, p.GetValue(Seed), p.GetValue(Steps) ?? 500_000, progress.Report, p.GetValue(Save));
        var time = result.Time;
        var summary = new
        {
            env = "cartpole",
            seed = p.GetValue(Seed),
            final_mean_return = result.FinalMeanReturn,
            first_step_mean_return_ge_475 = result.FirstStepMeanReturnGe475,
            sps = result.Sps,
            wall_seconds = result.WallSeconds,
            episodes = result.Episodes,
            seconds = time, // per phase, snake_case: env_step, rollout_forward, update_forward, backward, optimizer, other, total
            checkpoint = p.GetValue(Save),
        };
        if (json) Output.WriteJson(summary);
        else
            Console.WriteLine($"final mean return (last 20 episodes) {result.FinalMeanReturn:F1}; mean of 20 reached 475 at step " +
                              $"{result.FirstStepMeanReturnGe475?.ToString("N0", CultureInfo.InvariantCulture) ?? "never"}; " +
                              $"{result.Sps:N0} steps/s, {result.WallSeconds:F1} s " +
                              $"(env {time.EnvStep:F1} s, rollout forward {time.RolloutForward:F1} s, update forward {time.UpdateForward:F1} s, " +
                              $"backward {time.Backward:F1} s, optimiser {time.Optimizer:F1} s)");
        return 0;
    }

    /// <summary>
    /// Arena training: a personality (profile file and/or sliders) and mode, opponents from the bots and the
    /// learner's own past checkpoints, a budget in steps and/or minutes; writes a run folder. --resume DIR continues it.
    /// </summary>
    private static int RunArena(ParseResult p)
    {
        bool json = p.GetValue(Json);
        string? resumeDir = p.GetValue(Resume);
        string outDir = p.GetValue(Out) ?? resumeDir ?? throw new ArgumentException("--out DIR is required for arena training.");
        if (resumeDir is not null && !File.Exists(Path.Combine(resumeDir, ArenaTraining.ModelFile)))
            throw new ArgumentException($"--resume {resumeDir}: no {ArenaTraining.ModelFile} in that folder.");
        var profile = p.GetValue(ProfileFile) is { } file ? ProfileJson.Read(file) : new ProfileJson.Profile();
        var personality = new Personality(
            p.GetValue(Aggression) ?? profile.Aggression, p.GetValue(Positioning) ?? profile.Positioning, p.GetValue(Targeting) ?? profile.Targeting,
            p.GetValue(RiskTolerance) ?? profile.RiskTolerance, p.GetValue(Endurance) ?? profile.Endurance);
        double? minutes = p.GetValue(MaxMinutes);
        if (minutes is { } m && !(m > 0)) throw new ArgumentException($"--max-minutes must be positive, got {m}.");

        var options = new ArenaTrainingOptions
        {
            Personality = personality,
            Mode = TrainingModes.Parse(p.GetValue(Mode) ?? profile.TrainingMode ?? "tactical"),
            Weights = profile.RewardWeights,
            Fighter = new FighterSpec(p.GetValue(Size), p.GetValue(Speed)),
            Fighters = ParseSizes(p.GetValue(FighterCount)!, "--fighters"),
            Opponents = Output.SplitList(p.GetValue(Opponents)),
            SelfPlayRatio = p.GetValue(SelfPlayRatio),
            OutcomeReward = p.GetValue(OutcomeReward) ?? ArenaTraining.DefaultOutcomeReward,
            Steps = p.GetValue(Steps) ?? ArenaTraining.DefaultSteps,
            MaxTime = minutes is { } mm ? TimeSpan.FromMinutes(mm) : null,
            EvaluateEverySteps = p.GetValue(EvaluateEvery),
            EvaluationEpisodes = p.GetValue(EvaluationEpisodes),
            Seed = (ulong)p.GetValue(Seed),
            OutDir = outDir,
            Ppo = WithOverrides(ArenaTraining.DefaultPpo, p),
        };
        if (resumeDir is not null && (p.GetValue(HiddenSizes) is not null || p.GetValue(ActivationName) is not null || p.GetValue(SharedTrunk) is not null))
        {
            // A resumed run trains the network its checkpoint holds (PpoTrainer.Resume): a flag asking for another cannot be honoured.
            var saved = Checkpoint.Load(Path.Combine(resumeDir, ArenaTraining.ModelFile)).Network.Spec;
            var asked = options.Ppo.NetworkSpec(Contract.ObservationSize, Contract.ActionCount);
            if (!asked.Equals(saved))
                throw new ArgumentException($"--resume {resumeDir}: the run's network is {saved}, and a resumed run keeps it; " +
                                            $"--hidden-sizes, --activation and --shared-trunk ask for {asked}. Drop them, or start a new run with --out.");
        }
        var bar = new ProgressBar(json, options.Steps, options.MaxTime);
        if (!json) Console.Error.WriteLine($"arena: fighters per arena {string.Join(",", options.Fighters)} vs {string.Join(", ", options.Opponents)}, mode {options.Mode.Name()}, " +
                                           $"{options.Ppo.NetworkSpec(Contract.ObservationSize, Contract.ActionCount)}, {options.Ppo.NumEnvs} arenas × {options.Ppo.NumSteps} steps → {outDir}");
        var result = ArenaTraining.Run(options, bar.Report, resume: resumeDir is not null);
        bar.Done();

        var t = result.Time;
        var summary = new
        {
            env = "arena",
            out_dir = outDir,
            model = result.ModelPath,
            best_model = result.BestModelPath,
            steps = result.Steps,
            iterations = result.Iterations,
            wall_seconds = result.WallSeconds,
            agent_steps_per_second = result.Sps,
            mean_reward = result.MeanReturn,
            win_rate = result.WinRate,
            best_evaluation = result.Best is { } b ? new { iteration = b.Iteration, vs_chaser = b.VsChaser, vs_cautious = b.VsCautious, free_for_all = b.FreeForAll, score = b.Score } : null,
            evaluations = result.Checkups.Select(c => new { iteration = c.Iteration, steps = c.Steps, wall_seconds = c.WallSeconds, vs_chaser = c.VsChaser, vs_cautious = c.VsCautious, free_for_all = c.FreeForAll }),
            stopped_by_time = result.StoppedByTime,
            seconds = t,
        };
        if (json) Output.WriteJson(summary);
        else Console.WriteLine($"trained {result.Steps:N0} steps in {result.WallSeconds:F0} s ({result.Sps:N0} steps/s); recent reward {result.MeanReturn:F1}, " +
                               $"win rate {result.WinRate:P0}; model {result.ModelPath}, best {result.BestModelPath}" +
                               (result.Best is { } best ? $" (iteration {best.Iteration}: {best.VsChaser:P0} vs chaser, {best.VsCautious:P0} vs cautious, {best.FreeForAll:P0} of free-for-alls)" : ""));
        return 0;
    }

    /// <summary>A one-line progress bar on stderr (plain lines every few seconds when stderr is not a terminal).</summary>
    private sealed class ProgressBar(bool quiet, long totalSteps, TimeSpan? maxTime)
    {
        private readonly bool live = !Console.IsErrorRedirected;
        private DateTime lastPrint = DateTime.MinValue;

        public void Report(ArenaIterationMetrics line)
        {
            if (quiet) return;
            var m = line.Ppo;
            if (line.Checkup is { } c)
                Console.Error.WriteLine((live ? "\r" : "") + string.Create(CultureInfo.InvariantCulture,
                    $"checkup at {m.GlobalStep / 1e6:F2}M steps, {c.WallSeconds:F0} s: {c.VsChaser:P0} vs chaser, {c.VsCautious:P0} vs cautious (1v1), " +
                    $"last standing in {c.FreeForAll:P0} of free-for-alls{(line.NewBest ? "; new best model saved" : "")}").PadRight(110));
            var interval = live ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(5);
            if (DateTime.UtcNow - lastPrint < interval && m.Iteration != m.Iterations) return;
            lastPrint = DateTime.UtcNow;
            double byTime = maxTime is { } mt ? line.WallSeconds / mt.TotalSeconds : 0;
            double done = Math.Clamp(Math.Max((double)m.GlobalStep / totalSteps, byTime), 0, 1);
            double left = m.Sps > 0 ? (totalSteps - m.GlobalStep) / m.Sps : 0;
            if (maxTime is { } limit) left = Math.Min(left, limit.TotalSeconds - line.WallSeconds);
            int filled = (int)(done * 24);
            string text = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('-', 24 - filled)}] {done,4:P0} {m.GlobalStep / 1e6:F2}M steps  {m.Sps:N0} sps  " +
                $"reward {m.MeanReturn:F1}  win {m.WinRate:P0}  {TimeSpan.FromSeconds(Math.Max(0, left)):m\\:ss} left");
            if (live) Console.Error.Write("\r" + text.PadRight(110));
            else Console.Error.WriteLine(text);
        }

        public void Done() { if (!quiet && live) Console.Error.WriteLine(); }
    }

    /// <summary>The preset with every flag the user gave applied on top.</summary>
    private static PpoConfig WithOverrides(PpoConfig preset, ParseResult p)
    {
        var config = preset with
        {
            NumEnvs = p.GetValue(NumEnvs) ?? preset.NumEnvs,
            NumSteps = p.GetValue(NumSteps) ?? preset.NumSteps,
            LearningRate = p.GetValue(LearningRate) ?? preset.LearningRate,
            AnnealLr = p.GetValue(AnnealLr) ?? preset.AnnealLr,
            Gamma = p.GetValue(Gamma) ?? preset.Gamma,
            GaeLambda = p.GetValue(GaeLambda) ?? preset.GaeLambda,
            NumMinibatches = p.GetValue(NumMinibatches) ?? preset.NumMinibatches,
            UpdateEpochs = p.GetValue(UpdateEpochs) ?? preset.UpdateEpochs,
            NormAdv = p.GetValue(NormAdv) ?? preset.NormAdv,
            ClipCoef = p.GetValue(ClipCoef) ?? preset.ClipCoef,
            ClipVloss = p.GetValue(ClipVloss) ?? preset.ClipVloss,
            EntCoef = p.GetValue(EntCoef) ?? preset.EntCoef,
            VfCoef = p.GetValue(VfCoef) ?? preset.VfCoef,
            MaxGradNorm = p.GetValue(MaxGradNorm) ?? preset.MaxGradNorm,
            TargetKl = p.GetValue(TargetKl) is { } kl ? (kl > 0 ? kl : null) : preset.TargetKl,
            AdamEpsilon = p.GetValue(AdamEpsilon) ?? preset.AdamEpsilon,
            HiddenSizes = p.GetValue(HiddenSizes) is { } sizes ? ParseSizes(sizes, "--hidden-sizes") : preset.HiddenSizes,
            Activation = p.GetValue(ActivationName) is { } name ? ParseActivation(name) : preset.Activation,
            SharedTrunk = p.GetValue(SharedTrunk) ?? preset.SharedTrunk,
            GradientShards = p.GetValue(GradientShards) ?? preset.GradientShards,
            Threads = p.GetValue(Threads) ?? preset.Threads,
        };
        config.Validate();
        return config;
    }

    private static int[] ParseSizes(string text, string option)
    {
        var items = Output.SplitList(text);
        var sizes = new int[items.Length];
        for (int i = 0; i < items.Length; i++)
            if (!int.TryParse(items[i], NumberStyles.None, CultureInfo.InvariantCulture, out sizes[i]) || sizes[i] <= 0)
                throw new ArgumentException($"{option} must be positive integers separated by commas, got '{text}'.");
        return sizes;
    }

    private static Activation ParseActivation(string name) => name.Trim().ToLowerInvariant() switch
    {
        "tanh" => Activation.Tanh,
        "relu" => Activation.Relu,
        _ => throw new ArgumentException($"--activation must be tanh or relu, got '{name}'."),
    };

    /// <summary>Progress lines on stderr (never with --json): every N iterations, or about once a second, and the last.</summary>
    public sealed class Progress(bool json, int every)
    {
        private DateTime _lastPrint = DateTime.MinValue;

        public void Report(IterationMetrics m)
        {
            if (json) return;
            bool due = every > 0 ? m.Iteration % every == 0 : DateTime.UtcNow - _lastPrint >= TimeSpan.FromSeconds(1);
            if (!due && m.Iteration != m.Iterations) return;
            _lastPrint = DateTime.UtcNow;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"iter {m.Iteration}/{m.Iterations}  step {m.GlobalStep:N0}  sps {m.Sps:N0}  return {m.MeanReturn:F1}  win {m.WinRate:F2}  " +
                $"pg {m.PolicyLoss:F4}  v {m.ValueLoss:F3}  ent {m.Entropy:F3}  kl {m.ApproxKl:F4}  clip {m.ClipFrac:F3}  " +
                $"ev {m.ExplainedVariance:F2}  lr {m.LearningRate:E1}"));
        }
    }
}
