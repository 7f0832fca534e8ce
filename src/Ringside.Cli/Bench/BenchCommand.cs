using System.CommandLine;
using System.Diagnostics;
using Ringside.Cli.Bench.Cluster;
using Ringside.Cli.Bench.Realtime;
using Ringside.Cli.Bench.Server;
using Ringside.Cli.Bench.Soak;
using Ringside.Cli.Commands;
using Ringside.Learning;
using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Cli.Bench;

/// <summary><c>ringside bench</c>: throughput figures for docs/BENCHMARKS.md.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Measure throughput (prints figures; never asserts).");
        command.Subcommands.Add(CreateSim());
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(CreateLearner());
        command.Subcommands.Add(BenchCompetenceCommand.Create());
        command.Subcommands.Add(BenchPersonalitiesCommand.Create());
        command.Subcommands.Add(BenchServerCommand.Create());
        command.Subcommands.Add(BenchRealtimeCommand.Create());
        command.Subcommands.Add(BenchClusterCommand.Create());
        command.Subcommands.Add(BenchSoakCommand.Create());
        return command;
    }

    private static Command CreateSim()
    {
        var fighters = new Option<int>("--fighters") { Description = "Fighters per arena (2-8).", DefaultValueFactory = _ => 2 };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var agents = new Option<int>("--agents") { Description = "Approximate agents in the batch (arenas = agents / fighters).", DefaultValueFactory = _ => 8192 };
        var seconds = new Option<double>("--seconds") { Description = "Measured duration.", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("sim", "Agent-steps per second of batched arena stepping with observations written.") { fighters, threads, agents, seconds, json };
        command.SetAction(p => Output.Guard(() => RunSim(p.GetValue(fighters), p.GetValue(threads), p.GetValue(agents), p.GetValue(seconds), p.GetValue(json))));
        return command;
    }

    private static Command CreateTrain()
    {
        var seconds = new Option<double>("--seconds") { Description = "Wall time of the measured training run.", DefaultValueFactory = _ => 30 };
        var fighters = new Option<int>("--fighters") { Description = "Fighters per arena (2-8).", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("train", "End-to-end arena training throughput (simulation, inference, PPO updates) with the arena's default network, and where the time goes.")
            { seconds, fighters, json };
        command.SetAction(p => Output.Guard(() => RunTrain(p.GetValue(seconds), p.GetValue(fighters), p.GetValue(json))));
        return command;
    }

    private static Command CreateLearner()
    {
        var seconds = new Option<double>("--seconds") { Description = "Measured duration of the update loop.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Threads computing gradient shards.", DefaultValueFactory = _ => ArenaTraining.DefaultPpo.Threads };
        var json = new Option<bool>("--json") { Description = "Print one JSON object as the last line." };
        var command = new Command("learner", "Throughput of the network alone with the arena's default PPO settings: update samples/s (forward, backward, Adam) and rollout inference.")
            { seconds, threads, json };
        command.SetAction(p => Output.Guard(() =>
        {
            double s = p.GetValue(seconds);
            if (!(s > 0) || !double.IsFinite(s)) throw new ArgumentException($"--seconds must be positive, got {s}.");
            var config = ArenaTraining.DefaultPpo with { Threads = p.GetValue(threads) };
            config.Validate();
            var r = LearnerBenchmark.Run(config, Contract.ObservationSize, Contract.ActionCount, s);
            if (p.GetValue(json)) Output.WriteJson(r);
            else Console.WriteLine($"{r.Network}, minibatch {r.Minibatch}, {r.Threads} threads: update {r.UpdateSamplesPerSecond:N0} samples/s " +
                                   $"({r.UpdateSamplesPerCpuSecond:N0} per CPU-second), inference {r.InferenceSamplesPerSecond:N0} observations/s");
            return 0;
        }));
        return command;
    }

    private static int RunTrain(double seconds, int fighters, bool json)
    {
        if (!(seconds > 0) || !double.IsFinite(seconds)) throw new ArgumentException($"--seconds must be positive, got {seconds}.");
        string dir = Path.Combine(Path.GetTempPath(), $"ringside-bench-{Environment.ProcessId}");
        try
        {
            var options = new ArenaTrainingOptions
            {
                OutDir = dir,
                Fighters = [fighters],
                Steps = 10_000_000_000L,
                MaxTime = TimeSpan.FromSeconds(seconds),
                CheckpointEvery = int.MaxValue,
            };
            var result = ArenaTraining.Run(options);
            var t = result.Time;
            double total = t.Total;
            var summary = new
            {
                fighters,
                network = options.Ppo.NetworkSpec(Contract.ObservationSize, Contract.ActionCount).ToString(),
                arenas = options.Ppo.NumEnvs,
                update_epochs = options.Ppo.UpdateEpochs,
                threads = options.Ppo.Threads,
                steps = result.Steps,
                wall_seconds = result.WallSeconds,
                agent_steps_per_second = result.Steps / result.WallSeconds,
                share = new
                {
                    simulation = t.EnvStep / total,
                    rollout_forward = t.RolloutForward / total,
                    update_forward = t.UpdateForward / total,
                    backward = t.Backward / total,
                    optimizer = t.Optimizer / total,
                    other = t.Other / total,
                },
            };
            if (json) Output.WriteJson(summary);
            else
                Console.WriteLine($"{summary.agent_steps_per_second:N0} learner steps/s over {result.WallSeconds:F0} s ({summary.network}, {summary.arenas} arenas): " +
                                  $"simulation {summary.share.simulation:P0}, rollout forward {summary.share.rollout_forward:P0}, update forward {summary.share.update_forward:P0}, " +
                                  $"backward {summary.share.backward:P0}, optimiser {summary.share.optimizer:P0}, other {summary.share.other:P0}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }

    private static int RunSim(int fighters, int threads, int agentTarget, double seconds, bool json)
    {
        if (seconds <= 0 || !double.IsFinite(seconds)) throw new ArgumentException($"--seconds must be positive, got {seconds}.");
        if (agentTarget < fighters) throw new ArgumentException($"--agents must be at least the fighter count, got {agentTarget}.");
        int arenas = Math.Max(1, agentTarget / Math.Max(fighters, 1));
        using var batch = new ArenaBatch(ArenaConfig.Standard(fighters), arenas, threads);
        var buffers = new StepBuffers(batch.AgentCount);

        // Actions come from a pre-drawn table of uniformly random actions so that only the simulation is timed.
        const int tableSteps = 64;
        var rng = new SplitMix64(12345);
        var table = new int[tableSteps][];
        for (int t = 0; t < tableSteps; t++)
        {
            table[t] = new int[batch.AgentCount];
            for (int i = 0; i < batch.AgentCount; i++) table[t][i] = rng.NextInt(Contract.ActionCount);
        }
        batch.Reset(1);
        // Warm-up: JIT tiering (whose background compiler allocates) finishes before the measurement starts, even on a
        // busy host, so that "allocated while measuring" counts only the simulation.
        var warmUp = Stopwatch.StartNew();
        for (int t = 0; t < 300 || warmUp.Elapsed.TotalSeconds < 0.5; t++) batch.Step(table[t % tableSteps], buffers);
        Thread.Sleep(100);

        // The rate of every half second too: this VM's speed drifts by up to 1.8x within minutes, and the spread
        // of the windows shows whether a run was steady. Preallocated, so that measuring allocates nothing.
        const double window = 0.5;
        var windows = new double[(int)Math.Ceiling(seconds / window) + 2];
        int windowCount = 0;
        long episodes = 0, steps = 0, windowSteps = 0;
        double windowStart = 0;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int k = 0; k < 50; k++, steps++)
            {
                batch.Step(table[steps % tableSteps], buffers);
                episodes += batch.CompletedArenas.Length;
            }
            double now = clock.Elapsed.TotalSeconds;
            if (now - windowStart >= window && windowCount < windows.Length)
            {
                windows[windowCount++] = (steps - windowSteps) * (double)batch.AgentCount / (now - windowStart);
                (windowStart, windowSteps) = (now, steps);
            }
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var sorted = windows[..windowCount];
        Array.Sort(sorted);

        double agentSteps = (double)steps * batch.AgentCount;
        var result = new
        {
            fighters,
            threads = batch.Threads,
            arenas,
            agents = batch.AgentCount,
            steps,
            episodes,
            seconds = elapsed,
            agent_steps_per_second = agentSteps / elapsed,
            arena_steps_per_second = (double)steps * arenas / elapsed,
            ns_per_agent_step_per_thread = elapsed * 1e9 * batch.Threads / agentSteps,
            allocated_bytes_while_measuring = allocated,
            half_second_windows = new
            {
                min = sorted.Length > 0 ? sorted[0] : double.NaN,
                median = sorted.Length > 0 ? sorted[sorted.Length / 2] : double.NaN,
                max = sorted.Length > 0 ? sorted[^1] : double.NaN,
                count = sorted.Length,
            },
        };
        if (json) Output.WriteJson(result);
        else
            Console.WriteLine($"{fighters} fighters, {arenas} arenas, {batch.Threads} threads: " +
                              $"{result.agent_steps_per_second / 1e6:0.00} M agent-steps/s " +
                              $"({result.ns_per_agent_step_per_thread:0.0} ns per agent-step per thread), {episodes} episodes, {allocated} B allocated; " +
                              $"half-second windows {result.half_second_windows.min / 1e6:0.0}-{result.half_second_windows.max / 1e6:0.0} M (median {result.half_second_windows.median / 1e6:0.0} M)");
        return 0;
    }
}
