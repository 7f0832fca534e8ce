namespace Ringside.Learning;

/// <summary>The figures a CartPole run is judged by (CleanRL: 490 ± 6 at 500k steps).</summary>
/// <param name="FinalMeanReturn">mean return of the last 20 episodes</param>
/// <param name="FirstStepMeanReturnGe475">first global step at which the mean of the last 20 returns reached 475 (null: never)</param>
/// <param name="Sps">environment steps per second over the whole run</param>
public sealed record CartPoleResult(double FinalMeanReturn, long? FirstStepMeanReturnGe475, double Sps, double WallSeconds,
                                    long Episodes, PhaseTimes Time);

/// <summary>Trains PPO on CartPole-v1: the library entry point behind `ringside train --env cartpole`.</summary>
public static class CartPoleRun
{
    public const int ReturnWindow = 20;
    public const double SolvedReturn = 475;

    /// <param name="config">usually <see cref="PpoConfig.CartPole"/> (CleanRL's settings) with overrides.</param>
    /// <param name="checkpointPath">where to save the trained policy (optimiser state beside it), if given.</param>
    public static CartPoleResult Run(PpoConfig config, int seed, long totalSteps, Action<IterationMetrics>? onIteration = null,
                                     string? checkpointPath = null, CancellationToken cancellation = default)
    {
        var env = new CartPoleVectorEnv(config.NumEnvs);
        using var trainer = new PpoTrainer(config, env, (ulong)seed);
        var window = new EpisodeWindow(ReturnWindow);
        long? solvedAt = null;
        trainer.EpisodeCompleted = (globalStep, episode) =>
        {
            window.Add(episode);
            if (solvedAt is null && window.Count == ReturnWindow && window.MeanReturn >= SolvedReturn) solvedAt = globalStep;
        };
        var started = System.Diagnostics.Stopwatch.StartNew();
        trainer.Train(totalSteps, onIteration, cancellation);
        double wall = started.Elapsed.TotalSeconds;
        if (checkpointPath is not null)
            trainer.SaveCheckpoint(checkpointPath, new CheckpointInfo
            {
                Environment = "cartpole",
                ContractVersion = 1,
                Metrics = new Dictionary<string, double> { ["mean_return_20"] = window.MeanReturn, ["mean_return_100"] = trainer.RecentEpisodes.MeanReturn },
            });
        return new CartPoleResult(window.MeanReturn, solvedAt, trainer.GlobalStep / wall, wall, window.Total, trainer.Times());
    }
}
