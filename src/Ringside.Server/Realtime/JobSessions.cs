using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Server.Data;
using Ringside.Server.Training;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <summary>
/// Makes every training job a training session ("job-N") without any extra call: its status changes, its metrics
/// and a reward graph point every iteration, and every few seconds a sampled bot decision (action probabilities,
/// value, chosen action) of the current network in a probe duel against the chaser.
/// </summary>
public sealed class JobSessions
{
    public static readonly TimeSpan DecisionEvery = TimeSpan.FromSeconds(2);
    private readonly TrainingSessions _sessions;
    // Keyed by the session, not the job id: a probe goes with its session when the clean-up drops it, even if a late
    // iteration of a cancelled job made one after the final status removed the last.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TrainingSession, DecisionProbe> _probes = new();
    private readonly ClusterSessions? _cluster;

    /// <param name="cluster">in a cluster, where the job's messages go so that every node's spectators get them.</param>
    public JobSessions(TrainingSessions sessions, TrainingEvents events, ClusterSessions? cluster = null)
    {
        _sessions = sessions;
        _cluster = cluster;
        events.Changed += OnChanged;
    }

    public static TrainingSession SessionOf(TrainingSessions sessions, TrainingJob job) =>
        sessions.GetOrCreateForJob(job.Id, $"{job.ProfileName} (fighter {job.FighterId})", job.Epochs);

    private void Publish(TrainingSession session, string type, object data, int? episode = null)
    {
        if (_cluster is not null) _cluster.Publish(session, type, data, episode);
        else _sessions.Publish(session, type, data, episode);
    }

    private void OnChanged(TrainingJob job, ArenaIterationMetrics? iteration)
    {
        var session = SessionOf(_sessions, job);
        if (iteration is null)
        {
            session.Status = job.Status;
            _sessions.Changed(session);
            Publish(session, "training_status", new
            {
                status = job.Status,
                job_id = job.Id,
                progress = job.Progress,
                steps_done = job.StepsDone,
                error_message = job.ErrorMessage,
                final_win_rate = job.FinalWinRate,
                final_reward = job.FinalReward,
            });
            if (JobStatus.IsFinal(job.Status)) _probes.Remove(session);
            return;
        }
        var m = iteration.Ppo;
        double? Finite(double x) => double.IsFinite(x) ? x : null;
        var now = DateTime.UtcNow;
        // A session's messages number themselves by "episode" (the wire field of every training session); a job's
        // count PPO iterations there, not episodes (docs/SERVER.md, Training sessions).
        int iterationNumber = m.Iteration;
        Publish(session, "training_metrics", new
        {
            timestamp = now,
            episode = iterationNumber,
            total_episodes = m.Iterations,
            current_reward = Finite(m.MeanReturn),
            average_reward = Finite(m.MeanReturn),
            // win_rate in percent, as a training session's metrics have it (the REST metrics keep fractions; docs/SERVER.md).
            episode_length = Finite(m.MeanLength),
            win_rate = Finite(m.WinRate * 100),
            loss_value = Finite(TrainingJobRunner.TotalLoss(m, ArenaTraining.DefaultPpo)),
            learning_rate = m.LearningRate,
            algorithm = "PPO",
            training_time_elapsed = iteration.WallSeconds,
            actions_per_second = m.Sps,
            iteration = m.Iteration,
            global_step = m.GlobalStep,
            progress = job.Progress,
            policy_loss = m.PolicyLoss,
            value_loss = m.ValueLoss,
            entropy = m.Entropy,
            approx_kl = m.ApproxKl,
            clip_fraction = m.ClipFrac,
            explained_variance = Finite(m.ExplainedVariance),
            episodes = m.Episodes,
            reward_terms = iteration.RewardTerms,
            // The periodic evaluation (seeded), in percent like win_rate; null on iterations without one.
            evaluation = iteration.Checkup is { } c ? new
            {
                vs_chaser = c.VsChaser * 100,
                vs_cautious = c.VsCautious * 100,
                free_for_all = c.FreeForAll * 100,
                episodes = c.Episodes,
                epoch = job.EpochOf(m.GlobalStep),
            } : null,
        }, episode: iterationNumber);
        Publish(session, "graph_update", new
        {
            graph_id = "reward_progress",
            title = "Reward Progress",
            y_label = "Reward",
            metrics = new[] { "average_reward", "win_rate" },
            data_points = new
            {
                average_reward = new[] { new { timestamp = now, value = Finite(m.MeanReturn), episode = iterationNumber } },
                win_rate = new[] { new { timestamp = now, value = Finite(m.WinRate * 100), episode = iterationNumber } },
            },
            max_points = 1000,
        }, episode: iterationNumber);

        if (iteration.Network is { } network)
        {
            var probe = _probes.GetValue(session, _ => new DecisionProbe((ulong)job.Seed));
            if (probe.Due(now)) Publish(session, "bot_decision", probe.Sample(network, iterationNumber), episode: iterationNumber);
        }
    }

    /// <summary>A duel against the chaser played by the current network, to show its decisions as it learns.</summary>
    private sealed class DecisionProbe(ulong seed)
    {
        private Match? _match;
        private NetworkPolicy? _policy;
        private DateTime _last = DateTime.MinValue;
        private ulong _episode;
        private readonly IFighterController _chaser = Bots.Create("chaser", FighterSpec.Standard, seed);

        public bool Due(DateTime now)
        {
            if (now - _last < DecisionEvery) return false;
            _last = now;
            return true;
        }

        public object Sample(ActorCriticNetwork network, int iteration)
        {
            // Over the learner's network itself (a resumed job trains a new one): it reads the weights live.
            if (_policy?.Network != network) _policy = new NetworkPolicy(network, 1, seed, Fighters.Greedy);
            if (_match is null || _match.IsOver)
            {
                _match?.Dispose();
                _match = new Match(ArenaConfig.Standard(2), SplitMix64.Mix(seed, _episode++));
            }
            Span<int> actions = stackalloc int[2];
            var probabilities = new float[Contract.ActionCount];
            for (int t = 0; t < 15 && !_match.IsOver; t++) // half a second of play between samples
            {
                actions[0] = _policy.Decide(_match.Observation(0), sample: !Fighters.Greedy, probabilities).Action;
                actions[1] = _chaser.Decide(_match.Observation(1));
                _match.Step(actions);
            }
            var (action, value) = _policy.Decide(_match.Observation(0), sample: !Fighters.Greedy, probabilities);
            return new
            {
                timestamp = DateTime.UtcNow,
                iteration,
                tick = _match.Tick,
                action_probabilities = Contract.ActionNames.Select((name, k) => (name, k)).ToDictionary(x => x.name, x => Math.Round(probabilities[x.k], 4)),
                state_values = value,
                selected_action = Contract.ActionNames[action],
                selected_action_index = action,
                confidence_score = Math.Round(probabilities.Max(), 4),
                observation = _match.Observation(0).ToArray(),
            };
        }
    }
}
