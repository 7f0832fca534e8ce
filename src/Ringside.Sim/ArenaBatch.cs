namespace Ringside.Sim;

/// <summary>How a fighter left the ring, or <see cref="None"/> while it is in.</summary>
public enum Elimination : byte { None, Knockout, RingOut }

/// <summary>What happened to a fighter on the last step, as bit flags (frame exports and the 3D game use them).</summary>
[Flags]
public enum FighterEvents : byte
{
    None = 0,
    /// <summary>Swung an attack (hit or not).</summary>
    Attacked = 1,
    /// <summary>The attack landed.</summary>
    HitLanded = 2,
    /// <summary>Was hit.</summary>
    WasHit = 4,
    /// <summary>Was knocked out (health 0).</summary>
    KnockedOut = 8,
    /// <summary>Went over the ropes.</summary>
    RingOut = 16,
    /// <summary>Is credited with an opponent's elimination.</summary>
    Eliminated = 32,
}

/// <summary>How an episode ended, as reported once per finished arena.</summary>
public readonly record struct EpisodeResult(
    int Arena, ulong EpisodeSeed, int Ticks, int Winner, bool TimeLimit)
{
    /// <summary>True when nobody won: everyone went down together, or the time limit came with a tie on health.</summary>
    public bool IsDraw => Winner < 0;
}

/// <summary>
/// Buffers the caller owns and <see cref="ArenaBatch.Step"/> writes, one row per agent
/// (agent = arena * fighters + slot). Arrays rather than spans so that worker threads can write them.
/// </summary>
public sealed class StepBuffers
{
    public float[] Observations { get; }
    public float[] Rewards { get; }
    /// <summary>The agent's episode ended by the game's logic: it was eliminated, or the episode ended with it standing.</summary>
    public bool[] Terminals { get; }
    /// <summary>The episode was cut off by the time limit with the agent standing (bootstrap its value).</summary>
    public bool[] Truncations { get; }
    /// <summary>Optional: the last observation of a finished episode, for agents whose episode ended on this step.</summary>
    public float[]? FinalObservations { get; }

    public StepBuffers(int agents, bool withFinalObservations = false)
    {
        Observations = new float[agents * Contract.ObservationSize];
        Rewards = new float[agents];
        Terminals = new bool[agents];
        Truncations = new bool[agents];
        FinalObservations = withFinalObservations ? new float[agents * Contract.ObservationSize] : null;
    }

    public int Agents => Rewards.Length;
}

/// <summary>
/// Many arenas stepped together: the one simulation of Ringside. State is struct-of-arrays indexed by agent
/// (arena * fighters + slot); a step is deterministic per arena, so results are bit-identical whatever the
/// number of threads. An arena whose episode ends resets itself within the same step, and nothing is
/// allocated after construction.
/// </summary>
[System.Runtime.CompilerServices.SkipLocalsInit]
public sealed class ArenaBatch : IDisposable
{
    public ArenaConfig Config { get; }
    public int ArenaCount { get; }
    public int FighterCount { get; }
    public int AgentCount { get; }
    public int Threads => workers.Partitions;

    // Per agent: dynamic state.
    private readonly float[] posX, posY, velX, velY, facingX, facingY, health;
    private readonly int[] cooldown, lastHitBy, lastHitTick, eliminatedAtTick;
    private readonly bool[] alive;
    private readonly Elimination[] elimination;
    private readonly FighterEvents[] events;
    private readonly byte[] lastAction;
    private readonly float[] rewardTerms; // [agents, RewardWeights.Count]

    // Per slot (the same in every arena): constants from the fighter specs, and reward weights.
    private readonly float[] radius, invMass, accel, reach, damage, knockback;
    private readonly float[] weights; // [fighters, RewardWeights.Count]

    // Per arena.
    private readonly int[] tick, aliveCount;
    private readonly ulong[] episodeSeed;
    private readonly bool[] justEnded, finished;
    private readonly EpisodeResult[] lastResult;
    private readonly int[] completed;
    private int completedCount;

    // Spawn layout for this fighter count: unit vectors spaced evenly around the centre.
    private readonly float[] spawnX, spawnY;

    private readonly WorkerPool workers;
    private readonly Action<int> stepPartition;
    private int[]? stepActions;
    private StepBuffers? stepBuffers;

    /// <summary>
    /// Whether an arena whose episode ends starts the next one by itself (training). Without it the arena
    /// keeps its final state and later steps leave it as it is (rewards 0, no flags) until
    /// <see cref="ResetArena"/>: matches, replays and evaluation batches that run every arena to its end.
    /// </summary>
    public bool AutoReset { get; }

