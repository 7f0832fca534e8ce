using System.Data.Common;
using System.Text.Json;
using Dapper;
using Ringside.Sim;

namespace Ringside.Server.Data;

/// <summary>The fighters rows: find one, its simulation spec, and its best saved model.</summary>
public static class FighterStore
{
    public static Task<Fighter?> FindAsync(DbConnection c, long id, DbTransaction? t = null) =>
        c.QuerySingleOrDefaultAsync<Fighter>("SELECT * FROM fighters WHERE id = @id", new { id }, t);

    /// <summary>Size and speed from the metadata (1 when missing): what the simulation needs of a fighter.</summary>
    public static FighterSpec SpecOf(Fighter fighter)
    {
        float Read(string key) => fighter.MetadataJson.ValueKind == JsonValueKind.Object
            && fighter.MetadataJson.TryGetProperty(key, out var v) && v.TryGetDouble(out var d) ? (float)d : 1f;
        return new FighterSpec(Read("size"), Read("speed"));
    }

    /// <summary>
    /// The fighter's best saved model over all its profiles (a model_checkpoints row): by win rate against the
    /// baselines, then mean reward, then the newest.
    /// </summary>
    public static Task<ModelCheckpoint?> BestCheckpointAsync(DbConnection c, long id) =>
        c.QueryFirstOrDefaultAsync<ModelCheckpoint>("""
            SELECT * FROM model_checkpoints WHERE fighter_id = @id
            ORDER BY COALESCE(win_rate, -1) DESC, COALESCE(avg_reward, -1e300) DESC, id DESC LIMIT 1
            """, new { id });
}
