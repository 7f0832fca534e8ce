using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>Physics invariants of docs/CONTRACT.md, checked on situations built by driving fighters with actions.</summary>
public class PhysicsTests
{
    private const float Dt = ArenaRules.Dt;

    /// <summary>The move action toward the ropes nearest to a fighter, and that rope's axis (0 = x, 1 = y) and side.</summary>
    private static (int Action, int Axis, int Side) NearestRope(ArenaBatch.FighterView f) =>
        MathF.Abs(f.X) >= MathF.Abs(f.Y)
            ? (f.X >= 0 ? 0 : 4, 0, f.X >= 0 ? 1 : -1)
            : (f.Y >= 0 ? 2 : 6, 1, f.Y >= 0 ? 1 : -1);

    [Theory]
    [InlineData(1f, 1f, 1)]
    [InlineData(1f, 1f, 2)]
    [InlineData(1.5f, 1f, 3)]
    [InlineData(2f, 2f, 4)]
    [InlineData(1f, 2f, 5)]
    [InlineData(0.5f, 1f, 6)]
    [InlineData(2f, 0.5f, 7)]
    public void Hit_DealsTenTimesSize_AndKnocksTheDefenderAwayFromTheAttacker(float attackerSize, float defenderSize, ulong seed)
    {
        using var arena = Arena.Duel(seed, new FighterSpec(attackerSize, 1f), new FighterSpec(defenderSize, 1f));
        for (int n = 0; n < 600; n++)
        {
            float ax = arena[0].X, ay = arena[0].Y, bx = arena[1].X, by = arena[1].Y;
            Assert.Equal(0f, arena[1].VelocityX); // the defender idles and has not been touched yet
            Assert.Equal(0f, arena[1].VelocityY);
            int action = arena.ChaseOrAttack(0, 1);
            arena.Step(action, Contract.Idle);
            if ((arena[0].Events & FighterEvents.HitLanded) == 0)
            {
                Assert.Equal(100f, arena[1].Health);
                continue;
            }

            Assert.Equal(Contract.Attack, action);
            float d = MathF.Sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
            float nx = (bx - ax) / d, ny = (by - ay) / d;
            var defender = arena[1];
            // Damage is 10 x the attacker's size; damage_taken counts it in standard hits.
            Assert.Equal(100f - 10f * attackerSize, defender.Health, 4);
            Assert.Equal(attackerSize, arena.Term(1, RewardTerm.DamageTaken), 5);
            Assert.Equal(1f, arena.Term(0, RewardTerm.AttackHit));
            Assert.Equal(FighterEvents.Attacked | FighterEvents.HitLanded, arena[0].Events);
            Assert.Equal(FighterEvents.WasHit, defender.Events & FighterEvents.WasHit);
            // Knockback: min(9 size_a / size_d^2, 15) m/s from attacker to defender, then one tick of friction.
            float push = MathF.Min(9f * attackerSize / (defenderSize * defenderSize), 15f) * 0.8f;
            Assert.Equal(push * nx, defender.VelocityX, 3);
            Assert.Equal(push * ny, defender.VelocityY, 3);
            Assert.True(defender.VelocityX * nx + defender.VelocityY * ny > 0, "the defender moves away from the attacker");
            Assert.True((defender.X - bx) * nx + (defender.Y - by) * ny > 0, "the defender was displaced away from the attacker");
            // An attack turns the attacker to face its target.
            Assert.Equal(nx, arena[0].FacingX, 4);
            Assert.Equal(ny, arena[0].FacingY, 4);
            return;
        }
        Assert.Fail("no hit landed within 600 ticks of chasing");
    }