    public ArenaBatch(ArenaConfig config, int arenaCount, int threads = 1, bool autoReset = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (arenaCount < 1) throw new ArgumentException($"arena count must be at least 1, got {arenaCount}.", nameof(arenaCount));
        if (threads < 1) throw new ArgumentException($"threads must be at least 1, got {threads}.", nameof(threads));

        Config = config;
        AutoReset = autoReset;
        ArenaCount = arenaCount;
        FighterCount = config.FighterCount;
        AgentCount = arenaCount * FighterCount;
        int n = AgentCount;

        posX = new float[n]; posY = new float[n]; velX = new float[n]; velY = new float[n];
        facingX = new float[n]; facingY = new float[n]; health = new float[n];
        cooldown = new int[n]; lastHitBy = new int[n]; lastHitTick = new int[n]; eliminatedAtTick = new int[n];
        alive = new bool[n]; elimination = new Elimination[n]; events = new FighterEvents[n]; lastAction = new byte[n];
        rewardTerms = new float[n * RewardWeights.Count];

        int f = FighterCount;
        radius = new float[f]; invMass = new float[f]; accel = new float[f];
        reach = new float[f]; damage = new float[f]; knockback = new float[f];
        weights = new float[f * RewardWeights.Count];
        for (int s = 0; s < f; s++)
        {
            (config.Weights?[s] ?? RewardWeights.Default).CopyTo(weights.AsSpan(s * RewardWeights.Count, RewardWeights.Count));
            var stats = config.Fighters[s].Stats;
            radius[s] = stats.Radius;
            invMass[s] = 1f / stats.Mass;
            // Terminal speed under constant input is accel*dt*d/(1-d); choose accel so that it equals MaxSpeed.
            accel[s] = stats.MaxSpeed * (1f - ArenaRules.Damping) / (ArenaRules.Damping * ArenaRules.Dt);
            reach[s] = stats.Reach;
            damage[s] = stats.Damage;
            knockback[s] = stats.Knockback;
        }

        tick = new int[arenaCount]; aliveCount = new int[arenaCount]; episodeSeed = new ulong[arenaCount];
        justEnded = new bool[arenaCount]; finished = new bool[arenaCount]; lastResult = new EpisodeResult[arenaCount]; completed = new int[arenaCount];

        (spawnX, spawnY) = SpawnLayout(FighterCount);
        workers = new WorkerPool(Math.Min(threads, arenaCount));
        stepPartition = StepPartition;
        Reset(0);
    }

    // ----------------------------------------------------------------------------------------------
    // Public surface: reset, step, and read-only views of the state.
    // ----------------------------------------------------------------------------------------------

    /// <summary>Starts a new episode in every arena: arena a's episode seed is <c>Mix(seed, a)</c>.</summary>
    public void Reset(ulong seed)
    {
        for (int a = 0; a < ArenaCount; a++) ResetArena(a, SplitMix64.Mix(seed, (ulong)a));
    }

    /// <summary>Starts arena <paramref name="arena"/> afresh; the same episode seed gives the same spawn.</summary>
    public void ResetArena(int arena, ulong seed)
    {
        Respawn(arena, seed);
        int first = arena * FighterCount;
        events.AsSpan(first, FighterCount).Clear();
        lastAction.AsSpan(first, FighterCount).Fill(Contract.Idle);
        rewardTerms.AsSpan(first * RewardWeights.Count, FighterCount * RewardWeights.Count).Clear();
    }

    /// <summary>
    /// Puts every fighter of the arena at its spawn. What the last step reported (events, actions, reward
    /// terms) is left alone, so that an auto-reset does not erase the final step's report.
    /// </summary>
    private void Respawn(int arena, ulong seed)
    {
        var rng = new SplitMix64(seed);
        int first = arena * FighterCount, f = FighterCount;
        episodeSeed[arena] = seed;
        finished[arena] = false;
        tick[arena] = 0;
        aliveCount[arena] = f;

        // Random rotation of the layout (16 steps of 22.5 degrees), random assignment of slots to spawn
        // points, and up to 0.25 m of jitter: varied starts from exact float arithmetic only.
        int rotation = rng.NextInt(16);
        float rc = Rotation16Cos[rotation], rs = Rotation16Sin[rotation];
        Span<int> spot = stackalloc int[ArenaConfig.MaxFighters];
        for (int s = 0; s < f; s++) spot[s] = s;
        for (int s = f - 1; s > 0; s--) { int k = rng.NextInt(s + 1); (spot[s], spot[k]) = (spot[k], spot[s]); }

        const float spawnRadius = 0.55f * ArenaRules.RingHalfSize;
        for (int s = 0; s < f; s++)
        {
            int i = first + s;
            float ux = spawnX[spot[s]] * rc - spawnY[spot[s]] * rs;
            float uy = spawnX[spot[s]] * rs + spawnY[spot[s]] * rc;
            posX[i] = ux * spawnRadius + (rng.NextFloat() - 0.5f) * 0.5f;
            posY[i] = uy * spawnRadius + (rng.NextFloat() - 0.5f) * 0.5f;
            velX[i] = 0; velY[i] = 0;
            facingX[i] = -ux; facingY[i] = -uy;
            health[i] = ArenaRules.MaxHealth;
            cooldown[i] = 0;
            lastHitBy[i] = -1;
            lastHitTick[i] = int.MinValue / 2;
            eliminatedAtTick[i] = 0;
            alive[i] = true;
            elimination[i] = Elimination.None;
        }
    }

