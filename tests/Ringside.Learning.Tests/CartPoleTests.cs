namespace Ringside.Learning.Tests;

public class CartPoleTests
{
    /// <summary>One step of Gymnasium's cartpole.py from a known state, worked out by hand from its equations.</summary>
    [Fact]
    public void StepFollowsGymnasiumDynamics()
    {
        var env = new CartPoleVectorEnv(1);
        var obs = new float[4];
        env.Reset(3, obs);
        double x = obs[0], xDot = obs[1], theta = obs[2], thetaDot = obs[3];
        Assert.All(obs, v => Assert.InRange(v, -0.05f, 0.05f));

        float[] next = new float[4], reward = new float[1], final = new float[4];
        bool[] terminal = new bool[1], truncated = new bool[1];
        env.Step([1], next, reward, terminal, truncated, final);

        // The env keeps doubles; the observation above was rounded to float, so compare loosely.
        double temp = (10.0 + 0.05 * thetaDot * thetaDot * Math.Sin(theta)) / 1.1;
        double thetaAcc = (9.8 * Math.Sin(theta) - Math.Cos(theta) * temp) / (0.5 * (4.0 / 3.0 - 0.1 * Math.Cos(theta) * Math.Cos(theta) / 1.1));
        double xAcc = temp - 0.05 * thetaAcc * Math.Cos(theta) / 1.1;
        Assert.Equal(x + 0.02 * xDot, next[0], 1e-6);
        Assert.Equal(xDot + 0.02 * xAcc, next[1], 1e-6);
        Assert.Equal(theta + 0.02 * thetaDot, next[2], 1e-6);
        Assert.Equal(thetaDot + 0.02 * thetaAcc, next[3], 1e-6);
        Assert.Equal(1f, reward[0]);
        Assert.False(terminal[0] || truncated[0]);
    }

    [Fact]
    public void FallingPoleTerminatesWithRewardAndResets()
    {
        var env = new CartPoleVectorEnv(1);
        float[] obs = new float[4], reward = new float[1], final = new float[4];
        bool[] terminal = new bool[1], truncated = new bool[1];
        env.Reset(1, obs);
        int steps = 0;
        do { env.Step([1], obs, reward, terminal, truncated, final); steps++; } while (!terminal[0] && steps < 1000);
        Assert.True(terminal[0]);
        Assert.False(truncated[0]);
        Assert.Equal(1f, reward[0]); // the terminating step is rewarded too
        Assert.True(Math.Abs(final[2]) > 12 * 2 * Math.PI / 360 || Math.Abs(final[0]) > 2.4);
        Assert.All(obs, v => Assert.InRange(v, -0.05f, 0.05f)); // already the next episode
        var episode = Assert.Single(env.CompletedEpisodes.ToArray());
        Assert.Equal(steps, episode.Length);
        Assert.Equal(steps, episode.Return);
        Assert.Equal(0f, episode.Won);
    }

    [Fact]
    public void BalancedPoleIsTruncatedAt500()
    {
        // A hand-made controller: push towards where the pole is falling.
        var env = new CartPoleVectorEnv(1);
        float[] obs = new float[4], reward = new float[1], final = new float[4];
        bool[] terminal = new bool[1], truncated = new bool[1];
        env.Reset(2, obs);
        for (int step = 1; step <= 500; step++)
        {
            int action = obs[2] + 0.5f * obs[3] + 0.01f * obs[0] + 0.1f * obs[1] > 0 ? 1 : 0;
            env.Step([action], obs, reward, terminal, truncated, final);
            Assert.False(terminal[0]);
            Assert.Equal(step == 500, truncated[0]);
        }
        Assert.Equal(1f, Assert.Single(env.CompletedEpisodes.ToArray()).Won);
    }
}
