using System.Text.Json;
using System.Text.Json.Serialization;
using Ringside.Sim;

namespace Ringside.Cli;

/// <summary>A personality profile as a JSON file (the server's profile fields; it exports the same shape).</summary>
public static class ProfileJson
{
    public sealed record Profile
    {
        [JsonPropertyName("name")] public string? Name { get; init; }
        [JsonPropertyName("aggression")] public float Aggression { get; init; } = 50;
        [JsonPropertyName("positioning")] public float Positioning { get; init; } = 50;
        [JsonPropertyName("targeting")] public float Targeting { get; init; } = 50;
        [JsonPropertyName("risk_tolerance")] public float RiskTolerance { get; init; } = 50;
        [JsonPropertyName("endurance")] public float Endurance { get; init; } = 50;
        [JsonPropertyName("training_mode")] public string? TrainingMode { get; init; }
        [JsonPropertyName("reward_weights")] public Dictionary<string, float>? Weights { get; init; }

        /// <summary>Directly set weights, the missing terms taken from the personality and mode.</summary>
        [JsonIgnore]
        public RewardWeights? RewardWeights
        {
            get
            {
                if (Weights is null) return null;
                var personality = new Personality(Aggression, Positioning, Targeting, RiskTolerance, Endurance);
                try { return Sim.RewardWeights.For(personality, TrainingModes.Parse(TrainingMode ?? "tactical")).With(Weights); }
                catch (ArgumentException e) { throw new ArgumentException($"profile: {e.Message}"); }
            }
        }
    }

    public static Profile Read(string path)
    {
        if (!File.Exists(path)) throw new ArgumentException($"profile file '{path}' does not exist.");
        try
        {
            return JsonSerializer.Deserialize<Profile>(File.ReadAllText(path), new JsonSerializerOptions { AllowTrailingCommas = true })
                   ?? throw new ArgumentException($"profile file '{path}' is empty.");
        }
        catch (JsonException e) { throw new ArgumentException($"profile file '{path}' is not valid JSON: {e.Message}"); }
    }
}
