using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;

namespace Ringside.Server.Http;

/// <summary>
/// Pages of every list endpoint (docs/SERVER.md, Limits): a list of records (episodes, frames, jobs, matches, replays)
/// takes a <c>limit</c> of 1 to <c>Ringside:Limits:MaxPageSize</c>; a series of points (a session's history, a job's
/// metrics, a replay's frames) takes 1 to <see cref="MaxSeriesPage"/>, as many as a session keeps by default.
/// </summary>
public static class Paging
{
    public const int MaxSeriesPage = 10_000;

    /// <summary>Checks a page of records: <paramref name="skip"/> 0 or more, <paramref name="limit"/> 1 to the largest page.</summary>
    public static void Records(Validation v, RingsideOptions options, int skip, int limit, string skipName = "skip") =>
        Check(v, skip, limit, options.Limits.MaxPageSize, skipName);

    /// <summary>Checks a page of a series of points.</summary>
    public static void Series(Validation v, int offset, int limit, string offsetName = "offset") => Check(v, offset, limit, MaxSeriesPage, offsetName);

    private static void Check(Validation v, int skip, int limit, int maxLimit, string skipName)
    {
        v.Range(skip, 0, int.MaxValue, skipName);
        v.Range(limit, 1, maxLimit, "limit");
    }

    /// <param name="parent">what the rows belong to, for the 404 ("fighter", "episode").</param>
    /// <param name="parentExistsSql">one row when the parent exists; <paramref name="countSql"/> and <paramref name="pageSql"/>
    /// select by @id, the page also by @limit and @skip.</param>
    public static async Task<Results<Ok<IEnumerable<T>>, ProblemHttpResult>> PageAsync<T>(Database db, RingsideOptions options, HttpResponse response,
        long id, int skip, int limit, string parent, string parentExistsSql, string countSql, string pageSql)
    {
        var v = new Validation();
        Records(v, options, skip, limit);
        if (!v.Ok) return Problems.Invalid(v);
        return await db.ReadAsync(async c =>
        {
            if (await c.ExecuteScalarAsync<long?>(parentExistsSql, new { id }) is null)
                return (Results<Ok<IEnumerable<T>>, ProblemHttpResult>)Problems.NotFound(parent, id);
            response.Headers["X-Total-Count"] = (await c.ExecuteScalarAsync<long>(countSql, new { id })).ToString();
            return TypedResults.Ok(await c.QueryAsync<T>(pageSql, new { id, limit, skip }));
        });
    }
}
