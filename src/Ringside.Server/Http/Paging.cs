using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Ringside.Server.Data;

namespace Ringside.Server.Http;

/// <summary>A page (skip/limit) of the rows that belong to one parent row, with the total in X-Total-Count.</summary>
public static class Paging
{
    /// <param name="parent">what the rows belong to, for the 404 ("fighter", "episode").</param>
    /// <param name="parentExistsSql">one row when the parent exists; <paramref name="countSql"/> and <paramref name="pageSql"/>
    /// select by @id, the page also by @limit and @skip.</param>
    public static async Task<Results<Ok<IEnumerable<T>>, ProblemHttpResult>> PageAsync<T>(Database db, RingsideOptions options, HttpResponse response,
        long id, int skip, int limit, string parent, string parentExistsSql, string countSql, string pageSql)
    {
        var v = new Validation();
        v.Range(skip, 0, int.MaxValue, "skip");
        v.Range(limit, 1, options.Limits.MaxPageSize, "limit");
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
