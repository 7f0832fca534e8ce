using System.Globalization;
using System.Text.Json;
using Ringside.Sim;

namespace Ringside.Learning.Arena;

/// <summary>A controller that can fight in the arena: a trained checkpoint or a scripted bot, with its fighter's metadata.</summary>
public sealed record LoadedFighter(string Name, IPolicy Policy, FighterSpec Spec, RewardWeights Weights, CheckpointInfo? Info);

public static class Fighters
{
    /// <summary>
    /// Whether a trained fighter takes its most probable action (true) or samples its policy (false), wherever it fights:
    /// arena matches, the live preview, checkups, profile evaluations, the roster's recipe and the benches. It samples
    /// the policy PPO trained. Its most probable action alone is another, weaker fighter: two greedy fighters replay the
    /// same moves from the same spawn, so a duel that locks (a lockstep trade to a double knockout, a standoff to the time
    /// limit) locks every time. Twelve 30-second models won 34-100 % (mean 88 %) of their greedy duels against a fighter
    /// of the earlier recipe and 84.5-100 % (mean 95 %) sampling, and as many against the bots either way
    /// (docs/BENCHMARKS.md, "Competence", session 17).
    /// </summary>
    public const bool Greedy = false;

    /// <summary>
    /// Loads "bot:NAME" (a scripted bot) or the path of an arena checkpoint (.safetensors) as a policy able to act on
    /// <paramref name="capacity"/> observations at once. Sampling is seeded by <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="CheckpointException">the file is not a usable arena checkpoint.</exception>
    public static LoadedFighter Load(string source, int capacity, ulong seed, bool greedy = false)
    {
        if (source.StartsWith("bot:", StringComparison.OrdinalIgnoreCase))
        {
            string bot = source[4..];
            return new LoadedFighter(source, new BotPolicy(bot, FighterSpec.Standard, seed), FighterSpec.Standard, RewardWeights.Default, null);
        }
        if (!File.Exists(source)) throw new ArgumentException($"model '{source}' does not exist (give a .safetensors checkpoint or bot:NAME).");
        var (network, info) = Checkpoint.Load(source, ArenaTraining.EnvironmentName, Contract.Version);
        if (network.Spec.ObservationSize != Contract.ObservationSize || network.Spec.ActionCount != Contract.ActionCount)
            throw new CheckpointException($"{source}: the network maps {network.Spec.ObservationSize} inputs to {network.Spec.ActionCount} actions; the arena needs {Contract.ObservationSize} to {Contract.ActionCount}.");
        return new LoadedFighter(source, new NetworkPolicy(network, capacity, seed, greedy), SpecOf(info), WeightsOf(info), info);
    }

    /// <summary>The fighter size and speed a checkpoint was trained with (standard when it does not say).</summary>
    public static FighterSpec SpecOf(CheckpointInfo info)
    {
        float Read(string key) => info.Extra.TryGetValue(key, out var text) && float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : 1f;
        var spec = new FighterSpec(Read("fighter_size"), Read("fighter_speed"));
        spec.Validate("checkpoint");
        return spec;
    }

    /// <summary>
    /// The sliders as a checkpoint's personality metadata and the roster's index store them
    /// (<c>{"aggression": 50, ..., "risk_tolerance": 50, "endurance": 50}</c>); <see cref="PersonalityOf"/> reads them back.
    /// </summary>
    public static Dictionary<string, float> SlidersOf(Personality p) => new()
    {
        ["aggression"] = p.Aggression,
        ["positioning"] = p.Positioning,
        ["targeting"] = p.Targeting,
        ["risk_tolerance"] = p.RiskTolerance,
        ["endurance"] = p.Endurance,
    };

    /// <summary>The personality a checkpoint was trained with (<see cref="ArenaTraining.Info"/> writes it; neutral where it does not say).</summary>
    /// <exception cref="CheckpointException">the personality metadata is not a JSON object of sliders.</exception>
    public static Personality PersonalityOf(CheckpointInfo info)
    {
        Dictionary<string, float> sliders;
        try { sliders = string.IsNullOrEmpty(info.Personality) ? [] : JsonSerializer.Deserialize<Dictionary<string, float>>(info.Personality) ?? []; }
        catch (JsonException e) { throw new CheckpointException($"the checkpoint's personality metadata is not a JSON object of sliders: {e.Message}", e); }
        float Slider(string key) => sliders.TryGetValue(key, out var v) ? v : 50f;
        return new Personality(Slider("aggression"), Slider("positioning"), Slider("targeting"), Slider("risk_tolerance"), Slider("endurance"));
    }

    /// <summary>The reward weights a checkpoint was trained with (the default weights when it does not say).</summary>
    public static RewardWeights WeightsOf(CheckpointInfo info)
    {
        if (!info.Extra.TryGetValue("reward_weights", out var json)) return RewardWeights.Default;
        var map = JsonSerializer.Deserialize<Dictionary<string, float>>(json) ?? [];
        Span<float> w = stackalloc float[RewardWeights.Count];
        RewardWeights.Default.CopyTo(w);
        for (int k = 0; k < RewardWeights.Count; k++)
            if (map.TryGetValue(RewardWeights.TermNames[k], out var value)) w[k] = value;
        return RewardWeights.FromSpan(w);
    }
}
