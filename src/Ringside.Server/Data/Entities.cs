using System.Text.Json;
using System.Text.Json.Serialization;
using Ringside.Server.Profiles;

namespace Ringside.Server.Data;

// Rows as the API shows them (snake_case on the wire; docs/SERVER.md, Endpoints). Dapper fills them by column name.

public sealed class Fighter
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public string GlbFilename { get; set; } = "";
    public int ModelVersion { get; set; }
    /// <summary>{"size": 1.0, "speed": 1.0}: size and speed drive the simulation (docs/CONTRACT.md, Fighter metadata).</summary>
    public JsonElement MetadataJson { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed class Episode
{
    public long Id { get; set; }
    public long FighterId { get; set; }
    public int EpisodeNumber { get; set; }
    public JsonElement OpponentIds { get; set; }
    public double TotalReward { get; set; }
    public int DurationFrames { get; set; }
    public bool IsVictory { get; set; }
    public int? Rank { get; set; }
    /// <summary>Who recorded it: "api" (a game posting frames), "match" (a live match), "evaluation".</summary>
    public string Source { get; set; } = "api";
    public DateTime StartedAt { get; set; }
    public DateTime? EndedAt { get; set; }
}

public sealed class FightFrame
{
    public long Id { get; set; }
    public long EpisodeId { get; set; }
    public int FrameNumber { get; set; }
    public JsonElement FighterPosition { get; set; }
    public double FighterHealth { get; set; }
    public JsonElement FighterVelocity { get; set; }
    public JsonElement EnemiesState { get; set; }
    public JsonElement ActionVector { get; set; }
    public double RewardDelta { get; set; }
    public double CumulativeReward { get; set; }
    public JsonElement? ObservationVector { get; set; }
}

public sealed class ModelCheckpoint
{
    public long Id { get; set; }
    public long FighterId { get; set; }
    public string? ProfileName { get; set; }
    public int ModelVersion { get; set; }
    public int TrainingIteration { get; set; }
    public double? WinRate { get; set; }
    public double? AvgReward { get; set; }
    public long TotalEpisodesTrained { get; set; }
    public long TotalSteps { get; set; }
    /// <summary>Where the weights are on this server: never sent (docs/SERVER.md, Security model).</summary>
    [JsonIgnore] public string WeightsPath { get; set; } = "";
    public string TrainingMode { get; set; } = "";
    public DateTime CreatedAt { get; set; }
}

public sealed class TrainingMetric
{
    public long Id { get; set; }
    public long FighterId { get; set; }
    /// <summary>The training job the row belongs to (column training_job_id). The wire keeps its first name, training_session_id.</summary>
    [JsonPropertyName("training_session_id")] public long TrainingJobId { get; set; }
    public int IterationNumber { get; set; }
    public long GlobalStep { get; set; }
    [JsonPropertyName("avg_reward_last_100")] public double? AvgRewardLast100 { get; set; }
    [JsonPropertyName("win_rate_last_100")] public double? WinRateLast100 { get; set; }
    public double? Loss { get; set; }
    public double? PolicyLoss { get; set; }
    public double? ValueLoss { get; set; }
    public double? PolicyEntropy { get; set; }
    public double? ApproxKl { get; set; }
    public double? Sps { get; set; }
    public JsonElement? RewardTerms { get; set; }
    /// <summary>The periodic evaluation of this iteration, when one ran: 1v1 win rates and free-for-all last-standing rate.</summary>
    public double? EvalVsChaser { get; set; }
    public double? EvalVsCautious { get; set; }
    public double? EvalFreeForAll { get; set; }
    public DateTime RecordedAt { get; set; }
}

public sealed class FighterProfile : IPersonalityRow
{
    public long Id { get; set; }
    public long FighterId { get; set; }
    public string ProfileName { get; set; } = "";
    public double Aggression { get; set; }
    public double Positioning { get; set; }
    public double Targeting { get; set; }
    public double RiskTolerance { get; set; }
    public double Endurance { get; set; }
    public string TrainingMode { get; set; } = "tactical";
    /// <summary>The effective weight of each reward term: personality × mode, then any direct edits.</summary>
    public JsonElement RewardWeights { get; set; }
    /// <summary>Where the model is on this server: never sent (docs/SERVER.md, Security model); <see cref="HasModel"/> says whether there is one.</summary>
    [JsonIgnore] public string? ModelPath { get; set; }
    public bool HasModel => ModelPath is not null;
    public int ModelVersion { get; set; }
    /// <summary>Mean win rate against the baseline bots at the last evaluation (0 to 1).</summary>
    public double? WinRate { get; set; }
    public long TotalEpisodes { get; set; }
    public double? AvgReward { get; set; }
    /// <summary>Per-bot evaluation results of the current model.</summary>
    public JsonElement? Evaluation { get; set; }
    /// <summary>How the current model plays (attacks per second, distances, damage).</summary>
    public JsonElement? Fingerprint { get; set; }
    /// <summary>OpenSkill (Plackett-Luce) skill estimate from live matches: mean and uncertainty.</summary>
    public double RatingMu { get; set; } = Ratings.InitialMu;
    public double RatingSigma { get; set; } = Ratings.InitialSigma;
    public int RatedMatches { get; set; }
    /// <summary>The rating shown and sorted on: mu - 3 sigma (a conservative estimate).</summary>
    public double Rating => RatingMu - 3 * RatingSigma;
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

public static class JobStatus
{
    public const string Pending = "pending", Queued = "queued", Running = "running", Completed = "completed",
        Failed = "failed", Cancelled = "cancelled";

    public static bool IsFinal(string status) => status is Completed or Failed or Cancelled;
}

public sealed class TrainingJob : IPersonalityRow
{
    public long Id { get; set; }
    public long FighterId { get; set; }
    public string ProfileName { get; set; } = "";
    /// <summary>pending (created), queued, running, completed, failed or cancelled.</summary>
    public string Status { get; set; } = JobStatus.Pending;
    /// <summary>Percent of the step budget done (0 to 100).</summary>
    public double Progress { get; set; }
    /// <summary>Segments of the budget, each ended by an evaluation against the baseline bots (2,097,152 steps by default).</summary>
    public int Epochs { get; set; }
    /// <summary>The epoch under way (1 to <see cref="Epochs"/>; 0 before the first step): "epoch 3/5".</summary>
    public int Epoch => StepsDone <= 0 ? 0 : EpochOf(StepsDone);
    /// <summary>The epoch that a step count falls in (an evaluation at the end of epoch k belongs to k).</summary>
    public int EpochOf(long steps) => TotalSteps <= 0 || Epochs <= 0 ? 0
        : (int)Math.Clamp(Math.Ceiling((double)steps * Epochs / TotalSteps), 1, Epochs);
    /// <summary>The steps the job runs: a whole number of PPO iterations (a requested budget is rounded up to one).</summary>
    public long TotalSteps { get; set; }
    /// <summary>Agent steps of one PPO iteration, the unit <see cref="TotalSteps"/> is a multiple of.</summary>
    public long StepsPerIteration => Learning.Arena.ArenaTraining.DefaultPpo.BatchSize;
    public double? MaxMinutes { get; set; }
    public double LearningRate { get; set; }
    public double Aggression { get; set; }
    public double Positioning { get; set; }
    public double Targeting { get; set; }
    public double RiskTolerance { get; set; }
    public double Endurance { get; set; }
    public string TrainingMode { get; set; } = "tactical";
    public JsonElement RewardWeights { get; set; }
    public long Seed { get; set; }
    public int Iteration { get; set; }
    public long StepsDone { get; set; }
    public double? Sps { get; set; }
    public double? RecentReward { get; set; }
    public double? WinRate { get; set; }
    public double? FinalReward { get; set; }
    public double? FinalWinRate { get; set; }
    public string? ErrorMessage { get; set; }
    /// <summary>How many times the job was started; above 1 it resumed from a checkpoint after a crash.</summary>
    public int Attempts { get; set; }
    /// <summary>The run folder on this server: never sent (docs/SERVER.md, Security model).</summary>
    [JsonIgnore] public string? RunDir { get; set; }
    /// <summary>The node that ran the job's latest attempt (after a failover, the one that finished it).</summary>
    public string? Worker { get; set; }
    /// <summary>A resumable checkpoint exists: the job's current policy can fight (spectating) or resume.</summary>
    public bool HasCheckpoint => RunDir is not null && File.Exists(Path.Combine(RunDir, Learning.Arena.ArenaTraining.ModelFile));
    public DateTime CreatedAt { get; set; }
    public DateTime? StartedAt { get; set; }
    public DateTime? CompletedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}
