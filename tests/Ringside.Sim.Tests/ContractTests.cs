using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>Contract v1 (docs/CONTRACT.md) pinned: sizes, action indices, observation layout and scales, physics constants.</summary>
public class ContractTests
{
    [Fact]
    public void Layout_IsPinned()
    {
        Assert.Equal(1, Contract.Version);
        Assert.Equal(30, Contract.ObservationSize);
        Assert.Equal(10, Contract.ActionCount);
        Assert.Equal(5, Contract.ObservedEnemies);
        Assert.Equal(5, Contract.ValuesPerEnemy);
        Assert.Equal(5, Contract.EnemyBlockOffset);
        Assert.Equal(Contract.ObservationSize, Contract.EnemyBlockOffset + Contract.ObservedEnemies * Contract.ValuesPerEnemy);
        Assert.Equal(8, Contract.Idle);
        Assert.Equal(9, Contract.Attack);
        Assert.Equal(
            ["move_e", "move_ne", "move_n", "move_nw", "move_w", "move_sw", "move_s", "move_se", "idle", "attack"],
            Contract.ActionNames);
    }

    [Theory]
    [InlineData(0, 1, 0)]   // east
    [InlineData(1, 1, 1)]   // north-east
    [InlineData(2, 0, 1)]   // north
    [InlineData(3, -1, 1)]  // north-west
    [InlineData(4, -1, 0)]  // west
    [InlineData(5, -1, -1)] // south-west
    [InlineData(6, 0, -1)]  // south
    [InlineData(7, 1, -1)]  // south-east
    public void MoveActions_GoEastThenCounterClockwise(int action, int sx, int sy)
    {
        float len = MathF.Sqrt(sx * sx + sy * sy);
        Assert.Equal(sx / len, Contract.MoveX[action], 6);
        Assert.Equal(sy / len, Contract.MoveY[action], 6);
        Assert.Equal(1f, Contract.MoveX[action] * Contract.MoveX[action] + Contract.MoveY[action] * Contract.MoveY[action], 6);
        Assert.Equal(action, Contract.MoveToward(sx, sy));
        Assert.Equal(action, Contract.MoveToward(sx * 0.001f, sy * 0.001f));
        Assert.Equal(action, Contract.MoveToward(sx * 1000f, sy * 1000f));
    }

    [Theory]
    [InlineData(1f, 0.3f, 0)]    // 16.7 degrees: still east
    [InlineData(1f, 0.5f, 1)]    // 26.6 degrees: north-east
    [InlineData(0.3f, 1f, 2)]    // 73.3 degrees: north
    [InlineData(-1f, 0.41f, 4)]  // just under 22.5 degrees above west
    [InlineData(-1f, 0.42f, 3)]  // just over it
    [InlineData(0.2f, -3f, 6)]
    [InlineData(2f, -1.5f, 7)]
    public void MoveToward_PicksTheClosestOfTheEightDirections(float dx, float dy, int expected) =>
        Assert.Equal(expected, Contract.MoveToward(dx, dy));

    [Fact]
    public void MoveToward_ZeroVector_IsIdle()
    {
        Assert.Equal(Contract.Idle, Contract.MoveToward(0f, 0f));
        Assert.Equal(Contract.Idle, Contract.MoveToward(-0f, 0f));
    }

