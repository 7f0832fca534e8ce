using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;
using Xunit.Abstractions;

namespace Ringside.Learning.Tests.Arena;

public class ArenaEnvTests(ITestOutputHelper output)
{
    [Fact]
    public void Chaser_as_a_policy_beats_idle_and_random_in_evaluation()
    {
        var chaser = new BotPolicy("chaser", FighterSpec.Standard, 1);
        var vsIdle = Evaluation.Run(chaser, new EvaluationOptions { Opponents = ["idle"], Episodes = 100, Seed = 3 });
        var vsRandom = Evaluation.Run(chaser, new EvaluationOptions { Opponents = ["random"], Episodes = 100, Seed = 3 });
        output.WriteLine($"chaser vs idle {vsIdle.WinRate:P0}, vs random {vsRandom.WinRate:P0}; fingerprint {vsRandom.Fingerprint}");
        Assert.True(vsIdle.WinRate >= 0.9, $"chaser vs idle {vsIdle.WinRate}");
        Assert.True(vsRandom.WinRate >= 0.9, $"chaser vs random {vsRandom.WinRate}");
        Assert.Equal(0, vsIdle.KnockedOut + vsIdle.RungOut); // idle never attacks; ropes stop voluntary moves
        Assert.Equal(0, vsIdle.WinsByDecision); // every win eliminates the idle bot long before the time limit
        Assert.Equal((int)Math.Round(vsIdle.WinRate * 100), vsIdle.KnockoutsDealt + vsIdle.RingOutsDealt);
        Assert.True(vsRandom.Fingerprint.AttacksPerSecond > 0.5, "a chaser attacks often");
        Assert.True(vsIdle.Fingerprint.TimeExposed > 0, "the chaser stands within reach of the idle bot, whose attack is always ready");
    }

    [Fact]
    public void Evaluation_is_repeatable_and_idle_attacks_never()
    {
        var idle = new BotPolicy("idle", FighterSpec.Standard, 1);
        var options = new EvaluationOptions { Opponents = ["chaser"], Episodes = 20, Seed = 9 };
        var a = Evaluation.Run(idle, options);
        var b = Evaluation.Run(idle, options);
        Assert.Equal(a, b);
        Assert.Equal(0, a.Fingerprint.AttacksPerSecond);
        Assert.Equal(0, a.WinsByDecision);
        Assert.Equal(0, a.Fingerprint.DamageDealtPerEpisode);
        Assert.True(a.WinRate < 0.1);
        Assert.True(a.Fingerprint.DamageTakenPerEpisode > 0);
        Assert.True(a.Fingerprint.TimeExposed > 0, "the chaser comes into reach with its attack ready");
    }

    [Fact]
    public void Evaluation_tells_standoffs_from_fighters_going_down_together()
    {
        // Two idle bots stand until the time limit, level on health; two chasers trade blow for blow (same stats, same
        // timing) until they knock each other out on the same tick.
        var idle = Evaluation.Run(new BotPolicy("idle", FighterSpec.Standard, 1), new EvaluationOptions { Opponents = ["idle"], Episodes = 20, Seed = 4, MaxTicks = 60 });
        var chasers = Evaluation.Run(new BotPolicy("chaser", FighterSpec.Standard, 1), new EvaluationOptions { Opponents = ["chaser"], Episodes = 20, Seed = 4 });
        output.WriteLine($"idle v idle: {idle.DrawsAtTimeLimit} at the time limit, {idle.DrawsAllDown} down together; " +
                         $"chaser v chaser: {chasers.DrawsAtTimeLimit}, {chasers.DrawsAllDown}, {chasers.KnockedOut} knocked out");
        Assert.Equal((1.0, 20, 0), (idle.DrawRate, idle.DrawsAtTimeLimit, idle.DrawsAllDown));
        Assert.Equal(0, idle.LossRate);
        Assert.Equal((1.0, 0, 20), (chasers.DrawRate, chasers.DrawsAtTimeLimit, chasers.DrawsAllDown));
        Assert.Equal(20, chasers.KnockedOut);
        Assert.Equal(20, chasers.KnockoutsDealt);
    }

    [Fact]
    public void Vector_env_reports_episodes_final_observations_and_term_means()
    {
        using var env = new ArenaVectorEnv(new ArenaEnvOptions { Envs = 8, Bots = ["chaser"], MaxTicks = 300 });
        var obs = new float[8 * 30];
        var next = new float[8 * 30];
        var final = new float[8 * 30];
        var rewards = new float[8];
        var terminals = new bool[8];
        var truncations = new bool[8];
        var actions = new int[8];
        env.Reset(5, obs);
        Assert.Contains(obs, v => v != 0);

        int episodes = 0, truncated = 0;
        for (int t = 0; t < 1500; t++)
        {
            Array.Fill(actions, Contract.Idle); // an idle learner loses to a chaser
            env.Step(actions, next, rewards, terminals, truncations, final);
            foreach (var end in env.CompletedEpisodes)
            {
                episodes++;
                Assert.True(terminals[end.Env] || truncations[end.Env]);
                Assert.Equal(0f, end.Won);
                if (truncations[end.Env]) truncated++;
                Assert.True(end.Length > 0 && end.Length <= 300);
            }
        }
        Assert.True(episodes >= 8, $"episodes {episodes}");
        Span<double> means = stackalloc double[RewardWeights.Count];
        env.TakeTermMeans(means);
        Assert.True(means[(int)RewardTerm.Survival] > 0);
        Assert.True(means[(int)RewardTerm.DamageTaken] > 0);
        Assert.Equal(0, means[(int)RewardTerm.AttackHit]);
    }
}

