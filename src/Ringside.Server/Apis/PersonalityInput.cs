using System.Text.Json;
using Ringside.Server.Http;
using Ringside.Server.Profiles;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <summary>The personality part of a profile or a training job: five sliders, a mode and optional direct weights.</summary>
public interface IPersonalityRequest
{
    double? Aggression { get; }
    double? Positioning { get; }
    double? Targeting { get; }
    double? RiskTolerance { get; }
    double? Endurance { get; }
    string? TrainingMode { get; }
    Dictionary<string, double>? RewardWeights { get; }
}

public sealed record PersonalitySetup(Personality Personality, TrainingMode Mode, RewardWeights Weights, Dictionary<string, double>? Overrides)
{
    public Dictionary<string, double> RoundedWeights => Weights.ToDictionary().ToDictionary(w => w.Key, w => Math.Round((double)w.Value, 5));
    public JsonElement WeightsJson => JsonSerializer.SerializeToElement(RoundedWeights);
}

/// <summary>The request side of the one personality mapping (<see cref="PersonalityColumns"/> is the row side).</summary>
public static class PersonalityInput
{
    /// <summary>A stored row's sliders and mode read as a request (an imported profile is validated like a new one).</summary>
    public static IPersonalityRequest Of(IPersonalityRow row, string trainingMode) => new RowRequest(row, trainingMode);

    private sealed record RowRequest(IPersonalityRow Row, string? TrainingMode) : IPersonalityRequest
    {
        public double? Aggression => Row.Aggression;
        public double? Positioning => Row.Positioning;
        public double? Targeting => Row.Targeting;
        public double? RiskTolerance => Row.RiskTolerance;
        public double? Endurance => Row.Endurance;
        public Dictionary<string, double>? RewardWeights => null;
    }

    /// <summary>Validates the fields; missing sliders are neutral (50), the mode tactical.</summary>
    public static PersonalitySetup? Read(IPersonalityRequest r, Validation v, PersonalitySetup? current = null)
    {
        v.Range(r.Aggression, 0, 100, "aggression");
        v.Range(r.Positioning, 0, 100, "positioning");
        v.Range(r.Targeting, 0, 100, "targeting");
        v.Range(r.RiskTolerance, 0, 100, "risk_tolerance");
        v.Range(r.Endurance, 0, 100, "endurance");
        TrainingMode mode = current?.Mode ?? Sim.TrainingMode.Tactical;
        if (r.TrainingMode is { } text)
        {
            if (Enum.TryParse<TrainingMode>(text, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(text, out _)) mode = parsed;
            else v.Add("training_mode", $"'{text}' is not a training mode; expected survival, aggression, tactical, adaptation or tournament.");
        }
        if (r.RewardWeights is { } overrides)
            foreach (var (term, value) in overrides)
            {
                if (Array.IndexOf(Sim.RewardWeights.TermNames, term) < 0)
                    v.Add($"reward_weights.{term}", $"is not a reward term; expected {string.Join(", ", Sim.RewardWeights.TermNames)}.");
                else v.Range(value, -1000, 1000, $"reward_weights.{term}");
            }
        if (!v.Ok) return null;
        var old = current?.Personality ?? Personality.Neutral;
        var personality = new Personality(
            (float)(r.Aggression ?? old.Aggression), (float)(r.Positioning ?? old.Positioning), (float)(r.Targeting ?? old.Targeting),
            (float)(r.RiskTolerance ?? old.RiskTolerance), (float)(r.Endurance ?? old.Endurance));
        var finalOverrides = r.RewardWeights ?? current?.Overrides;
        var weights = Sim.RewardWeights.For(personality, mode).With(finalOverrides?.ToDictionary(kv => kv.Key, kv => (float)kv.Value));
        return new PersonalitySetup(personality, mode, weights, finalOverrides);
    }
}