    [Fact]
    public void MoveToward_AgreesWithTheNearestDirectionByAngle()
    {
        var rng = new SplitMix64(8);
        for (int n = 0; n < 5000; n++)
        {
            float dx = rng.NextFloat() * 2 - 1, dy = rng.NextFloat() * 2 - 1;
            double angle = Math.Atan2(dy, dx);
            int sector = (int)Math.Round(angle / (Math.PI / 4));
            int expected = ((sector % 8) + 8) % 8;
            double offBoundary = Math.Abs(angle / (Math.PI / 4) - Math.Floor(angle / (Math.PI / 4)) - 0.5);
            if (offBoundary < 1e-4) continue; // on a sector boundary either neighbour is right
            Assert.Equal(expected, Contract.MoveToward(dx, dy));
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    [InlineData(int.MinValue)]
    public void IsValidAction_RejectsOutOfRange(int action) => Assert.False(Contract.IsValidAction(action));

    [Fact]
    public void IsValidAction_AcceptsZeroToNine()
    {
        for (int a = 0; a < 10; a++) Assert.True(Contract.IsValidAction(a));
    }

    [Fact]
    public void PhysicsConstants_MatchTheContractDocument()
    {
        Assert.Equal(30, ArenaRules.TicksPerSecond);
        Assert.Equal(1f / 30f, ArenaRules.Dt);
        Assert.Equal(5f, ArenaRules.RingHalfSize);
        Assert.Equal(100f, ArenaRules.MaxHealth);
        Assert.Equal(10, ArenaRules.AttackCooldownTicks);
        Assert.Equal(0.8f, ArenaRules.Damping);
        Assert.Equal(5f, ArenaRules.RopeBreakSpeed);
        Assert.Equal(15f, ArenaRules.MaxKnockbackSpeed);
        Assert.Equal(1f, ArenaRules.EdgeZone);
        Assert.Equal(90, ArenaRules.CreditTicks);
        Assert.Equal(1800, ArenaRules.DefaultMaxTicks);
    }

    [Fact]
    public void Observation_AtSpawn_TwoFighters_MatchesTheViewsExactly()
    {
        using var arena = Arena.Duel(seed: 123);
        var me = arena[0];
        var other = arena[1];
        var obs = arena.Observation(0);

        Assert.Equal(me.X / 5f, obs[0], 6);
        Assert.Equal(me.Y / 5f, obs[1], 6);
        Assert.Equal(1f, obs[2]);
        Assert.Equal(0f, obs[3]);
        Assert.Equal(0f, obs[4]);
        Assert.Equal((other.X - me.X) / 10f, obs[5], 6);
        Assert.Equal((other.Y - me.Y) / 10f, obs[6], 6);
        Assert.Equal(1f, obs[7]);
        Assert.Equal(1f, obs[8]); // spawned about 3.9 m apart: a reach margin beyond 2 m is clamped to 1
        Assert.Equal(0f, obs[9]);
        for (int k = 10; k < 30; k++) Assert.Equal(0f, obs[k]); // padding: 4 empty enemy slots

        // Fighter 1 sees fighter 0 at the opposite offset.
        var obs1 = arena.Observation(1);
        Assert.Equal(-obs[5], obs1[5], 6);
        Assert.Equal(-obs[6], obs1[6], 6);
        // Spawns stand on a 2.75 m circle with at most 0.25 m jitter per axis: about 5.5 m apart, facing the centre.
        Assert.InRange(arena.Distance(0, 1), 5.5f - 0.71f, 5.5f + 0.71f);
        Assert.True(me.FacingX * me.X + me.FacingY * me.Y < 0, "a spawned fighter faces the centre");
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(8)]
    public void Observation_AtSpawn_MatchesTheContractForEveryFighterCount(int fighters)
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(fighters), 4);
        for (ulong seed = 1; seed <= 10; seed++)
        {
            batch.Reset(seed);
            var obs = new float[batch.AgentCount * Contract.ObservationSize];
            batch.WriteObservations(obs);
            for (int i = 0; i < batch.AgentCount; i++)
            {
                Geometry.AssertObservation(batch, obs, i);
                var f = batch.Fighter(i);
                float r = MathF.Sqrt(f.X * f.X + f.Y * f.Y);
                Assert.InRange(r, 2.75f - 0.36f, 2.75f + 0.36f);
                Assert.Equal(100f, f.Health);
                Assert.True(f.Alive);
                // The number of filled enemy slots is min(fighters - 1, 5); the rest is zeros.
                int filled = 0;
                for (int k = 0; k < Contract.ObservedEnemies; k++)
                    if (obs[i * 30 + Contract.EnemyBlockOffset + 5 * k + 2] > 0) filled++;
                Assert.Equal(Math.Min(fighters - 1, 5), filled);
            }
        }
    }

