using Ringside.Sim;

namespace Ringside.Server.Profiles;

/// <summary>
/// A row that stores a personality as its five slider columns (a profile, a training job). <see cref="Personality"/>
/// is the one type of the sliders; <see cref="PersonalityColumns"/> is the one mapping between it and the columns.
/// </summary>
public interface IPersonalityRow
{
    double Aggression { get; set; }
    double Positioning { get; set; }
    double Targeting { get; set; }
    double RiskTolerance { get; set; }
    double Endurance { get; set; }
}

/// <summary>The five slider columns: the row's personality each way, and the SQL that names them.</summary>
public static class PersonalityColumns
{
    /// <summary>For an INSERT's column list, in the order of <see cref="Values"/>.</summary>
    public const string Names = "aggression, positioning, targeting, risk_tolerance, endurance";
    /// <summary>For an INSERT's VALUES, Dapper parameters from an <see cref="IPersonalityRow"/>.</summary>
    public const string Values = "@Aggression, @Positioning, @Targeting, @RiskTolerance, @Endurance";
    /// <summary>For an UPDATE's SET.</summary>
    public const string Assignments = "aggression = @Aggression, positioning = @Positioning, targeting = @Targeting, risk_tolerance = @RiskTolerance, endurance = @Endurance";

    public static Personality GetPersonality(this IPersonalityRow row) =>
        new((float)row.Aggression, (float)row.Positioning, (float)row.Targeting, (float)row.RiskTolerance, (float)row.Endurance);

    public static void SetPersonality(this IPersonalityRow row, Personality personality)
    {
        row.Aggression = personality.Aggression; row.Positioning = personality.Positioning; row.Targeting = personality.Targeting;
        row.RiskTolerance = personality.RiskTolerance; row.Endurance = personality.Endurance;
    }
}
