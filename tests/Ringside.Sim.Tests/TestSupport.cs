using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>
/// One arena without auto-reset, driven tick by tick with explicit actions: the tests' way of building
/// situations (approach, hit, push to the ropes) and reading the outcome from the fighter views.
/// </summary>
internal sealed class Arena : IDisposable
{
    public ArenaBatch Batch { get; }
    public StepBuffers Buffers { get; }
    private readonly int[] actions;

    public Arena(ArenaConfig config, ulong seed, bool withFinalObservations = false)
    {
        Batch = new ArenaBatch(config, arenaCount: 1, threads: 1, autoReset: false);
        Batch.ResetArena(0, seed);
        Buffers = new StepBuffers(config.FighterCount, withFinalObservations);
        Batch.WriteObservations(Buffers.Observations);
        actions = new int[config.FighterCount];
    }

    public static Arena Duel(ulong seed, FighterSpec? a = null, FighterSpec? b = null, int maxTicks = ArenaRules.DefaultMaxTicks) =>
        new(new ArenaConfig { Fighters = [a ?? FighterSpec.Standard, b ?? FighterSpec.Standard], MaxTicks = maxTicks }, seed);

    public int Fighters => actions.Length;
    public int Tick => Batch.Tick(0);
    public bool IsOver => Batch.IsFinished(0);
    public ArenaBatch.FighterView this[int slot] => Batch.Fighter(slot);
    public ulong Hash => Batch.StateHash(0);

    public void Step(params int[] perSlot)
    {
        Array.Copy(perSlot, actions, actions.Length);
        Batch.Step(actions, Buffers);
    }

    public float Term(int slot, RewardTerm term) => Batch.RewardTerms[slot * RewardWeights.Count + (int)term];
    public float Reward(int slot) => Buffers.Rewards[slot];
    public ReadOnlySpan<float> Observation(int slot) => Buffers.Observations.AsSpan(slot * Contract.ObservationSize, Contract.ObservationSize);

    public float Distance(int a, int b) => Geometry.Distance(this[a], this[b]);

    /// <summary>Surface-to-surface gap between two fighters.</summary>
    public float Gap(int a, int b) => Distance(a, b) - this[a].Radius - this[b].Radius;

    /// <summary>The chaser's rule written out: attack when the target's surface is within reach, else move toward it.</summary>
    public int ChaseOrAttack(int from, int to) =>
        Gap(from, to) <= this[from].Reach ? Contract.Attack : MoveTo(from, this[to].X, this[to].Y);

    public int MoveTo(int from, float x, float y) => Contract.MoveToward(x - this[from].X, y - this[from].Y);

    /// <summary>Steps with <paramref name="policy"/> (tick-indexed actions per slot) until <paramref name="until"/> holds after a step.</summary>
    public int RunUntil(Func<int, int[]> policy, Func<bool> until, int maxTicks)
    {
        for (int n = 0; n < maxTicks; n++)
        {
            if (IsOver) throw new InvalidOperationException($"episode ended at tick {Tick} before the awaited situation");
            Step(policy(n));
            if (until()) return Tick;
        }
        throw new InvalidOperationException($"the awaited situation did not happen within {maxTicks} ticks");
    }

    /// <summary>Slot <paramref name="attacker"/> chases slot <paramref name="target"/> (everyone else idles) until its first hit lands; returns that tick.</summary>
    public int ChaseUntilHit(int attacker, int target, int maxTicks = 600)
    {
        var a = Idle();
        return RunUntil(_ =>
        {
            Array.Fill(a, Contract.Idle);
            a[attacker] = ChaseOrAttack(attacker, target);
            return a;
        }, () => (this[attacker].Events & FighterEvents.HitLanded) != 0, maxTicks);
    }

    /// <summary>
    /// The axis move (east, north, west or south) that gives <paramref name="runner"/> the longest free run to the
    /// ropes, with no other fighter in its lane: a fast fighter taking it goes over the ropes.
    /// </summary>
    public int RunwayTowardTheRopes(int runner)
    {
        var me = this[runner];
        int best = -1;
        float bestRun = float.MinValue;
        for (int action = 0; action < 8; action += 2)
        {
            float dx = Contract.MoveX[action], dy = Contract.MoveY[action];
            float run = Geometry.Limit(me) - (me.X * dx + me.Y * dy);
            bool blocked = false;
            for (int s = 0; s < Fighters; s++)
            {
                if (s == runner || !this[s].Alive) continue;
                float ox = this[s].X - me.X, oy = this[s].Y - me.Y;
                float ahead = ox * dx + oy * dy, aside = MathF.Abs(ox * dy - oy * dx);
                blocked |= ahead > 0 && aside < me.Radius + this[s].Radius + 0.2f;
            }
            if (!blocked && run > bestRun) { bestRun = run; best = action; }
        }
        return best;
    }

