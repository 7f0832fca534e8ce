using System.Text.Json;
using Ringside.Learning.Arena;

namespace Ringside.Learning.Tests.Arena;

/// <summary>
/// A run that dies at any point of an iteration's bookkeeping (between the report and the checkpoint, between a
/// checkpoint's two files, after them) resumes so that every iteration is reported exactly once: the reports a caller
/// stored after <see cref="ArenaTraining.ResumeIteration"/> are replaced, and metrics.jsonl holds each iteration once.
/// </summary>
public sealed class CrashResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ringside-crash-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private sealed class Crash : Exception;

    private ArenaTrainingOptions Options(Action<string, int>? fault = null) => new()
    {
        OutDir = _dir,
        Steps = 8 * 8 * 64,
        Seed = 5,
        CheckpointEvery = 2,
        Fighters = [2],
        EvaluationEpisodes = 4,
        Ppo = ArenaTraining.DefaultPpo with { NumEnvs = 8, NumSteps = 64, NumMinibatches = 2, UpdateEpochs = 1, Threads = 1, GradientShards = 1 },
        FaultInjection = fault,
    };

    public static TheoryData<string, int> Points()
    {
        var data = new TheoryData<string, int>();
        foreach (var point in ArenaTraining.FaultPoints)
            foreach (int iteration in point == "reported" ? new[] { 3, 4 } : [4, 6]) // checkpoints are at even iterations
                data.Add(point, iteration);
        return data;
    }

    [Theory]
    [MemberData(nameof(Points))]
    public void A_run_that_crashes_anywhere_resumes_with_every_iteration_reported_once(string point, int iteration)
    {
        // The store a caller keeps (the server's training_metrics): iteration -> the global step it reported.
        var stored = new List<(int Iteration, long Step)>();
        void Store(ArenaIterationMetrics m) => stored.Add((m.Ppo.Iteration, m.Ppo.GlobalStep));

        bool fired = false;
        Assert.Throws<Crash>(() => ArenaTraining.Run(Options((p, i) =>
        {
            if (p == point && i == iteration) { fired = true; throw new Crash(); }
        }), Store));
        Assert.True(fired);

        int resumeAfter = ArenaTraining.ResumeIteration(_dir);
        Assert.InRange(resumeAfter, iteration - 2, iteration);
        stored.RemoveAll(s => s.Iteration > resumeAfter); // what the server does before it resumes
        var result = ArenaTraining.Run(Options(), Store, resume: true);

        Assert.Equal(8, result.Iterations);
        Assert.Equal(Enumerable.Range(1, 8), stored.Select(s => s.Iteration));
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 512L), stored.Select(s => s.Step));
        var lines = File.ReadAllLines(Path.Combine(_dir, ArenaTraining.MetricsFile))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("iteration").GetInt32());
        Assert.Equal(Enumerable.Range(1, 8), lines);
    }

    [Fact]
    public void A_crash_between_a_checkpoints_two_files_resumes_from_the_older_consistent_state()
    {
        Assert.Throws<Crash>(() => ArenaTraining.Run(Options((p, i) => { if (p == "policy-saved" && i == 4) throw new Crash(); })));
        string model = Path.Combine(_dir, ArenaTraining.ModelFile);
        Assert.Equal(4, Checkpoint.Load(model).Info.Metrics["iteration"]); // the policy file is one checkpoint ahead...
        Assert.Equal(2, ArenaTraining.ResumeIteration(_dir));                // ...of the trainer state that a resume uses

        // It resumes exactly as a run that crashed just after the checkpoint at iteration 2 does: same weights, same
        // optimiser, same random streams (with the policy file's newer weights it would not).
        byte[] afterTornCheckpoint = File.ReadAllBytes(ArenaTraining.Run(Options(), resume: true).ModelPath);
        Directory.Delete(_dir, recursive: true);
        Assert.Throws<Crash>(() => ArenaTraining.Run(Options((p, i) => { if (p == "checkpoint-saved" && i == 2) throw new Crash(); })));
        Assert.Equal(2, ArenaTraining.ResumeIteration(_dir));
        byte[] afterWholeCheckpoint = File.ReadAllBytes(ArenaTraining.Run(Options(), resume: true).ModelPath);
        Assert.Equal(afterWholeCheckpoint, afterTornCheckpoint);
    }

    [Fact]
    public void A_run_resumes_with_its_own_network_when_the_recipe_has_changed_since_it_started()
    {
        // A job started before an upgrade changed the recipe's network (2x128 to 2x64 in session 15) resumes after it.
        var started = Options((p, i) => { if (p == "checkpoint-saved" && i == 4) throw new Crash(); });
        Assert.Throws<Crash>(() => ArenaTraining.Run(started with { Ppo = started.Ppo with { HiddenSizes = [24, 24] } }));

        var result = ArenaTraining.Run(Options() with { Ppo = Options().Ppo with { HiddenSizes = [16, 16] } }, resume: true);

        Assert.Equal(8, result.Iterations);
        Assert.Equal([24, 24], Checkpoint.Load(result.ModelPath).Network.Spec.HiddenSizes);
        Assert.Equal([24, 24], Checkpoint.Load(result.BestModelPath).Network.Spec.HiddenSizes);
    }
}
