using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>
/// How a profile's model fights the baseline bots: 1v1 against each, seeded, playing as in the arena
/// (<see cref="Fighters.Greedy"/>). A finished training job stores it with the profile, and <c>ringside export</c> puts it
/// in the exported document.
/// </summary>
/// <param name="WinRate">Mean win rate over the baselines (0 to 1).</param>
/// <param name="Evaluation">Per bot: win_rate, draw_rate, mean_reward, episodes, mean_seconds, knockouts_dealt, ring_outs_dealt, wins_by_decision.</param>
/// <param name="Fingerprint">How it plays, averaged over the baselines: attacks per second, distances, damage.</param>
public sealed record ProfileEvaluation(double WinRate, double MeanReward, JsonElement Evaluation, JsonElement Fingerprint)
{
    public static readonly string[] Baselines = ["chaser", "cautious", "random"];

    /// <param name="seed">seeds the episodes; the policy's own randomness is seeded from it too.</param>
    public static ProfileEvaluation Run(string modelPath, ulong seed, RewardWeights weights, int maxTicks, int episodes)
    {
        var me = Fighters.Load(modelPath, episodes, seed ^ 0xE7A1, Fighters.Greedy);
        var results = Baselines.Select(bot => Learning.Arena.Evaluation.Run(me.Policy, new EvaluationOptions
        {
            Opponents = [bot],
            Fighters = 2,
            Episodes = episodes,
            Seed = seed,
            Learner = me.Spec,
            Weights = weights,
            MaxTicks = maxTicks,
        })).ToList();

        var evaluation = JsonSerializer.SerializeToElement(results.ToDictionary(e => e.Opponents, e => new
        {
            win_rate = e.WinRate,
            draw_rate = e.DrawRate,
            mean_reward = e.MeanReward,
            episodes = e.Episodes,
            mean_seconds = e.MeanSeconds,
            knockouts_dealt = e.KnockoutsDealt,
            ring_outs_dealt = e.RingOutsDealt,
            wins_by_decision = e.WinsByDecision,
        }));
        var fingerprint = JsonSerializer.SerializeToElement(new
        {
            attacks_per_second = Mean(e => e.AttacksPerSecond),
            mean_distance_to_edge = Mean(e => e.MeanDistanceToEdge),
            mean_distance_to_nearest_enemy = Mean(e => e.MeanDistanceToNearestEnemy),
            damage_dealt_per_episode = Mean(e => e.DamageDealtPerEpisode),
            damage_taken_per_episode = Mean(e => e.DamageTakenPerEpisode),
            rung_out_per_episode = Mean(e => e.RungOutPerEpisode),
            health_kept = Mean(e => e.HealthKept),
            seconds_survived = Mean(e => e.SecondsSurvived),
        });
        return new ProfileEvaluation(results.Average(e => e.WinRate), results.Average(e => e.MeanReward), evaluation, fingerprint);

        double Mean(Func<BehaviourFingerprint, double> pick) => results.Average(e => pick(e.Fingerprint));
    }
}