    /// <summary>Writes the current observations of every agent (after <see cref="Reset"/>, before the first step).</summary>
    public void WriteObservations(float[] observations)
    {
        CheckLength(observations.Length, AgentCount * Contract.ObservationSize, "observations");
        for (int a = 0; a < ArenaCount; a++)
        {
            switch (FighterCount)
            {
                case 2: WriteArenaObservations<Two>(a, observations); break;
                case 3: WriteArenaObservations<Three>(a, observations); break;
                case 4: WriteArenaObservations<Four>(a, observations); break;
                case 5: WriteArenaObservations<Five>(a, observations); break;
                case 6: WriteArenaObservations<Six>(a, observations); break;
                case 7: WriteArenaObservations<Seven>(a, observations); break;
                case 8: WriteArenaObservations<Eight>(a, observations); break;
                default: throw new System.Diagnostics.UnreachableException($"fighter count {FighterCount}"); // the config was validated
            }
        }
    }

    /// <summary>
    /// Advances every arena by one tick with one action per agent (eliminated agents' actions are ignored)
    /// and fills <paramref name="buffers"/>. Throws before changing anything if an action is out of range.
    /// </summary>
    public void Step(int[] actions, StepBuffers buffers)
    {
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(buffers);
        CheckLength(actions.Length, AgentCount, "actions");
        CheckLength(buffers.Agents, AgentCount, "buffers");
        int bad = actions.AsSpan().IndexOfAnyExceptInRange(0, Contract.ActionCount - 1); // vectorised
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(actions), actions[bad],
                $"action of agent {bad} must be 0-{Contract.ActionCount - 1} (0-7 move, 8 idle, 9 attack), got {actions[bad]}.");

        stepActions = actions;
        stepBuffers = buffers;
        workers.Run(stepPartition);
        stepActions = null;
        stepBuffers = null;

