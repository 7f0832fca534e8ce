using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;
using Ringside.Server.Http;
using Ringside.Server.Training;
using Ringside.Sim;

namespace Ringside.Server.Apis;

/// <param name="Role">this node's role (all, api or worker); <paramref name="Nodes"/>: the cluster's workers as Quartz sees them.</param>
public sealed record Health(string Status, string Version, string Database, int SchemaVersion, int ContractVersion, long RunningJobs, DateTime Time,
    string Role, string Node, IReadOnlyList<ClusterNode> Nodes);

public static class HealthApi
{
    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", Check).WithName("getHealth").WithTags("Health").WithSummary("Server health").Needs(Access.Public);
        app.MapGet("/api/health", Check).WithName("getApiHealth").WithTags("Health").WithSummary("Server health").Needs(Access.Public);
    }

    public static async Task<Ok<Health>> Check(Database db, RingsideOptions options)
    {
        var (schema, running) = await db.ReadAsync(async c => (await Schema.CurrentAsync(c),
            await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM training_jobs WHERE status = 'running'")));
        return TypedResults.Ok(new Health("healthy", typeof(HealthApi).Assembly.GetName().Version?.ToString() ?? "0", db.Provider.ToString().ToLowerInvariant(),
            schema, Contract.Version, running, DateTime.UtcNow, options.Cluster.Role, options.Cluster.NodeName, await ClusterNodes.ListAsync(db, options)));
    }
}
