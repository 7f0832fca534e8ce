using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>The same configuration, seed and actions give bit-identical states, whatever the threads or batch layout.</summary>
public class DeterminismTests
{
    /// <summary>Plays <paramref name="steps"/> ticks of uniformly random actions (from <paramref name="actionSeed"/>) and returns every arena's hash after every step.</summary>
    private static ulong[,] HashTrace(ArenaConfig config, int arenas, int threads, ulong seed, ulong actionSeed, int steps,
        List<float[]>? observationTrace = null)
    {
        using var batch = new ArenaBatch(config, arenas, threads);
        batch.Reset(seed);
        var buffers = new StepBuffers(batch.AgentCount, withFinalObservations: true);
        var actions = new int[batch.AgentCount];
        var rng = new SplitMix64(actionSeed);
        var hashes = new ulong[steps, arenas];
        for (int t = 0; t < steps; t++)
        {
            for (int i = 0; i < actions.Length; i++) actions[i] = rng.NextInt(Contract.ActionCount);
            batch.Step(actions, buffers);
            for (int a = 0; a < arenas; a++) hashes[t, a] = batch.StateHash(a);
            if (observationTrace is not null)
            {
                observationTrace.Add((float[])buffers.Observations.Clone());
                observationTrace.Add((float[])buffers.Rewards.Clone());
                observationTrace.Add(buffers.FinalObservations!.ToArray());
            }
        }
        return hashes;
    }

    [Fact]
    public void SameSeedAndActions_GiveTheSameHashSequence_AndOtherSeedsOrActionsDiffer()
    {
        var config = ArenaConfig.Standard(3) with { MaxTicks = 120 };
        var first = HashTrace(config, 1, 1, seed: 11, actionSeed: 5, steps: 400);
        var again = HashTrace(config, 1, 1, seed: 11, actionSeed: 5, steps: 400);
        var otherSeed = HashTrace(config, 1, 1, seed: 12, actionSeed: 5, steps: 400);
        var otherActions = HashTrace(config, 1, 1, seed: 11, actionSeed: 6, steps: 400);

        Assert.Equal(first.Cast<ulong>(), again.Cast<ulong>());
        // The hash really follows the state: it changes from tick to tick, and with the seed or the actions.
        Assert.True(first.Cast<ulong>().Distinct().Count() > 390, "state hashes repeat: the hash does not follow the state");
        Assert.NotEqual(first[0, 0], otherSeed[0, 0]);
        Assert.NotEqual(first[0, 0], otherActions[0, 0]);
    }

    [Fact]
    public void Match_WithTheSameSeedAndBots_EndsInTheSameState()
    {
        MatchResult Play() { using var m = new Match(ArenaConfig.Standard(4), 77, Controllers.Of(77, "chaser", "random", "cautious", "random")); return m.Run(); }
        var a = Play();
        var b = Play();
        Assert.Equal(a.StateHash, b.StateHash);
        Assert.Equal(a.Frames, b.Frames);
        Assert.Equal(a.Winner, b.Winner);
        Assert.Equal(a.Rewards, b.Rewards);
    }

    [Fact]
    public void Batch_OfManyArenas_IsBitIdenticalWithOneTwoAndThreeThreads()
    {
        // Short episodes so that auto-resets happen (at different steps in different arenas) during the run.
        var config = new ArenaConfig { Fighters = [new(1f, 1f), new(1.5f, 0.8f), new(0.7f, 1.6f)], MaxTicks = 90 };
        var obs1 = new List<float[]>();
        var obs2 = new List<float[]>();
        var obs3 = new List<float[]>();
        var one = HashTrace(config, 64, 1, seed: 2024, actionSeed: 9, steps: 300, obs1);
        var two = HashTrace(config, 64, 2, seed: 2024, actionSeed: 9, steps: 300, obs2);
        var three = HashTrace(config, 64, 3, seed: 2024, actionSeed: 9, steps: 300, obs3);

        for (int t = 0; t < one.GetLength(0); t++)
            for (int a = 0; a < one.GetLength(1); a++)
            {
                if (one[t, a] != two[t, a]) Assert.Fail($"arena {a} step {t}: 1 thread {one[t, a]:x16}, 2 threads {two[t, a]:x16}");
                if (one[t, a] != three[t, a]) Assert.Fail($"arena {a} step {t}: 1 thread {one[t, a]:x16}, 3 threads {three[t, a]:x16}");
            }
        for (int k = 0; k < obs1.Count; k++)
        {
            Assert.True(obs1[k].AsSpan().SequenceEqual(obs2[k]), $"buffer {k % 3} of step {k / 3} differs with 2 threads");
            Assert.True(obs1[k].AsSpan().SequenceEqual(obs3[k]), $"buffer {k % 3} of step {k / 3} differs with 3 threads");
        }
    }

