using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Ringside.Server.Data;
using Ringside.Server.Http;

namespace Ringside.Server.Profiles;

/// <summary>
/// The fighter_profiles rows: find, insert, and the two ways a fighter's profile is chosen when none is named
/// (<see cref="BestByWinRateAsync"/> for inference, <see cref="BestByRatingAsync"/> for the arena's default AI).
/// </summary>
public static partial class ProfileStore
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")]
    private static partial Regex NamePattern();

    /// <summary>1-64 letters, digits, spaces, '_', '-' or '.', starting with a letter or digit.</summary>
    public static void ValidateName(string? name, Validation v, string field = "profile_name")
    {
        if (v.Required(name, field, 64) is { } n && !NamePattern().IsMatch(n))
            v.Add(field, "must be 1-64 letters, digits, spaces, '_', '-' or '.', starting with a letter or digit.");
    }

    public static Task<FighterProfile?> FindAsync(DbConnection c, long fighterId, string name, DbTransaction? t = null) =>
        c.QuerySingleOrDefaultAsync<FighterProfile>("SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId AND profile_name = @name",
            new { fighterId, name }, t);

    /// <summary>Inserts a profile row (every column the API shows) and sets its id.</summary>
    public static async Task InsertAsync(DbConnection c, DbTransaction t, FighterProfile p) =>
        p.Id = await c.ExecuteScalarAsync<long>($"""
            INSERT INTO fighter_profiles (fighter_id, profile_name, {PersonalityColumns.Names},
                training_mode, reward_weights, model_path, model_version, win_rate, total_episodes, avg_reward, evaluation, fingerprint,
                created_at, updated_at)
            VALUES (@FighterId, @ProfileName, {PersonalityColumns.Values}, @TrainingMode,
                @RewardWeights, @ModelPath, @ModelVersion, @WinRate, @TotalEpisodes, @AvgReward, @Evaluation, @Fingerprint, @CreatedAt, @UpdatedAt)
            RETURNING id
            """, p, t);

    /// <summary>
    /// The trained profile that beats the baseline bots most often (then the newest model): what inference uses when
    /// a request names no profile.
    /// </summary>
    public static Task<FighterProfile?> BestByWinRateAsync(DbConnection c, long fighterId) =>
        c.QueryFirstOrDefaultAsync<FighterProfile>("""
            SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId AND model_path IS NOT NULL
            ORDER BY COALESCE(win_rate, -1) DESC, model_version DESC LIMIT 1
            """, new { fighterId });

    /// <summary>
    /// The trained profile with the highest rating from live matches (mu - 3 sigma, then win rate): the fighter's
    /// default AI in the arena.
    /// </summary>
    public static Task<FighterProfile?> BestByRatingAsync(DbConnection c, long fighterId) =>
        c.QueryFirstOrDefaultAsync<FighterProfile>("""
            SELECT * FROM fighter_profiles WHERE fighter_id = @fighterId AND model_path IS NOT NULL
            ORDER BY rating_mu - 3 * rating_sigma DESC, COALESCE(win_rate, -1) DESC LIMIT 1
            """, new { fighterId });
}