public class SelfPlayTests
{
    private static int LearnerWins(ArenaVectorEnv env, int steps)
    {
        var obs = new float[env.EnvCount * 30];
        var final = new float[env.EnvCount * 30];
        var rewards = new float[env.EnvCount];
        var terminals = new bool[env.EnvCount];
        var truncations = new bool[env.EnvCount];
        var actions = new int[env.EnvCount];
        var chaser = new BotPolicy("chaser", FighterSpec.Standard, 1);
        env.Reset(3, obs);
        int wins = 0;
        for (int t = 0; t < steps; t++)
        {
            chaser.Act(obs, env.EnvCount, actions); // the learner plays a chaser
            env.Step(actions, obs, rewards, terminals, truncations, final);
            foreach (var end in env.CompletedEpisodes) wins += (int)end.Won;
        }
        return wins;
    }

    [Fact]
    public void Pool_policies_control_the_opponents()
    {
        // Self-play only: with an idle policy in the pool the learner (a chaser) wins every episode it ends;
        // with a chaser in the pool, fights are even and the learner loses some.
        using var vsIdle = new ArenaVectorEnv(new ArenaEnvOptions { Envs = 8, Bots = [], SelfPlayRatio = 1, MaxTicks = 600 });
        vsIdle.AddToPool(new BotPolicy("idle", FighterSpec.Standard, 2));
        using var vsChaser = new ArenaVectorEnv(new ArenaEnvOptions { Envs = 8, Bots = [], SelfPlayRatio = 1, MaxTicks = 600 });
        vsChaser.AddToPool(new BotPolicy("chaser", FighterSpec.Standard, 2));

        int winsVsIdle = LearnerWins(vsIdle, 1200), winsVsChaser = LearnerWins(vsChaser, 1200);
        Assert.True(winsVsIdle >= 40, $"a chaser should beat idle pool opponents in most of its episodes, won {winsVsIdle}");
        Assert.True(winsVsChaser < winsVsIdle / 2, $"against a chaser pool it should win far less: {winsVsChaser} vs {winsVsIdle}");
    }

    [Fact]
    public void Self_play_only_without_a_snapshot_faces_idle_opponents()
    {
        using var env = new ArenaVectorEnv(new ArenaEnvOptions { Envs = 4, Bots = [], SelfPlayRatio = 1, MaxTicks = 300 });
        Assert.True(LearnerWins(env, 600) > 0);
    }

    [Fact]
    public void Opponents_deciding_on_another_thread_give_the_same_steps()
    {
        // Two identical envs in lockstep, duels and free-for-alls, bots and sampled network snapshots as opponents; one
        // lets its opponents decide on another thread (PrepareStep) while the learner acts, as the trainer does; the other
        // decides them inside Step. Snapshots join the pool as the rollout goes, beyond its capacity, as in training.
        var options = new ArenaEnvOptions { Envs = 16, Fighters = [2, 4], SelfPlayRatio = 0.5, MaxTicks = 120 };
        using var overlapped = new ArenaVectorEnv(options);
        using var inline = new ArenaVectorEnv(options);
        var spec = new NetworkSpec(Contract.ObservationSize, Contract.ActionCount, [16], Activation.Tanh, SharedTrunk: true);
        var learner = new NetworkPolicy(new ActorCriticNetwork(spec, 5), overlapped.EnvCount, seed: 6);
        int n = overlapped.EnvCount, size = overlapped.ObservationSize;
        float[] obsA = new float[n * size], obsB = new float[n * size], finalA = new float[n * size], finalB = new float[n * size];
        float[] rewardsA = new float[n], rewardsB = new float[n];
        bool[] terminalsA = new bool[n], terminalsB = new bool[n], truncationsA = new bool[n], truncationsB = new bool[n];
        int[] actions = new int[n];
        overlapped.Reset(7, obsA);
        inline.Reset(7, obsB);
        int episodes = 0;
        for (int step = 0; step < 400; step++)
        {
            if (step % 40 == 0)
                foreach (var env in new[] { overlapped, inline })
                    env.AddToPool(new NetworkPolicy(new ActorCriticNetwork(spec, (ulong)step), env.OpponentCapacity, (ulong)step), capacity: 3);
            Parallel.Invoke(overlapped.PrepareStep, () => learner.Act(obsA, n, actions));
            overlapped.Step(actions, obsA, rewardsA, terminalsA, truncationsA, finalA);
            inline.Step(actions, obsB, rewardsB, terminalsB, truncationsB, finalB);
            Assert.Equal(obsB, obsA);
            Assert.Equal(rewardsB, rewardsA);
            Assert.Equal(terminalsB, terminalsA);
            Assert.Equal(truncationsB, truncationsA);
            episodes += overlapped.CompletedEpisodes.Length;
        }
        Assert.True(episodes > 16, $"the rollout should cross episode ends (and draw new opponents), ended {episodes}");
    }

    [Fact]
    public void The_pool_keeps_the_newest_snapshots()
    {
        using var env = new ArenaVectorEnv(new ArenaEnvOptions { Envs = 2 });
        var policies = Enumerable.Range(0, 5).Select(k => new BotPolicy("idle", FighterSpec.Standard, (ulong)k)).ToArray();
        foreach (var p in policies) env.AddToPool(p, capacity: 3);
        Assert.Equal(policies[2..], env.Pool);
    }
}