    /// <summary>Uses <see cref="ArenaRules.AttackCooldownTicks"/> (pinned to 10 in ContractTests) so that only the pin fails if it changes.</summary>
    [Fact]
    public void Cooldown_PreventsASecondSwingWithinTheCooldownTicks()
    {
        // A heavy defender (size 2) slides only ~0.3 m per hit, so the attacker stays in reach most of the time.
        using var arena = Arena.Duel(seed: 9, b: new FighterSpec(2f, 1f));
        var swings = new List<int>();
        int blocked = 0;
        for (int n = 0; n < 240 && !arena.IsOver; n++)
        {
            int action = arena.ChaseOrAttack(0, 1);
            int cooldownBefore = arena[0].Cooldown;
            float healthBefore = arena[1].Health;
            arena.Step(action, Contract.Idle);
            if ((arena[0].Events & FighterEvents.Attacked) != 0)
            {
                swings.Add(arena.Tick);
                Assert.True(arena[0].Cooldown > 0, "a swing starts the cooldown");
            }
            else if (action == Contract.Attack)
            {
                // In reach and attacking, but still cooling down: nothing happens, the cooldown counts down.
                Assert.True(cooldownBefore > 0, $"tick {arena.Tick}: an attack with cooldown {cooldownBefore} did not swing");
                Assert.Equal(healthBefore, arena[1].Health);
                Assert.Equal(cooldownBefore - 1, arena[0].Cooldown);
                Assert.Equal(FighterEvents.None, arena[0].Events);
                blocked++;
            }
        }
        Assert.True(swings.Count >= 4, $"expected several swings, got {swings.Count}");
        Assert.True(blocked > 0, "the cooldown never blocked an attack");
        var gaps = swings.Zip(swings.Skip(1), (a, b) => b - a).ToArray();
        int cooldown = ArenaRules.AttackCooldownTicks;
        Assert.All(gaps, g => Assert.True(g >= cooldown, $"two swings {g} ticks apart"));
        Assert.Contains(cooldown, gaps); // and it is not longer than that
    }

    [Fact]
    public void Attack_OutOfReach_Misses_ButStillStartsTheCooldown()
    {
        using var arena = Arena.Duel(seed: 4);
        arena.RunUntil(_ => [arena.MoveTo(0, arena[1].X, arena[1].Y), Contract.Idle],
            () => arena.Gap(0, 1) <= arena[0].Reach + 0.4f, 600);
        Assert.True(arena.Gap(0, 1) > arena[0].Reach);
        arena.Step(Contract.Attack, Contract.Idle);
        Assert.Equal(FighterEvents.Attacked, arena[0].Events);
        Assert.Equal(100f, arena[1].Health);
        Assert.Equal(0f, arena.Term(0, RewardTerm.AttackHit));
        Assert.True(arena[0].Cooldown > 0);
        // The missed swing cost the cooldown: attacking again at once does nothing.
        arena.Step(Contract.Attack, Contract.Idle);
        Assert.Equal(FighterEvents.None, arena[0].Events);
    }

    [Fact]
    public void BiggerFighter_HitsFromFurther()
    {
        // At a surface gap of about 1 m a size-2 fighter (reach 1.2 m) lands, a size-1 fighter (reach 0.6 m) misses.
        foreach (var (size, lands) in new[] { (2f, true), (1f, false) })
        {
            using var arena = Arena.Duel(seed: 12, a: new FighterSpec(size, 1f));
            arena.RunUntil(_ => [arena.MoveTo(0, arena[1].X, arena[1].Y), Contract.Idle], () => arena.Gap(0, 1) <= 1.0f, 600);
            Assert.InRange(arena.Gap(0, 1), 0.7f, 1.0f);
            arena.Step(Contract.Attack, Contract.Idle);
            Assert.Equal(lands, (arena[0].Events & FighterEvents.HitLanded) != 0);
        }
    }