        completedCount = 0;
        for (int a = 0; a < ArenaCount; a++)
            if (justEnded[a]) completed[completedCount++] = a;
    }

    /// <summary>Arenas whose episode ended on the last step; <see cref="LastResult"/> says how.</summary>
    public ReadOnlySpan<int> CompletedArenas => completed.AsSpan(0, completedCount);

    public EpisodeResult LastResult(int arena) => lastResult[arena];

    /// <summary>Each term of the last step's reward, [agents, <see cref="RewardWeights.Count"/>].</summary>
    public ReadOnlySpan<float> RewardTerms => rewardTerms;

    public int Tick(int arena) => tick[arena];
    public bool IsFinished(int arena) => finished[arena];
    public ulong EpisodeSeed(int arena) => episodeSeed[arena];
    public int AliveCount(int arena) => aliveCount[arena];
    public FighterView Fighter(int agent) =>
        (uint)agent < (uint)AgentCount ? new(this, agent) : throw new ArgumentOutOfRangeException(nameof(agent), agent, $"agents are 0-{AgentCount - 1}.");

    public void Dispose() => workers.Dispose();

    /// <summary>A read-only view of one fighter's state.</summary>
    public readonly struct FighterView(ArenaBatch batch, int agent)
    {
        public float X => batch.posX[agent];
        public float Y => batch.posY[agent];
        public float VelocityX => batch.velX[agent];
        public float VelocityY => batch.velY[agent];
        public float FacingX => batch.facingX[agent];
        public float FacingY => batch.facingY[agent];
        public float Health => batch.health[agent];
        public int Cooldown => batch.cooldown[agent];
        public bool Alive => batch.alive[agent];
        public Elimination Elimination => batch.elimination[agent];
        public int EliminatedAtTick => batch.eliminatedAtTick[agent];
        public FighterEvents Events => batch.events[agent];
        public int LastAction => batch.lastAction[agent];
        public float Radius => batch.radius[agent % batch.FighterCount];
        public float Reach => batch.reach[agent % batch.FighterCount];
        /// <summary>Metres from the centre to the nearest rope (the ring is square).</summary>
        public float DistanceToRopes => ArenaRules.RingHalfSize - MathF.Max(MathF.Abs(X), MathF.Abs(Y));
    }

    /// <summary>FNV-1a over every state value of one arena: equal hashes mean bit-identical states.</summary>
    public ulong StateHash(int arena)
    {
        ulong h = 14695981039346656037UL;
        h = Fnv(h, (uint)tick[arena]);
        h = Fnv(h, (uint)aliveCount[arena]);
        for (int i = arena * FighterCount, end = i + FighterCount; i < end; i++)
        {
            h = Fnv(h, BitConverter.SingleToUInt32Bits(posX[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(posY[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(velX[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(velY[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(facingX[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(facingY[i]));
            h = Fnv(h, BitConverter.SingleToUInt32Bits(health[i]));
            h = Fnv(h, (uint)cooldown[i]);
            h = Fnv(h, (uint)lastHitBy[i]);
            h = Fnv(h, (uint)(alive[i] ? 1 : 0) | ((uint)elimination[i] << 8));
        }
        return h;

        static ulong Fnv(ulong h, uint value)
        {
            for (int b = 0; b < 4; b++) { h ^= (byte)(value >> (8 * b)); h *= 1099511628211UL; }
            return h;
        }
    }

    // ----------------------------------------------------------------------------------------------
    // SIMULATION STEP: one tick of one arena, phase by phase.
    // ----------------------------------------------------------------------------------------------

    private void StepPartition(int partition)
    {
        var (start, end) = workers.Range(partition, ArenaCount);
        int[] actions = stepActions!;
        StepBuffers buffers = stepBuffers!;

        // What a step reports starts empty: cleared in bulk for the partition (vectorised) rather than per arena.
        int firstAgent = start * FighterCount, agents = (end - start) * FighterCount;
        events.AsSpan(firstAgent, agents).Clear();
        buffers.Terminals.AsSpan(firstAgent, agents).Clear();
        buffers.Truncations.AsSpan(firstAgent, agents).Clear();
        rewardTerms.AsSpan(firstAgent * RewardWeights.Count, agents * RewardWeights.Count).Clear();

        switch (FighterCount)
        {
            case 2: StepArenas<Two>(start, end, actions, buffers); break;
            case 3: StepArenas<Three>(start, end, actions, buffers); break;
            case 4: StepArenas<Four>(start, end, actions, buffers); break;
            case 5: StepArenas<Five>(start, end, actions, buffers); break;
            case 6: StepArenas<Six>(start, end, actions, buffers); break;
            case 7: StepArenas<Seven>(start, end, actions, buffers); break;
            case 8: StepArenas<Eight>(start, end, actions, buffers); break;
            // Never: the config was validated. A count outside 2-8 would index past the arrays (Slots.cs).
            default: throw new System.Diagnostics.UnreachableException($"fighter count {FighterCount}");
        }
    }

    private void StepArenas<TFighters>(int start, int end, int[] actions, StepBuffers buffers) where TFighters : struct, IFighterCount
    {
        for (int a = start; a < end; a++)
        {
            if (finished[a]) SkipArena(a, buffers);
            else StepArena<TFighters>(a, actions, buffers);
        }
    }

    private void StepArena<TFighters>(int arena, int[] actionArray, StepBuffers buffers) where TFighters : struct, IFighterCount
    {
        // Each array's run of this arena's slots (Slots.cs), and slot loops of constant length: the JIT compiles
        // each fighter count separately. What happens rarely (a hit, an elimination, the end) is in methods of
        // its own, so that the common path sets up only the arrays it reads.
        const int terms = RewardWeights.Count;
        int n = TFighters.Value, first = arena * n;
        Slots<float> posX = new(this.posX, first, n), posY = new(this.posY, first, n);
        Slots<float> velX = new(this.velX, first, n), velY = new(this.velY, first, n);
        Slots<float> facingX = new(this.facingX, first, n), facingY = new(this.facingY, first, n);
        Slots<float> health = new(this.health, first, n);
        Slots<float> radius = new(this.radius, 0, n), accel = new(this.accel, 0, n);
        Slots<int> cooldown = new(this.cooldown, first, n);
        Slots<bool> alive = new(this.alive, first, n);
        Slots<FighterEvents> events = new(this.events, first, n);
        Slots<byte> lastAction = new(this.lastAction, first, n);
        Slots<float> rewardTerms = new(this.rewardTerms, first * terms, n * terms);
        Slots<float> weights = new(this.weights, 0, n * terms);
        Slots<int> actions = new(actionArray, first, n);
        Slots<float> rewards = new(buffers.Rewards, first, n);
        int now = ++tick[arena];

        // 1. Read actions: movement input accelerates.
        for (int s = 0; s < n; s++)
        {
            if (!alive[s]) { lastAction[s] = Contract.Idle; continue; }
            int action = actions[s];
            lastAction[s] = (byte)action;
            // Idle and attack have a zero move vector, so every action adds its input without a branch.
            float dx = MoveInputX[action], dy = MoveInputY[action];
            float dv = accel[s] * ArenaRules.Dt;
            velX[s] += dx * dv;
            velY[s] += dy * dv;
            if (action < 8) { facingX[s] = dx; facingY[s] = dy; }
        }

        // 2. Attacks, all resolved against the positions at the start of the tick, so that two fighters
        //    who swing at each other on the same tick both land whatever their slot order.
        for (int s = 0; s < n; s++)
        {
            if (!alive[s] || actions[s] != Contract.Attack || cooldown[s] > 0) continue;
            cooldown[s] = ArenaRules.AttackCooldownTicks;
            events[s] |= FighterEvents.Attacked;
            int target = NearestInReach(first, s, n);
            if (target >= 0) LandHit(first, s, target, now);
        }

        // 3. Integrate: friction, then position (input and knockback are already in the velocity).
        //    Cooldowns count down here, so that an observed cooldown of 0 means "can attack next tick".
        // 4. Ropes: they stop a fighter unless it hits them faster than the rope-break speed, and
        //    then it goes over them (ring-out, applied below with the knockouts).
        int overRopesMask = 0;
        for (int s = 0; s < n; s++)
        {
            if (!alive[s]) continue;
            int left = cooldown[s] - 1;
            cooldown[s] = left & ~(left >> 31); // max(left, 0) without a branch: random play makes it unpredictable
            float vx = velX[s] * ArenaRules.Damping, vy = velY[s] * ArenaRules.Damping;
            float x = posX[s] + vx * ArenaRules.Dt, y = posY[s] + vy * ArenaRules.Dt;
            float limit = ArenaRules.RingHalfSize - radius[s];
            if (Rope(ref x, ref vx, limit) | Rope(ref y, ref vy, limit)) overRopesMask |= 1 << s;
            posX[s] = x; posY[s] = y; velX[s] = vx; velY[s] = vy;
        }

        // 5. Bodies do not overlap: separate each overlapping pair of fighters in the ring by inverse
        //    mass (all of it on the free one when the other is pinned against the ropes), and remove the
        //    velocity with which they approach each other (a perfectly inelastic contact). A few passes
        //    settle crowds, where separating one pair can press another together.
        for (int pass = 0; pass < ContactPasses; pass++)
        {
            bool touching = false;
            for (int s = 0; s < n; s++)
            {
                if (!alive[s] || (overRopesMask & (1 << s)) != 0) continue;
                for (int t = s + 1; t < n; t++)
                {
                    if (!alive[t] || (overRopesMask & (1 << t)) != 0) continue;
                    float dx = posX[t] - posX[s], dy = posY[t] - posY[s], reach2 = radius[s] + radius[t];
                    if (dx * dx + dy * dy >= reach2 * reach2) continue; // apart: the common case, decided here
                    if (Separate(first, s, t)) touching = true;
                }
            }
            if (!touching) break;
        }

        // 6. Eliminations: over the ropes is a ring-out, health 0 a knockout (which counts first).
        int eliminatedMask = 0;
        for (int s = 0; s < n; s++)
        {
            if (!alive[s]) continue;
            bool overRopes = (overRopesMask & (1 << s)) != 0;
            var how = health[s] <= 0f ? Elimination.Knockout : overRopes ? Elimination.RingOut : Elimination.None;
            if (how == Elimination.None) continue;
            Eliminate(arena, s, how, now, buffers);
            eliminatedMask |= 1 << s;
        }

        // 7. Episode end: one fighter (or none) left, a watched slot eliminated, or the time limit.
        bool over = aliveCount[arena] <= 1 || (eliminatedMask & Config.EndWhenEliminatedMask) != 0;
        bool timeUp = !over && now >= Config.MaxTicks;
        justEnded[arena] = over || timeUp;

        // 8. Time-based terms for those still standing, then the reward: the weighted sum of the terms.
        //    When the episode ends by eliminations, those standing have survived the match: they are
        //    credited the rest of the time limit, so that winning early never costs survival reward.
        float survived = over ? (Config.MaxTicks - now + 1) * ArenaRules.Dt : ArenaRules.Dt;
        for (int s = 0; s < n; s++)
        {
            var term = rewardTerms.Slice(s * terms, terms);
            var weight = weights.Slice(s * terms, terms);
            if (alive[s])
            {
                term[(int)RewardTerm.Survival] = survived;
                // Within EdgeZone of the ropes on either axis: dt, else 0, without a branch (random play would
                // mispredict it). Same as "RingHalfSize - max(|x|, |y|) < EdgeZone": near the ropes that
                // subtraction is exact (Sterbenz), and 5 - 1 is exact.
                bool nearEdge = (MathF.Abs(posX[s]) > ArenaRules.RingHalfSize - ArenaRules.EdgeZone)
                              | (MathF.Abs(posY[s]) > ArenaRules.RingHalfSize - ArenaRules.EdgeZone);
                term[(int)RewardTerm.NearEdge] = ArenaRules.Dt * (nearEdge ? 1 : 0);
            }
            rewards[s] = term[0] * weight[0] + term[1] * weight[1] + term[2] * weight[2]
                       + term[3] * weight[3] + term[4] * weight[4] + term[5] * weight[5];
        }

        // 9. Observations; a finished arena reports how it ended and starts the next episode.
        WriteArenaObservations<TFighters>(arena, buffers.Observations);
        if (justEnded[arena]) EndEpisode<TFighters>(arena, over, now, buffers);
    }

    /// <summary>Slot <paramref name="s"/>'s attack lands on slot <paramref name="target"/>: damage, knockback away from the attacker, and who hit whom.</summary>
    private void LandHit(int first, int s, int target, int now)
    {
        const int terms = RewardWeights.Count;
        int i = first + s, j = first + target;
        float dx = posX[j] - posX[i], dy = posY[j] - posY[i];
        float distance = MathF.Sqrt(dx * dx + dy * dy);
        float nx, ny;
        if (distance > 1e-6f) { nx = dx / distance; ny = dy / distance; }
        else { nx = facingX[i]; ny = facingY[i]; }

        health[j] = MathF.Max(0f, health[j] - damage[s]);
        float push = MathF.Min(knockback[s] * invMass[target], ArenaRules.MaxKnockbackSpeed);
        velX[j] += nx * push;
        velY[j] += ny * push;
        facingX[i] = nx; facingY[i] = ny;
        lastHitBy[j] = s;
        lastHitTick[j] = now;
        events[i] |= FighterEvents.HitLanded;
        events[j] |= FighterEvents.WasHit;
        rewardTerms[i * terms + (int)RewardTerm.AttackHit] += 1f;
        rewardTerms[j * terms + (int)RewardTerm.DamageTaken] += damage[s] / ArenaRules.BaseDamage;
    }

    /// <summary>Takes slot <paramref name="s"/> out of the arena, and credits whoever hit it within the last 3 s.</summary>
    private void Eliminate(int arena, int s, Elimination how, int now, StepBuffers buffers)
    {
        const int terms = RewardWeights.Count;
        int first = arena * FighterCount, i = first + s;
        alive[i] = false;
        elimination[i] = how;
        eliminatedAtTick[i] = now;
        aliveCount[arena]--;
        buffers.Terminals[i] = true;
        events[i] |= how == Elimination.Knockout ? FighterEvents.KnockedOut : FighterEvents.RingOut;
        if (how == Elimination.RingOut) rewardTerms[i * terms + (int)RewardTerm.RingOut] = 1f;
        int hitter = lastHitBy[i];
        if (hitter >= 0 && now - lastHitTick[i] <= ArenaRules.CreditTicks)
        {
            events[first + hitter] |= FighterEvents.Eliminated;
            rewardTerms[(first + hitter) * terms + (int)RewardTerm.Knockout] += 1f;
        }
    }

    /// <summary>
    /// Reports how the arena's episode ended (terminal when it ended by eliminations, truncated at the time
    /// limit) and, with auto-reset, starts the next one.
    /// </summary>
    private void EndEpisode<TFighters>(int arena, bool over, int now, StepBuffers buffers) where TFighters : struct, IFighterCount
    {
        int n = TFighters.Value, first = arena * n;
        for (int i = first; i < first + n; i++)
        {
            if (!alive[i]) continue;
            if (over) buffers.Terminals[i] = true;
            else buffers.Truncations[i] = true;
        }
        lastResult[arena] = new EpisodeResult(arena, episodeSeed[arena], now, Winner(first, first + n), TimeLimit: !over);
        if (buffers.FinalObservations is { } final)
        {
            int offset = first * Contract.ObservationSize, length = n * Contract.ObservationSize;
            Array.Copy(buffers.Observations, offset, final, offset, length);
        }
        if (!AutoReset) { finished[arena] = true; return; }
        Respawn(arena, SplitMix64.Mix(episodeSeed[arena], 1));
        WriteArenaObservations<TFighters>(arena, buffers.Observations);
    }

    private void SkipArena(int arena, StepBuffers buffers)
    {
        justEnded[arena] = false;
        buffers.Rewards.AsSpan(arena * FighterCount, FighterCount).Clear();
    }

    private const int ContactPasses = 8;

    // The move vectors of contract v1 extended with zeros for idle (8) and attack (9).
    private static readonly float[] MoveInputX = [.. Contract.MoveX, 0f, 0f];
    private static readonly float[] MoveInputY = [.. Contract.MoveY, 0f, 0f];

    /// <summary>Pushes fighters i and j apart if their bodies overlap; returns whether they did.</summary>
    private bool Separate(int first, int si, int sj)
    {
        int i = first + si, j = first + sj;
        float dx = posX[j] - posX[i], dy = posY[j] - posY[i];
        float minDistance = radius[si] + radius[sj];
        float d2 = dx * dx + dy * dy;
        if (d2 >= minDistance * minDistance) return false;
        float distance = MathF.Sqrt(d2);
        float nx = 1f, ny = 0f;
        if (distance > 1e-6f) { nx = dx / distance; ny = dy / distance; }
        float overlap = minDistance - distance;
        float wi = invMass[si] / (invMass[si] + invMass[sj]);
        bool iPinned = PinnedAgainstRopes(i, radius[si], -nx, -ny), jPinned = PinnedAgainstRopes(j, radius[sj], nx, ny);
        if (iPinned && !jPinned) wi = 0f;
        else if (jPinned && !iPinned) wi = 1f;
        float wj = 1f - wi;
        posX[i] -= nx * overlap * wi; posY[i] -= ny * overlap * wi;
        posX[j] += nx * overlap * wj; posY[j] += ny * overlap * wj;
        ClampToRing(i, radius[si]);
        ClampToRing(j, radius[sj]);
        float approach = (velX[j] - velX[i]) * nx + (velY[j] - velY[i]) * ny;
        if (approach < 0f)
        {
            velX[i] += nx * approach * wi; velY[i] += ny * approach * wi;
            velX[j] -= nx * approach * wj; velY[j] -= ny * approach * wj;
        }
        return true;
    }

    /// <summary>Whether fighter i touches the ropes on a side that a push along (px, py) would press it into.</summary>
    private bool PinnedAgainstRopes(int i, float radius, float px, float py)
    {
        float limit = ArenaRules.RingHalfSize - radius - 1e-5f;
        return (px > 0f && posX[i] >= limit) || (px < 0f && posX[i] <= -limit)
            || (py > 0f && posY[i] >= limit) || (py < 0f && posY[i] <= -limit);
    }

    private void ClampToRing(int i, float radius)
    {
        float limit = ArenaRules.RingHalfSize - radius;
        posX[i] = Math.Clamp(posX[i], -limit, limit);
        posY[i] = Math.Clamp(posY[i], -limit, limit);
    }

    /// <summary>Clamps one axis at the ropes; returns true when the fighter breaks through them.</summary>
    private static bool Rope(ref float position, ref float velocity, float limit)
    {
        if (position > limit)
        {
            if (velocity > ArenaRules.RopeBreakSpeed) return true;
            position = limit;
            if (velocity > 0f) velocity = 0f;
        }
        else if (position < -limit)
        {
            if (velocity < -ArenaRules.RopeBreakSpeed) return true;
            position = -limit;
            if (velocity < 0f) velocity = 0f;
        }
        return false;
    }

    /// <summary>The slot of the nearest living opponent whose body is within reach of slot s's fighter, or -1.</summary>
    private int NearestInReach(int first, int s, int fighters)
    {
        int best = -1, i = first + s;
        float bestDistance = float.MaxValue;
        for (int t = 0; t < fighters; t++)
        {
            int j = first + t;
            if (t == s || !alive[j]) continue;
            float dx = posX[j] - posX[i], dy = posY[j] - posY[i];
            float distance = MathF.Sqrt(dx * dx + dy * dy);
            if (distance - radius[s] - radius[t] <= reach[s] && distance < bestDistance)
            {
                best = t;
                bestDistance = distance;
            }
        }
        return best;
    }

    /// <summary>The last one standing; at the time limit the healthiest standing fighter; -1 for a draw.</summary>
    private int Winner(int first, int end)
    {
        int winner = -1;
        float best = 0f;
        bool tie = false;
        for (int i = first; i < end; i++)
        {
            if (!alive[i]) continue;
            if (health[i] > best) { best = health[i]; winner = i - first; tie = false; }
            else if (health[i] == best) tie = true;
        }
        return tie ? -1 : winner;
    }

    // ----------------------------------------------------------------------------------------------
    // OBSERVATIONS (contract v1, docs/CONTRACT.md)
    // ----------------------------------------------------------------------------------------------

    private void WriteArenaObservations<TFighters>(int arena, float[] observationArray) where TFighters : struct, IFighterCount
    {
        const float positionScale = 1f / ArenaRules.RingHalfSize;
        const float offsetScale = 1f / (2f * ArenaRules.RingHalfSize);
        const float healthScale = 1f / ArenaRules.MaxHealth;
        const float speedScale = 1f / ArenaRules.ObservedSpeedScale;
        const float cooldownScale = 1f / ArenaRules.AttackCooldownTicks;
        const float marginScale = 1f / ArenaRules.ObservedMarginScale;
        const int size = Contract.ObservationSize, values = Contract.ValuesPerEnemy;
        int n = TFighters.Value, first = arena * n;
        Slots<float> posX = new(this.posX, first, n), posY = new(this.posY, first, n);
        Slots<float> velX = new(this.velX, first, n), velY = new(this.velY, first, n), health = new(this.health, first, n);
        Slots<float> radius = new(this.radius, 0, n), reach = new(this.reach, 0, n);
        Slots<int> cooldown = new(this.cooldown, first, n);
        Slots<bool> alive = new(this.alive, first, n);
        Slots<float> observations = new(observationArray, first * size, n * size);
        // Enemy blocks that can hold an enemy with this many fighters; the blocks after them are always empty.
        int possible = Math.Min(n - 1, Contract.ObservedEnemies);
        SlotOrder order = default;

        for (int s = 0; s < n; s++)
        {
            var obs = observations.Slice(s * size, size);
            if (!alive[s]) { obs.AsSpan(0, size).Clear(); continue; }
            float x = posX[s], y = posY[s];
            obs[0] = x * positionScale;
            obs[1] = y * positionScale;
            obs[2] = health[s] * healthScale;
            obs[3] = ClampUnit(velX[s] * speedScale);
            obs[4] = ClampUnit(velY[s] * speedScale);

            // Living enemies by distance (insertion sort; ties keep slot order).
            int count = 0;
            for (int t = 0; t < n; t++)
            {
                if (t == s || !alive[t]) continue;
                float dx = posX[t] - x, dy = posY[t] - y, squared = dx * dx + dy * dy;
                int k = count++;
                while (k > 0 && order.Distance[k - 1] > squared) { order.Slot[k] = order.Slot[k - 1]; order.Distance[k] = order.Distance[k - 1]; k--; }
                order.Slot[k] = t; order.Distance[k] = squared;
            }

            int shown = Math.Min(count, Contract.ObservedEnemies), e = 0;
            for (; e < shown; e++)
            {
                var block = obs.Slice(Contract.EnemyBlockOffset + e * values, values);
                int t = order.Slot[e];
                block[0] = (posX[t] - x) * offsetScale;
                block[1] = (posY[t] - y) * offsetScale;
                block[2] = health[t] * healthScale;
                // Reach margin: the gap between the bodies minus our reach; at or below 0 our attack lands.
                float margin = MathF.Sqrt(order.Distance[e]) - radius[s] - radius[t] - reach[s];
                block[3] = ClampUnit(margin * marginScale);
                block[4] = cooldown[t] * cooldownScale;
            }
            // Padding rule: slots without a living enemy are all zeros (health 0 marks them empty).
            for (; e < possible; e++) obs.AsSpan(Contract.EnemyBlockOffset + e * values, values).Clear();
            int padding = Contract.EnemyBlockOffset + possible * values;
            obs.AsSpan(padding, size - padding).Clear();
        }
    }

    /// <summary>
    /// <c>Math.Clamp(value, -1, 1)</c> without branches (min and max instructions): the same result for every
    /// input, NaN and -0 included, but no misprediction when random play puts values on either side.
    /// </summary>
    private static float ClampUnit(float value) => MathF.Min(MathF.Max(value, -1f), 1f);

    /// <summary>Living enemies sorted by squared distance: scratch space on the stack for one observation.</summary>
    private struct SlotOrder
    {
        public SlotBuffer<int> Slot;
        public SlotBuffer<float> Distance;
    }

    [System.Runtime.CompilerServices.InlineArray(ArenaConfig.MaxFighters)]
    private struct SlotBuffer<T>
    {
        private T element;
    }

    // ----------------------------------------------------------------------------------------------
    // Spawn layout
    // ----------------------------------------------------------------------------------------------

    // Arrays rather than span literals: a span literal of floats allocates on every read in unoptimised builds.
    private static readonly float[] Rotation16Cos =
        [1f, 0.9238795f, 0.70710677f, 0.38268343f, 0f, -0.38268343f, -0.70710677f, -0.9238795f,
         -1f, -0.9238795f, -0.70710677f, -0.38268343f, 0f, 0.38268343f, 0.70710677f, 0.9238795f];

    private static readonly float[] Rotation16Sin =
        [0f, 0.38268343f, 0.70710677f, 0.9238795f, 1f, 0.9238795f, 0.70710677f, 0.38268343f,
         0f, -0.38268343f, -0.70710677f, -0.9238795f, -1f, -0.9238795f, -0.70710677f, -0.38268343f];

    /// <summary>
    /// Unit vectors at 360/n degree steps, rounded to 6 decimals so that a last-bit difference between two
    /// machines' cosine functions cannot change a spawn.
    /// </summary>
    private static (float[] X, float[] Y) SpawnLayout(int n)
    {
        var x = new float[n];
        var y = new float[n];
        for (int k = 0; k < n; k++)
        {
            double angle = 2 * Math.PI * k / n;
            x[k] = (float)Math.Round(Math.Cos(angle), 6);
            y[k] = (float)Math.Round(Math.Sin(angle), 6);
        }
        return (x, y);
    }

    private static void CheckLength(int actual, int expected, string name)
    {
        if (actual != expected)
            throw new ArgumentException($"{name} must hold {expected} values (one per agent or per observation value), got {actual}.", name);
    }

    // ----------------------------------------------------------------------------------------------
    // Fighter counts as types: the step is compiled once per count, with constant loop bounds.
    // ----------------------------------------------------------------------------------------------

    private interface IFighterCount { static abstract int Value { get; } }
    private readonly struct Two : IFighterCount { public static int Value => 2; }
    private readonly struct Three : IFighterCount { public static int Value => 3; }
    private readonly struct Four : IFighterCount { public static int Value => 4; }
    private readonly struct Five : IFighterCount { public static int Value => 5; }
    private readonly struct Six : IFighterCount { public static int Value => 6; }
    private readonly struct Seven : IFighterCount { public static int Value => 7; }
    private readonly struct Eight : IFighterCount { public static int Value => 8; }
}
