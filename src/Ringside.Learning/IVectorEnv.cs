namespace Ringside.Learning;

/// <summary>
/// A batch of environments stepped together, PufferLib style: the caller owns every buffer, nothing is
/// allocated per step, and an environment whose episode ends resets itself inside <see cref="Step"/>.
/// Buffers are row-major: observations are [EnvCount, ObservationSize], everything else [EnvCount].
/// </summary>
public interface IVectorEnv
{
    int EnvCount { get; }
    int ObservationSize { get; }
    int ActionCount { get; }

    /// <summary>Starts every environment afresh from <paramref name="seed"/> and writes the first observations.</summary>
    void Reset(ulong seed, Span<float> observations);

    /// <summary>
    /// Lets the environment's own agents (its opponents) decide on the current observations now, so that a caller can run
    /// this on another thread while it chooses its actions. The next <see cref="Step"/> uses those decisions and does the
    /// same, bit for bit, as when this was not called.
    /// </summary>
    void PrepareStep() { }

    /// <summary>
    /// Applies one action per environment. For an environment whose episode ended on this step
    /// (terminal: it ended by its own logic; truncated: cut off by a time limit, so its value should be
    /// bootstrapped), <paramref name="finalObservations"/> receives the last observation of that episode
    /// and <paramref name="observations"/> the first observation of the next one.
    /// </summary>
    void Step(ReadOnlySpan<int> actions, Span<float> observations, Span<float> rewards,
              Span<bool> terminals, Span<bool> truncations, Span<float> finalObservations);

    /// <summary>The episodes that ended during the last <see cref="Step"/>; valid until the next call.</summary>
    ReadOnlySpan<EpisodeEnd> CompletedEpisodes { get; }
}

/// <summary>Summary of one finished episode. <see cref="Won"/> is 1 for a win, 0 otherwise (CartPole: reached the limit).</summary>
public readonly record struct EpisodeEnd(int Env, float Return, int Length, float Won);
