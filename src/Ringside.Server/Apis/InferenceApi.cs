using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Inference;
using Ringside.Sim;

namespace Ringside.Server.Apis;

public sealed record InferenceRequest(double[]? Observation, string? ProfileName = null, bool? Sample = null);

public sealed record InferenceResponse(int Action, string ActionName, float[] ActionProbabilities, float Value, ModelInfo ModelInfo);

/// <summary>Inference with profile selection (docs/SERVER.md, Endpoints): the action a profile's real network chooses for an observation.</summary>
public static class InferenceApi
{
    public static void MapInferenceApi(this IEndpointRouteBuilder app) =>
        app.MapPost("api/fighters/{id:long}/inference", Infer).WithName("runInference").ProducesProblem(StatusCodes.Status409Conflict).WithTags("Inference")
            .WithSummary("Action, action probabilities and value of a profile's network (default: the fighter's trained profile with the best win rate against the baseline bots)")
            .Needs(Access.Read); // it reads the model, not the data: a read key may

    public static async Task<Results<Ok<InferenceResponse>, ProblemHttpResult>> Infer(long id, InferenceRequest body, Database db, RingsideOptions options, ModelCache models)
    {
        var v = new Validation();
        if (body.Observation is null) v.Add("observation", "is required.");
        else if (body.Observation.Length != Contract.ObservationSize)
            v.Add("observation", $"must have exactly {Contract.ObservationSize} numbers (contract v{Contract.Version}), got {body.Observation.Length}.");
        else if (Array.FindIndex(body.Observation, d => !double.IsFinite(d)) is var bad and >= 0) v.Add($"observation[{bad}]", "must be a finite number.");
        if (body.ProfileName is { Length: > 64 }) v.Add("profile_name", "must be at most 64 characters.");
        if (!v.Ok) return Problems.Invalid(v);

        var profile = await models.FindProfileAsync(db, id, body.ProfileName);
        if (profile is null)
        {
            if (await db.ReadAsync(c => FighterStore.FindAsync(c, id)) is null) return Problems.NotFound("fighter", id);
            return body.ProfileName is { } n ? ProfilesApi.ProfileNotFound(id, n)
                : Problems.Field(404, "profile_name", $"fighter {id} has no trained profile yet: train one, or name a profile.");
        }
        if (profile.ModelPath is null)
            return Problems.Field(409, "profile_name", $"profile '{profile.ProfileName}' has no model yet: run a training job for it first.");

        var model = await models.GetAsync(db, options, profile);
        Span<float> observation = stackalloc float[Contract.ObservationSize];
        for (int i = 0; i < observation.Length; i++) observation[i] = (float)body.Observation![i];
        var (action, probabilities, value) = model.Decide(observation, body.Sample == true);
        return TypedResults.Ok(new InferenceResponse(action, Contract.ActionNames[action], probabilities, value, model.Info));
    }
}