    public int[] Idle() => Enumerable.Repeat(Contract.Idle, Fighters).ToArray();

    public void Dispose() => Batch.Dispose();
}

internal static class Geometry
{
    public static float Distance(ArenaBatch.FighterView a, ArenaBatch.FighterView b)
    {
        float dx = b.X - a.X, dy = b.Y - a.Y;
        return MathF.Sqrt(dx * dx + dy * dy);
    }

    /// <summary>The ropes' limit for a fighter's centre on each axis.</summary>
    public static float Limit(ArenaBatch.FighterView f) => ArenaRules.RingHalfSize - f.Radius;

    /// <summary>
    /// The contract-v1 observation of <paramref name="agent"/> computed from the fighter views, as docs/CONTRACT.md
    /// defines it: own x/5, y/5, health/100, vx/10, vy/10 (clamped); per enemy, nearest first, dx/10, dy/10, health/100,
    /// reach margin/2 (clamped) and its remaining cooldown ticks/10; zeros for missing enemies and for a fighter that is out.
    /// </summary>
    public static float[] ExpectedObservation(ArenaBatch batch, int agent)
    {
        var obs = new float[Contract.ObservationSize];
        var me = batch.Fighter(agent);
        if (!me.Alive) return obs;
        obs[0] = me.X / 5f;
        obs[1] = me.Y / 5f;
        obs[2] = me.Health / 100f;
        obs[3] = Math.Clamp(me.VelocityX / 10f, -1f, 1f);
        obs[4] = Math.Clamp(me.VelocityY / 10f, -1f, 1f);
        int first = agent / batch.FighterCount * batch.FighterCount;
        var enemies = Enumerable.Range(first, batch.FighterCount)
            .Where(j => j != agent && batch.Fighter(j).Alive)
            .Select(j => (j, d2: Sq(batch.Fighter(j).X - me.X) + Sq(batch.Fighter(j).Y - me.Y)))
            .OrderBy(e => e.d2).ThenBy(e => e.j) // stable: ties keep slot order
            .Take(Contract.ObservedEnemies).ToArray();
        for (int k = 0; k < enemies.Length; k++)
        {
            var e = batch.Fighter(enemies[k].j);
            int o = Contract.EnemyBlockOffset + k * Contract.ValuesPerEnemy;
            obs[o] = (e.X - me.X) / 10f;
            obs[o + 1] = (e.Y - me.Y) / 10f;
            obs[o + 2] = e.Health / 100f;
            obs[o + 3] = Math.Clamp(ReachMargin(me, e) / 2f, -1f, 1f);
            obs[o + 4] = e.Cooldown / 10f;
        }
        return obs;

        static float Sq(float v) => v * v;
    }

    /// <summary>The gap between two bodies minus the first one's reach, m: at or below 0 its attack lands.</summary>
    public static float ReachMargin(ArenaBatch.FighterView a, ArenaBatch.FighterView b)
    {
        float dx = b.X - a.X, dy = b.Y - a.Y;
        return MathF.Sqrt(dx * dx + dy * dy) - a.Radius - b.Radius - a.Reach;
    }

    public static void AssertObservation(ArenaBatch batch, float[] observations, int agent, float tolerance = 2e-6f)
    {
        var expected = ExpectedObservation(batch, agent);
        var actual = observations.AsSpan(agent * Contract.ObservationSize, Contract.ObservationSize);
        for (int k = 0; k < Contract.ObservationSize; k++)
            if (MathF.Abs(expected[k] - actual[k]) > tolerance)
                Assert.Fail($"agent {agent} observation[{k}]: expected {expected[k]}, got {actual[k]} " +
                            $"(expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual.ToArray())}])");
    }
}

/// <summary>Runs bots on every agent of a batch, the way a trainer would drive it.</summary>
internal sealed class BotDriver
{
    private readonly IFighterController[] bots;
    public int[] Actions { get; }

    public BotDriver(ArenaBatch batch, Func<int, IFighterController> create)
    {
        bots = Enumerable.Range(0, batch.AgentCount).Select(create).ToArray();
        Actions = new int[batch.AgentCount];
    }

    public int[] Decide(StepBuffers buffers)
    {
        for (int i = 0; i < bots.Length; i++)
            Actions[i] = bots[i].Decide(buffers.Observations.AsSpan(i * Contract.ObservationSize, Contract.ObservationSize));
        return Actions;
    }
}

internal static class Controllers
{
    public static IFighterController[] Of(ulong seed, params string[] names) =>
        names.Select((n, i) => Bots.Create(n, FighterSpec.Standard, SplitMix64.Mix(seed, (ulong)(100 + i)))).ToArray();
}