    [Fact]
    public void FighterStats_FollowTheContractFormulas()
    {
        foreach (float size in new[] { 0.5f, 0.8f, 1f, 1.3f, 2f })
            foreach (float speed in new[] { 0.5f, 1f, 2f })
            {
                var s = new FighterSpec(size, speed).Stats;
                Assert.Equal(0.5f * size, s.Radius, 5);
                Assert.Equal(size * size, s.Mass, 5);
                Assert.Equal(3.5f * speed / MathF.Sqrt(size), s.MaxSpeed, 4);
                Assert.Equal(0.6f * size, s.Reach, 5);
                Assert.Equal(10f * size, s.Damage, 5);
                Assert.Equal(9f * size, s.Knockback, 5);
            }
        var standard = FighterSpec.Standard.Stats;
        Assert.Equal(new FighterStats(0.5f, 1f, 3.5f, 0.6f, 10f, 9f), standard);
        var big = new FighterSpec(2f, 1f).Stats;
        Assert.True(big.Reach > standard.Reach && big.Damage > standard.Damage && big.Radius > standard.Radius);
        Assert.True(big.MaxSpeed < standard.MaxSpeed, "bigger is slower");
        Assert.True(new FighterSpec(1f, 2f).Stats.MaxSpeed > standard.MaxSpeed, "faster is faster");
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(2f, 1f)]
    [InlineData(0.5f, 1f)]
    [InlineData(1f, 1.5f)]
    [InlineData(1.6f, 0.6f)]
    public void HoldingADirection_ApproachesExactlyTheMaxSpeed(float size, float speed)
    {
        using var arena = Arena.Duel(seed: 6, a: new FighterSpec(size, speed));
        int toCentre = arena.MoveTo(0, 0f, 0f);
        for (int n = 0; n < 10; n++) arena.Step(toCentre, Contract.Idle);
        var f = arena[0];
        float v = MathF.Sqrt(f.VelocityX * f.VelocityX + f.VelocityY * f.VelocityY);
        float max = new FighterSpec(size, speed).Stats.MaxSpeed;
        // v_n = max (1 - 0.8^n) for a fighter starting at rest.
        Assert.Equal(max * (1f - MathF.Pow(0.8f, 10)), v, 3);
        Assert.Equal(Contract.MoveX[toCentre], f.FacingX); // a moving fighter faces its move direction
        Assert.Equal(Contract.MoveY[toCentre], f.FacingY);
    }

    [Fact]
    public void Knockout_AtHealthZero_EndsTheEpisode()
    {
        // Size 2 on size 2: 20 damage per hit, knockback 4.5 m/s (3.6 after friction) cannot ring out: 5 hits knock out.
        var big = new FighterSpec(2f, 1f);
        using var arena = Arena.Duel(seed: 5, a: big, b: big);
        int hits = 0;
        while (arena[1].Alive)
        {
            Assert.False(arena.IsOver);
            Assert.True(arena.Tick < 1500, "no knockout within 1500 ticks");
            arena.Step(arena.ChaseOrAttack(0, 1), Contract.Idle);
            if ((arena[1].Events & FighterEvents.WasHit) != 0) hits++;
        }
        Assert.Equal(5, hits);
        var loser = arena[1];
        Assert.Equal(0f, loser.Health);
        Assert.Equal(Elimination.Knockout, loser.Elimination);
        Assert.Equal(arena.Tick, loser.EliminatedAtTick);
        Assert.True((loser.Events & FighterEvents.KnockedOut) != 0);
        Assert.True((arena[0].Events & FighterEvents.Eliminated) != 0);
        Assert.Equal(1f, arena.Term(0, RewardTerm.Knockout));
        Assert.Equal(0f, arena.Term(1, RewardTerm.RingOut));
        Assert.True(arena.IsOver);
        Assert.Equal([true, true], arena.Buffers.Terminals);
        Assert.Equal([false, false], arena.Buffers.Truncations);
        var result = arena.Batch.LastResult(0);
        Assert.Equal(0, result.Winner);
        Assert.False(result.TimeLimit);
        Assert.Equal(arena.Tick, result.Ticks);
        Assert.Equal(1, arena.Batch.AliveCount(0));
        Assert.All(arena.Observation(1).ToArray(), v => Assert.Equal(0f, v));
        // Without auto-reset a finished arena stays as it is: further steps change nothing and report nothing.
        ulong hash = arena.Hash;
        arena.Step(Contract.Attack, Contract.Attack);
        Assert.Equal(hash, arena.Hash);
        Assert.True(arena.IsOver);
        Assert.Equal([0f, 0f], arena.Buffers.Rewards);
        Assert.Equal([false, false], arena.Buffers.Terminals);
        Assert.Equal(0, arena.Batch.CompletedArenas.Length);
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(2f, 2f)]   // the fastest big fighter: 3.5 * 2 / sqrt 2 = 4.95 m/s, still under the 5 m/s rope-break speed
    [InlineData(0.5f, 0.7f)]
    public void Ropes_StopASlowFighter(float size, float speed)
    {
        using var arena = Arena.Duel(seed: 14, b: new FighterSpec(size, speed));
        var (toRope, axis, side) = NearestRope(arena[1]);
        int atRope = 0;
        for (int n = 0; n < 150; n++)
        {
            arena.Step(Contract.Idle, toRope);
            var f = arena[1];
            Assert.True(f.Alive, $"tick {arena.Tick}: a fighter at {f.X:0.00},{f.Y:0.00} went over the ropes");
            float limit = Geometry.Limit(f);
            Assert.InRange(f.X, -limit, limit);
            Assert.InRange(f.Y, -limit, limit);
            float pos = axis == 0 ? f.X : f.Y, vel = axis == 0 ? f.VelocityX : f.VelocityY;
            if (pos == side * limit)
            {
                atRope++;
                Assert.Equal(0f, vel); // the ropes absorb the outward velocity
            }
        }
        Assert.True(atRope > 60, $"the fighter reached the ropes for only {atRope} ticks");
    }

