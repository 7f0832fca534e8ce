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
        Assert.Equal((int)Math.Round(vsIdle.WinRate * 100), vsIdle.KnockoutsDealt + vsIdle.RingOutsDealt);
        Assert.True(vsRandom.Fingerprint.AttacksPerSecond > 0.5, "a chaser attacks often");
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
        Assert.Equal(0, a.Fingerprint.DamageDealtPerEpisode);
        Assert.True(a.WinRate < 0.1);
        Assert.True(a.Fingerprint.DamageTakenPerEpisode > 0);
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
