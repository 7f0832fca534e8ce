namespace Ringside.Learning;

/// <summary>
/// Gymnasium's CartPole-v1 (classic_control/cartpole.py with TimeLimit 500), batched as an <see cref="IVectorEnv"/>:
/// same constants, Euler integration and termination, reward 1 on every step including the one that ends the
/// episode, start state uniform(−0.05, 0.05). Physics in double as Gymnasium's numpy; observations in float.
/// Episodes cut at 500 steps are truncations (bootstrapped), and count as won.
/// </summary>
public sealed class CartPoleVectorEnv : IVectorEnv
{
    public const int MaxEpisodeSteps = 500;
    private const double Gravity = 9.8, MassCart = 1.0, MassPole = 0.1, TotalMass = MassPole + MassCart;
    private const double Length = 0.5; // actually half the pole's length
    private const double PoleMassLength = MassPole * Length, ForceMag = 10.0, Tau = 0.02;
    private const double ThetaThresholdRadians = 12 * 2 * Math.PI / 360, XThreshold = 2.4;

    private readonly double[] _state; // [envs, 4]: x, x_dot, theta, theta_dot
    private readonly int[] _elapsedSteps;
    private readonly EpisodeEnd[] _completed;
    private int _completedCount;
    private Rng _rng = new(0);

    public CartPoleVectorEnv(int envCount)
    {
        if (envCount <= 0) throw new ArgumentOutOfRangeException(nameof(envCount));
        EnvCount = envCount;
        _state = new double[envCount * 4];
        _elapsedSteps = new int[envCount];
        _completed = new EpisodeEnd[envCount];
    }

    public int EnvCount { get; }
    public int ObservationSize => 4;
    public int ActionCount => 2;
    public ReadOnlySpan<EpisodeEnd> CompletedEpisodes => _completed.AsSpan(0, _completedCount);

    public void Reset(ulong seed, Span<float> observations)
    {
        _rng = new Rng(seed, stream: 0xCA27);
        _completedCount = 0;
        for (int e = 0; e < EnvCount; e++) ResetOne(e, observations);
    }

    public void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards,
                     Span<bool> terminals, Span<bool> truncations, Span<float> finalObservations)
    {
        _completedCount = 0;
        for (int e = 0; e < EnvCount; e++)
        {
            var s = _state.AsSpan(e * 4, 4);
            double x = s[0], xDot = s[1], theta = s[2], thetaDot = s[3];
            double force = actions[e] == 1 ? ForceMag : -ForceMag;
            double cosTheta = Math.Cos(theta), sinTheta = Math.Sin(theta);
            // For the interested reader: https://coneural.org/florian/papers/05_cart_pole.pdf
            double temp = (force + PoleMassLength * thetaDot * thetaDot * sinTheta) / TotalMass;
            double thetaAcc = (Gravity * sinTheta - cosTheta * temp)
                              / (Length * (4.0 / 3.0 - MassPole * cosTheta * cosTheta / TotalMass));
            double xAcc = temp - PoleMassLength * thetaAcc * cosTheta / TotalMass;
            // euler
            x += Tau * xDot;
            xDot += Tau * xAcc;
            theta += Tau * thetaDot;
            thetaDot += Tau * thetaAcc;
            (s[0], s[1], s[2], s[3]) = (x, xDot, theta, thetaDot);

            bool terminated = x < -XThreshold || x > XThreshold || theta < -ThetaThresholdRadians || theta > ThetaThresholdRadians;
            int elapsed = ++_elapsedSteps[e];
            bool truncated = !terminated && elapsed >= MaxEpisodeSteps;
            rewards[e] = 1f;
            terminals[e] = terminated;
            truncations[e] = truncated;
            Observe(e, observations);
            if (terminated || truncated)
            {
                observations.Slice(e * 4, 4).CopyTo(finalObservations.Slice(e * 4, 4));
                _completed[_completedCount++] = new EpisodeEnd(e, Return: elapsed, Length: elapsed, Won: truncated ? 1f : 0f);
                ResetOne(e, observations);
            }
        }
    }

    private void ResetOne(int e, Span<float> observations)
    {
        for (int i = 0; i < 4; i++) _state[e * 4 + i] = _rng.NextDouble(-0.05, 0.05);
        _elapsedSteps[e] = 0;
        Observe(e, observations);
    }

    private void Observe(int e, Span<float> observations)
    {
        for (int i = 0; i < 4; i++) observations[e * 4 + i] = (float)_state[e * 4 + i];
    }
}
