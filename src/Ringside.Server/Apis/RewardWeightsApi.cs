using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Ringside.Server.Http;

namespace Ringside.Server.Apis;

public sealed record WeightsQuery(double? Aggression, double? Positioning, double? Targeting, double? RiskTolerance, double? Endurance,
    string? TrainingMode, Dictionary<string, double>? RewardWeights) : IPersonalityRequest;

/// <summary>The reward weights a personality and mode produce: the trainer page's live preview uses the server's own mapping.</summary>
public static class RewardWeightsApi
{
    public static void MapRewardWeightsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("api/reward-weights", Preview).WithName("previewRewardWeights").WithTags("Fighter profiles")
            .WithSummary("Reward weights of a personality (aggression, positioning, targeting, risk_tolerance, endurance) under a training_mode");

    public static Results<Ok<Dictionary<string, double>>, ProblemHttpResult> Preview(double? aggression, double? positioning, double? targeting,
        [FromQuery(Name = "risk_tolerance")] double? riskTolerance, double? endurance, [FromQuery(Name = "training_mode")] string? trainingMode)
    {
        var v = new Validation();
        var setup = PersonalityInput.Read(new WeightsQuery(aggression, positioning, targeting, riskTolerance, endurance, trainingMode, null), v);
        if (setup is null) return Problems.Invalid(v);
        return TypedResults.Ok(setup.RoundedWeights);
    }
}
