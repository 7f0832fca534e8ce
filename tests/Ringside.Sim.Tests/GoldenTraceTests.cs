using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>
/// Pins the simulation bit for bit: a digest of every state, observation, reward, reward term, flag and episode
/// result (arena, ticks, winner, time limit, episode seed) over long runs with random and scripted actions. The
/// values were computed by the build before the speed-ups of 2026-11-21 (35bcc65), and the current one agrees.
/// Replays store only seeds and actions, so a change here breaks every stored replay: optimisations must leave
/// these digests as they are, and a deliberate change of the rules needs a new contract version, not a new digest.
/// </summary>
public class GoldenTraceTests
{
    [Theory]
    [InlineData(2, 1, 0x3CC306E012F02E72UL)]
    [InlineData(2, 2, 0x3CC306E012F02E72UL)]
    [InlineData(3, 1, 0xFA6CF447F681B913UL)]
    [InlineData(6, 2, 0x6735B051AB63BD7BUL)]
    [InlineData(8, 1, 0x7B49A48E7D94533CUL)]
    public void RandomActions_GiveThePinnedDigest(int fighters, int threads, ulong expected)
    {
        var config = ArenaConfig.Standard(fighters) with { MaxTicks = 150 };
        using var batch = new ArenaBatch(config, arenaCount: 48, threads);
        batch.Reset(20261121);
        // A quarter of the actions are attacks on top of the random ones: more hits, knockouts and contacts.
        Assert.Equal(expected, Trace(batch, actionSeed: 7, attackOneIn: 4));
    }

    /// <summary>
    /// Fighters of different sizes and speeds with different reward weights in every slot (a slot mixed up with
    /// another would show), the learner-out mask, no auto-reset, and finished arenas restarted by hand.
    /// </summary>
    [Theory]
    [InlineData(2, 1, 0x182B54ADDD7AED76UL)]
    [InlineData(4, 2, 0xF064E63346C1A82FUL)]
    [InlineData(5, 1, 0x0F7F698BC6CA313DUL)]
    [InlineData(7, 2, 0xDBD7C7127FB6D581UL)]
    public void MixedFightersAndWeights_GiveThePinnedDigest(int fighters, int threads, ulong expected)
    {
        var specs = Enumerable.Range(0, fighters).Select(s => new FighterSpec(0.7f + 0.15f * s, 1.4f - 0.1f * s)).ToArray();
        var weights = Enumerable.Range(0, fighters)
            .Select(s => RewardWeights.For(new Personality(10 + 12 * s, 80 - 9 * s, 50, 30 + 8 * s, 60), (TrainingMode)(s % 5))).ToArray();
        var config = new ArenaConfig { Fighters = specs, Weights = weights, MaxTicks = 120, EndWhenEliminatedMask = 1 };
        using var batch = new ArenaBatch(config, arenaCount: 40, threads, autoReset: false);
        batch.Reset(777);
        // Finished arenas stay as they ended for a while, then start again by hand.
        Assert.Equal(expected, Trace(batch, actionSeed: 8, attackOneIn: 3, (ref SplitMix64 rng, int t) =>
        {
            for (int a = 0; a < batch.ArenaCount; a++)
                if (batch.IsFinished(a) && rng.NextInt(8) == 0) batch.ResetArena(a, (ulong)(t * 1000 + a));
        }));
    }

    /// <summary>Runs after each step with the trace's generator (a struct, so by reference: it goes on drawing from it).</summary>
    private delegate void AfterStep(ref SplitMix64 rng, int step);

    /// <summary>400 steps of random actions (one in <paramref name="attackOneIn"/> forced to attack); the digest of every step's report.</summary>
    private static ulong Trace(ArenaBatch batch, ulong actionSeed, int attackOneIn, AfterStep? afterStep = null)
    {
        var buffers = new StepBuffers(batch.AgentCount, withFinalObservations: true);
        var actions = new int[batch.AgentCount];
        var rng = new SplitMix64(actionSeed);
        var digest = new Digest();
        for (int t = 0; t < 400; t++)
        {
            for (int i = 0; i < actions.Length; i++) actions[i] = rng.NextInt(attackOneIn) == 0 ? Contract.Attack : rng.NextInt(Contract.ActionCount);
            batch.Step(actions, buffers);
            digest.Add(buffers, batch);
            afterStep?.Invoke(ref rng, t);
        }
        return digest.Value;
    }

    [Fact]
    public void ScriptedMatch_GivesThePinnedDigest()
    {
        var specs = new FighterSpec[] { new(1f, 1f), new(1.4f, 0.8f), new(0.8f, 1.3f), new(1.1f, 1.1f) };
        var config = new ArenaConfig { Fighters = specs };
        using var match = new Match(config, 99, [Bots.Create("chaser", specs[0], 1), Bots.Create("cautious", specs[1], 2),
            Bots.Create("chaser", specs[2], 3), Bots.Create("random", specs[3], 4)]);
        var result = match.Run();
        Assert.Equal((0x8CDEF3CA920E4B3DUL, 153), (result.StateHash, result.Frames));
    }

    /// <summary>FNV-1a over the bits of everything a step reports.</summary>
    private sealed class Digest
    {
        public ulong Value { get; private set; } = 14695981039346656037UL;

        public void Add(StepBuffers buffers, ArenaBatch batch)
        {
            foreach (float v in buffers.Observations) Mix(BitConverter.SingleToUInt32Bits(v));
            foreach (float v in buffers.FinalObservations!) Mix(BitConverter.SingleToUInt32Bits(v));
            foreach (float v in buffers.Rewards) Mix(BitConverter.SingleToUInt32Bits(v));
            foreach (float v in batch.RewardTerms) Mix(BitConverter.SingleToUInt32Bits(v));
            for (int i = 0; i < buffers.Agents; i++)
                Mix((buffers.Terminals[i] ? 1u : 0u) | (buffers.Truncations[i] ? 2u : 0u) | ((uint)batch.Fighter(i).Events << 8));
            for (int a = 0; a < batch.ArenaCount; a++) { Mix((uint)batch.StateHash(a)); Mix((uint)(batch.StateHash(a) >> 32)); }
            foreach (int a in batch.CompletedArenas)
            {
                var r = batch.LastResult(a);
                Mix((uint)a); Mix((uint)r.Ticks); Mix((uint)r.Winner); Mix(r.TimeLimit ? 1u : 0u);
                Mix((uint)r.EpisodeSeed); Mix((uint)(r.EpisodeSeed >> 32));
            }
        }

        private void Mix(uint value)
        {
            ulong h = Value;
            for (int b = 0; b < 4; b++) { h ^= (byte)(value >> (8 * b)); h *= 1099511628211UL; }
            Value = h;
        }
    }
}