    [Fact]
    public void Observation_EightFighters_ShowsOnlyTheFiveNearest_NearestFirst()
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(8), 1);
        batch.Reset(5);
        var obs = new float[8 * 30];
        batch.WriteObservations(obs);
        for (int i = 0; i < 8; i++)
        {
            var me = batch.Fighter(i);
            var shown = new List<float>();
            for (int k = 0; k < 5; k++)
            {
                float dx = obs[i * 30 + 5 + 5 * k] * 10f, dy = obs[i * 30 + 6 + 5 * k] * 10f;
                shown.Add(dx * dx + dy * dy);
            }
            Assert.Equal(shown.OrderBy(d => d), shown); // nearest first
            var all = Enumerable.Range(0, 8).Where(j => j != i)
                .Select(j => Geometry.Distance(me, batch.Fighter(j))).OrderBy(d => d).ToArray();
            // The farthest shown is the fifth nearest, nearer than the two that are left out.
            Assert.Equal(all[4], MathF.Sqrt(shown[4]), 4);
            Assert.True(MathF.Sqrt(shown[4]) < all[5]);
        }
    }

    [Fact]
    public void Observation_DuringPlay_MatchesTheContract_IncludingEliminationsAndPadding()
    {
        // Chasers and random movers in 8-, 4- and 3-fighter arenas: knockbacks, eliminations and padding all occur.
        foreach (int fighters in new[] { 3, 4, 8 })
        {
            using var batch = new ArenaBatch(ArenaConfig.Standard(fighters), 8, threads: 1, autoReset: false);
            batch.Reset(17);
            var buffers = new StepBuffers(batch.AgentCount);
            batch.WriteObservations(buffers.Observations);
            var driver = new BotDriver(batch, i => Bots.Create(i % 2 == 0 ? "chaser" : "random", FighterSpec.Standard, (ulong)i));
            int eliminatedSeen = 0;
            for (int t = 0; t < 600; t++)
            {
                bool anyRunning = false;
                for (int a = 0; a < batch.ArenaCount; a++) anyRunning |= !batch.IsFinished(a);
                if (!anyRunning) break;
                var actions = driver.Decide(buffers);
                // Finished arenas may not be stepped: restart them so that the rest keeps going.
                for (int a = 0; a < batch.ArenaCount; a++) if (batch.IsFinished(a)) batch.ResetArena(a, (ulong)(1000 + t + a));
                batch.Step(actions, buffers);
                for (int i = 0; i < batch.AgentCount; i++)
                {
                    Geometry.AssertObservation(batch, buffers.Observations, i);
                    if (!batch.Fighter(i).Alive) eliminatedSeen++;
                }
            }
            Assert.True(eliminatedSeen > 0, $"{fighters} fighters: no elimination happened, the zero-observation rule went untested");
        }
    }

    [Fact]
    public void Observation_VelocitiesAreClampedToOne()
    {
        // A size-2 fighter hits a size-0.5 one: knockback min(18 / 0.25, 15) = 15 m/s, 12 m/s after friction.
        // Along an axis that is more than 10 m/s, observed as +-1 (clamped).
        int clamped = 0;
        for (ulong seed = 1; seed <= 30 && clamped < 3; seed++)
        {
            using var arena = Arena.Duel(seed, a: new FighterSpec(2f, 1f), b: new FighterSpec(0.5f, 1f));
            arena.ChaseUntilHit(0, 1);
            var v = arena[1];
            Assert.Equal(12f, MathF.Sqrt(v.VelocityX * v.VelocityX + v.VelocityY * v.VelocityY), 3);
            if (!v.Alive) continue;
            Geometry.AssertObservation(arena.Batch, arena.Buffers.Observations, 0);
            Geometry.AssertObservation(arena.Batch, arena.Buffers.Observations, 1);
            var own = arena.Observation(1);
            var seen = arena.Observation(0);
            if (MathF.Max(MathF.Abs(v.VelocityX), MathF.Abs(v.VelocityY)) <= 10f) continue;
            clamped++;
            int axis = MathF.Abs(v.VelocityX) > 10f ? 3 : 4;
            Assert.Equal(MathF.Sign(axis == 3 ? v.VelocityX : v.VelocityY), own[axis]); // exactly +-1
        }
        Assert.True(clamped > 0, "no seed produced a knockback faster than 10 m/s along an axis");
    }

    [Fact]
    public void Observation_ReachMargin_CrossesZeroExactlyWhereAnAttackStartsToLand()
    {
        // Fighter 0 walks towards an idle fighter 1 and attacks on every tick once the observed margin is <= 0:
        // the first attack lands, and while the margin was positive the two stood out of reach.
        using var arena = Arena.Duel(seed: 44);
        int n = 0;
        while (arena.Observation(0)[8] > 0f && n++ < 200)
        {
            Assert.Equal(Math.Clamp(Geometry.ReachMargin(arena[0], arena[1]) / 2f, -1f, 1f), arena.Observation(0)[8], 5);
            arena.Step(arena.MoveTo(0, arena[1].X, arena[1].Y), Contract.Idle);
        }
        Assert.True(arena.Observation(0)[8] <= 0f, "the margin never reached zero");
        Assert.True(arena.Observation(0)[8] > -0.1f, "the margin jumped far below zero in one tick");
        arena.Step(Contract.Attack, Contract.Idle);
        Assert.True(arena[0].Events.HasFlag(FighterEvents.HitLanded), "an attack at margin <= 0 must land");

        // Bigger fighters reach further: the same centre distance shows a smaller margin to a size-1.5 attacker.
        using var big = Arena.Duel(seed: 44, a: new FighterSpec(1.5f, 1f));
        for (int k = 0; k < 12; k++) big.Step(big.MoveTo(0, big[1].X, big[1].Y), big.MoveTo(1, big[0].X, big[0].Y));
        float bigMargin = Geometry.ReachMargin(big[0], big[1]), smallMargin = Geometry.ReachMargin(big[1], big[0]);
        Assert.True(bigMargin < smallMargin);
        Assert.Equal(bigMargin / 2f, big.Observation(0)[8], 5);
        Assert.Equal(smallMargin / 2f, big.Observation(1)[8], 5);
    }

    [Fact]
    public void Observation_EnemyCooldown_CountsDownFromNineTenths_AndZeroMeansItCanAttackNextTick()
    {
        using var arena = Arena.Duel(seed: 45);
        arena.ChaseUntilHit(0, 1);
        Assert.Equal(0f, arena.Observation(0)[9]); // the defender never attacked
        var seenCooldowns = new List<float> { arena.Observation(1)[9] };
        // The attacker keeps pressing attack; the defender watches its cooldown.
        while (true)
        {
            bool expectSwing = arena.Observation(1)[9] == 0f;
            arena.Step(Contract.Attack, Contract.Idle);
            bool swung = (arena[0].Events & FighterEvents.Attacked) != 0;
            Assert.Equal(expectSwing, swung);
            if (swung) break;
            seenCooldowns.Add(arena.Observation(1)[9]);
        }
        Assert.Equal([0.9f, 0.8f, 0.7f, 0.6f, 0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0f], seenCooldowns.Select(v => MathF.Round(v, 5)));
        Assert.Equal(0.9f, arena.Observation(1)[9], 5); // and the next swing starts it again
    }

    [Fact]
    public void Observation_OfAnEliminatedFighter_IsAllZeros_AndOthersNoLongerSeeIt()
    {
        // Three chasers: play until the first elimination while two are still standing.
        using var match = new Match(ArenaConfig.Standard(3), 21, Controllers.Of(21, "chaser", "chaser", "idle"));
        int? outSlot = null;
        while (!match.IsOver && outSlot is null)
        {
            match.Step();
            for (int s = 0; s < 3; s++) if (!match.Fighter(s).Alive) outSlot = s;
        }
        Assert.NotNull(outSlot);
        Assert.False(match.IsOver);
        Assert.All(match.Observation(outSlot!.Value).ToArray(), v => Assert.Equal(0f, v));
        for (int s = 0; s < 3; s++)
        {
            if (s == outSlot) continue;
            var obs = match.Observation(s);
            Assert.True(obs[7] > 0f, "the remaining enemy is in the first slot");
            for (int k = 10; k < 30; k++) Assert.Equal(0f, obs[k]);
        }
    }
}