    [Fact]
    public void FastFighter_RunningIntoTheRopes_IsRungOut_WithoutCreditToAnyone()
    {
        // Size 1, speed 2: 7 m/s, faster than the 5 m/s the ropes hold.
        using var arena = Arena.Duel(seed: 15, b: new FighterSpec(1f, 2f));
        int toRope = arena.RunwayTowardTheRopes(1);
        arena.RunUntil(_ => [Contract.Idle, toRope], () => !arena[1].Alive, 200);
        Assert.Equal(Elimination.RingOut, arena[1].Elimination);
        Assert.Equal(1f, arena.Term(1, RewardTerm.RingOut));
        Assert.Equal(0f, arena.Term(0, RewardTerm.Knockout));
        Assert.Equal(FighterEvents.None, arena[0].Events & FighterEvents.Eliminated);
        Assert.Equal(-10f, arena.Reward(1), 5); // seed weights: ring_out -10, nothing else once out
        Assert.Equal(0, arena.Batch.LastResult(0).Winner);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    [InlineData(23)]
    public void HardHit_NearTheRopes_RingsOut_AndCreditsTheHitter(ulong seed)
    {
        using var arena = Arena.Duel(seed);
        var (toRope, axis, side) = NearestRope(arena[1]);
        float dx = axis == 0 ? side : 0, dy = axis == 1 ? side : 0;
        // The defender leans on its nearest rope; the attacker walks to a point 1.3 m inside of it, then strikes outward.
        arena.RunUntil(_ => [Contract.Idle, toRope], () => (axis == 0 ? arena[1].X : arena[1].Y) == side * Geometry.Limit(arena[1]), 200);
        arena.RunUntil(_ => [arena.MoveTo(0, arena[1].X - 1.3f * dx, arena[1].Y - 1.3f * dy), toRope],
            () => MathF.Abs(arena[0].X - (arena[1].X - 1.3f * dx)) + MathF.Abs(arena[0].Y - (arena[1].Y - 1.3f * dy)) < 0.3f, 600);
        Assert.True(arena[1].Alive);
        int hitTick = arena.RunUntil(_ => [arena.ChaseOrAttack(0, 1), toRope], () => (arena[1].Events & FighterEvents.WasHit) != 0, 100);

        var loser = arena[1];
        Assert.False(loser.Alive, "a 9 m/s hit outward at the ropes must ring out");
        Assert.Equal(Elimination.RingOut, loser.Elimination);
        Assert.Equal(hitTick, loser.EliminatedAtTick);
        Assert.True((loser.Events & FighterEvents.RingOut) != 0);
        Assert.Equal(90f, loser.Health); // rung out, not knocked out
        Assert.Equal(1f, arena.Term(1, RewardTerm.RingOut));
        Assert.Equal(1f, arena.Term(0, RewardTerm.Knockout));
        Assert.True((arena[0].Events & FighterEvents.Eliminated) != 0);
        Assert.True(arena.IsOver);
        Assert.Equal(0, arena.Batch.LastResult(0).Winner);
        Assert.Equal([true, true], arena.Buffers.Terminals);
    }

    [Fact]
    public void Bodies_DoNotOverlapAfterAStep_InTheOpenRing()
    {
        // Two fighters of different sizes shoving each other; checked whenever neither is held by the ropes.
        int contacts = 0;
        foreach (var (sa, sb) in new[] { (1f, 1f), (2f, 0.5f), (0.7f, 1.4f) })
            for (ulong seed = 1; seed <= 6; seed++)
            {
                using var arena = Arena.Duel(seed, new FighterSpec(sa, 1f), new FighterSpec(sb, 1.5f));
                for (int n = 0; n < 200 && !arena.IsOver; n++)
                {
                    arena.Step(arena.MoveTo(0, arena[1].X, arena[1].Y), n % 40 < 30 ? arena.MoveTo(1, arena[0].X, arena[0].Y) : Contract.Idle);
                    if (AtRopes(arena[0]) || AtRopes(arena[1])) continue;
                    float overlap = arena[0].Radius + arena[1].Radius - arena.Distance(0, 1);
                    Assert.True(overlap <= 1e-4f, $"sizes {sa}/{sb} seed {seed} tick {arena.Tick}: bodies overlap by {overlap} m");
                    if (overlap > -1e-3f) contacts++;
                }
            }
        Assert.True(contacts > 100, $"only {contacts} contacts: the test did not push the bodies together");

        static bool AtRopes(ArenaBatch.FighterView f) => MathF.Max(MathF.Abs(f.X), MathF.Abs(f.Y)) >= Geometry.Limit(f) - 1e-4f;
    }

    [Fact]
    public void Bodies_DoNotOverlapAfterAStep_WhenOneIsPushedIntoTheRopes()
    {
        using var arena = Arena.Duel(seed: 42);
        var (toRope, _, _) = NearestRope(arena[1]);
        float worst = 0;
        for (int n = 0; n < 400; n++)
        {
            arena.Step(n < 150 ? Contract.Idle : arena.MoveTo(0, arena[1].X, arena[1].Y), toRope);
            worst = MathF.Max(worst, 1f - arena.Distance(0, 1));
        }
        Assert.True(worst <= 1e-4f, $"bodies overlapped by up to {worst} m");
    }

    [Fact]
    public void Bodies_DoNotOverlapAfterAStep_InACrowdOfEight()
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(8), 4, 1, autoReset: false);
        batch.Reset(3);
        var buffers = new StepBuffers(batch.AgentCount);
        var actions = new int[batch.AgentCount];
        float worst = 0;
        for (int t = 0; t < 120; t++)
        {
            for (int i = 0; i < actions.Length; i++) actions[i] = Contract.MoveToward(-batch.Fighter(i).X, -batch.Fighter(i).Y);
            batch.Step(actions, buffers);
            for (int a = 0; a < 4; a++)
                for (int i = a * 8; i < a * 8 + 8; i++)
                    for (int j = i + 1; j < a * 8 + 8; j++)
                        worst = MathF.Max(worst, 1f - Geometry.Distance(batch.Fighter(i), batch.Fighter(j)));
        }
        // Contacts settle in at most 8 passes (docs/CONTRACT.md): eight fighters pressing together keep under 1 mm.
        Assert.True(worst <= 1e-3f, $"bodies overlapped by up to {worst} m");
    }

    [Fact]
    public void TimeLimit_WithEqualHealth_IsADraw_AndTruncatesBoth()
    {
        using var arena = Arena.Duel(seed: 2, maxTicks: 30);
        for (int n = 1; n < 30; n++)
        {
            arena.Step(Contract.Idle, Contract.Idle);
            Assert.Equal([false, false], arena.Buffers.Truncations);
            Assert.False(arena.IsOver);
        }
        arena.Step(Contract.Idle, Contract.Idle);
        Assert.True(arena.IsOver);
        Assert.Equal([true, true], arena.Buffers.Truncations);
        Assert.Equal([false, false], arena.Buffers.Terminals);
        var r = arena.Batch.LastResult(0);
        Assert.True(r.TimeLimit);
        Assert.True(r.IsDraw);
        Assert.Equal(-1, r.Winner);
        Assert.Equal(30, r.Ticks);
    }

    [Fact]
    public void TimeLimit_TheHealthiestStandingFighterWins()
    {
        int hitTick;
        using (var probe = Arena.Duel(seed: 8)) hitTick = probe.ChaseUntilHit(0, 1);

        using var arena = Arena.Duel(seed: 8, maxTicks: hitTick + 10);
        Assert.Equal(hitTick, arena.ChaseUntilHit(0, 1));
        while (!arena.IsOver) arena.Step(Contract.Idle, Contract.Idle);
        var r = arena.Batch.LastResult(0);
        Assert.True(r.TimeLimit);
        Assert.Equal(0, r.Winner);
        Assert.Equal(hitTick + 10, r.Ticks);
        Assert.Equal([true, true], arena.Buffers.Truncations);
        Assert.Equal([false, false], arena.Buffers.Terminals);
        Assert.True(arena[0].Alive && arena[1].Alive);
    }

    [Fact]
    public void TimeLimit_TieForTheBestHealth_IsADraw_EvenWithAWeakerThirdFighter()
    {
        var config = ArenaConfig.Standard(3);
        int hitTick;
        using (var probe = new Arena(config, 10)) hitTick = probe.ChaseUntilHit(0, 2);
        using var arena = new Arena(config with { MaxTicks = hitTick + 5 }, 10);
        arena.ChaseUntilHit(0, 2);
        while (!arena.IsOver) arena.Step(Contract.Idle, Contract.Idle, Contract.Idle);
        Assert.Equal([100f, 100f, 90f], new[] { arena[0].Health, arena[1].Health, arena[2].Health });
        Assert.Equal(-1, arena.Batch.LastResult(0).Winner);
        Assert.True(arena.Batch.LastResult(0).TimeLimit);
    }

    [Fact]
    public void Episode_EndsWhenOneIsLeft_OrEarlierWhenAWatchedSlotFalls()
    {
        var config = ArenaConfig.Standard(3);
        ulong seed = 0;
        int firstOut = -1, firstTick = 0, fullTicks = 0;
        // Find a three-chaser match whose first elimination leaves two standing.
        for (seed = 1; seed < 50 && firstOut < 0; seed++)
        {
            using var arena = new Arena(config, seed);
            var bots = Controllers.Of(seed, "chaser", "chaser", "chaser");
            var a = new int[3];
            while (!arena.IsOver)
            {
                for (int s = 0; s < 3; s++) a[s] = bots[s].Decide(arena.Observation(s));
                arena.Step(a);
                if (arena.Batch.AliveCount(0) == 2 && firstOut < 0)
                {
                    firstOut = Enumerable.Range(0, 3).Single(s => !arena[s].Alive);
                    firstTick = arena.Tick;
                    Assert.False(arena.IsOver);
                    Assert.Equal([false, false, false], Enumerable.Range(0, 3).Select(s => s != firstOut && arena.Buffers.Terminals[s]));
                    Assert.True(arena.Buffers.Terminals[firstOut]);
                }
                if (arena.IsOver && firstOut >= 0)
                {
                    fullTicks = arena.Tick;
                    Assert.True(arena.Batch.AliveCount(0) <= 1, "the episode ends when at most one is left");
                    Assert.False(arena.Batch.LastResult(0).TimeLimit);
                }
                if (arena.IsOver && firstOut < 0) break;
            }
            if (firstOut >= 0) break;
        }
        Assert.True(firstOut >= 0, "no suitable three-fighter match found");
        Assert.True(fullTicks > firstTick);

        // The same match with the first-eliminated slot watched ends at its elimination, terminal for everyone.
        {
            using var arena = new Arena(config with { EndWhenEliminatedMask = 1 << firstOut }, seed);
            var bots = Controllers.Of(seed, "chaser", "chaser", "chaser");
            var a = new int[3];
            while (!arena.IsOver)
            {
                for (int s = 0; s < 3; s++) a[s] = bots[s].Decide(arena.Observation(s));
                arena.Step(a);
            }
            Assert.Equal(firstTick, arena.Tick);
            Assert.Equal(2, arena.Batch.AliveCount(0));
            Assert.Equal([true, true, true], arena.Buffers.Terminals);
            Assert.Equal([false, false, false], arena.Buffers.Truncations);
            var r = arena.Batch.LastResult(0);
            Assert.False(r.TimeLimit);
            Assert.NotEqual(firstOut, r.Winner);
        }
        // Watching another slot does not end it there.
        {
            int other = (firstOut + 1) % 3;
            using var arena = new Arena(config with { EndWhenEliminatedMask = 1 << other }, seed);
            var bots = Controllers.Of(seed, "chaser", "chaser", "chaser");
            var a = new int[3];
            for (int n = 0; n < firstTick; n++)
            {
                for (int s = 0; s < 3; s++) a[s] = bots[s].Decide(arena.Observation(s));
                arena.Step(a);
            }
            Assert.False(arena.IsOver);
            Assert.False(arena[firstOut].Alive);
        }
    }

    [Fact]
    public void AutoReset_StartsAFreshEpisodeWithADerivedSeed_AndReportsTheOldOne()
    {
        var config = ArenaConfig.Standard(2) with { MaxTicks = 5 };
        using var batch = new ArenaBatch(config, 2);
        batch.Reset(100);
        ulong seed0 = batch.EpisodeSeed(0), seed1 = batch.EpisodeSeed(1);
        using var shadow = new ArenaBatch(config, 2, autoReset: false); // the same episodes without reset
        shadow.ResetArena(0, seed0);
        shadow.ResetArena(1, seed1);
        var buffers = new StepBuffers(4, withFinalObservations: true);
        var shadowBuffers = new StepBuffers(4);
        int[] actions = [0, 2, 4, 6];
        for (int n = 0; n < 5; n++)
        {
            Assert.Equal(0, batch.CompletedArenas.Length);
            batch.Step(actions, buffers);
            shadow.Step(actions, shadowBuffers);
        }
        Assert.Equal([0, 1], batch.CompletedArenas.ToArray());
        Assert.Equal(new EpisodeResult(0, seed0, 5, -1, true), batch.LastResult(0));
        Assert.Equal(SplitMix64.Mix(seed0, 1), batch.EpisodeSeed(0));
        Assert.Equal(SplitMix64.Mix(seed1, 1), batch.EpisodeSeed(1));
        Assert.Equal(0, batch.Tick(0));
        Assert.All(Enumerable.Range(0, 4), i => Assert.Equal(100f, batch.Fighter(i).Health));
        Assert.Equal([true, true, true, true], buffers.Truncations);
        // The final observations are the last ones of the old episode; the observations are the new episode's first.
        Assert.Equal(shadowBuffers.Observations, buffers.FinalObservations);
        using var fresh = new ArenaBatch(config, 2);
        fresh.ResetArena(0, SplitMix64.Mix(seed0, 1));
        fresh.ResetArena(1, SplitMix64.Mix(seed1, 1));
        var freshObs = new float[4 * 30];
        fresh.WriteObservations(freshObs);
        Assert.Equal(freshObs, buffers.Observations);
        Assert.Equal(fresh.StateHash(0), batch.StateHash(0));
        Assert.Equal(fresh.StateHash(1), batch.StateHash(1));

        // Stepping on continues; the next episode ends five ticks later with its own seed.
        for (int n = 0; n < 5; n++) batch.Step(actions, buffers);
        Assert.Equal(2, batch.CompletedArenas.Length);
        Assert.Equal(SplitMix64.Mix(seed0, 1), batch.LastResult(0).EpisodeSeed);
    }

    [Fact]
    public void WithoutAutoReset_AFinishedArenaStaysPut_WhileTheOthersRunOn_UntilReset()
    {
        // Arena 0 has a 3-tick time limit in effect (both arenas do), arena 1 is restarted after it ends.
        var config = ArenaConfig.Standard(2) with { MaxTicks = 3 };
        using var batch = new ArenaBatch(config, 2, autoReset: false);
        batch.Reset(1);
        var buffers = new StepBuffers(4, withFinalObservations: true);
        int[] moves = [0, 2, 4, 6];
        for (int n = 0; n < 3; n++) batch.Step(moves, buffers);
        Assert.True(batch.IsFinished(0) && batch.IsFinished(1));
        Assert.Equal([0, 1], batch.CompletedArenas.ToArray());
        Assert.Equal([true, true, true, true], buffers.Truncations);
        var finalObservations = buffers.Observations.ToArray();
        Assert.Equal(finalObservations, buffers.FinalObservations);
        ulong h0 = batch.StateHash(0);

        batch.ResetArena(1, 6);
        for (int n = 0; n < 2; n++)
        {
            batch.Step(moves, buffers);
            Assert.Equal(h0, batch.StateHash(0));
            Assert.Equal(3, batch.Tick(0));
            Assert.True(batch.IsFinished(0));
            Assert.Equal([0f, 0f], buffers.Rewards[..2]);
            Assert.Equal([false, false], buffers.Terminals[..2]);
            Assert.Equal([false, false], buffers.Truncations[..2]);
            Assert.Equal(finalObservations[..60], buffers.Observations[..60]);
            Assert.Equal(n + 1, batch.Tick(1));
            Assert.Equal(0, batch.CompletedArenas.Length);
            Assert.True(buffers.Rewards[2] > 0 && buffers.Rewards[3] > 0, "the running arena is rewarded");
        }
        batch.Step(moves, buffers);
        Assert.Equal([1], batch.CompletedArenas.ToArray()); // only the arena that really ended now
        batch.ResetArena(0, 5);
        Assert.False(batch.IsFinished(0));
        batch.Step(moves, buffers);
        Assert.Equal(1, batch.Tick(0));
    }

    [Fact]
    public void Match_RefusesToStepOnceOver()
    {
        using var match = new Match(ArenaConfig.Standard(2) with { MaxTicks = 2 }, 1);
        match.Step([8, 8]);
        match.Step([8, 8]);
        Assert.True(match.IsOver);
        Assert.Throws<InvalidOperationException>(() => match.Step([8, 8]));
        Assert.Equal(2, match.ToReplay().Ticks);
    }

    [Fact]
    public void EliminatedFighter_ActionsAreIgnored_AndItsRowsAreZero()
    {
        // Two copies of one three-fighter episode: the fast fighter 2 runs over the ropes, then 0 and 1 move
        // at random. Once 2 is out, copy B feeds it random actions too, copy A idles it: the states stay identical.
        var config = new ArenaConfig { Fighters = [FighterSpec.Standard, FighterSpec.Standard, new FighterSpec(1f, 2f)] };
        using var a = new Arena(config, 33);
        using var b = new Arena(config, 33);
        int run = a.RunwayTowardTheRopes(2);
        var rng = new SplitMix64(1);
        int afterOut = 0;
        while (!a.IsOver && afterOut < 60)
        {
            Assert.True(a.Tick < 300, "fighter 2 did not go over the ropes");
            bool out2 = !a[2].Alive;
            int[] actions = out2 ? [rng.NextInt(8), rng.NextInt(8), Contract.Idle] : [Contract.Idle, Contract.Idle, run];
            a.Step(actions);
            if (out2) { actions[2] = rng.NextInt(Contract.ActionCount); afterOut++; }
            b.Step(actions);
            Assert.Equal(a.Hash, b.Hash);
            if (out2)
            {
                foreach (var arena in new[] { a, b })
                {
                    Assert.Equal(0f, arena.Reward(2));
                    Assert.False(arena.Buffers.Terminals[2]);
                    Assert.False(arena.Buffers.Truncations[2]);
                    Assert.All(arena.Observation(2).ToArray(), v => Assert.Equal(0f, v));
                    for (int k = 0; k < RewardWeights.Count; k++) Assert.Equal(0f, arena.Term(2, (RewardTerm)k));
                    Assert.Equal(Contract.Idle, arena[2].LastAction);
                }
            }
        }
        Assert.Equal(60, afterOut);
        Assert.Equal(Elimination.RingOut, a[2].Elimination);
    }
}
