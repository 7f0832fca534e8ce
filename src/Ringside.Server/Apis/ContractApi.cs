using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Learning.Arena;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <summary>
/// Contract v1's sizes and the units of a training budget, as a client needs them (docs/CONTRACT.md explains every value;
/// docs/SERVER.md, "Contract", the endpoint). The browser pages read them here rather than keeping copies.
/// </summary>
public sealed record ContractInfo(int Version, int ObservationSize, int ActionCount, string[] ActionNames, int IdleAction, int AttackAction,
    int TicksPerSecond, float RingHalfSize, int StepsPerIteration, int ArenasPerIteration, int StepsPerArena, long StepsPerEpoch);

public static class ContractApi
{
    public static void MapContractApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/contract", Get).WithName("getContract").WithTags("Health")
            .WithSummary("Contract v1's sizes and the training budget's units (steps per PPO iteration and per epoch)").Needs(Access.Public);
    }

    private static readonly ContractInfo Current = new(Contract.Version, Contract.ObservationSize, Contract.ActionCount, Contract.ActionNames,
        Contract.Idle, Contract.Attack, ArenaRules.TicksPerSecond, ArenaRules.RingHalfSize, ArenaTraining.DefaultPpo.BatchSize,
        ArenaTraining.DefaultPpo.NumEnvs, ArenaTraining.DefaultPpo.NumSteps, ArenaTraining.DefaultEpochSteps);

    public static Ok<ContractInfo> Get() => TypedResults.Ok(Current);
}