    [Fact]
    public void ThreadCount_IsCappedByArenaCount()
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), arenaCount: 2, threads: 3);
        Assert.Equal(2, batch.Threads);
    }

    [Fact]
    public void ArenaInABatch_BehavesLikeItsEpisodeSeedInABatchOfOne_AcrossAutoResets()
    {
        var config = ArenaConfig.Standard(2) with { MaxTicks = 70 };
        using var big = new ArenaBatch(config, 64, threads: 2);
        big.Reset(31337);
        const int watched = 41;
        using var single = new ArenaBatch(config, 1);
        single.ResetArena(0, big.EpisodeSeed(watched));

        Assert.Equal(SplitMix64.Mix(31337, watched), big.EpisodeSeed(watched));
        Assert.Equal(big.StateHash(watched), single.StateHash(0));

        var bigBuffers = new StepBuffers(big.AgentCount);
        var singleBuffers = new StepBuffers(single.AgentCount);
        var bigActions = new int[big.AgentCount];
        var singleActions = new int[2];
        var rng = new SplitMix64(4);
        int resets = 0;
        for (int t = 0; t < 250; t++)
        {
            for (int i = 0; i < bigActions.Length; i++) bigActions[i] = rng.NextInt(Contract.ActionCount);
            Array.Copy(bigActions, watched * 2, singleActions, 0, 2);
            big.Step(bigActions, bigBuffers);
            single.Step(singleActions, singleBuffers);

            Assert.Equal(big.StateHash(watched), single.StateHash(0));
            Assert.Equal(big.EpisodeSeed(watched), single.EpisodeSeed(0));
            Assert.True(bigBuffers.Observations.AsSpan(watched * 2 * Contract.ObservationSize, 2 * Contract.ObservationSize)
                .SequenceEqual(singleBuffers.Observations), $"observations differ at step {t}");
            Assert.True(bigBuffers.Rewards.AsSpan(watched * 2, 2).SequenceEqual(singleBuffers.Rewards), $"rewards differ at step {t}");
            Assert.True(bigBuffers.Terminals.AsSpan(watched * 2, 2).SequenceEqual(singleBuffers.Terminals), $"terminals differ at step {t}");
            Assert.True(bigBuffers.Truncations.AsSpan(watched * 2, 2).SequenceEqual(singleBuffers.Truncations), $"truncations differ at step {t}");
            if (single.CompletedArenas.Length > 0)
            {
                resets++;
                Assert.Contains(watched, big.CompletedArenas.ToArray());
                Assert.Equal(single.LastResult(0) with { Arena = watched }, big.LastResult(watched));
            }
        }
        Assert.True(resets >= 2, $"expected the watched arena to finish at least twice, got {resets}");
    }

    [Fact]
    public void Spawn_DependsOnlyOnTheEpisodeSeed()
    {
        using var a = new ArenaBatch(ArenaConfig.Standard(5), 3);
        using var b = new ArenaBatch(ArenaConfig.Standard(5), 1);
        a.ResetArena(2, 999);
        b.ResetArena(0, 999);
        Assert.Equal(a.StateHash(2), b.StateHash(0));
        b.ResetArena(0, 1000);
        Assert.NotEqual(a.StateHash(2), b.StateHash(0));
    }
}
