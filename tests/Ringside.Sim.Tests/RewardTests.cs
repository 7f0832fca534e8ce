using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>Each reward term, the weighted sum, and the personality and training-mode weights.</summary>
public class RewardTests
{
    private const float Dt = ArenaRules.Dt;

    [Fact]
    public void SeedWeights_AreThoseOfSeed001()
    {
        Assert.Equal(new RewardWeights(1f, 2f, 10f, -1f, -3f, -10f), RewardWeights.Default);
        Assert.Equal(["survival", "attack_hit", "knockout", "damage_taken", "near_edge", "ring_out"], RewardWeights.TermNames);
        Assert.Equal(6, RewardWeights.Count);
        var w = RewardWeights.Default;
        Assert.Equal(10f, w[RewardTerm.Knockout]);
        Assert.Equal(-3f, w[RewardTerm.NearEdge]);
        Span<float> span = stackalloc float[6];
        w.CopyTo(span);
        Assert.Equal(w, RewardWeights.FromSpan(span));
    }

    /// <summary>
    /// Plays 1v1 bot matches with custom weights per slot and checks every term of every step against what the
    /// fighter views say happened, and the reward against the weighted sum.
    /// </summary>
    [Theory]
    [InlineData("chaser", "random", 1f, 1f)]
    [InlineData("chaser", "cautious", 1.5f, 0.8f)]
    [InlineData("random", "random", 0.6f, 2f)]
    [InlineData("cautious", "chaser", 2f, 1f)]
    public void EveryTerm_OfEveryStep_MatchesWhatHappened(string bot0, string bot1, float size0, float size1)
    {
        RewardWeights w0 = new(0.5f, 1.5f, 7f, -2f, -4f, -6f), w1 = new(2f, 3f, 11f, -0.5f, -1f, -20f);
        var specs = new[] { new FighterSpec(size0, 1f), new FighterSpec(size1, 1.2f) };
        var config = new ArenaConfig { Fighters = specs, Weights = [w0, w1], MaxTicks = 900 };
        var seen = new float[6];
        for (ulong seed = 1; seed <= 12; seed++)
        {
            var bots = new[] { Bots.Create(bot0, specs[0], seed), Bots.Create(bot1, specs[1], seed + 1000) };
            using var match = new Match(config, seed, bots);
            var total = new double[2];
            while (!match.IsOver)
            {
                match.Step();
                for (int s = 0; s < 2; s++)
                {
                    var f = match.Fighter(s);
                    var other = match.Fighter(1 - s);
                    var terms = match.RewardTerms.Slice(s * 6, 6);
                    bool outNow = !f.Alive && f.EliminatedAtTick == match.Tick;
                    // dt while standing; on the step an episode ends by eliminations, the rest of the time limit.
                    bool endedByEliminations = match.IsOver && !match.Result().TimeLimit;
                    float survival = endedByEliminations ? (config.MaxTicks - match.Tick + 1) * Dt : Dt;
                    Assert.Equal(f.Alive ? survival : 0f, terms[(int)RewardTerm.Survival], 5);
                    Assert.Equal((f.Events & FighterEvents.HitLanded) != 0 ? 1f : 0f, terms[(int)RewardTerm.AttackHit]);
                    Assert.Equal((f.Events & FighterEvents.WasHit) != 0 ? specs[1 - s].Size : 0f, terms[(int)RewardTerm.DamageTaken], 5);
                    float toRopes = 5f - MathF.Max(MathF.Abs(f.X), MathF.Abs(f.Y));
                    Assert.Equal(f.Alive && toRopes < 1f ? Dt : 0f, terms[(int)RewardTerm.NearEdge]);
                    Assert.Equal(outNow && f.Elimination == Elimination.RingOut ? 1f : 0f, terms[(int)RewardTerm.RingOut]);
                    Assert.Equal((f.Events & FighterEvents.Eliminated) != 0 ? 1f : 0f, terms[(int)RewardTerm.Knockout]);
                    if (terms[(int)RewardTerm.Knockout] > 0)
                        Assert.Equal(match.Tick, other.EliminatedAtTick);
                    var w = s == 0 ? w0 : w1;
                    float expected = w.Survival * terms[0] + w.AttackHit * terms[1] + w.Knockout * terms[2]
                                   + w.DamageTaken * terms[3] + w.NearEdge * terms[4] + w.RingOut * terms[5];
                    Assert.Equal(expected, match.Rewards[s], 5);
                    total[s] += match.Rewards[s];
                    for (int k = 0; k < 6; k++) if (terms[k] != 0) seen[k]++;
                }
            }
            Assert.InRange(match.TotalRewards[0] - total[0], -0.01, 0.01); // float accumulation in Match
            Assert.InRange(match.TotalRewards[1] - total[1], -0.01, 0.01);
        }
        // Every term but the eliminations occurred in these matches (the bots rarely leave the ropes alone).
        Assert.True(seen[(int)RewardTerm.Survival] > 0 && seen[(int)RewardTerm.AttackHit] > 0 && seen[(int)RewardTerm.DamageTaken] > 0,
            $"terms seen: {string.Join(", ", seen)}");
    }

    [Fact]
    public void Survival_IsDtPerTickWhileStanding()
    {
        using var arena = Arena.Duel(seed: 1, b: new FighterSpec(1f, 2f));
        int toRope = arena.RunwayTowardTheRopes(1);
        double survived0 = 0, survived1 = 0;
        while (!arena.IsOver)
        {
            Assert.True(arena.Tick < 200, "the fast fighter did not go over the ropes");
            arena.Step(Contract.Idle, toRope);
            survived0 += arena.Term(0, RewardTerm.Survival);
            survived1 += arena.Term(1, RewardTerm.Survival);
        }
        int outAt = arena[1].EliminatedAtTick;
        Assert.Equal(arena.Tick, outAt);
        // The winner is credited dt per tick and, on the last step, the rest of the time limit: 60 s in all.
        Assert.Equal(ArenaRules.DefaultMaxTicks * (double)Dt, survived0, 3);
        Assert.Equal((ArenaRules.DefaultMaxTicks - outAt + 1) * Dt, arena.Term(0, RewardTerm.Survival), 4);
        Assert.Equal((outAt - 1) * (double)Dt, survived1, 4); // the loser: dt per tick, none on the tick it went out
    }

    [Fact]
    public void NearEdge_IsDtWhileTheCentreIsWithinOneMetreOfTheRopes()
    {
        using var arena = Arena.Duel(seed: 3);
        var f = arena[1];
        int toRope = MathF.Abs(f.X) >= MathF.Abs(f.Y) ? (f.X >= 0 ? 0 : 4) : (f.Y >= 0 ? 2 : 6);
        int inside = 0, near = 0;
        for (int n = 0; n < 90; n++)
        {
            arena.Step(Contract.Idle, toRope);
            float toRopes = 5f - MathF.Max(MathF.Abs(arena[1].X), MathF.Abs(arena[1].Y));
            float term = arena.Term(1, RewardTerm.NearEdge);
            Assert.Equal(toRopes < 1f ? Dt : 0f, term);
            if (term > 0) near++; else inside++;
            Assert.Equal(RewardWeights.Default.Survival * Dt + RewardWeights.Default.NearEdge * term, arena.Reward(1), 6);
        }
        Assert.True(near > 10 && inside > 10, $"near {near}, inside {inside}: the fighter should cross into the edge zone");
    }

    [Fact]
    public void RingOut_IsOneOnTheStepOfTheRingOut_AndKnockoutIsCreditedWithinThreeSeconds()
    {
        // The fast fighter (7 m/s) is hit once, then runs over the ropes after waiting `wait` ticks.
        foreach (var (wait, credited) in new[] { (0, true), (30, true), (110, false) })
        {
            using var arena = Arena.Duel(seed: 26, b: new FighterSpec(1f, 2f));
            int hitTick = arena.ChaseUntilHit(0, 1);
            Assert.True(arena[1].Alive);
            for (int n = 0; n < wait; n++) arena.Step(Contract.Idle, Contract.Idle);
            int toRope = arena.RunwayTowardTheRopes(1);
            double ringOutTerms = 0;
            while (arena[1].Alive)
            {
                Assert.False(arena.IsOver, $"wait {wait}: the episode ended before the ring-out");
                Assert.True(arena.Tick < 1000, $"wait {wait}: no ring-out");
                arena.Step(Contract.Idle, toRope);
                ringOutTerms += arena.Term(1, RewardTerm.RingOut);
                if (arena[1].Alive) Assert.Equal(0f, arena.Term(1, RewardTerm.RingOut));
            }
            int outTick = arena.Tick;
            Assert.Equal(1.0, ringOutTerms);
            Assert.Equal(Elimination.RingOut, arena[1].Elimination);
            Assert.Equal(credited, outTick - hitTick <= ArenaRules.CreditTicks);
            Assert.Equal(credited ? 1f : 0f, arena.Term(0, RewardTerm.Knockout));
            Assert.Equal(credited, (arena[0].Events & FighterEvents.Eliminated) != 0);
            Assert.Equal(0, arena.Batch.LastResult(0).Winner);
        }
    }

    [Fact]
    public void Knockout_IsCreditedToTheLastHitter()
    {
        // Three size-2 fighters: 0 and 1 both hit fighter 2; the one whose hit knocks it out gets the credit.
        var big = new FighterSpec(2f, 1f);
        var config = new ArenaConfig { Fighters = [big, big, big] };
        int checkedKnockouts = 0;
        for (ulong seed = 1; seed <= 10; seed++)
        {
            using var arena = new Arena(config, seed);
            int lastHitter = -1;
            while (arena[2].Alive && arena.Tick < 1500 && !arena.IsOver)
            {
                // Alternate who chases so that both land hits.
                int chaser = (arena.Tick / 40) % 2;
                var a = arena.Idle();
                a[chaser] = arena.ChaseOrAttack(chaser, 2);
                arena.Step(a);
                if ((arena[2].Events & FighterEvents.WasHit) != 0) lastHitter = chaser;
            }
            if (arena[2].Alive || arena[2].Elimination != Elimination.Knockout) continue;
            checkedKnockouts++;
            Assert.Equal(1f, arena.Term(lastHitter, RewardTerm.Knockout));
            Assert.Equal(0f, arena.Term(1 - lastHitter, RewardTerm.Knockout));
            Assert.False(arena.IsOver); // two left standing
            Assert.Equal(RewardWeights.Default.Survival * Dt + RewardWeights.Default.AttackHit + RewardWeights.Default.Knockout
                         + RewardWeights.Default.NearEdge * arena.Term(lastHitter, RewardTerm.NearEdge),
                         arena.Reward(lastHitter), 5);
        }
        Assert.True(checkedKnockouts >= 3, $"only {checkedKnockouts} knockouts to check");
    }

    [Fact]
    public void RewardTerms_OnTheFinalStep_MatchTheReward_WithAutoReset()
    {
        // Time limit after one tick: the reward is the survival term alone.
        using (var batch = new ArenaBatch(ArenaConfig.Standard(2) with { MaxTicks = 1 }, 1))
        {
            batch.Reset(1);
            var buffers = new StepBuffers(2);
            batch.Step([Contract.Idle, Contract.Idle], buffers);
            Assert.Equal(1, batch.CompletedArenas.Length);
            Assert.Equal(Dt, buffers.Rewards[0]);
            Assert.Equal(Dt, batch.RewardTerms[(int)RewardTerm.Survival]);
        }
        // A 1v1 won by an elimination: the winner's knockout term is on the final step.
        using (var batch = new ArenaBatch(ArenaConfig.Standard(2), 1))
        {
            batch.Reset(2);
            var buffers = new StepBuffers(2);
            batch.WriteObservations(buffers.Observations);
            var driver = new BotDriver(batch, i => Bots.Create(i == 0 ? "chaser" : "idle", FighterSpec.Standard, 1));
            for (int t = 0; t < 1800 && batch.CompletedArenas.Length == 0; t++) batch.Step(driver.Decide(buffers), buffers);
            var result = batch.LastResult(0);
            Assert.Equal(0, result.Winner);
            Assert.False(result.TimeLimit);
            Assert.True(buffers.Rewards[0] > RewardWeights.Default.Knockout - 1, "the reward includes the knockout");
            Assert.Equal(1f, batch.RewardTerms[(int)RewardTerm.Knockout]);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Personalities and training modes
    // ---------------------------------------------------------------------------------------------

    [Fact]
    public void NeutralPersonality_GivesFactorOneOnEveryTerm_AndTheSeedWeights()
    {
        Assert.Equal(new RewardWeights(1, 1, 1, 1, 1, 1), Personality.Neutral.Factors());
        Assert.Equal(new RewardWeights(1, 1, 1, 1, 1, 1), new Personality(Aggression: 50).Factors());
        Assert.Equal(RewardWeights.Default, RewardWeights.For(Personality.Neutral));
        Assert.Equal(RewardWeights.Default, RewardWeights.For(Personality.Neutral, TrainingMode.Tactical));
    }

    [Fact]
    public void ParameterlessPersonality_IsNeutral()
    {
        Assert.Equal(Personality.Neutral, new Personality());
        Assert.Equal(RewardWeights.Default, RewardWeights.For(new Personality()));
    }

    [Fact]
    public void Sliders_MoveTheirWeightsInTheDocumentedDirection()
    {
        var n = RewardWeights.For(Personality.Neutral);
        var aggressive = RewardWeights.For(Personality.Neutral with { Aggression = 80 });
        Assert.True(aggressive.AttackHit > n.AttackHit);
        Assert.True(aggressive.Knockout > n.Knockout);
        Assert.True(aggressive.Survival < n.Survival);
        Assert.Equal(n.NearEdge, aggressive.NearEdge);

        var positional = RewardWeights.For(Personality.Neutral with { Positioning = 90 });
        Assert.True(positional.NearEdge < n.NearEdge, "positioning up makes the near-edge penalty larger");
        Assert.True(MathF.Abs(positional.NearEdge) > MathF.Abs(n.NearEdge));

        var risky = RewardWeights.For(Personality.Neutral with { RiskTolerance = 90 });
        Assert.True(MathF.Abs(risky.DamageTaken) < MathF.Abs(n.DamageTaken));
        Assert.True(MathF.Abs(risky.RingOut) < MathF.Abs(n.RingOut));
        Assert.True(MathF.Abs(risky.NearEdge) < MathF.Abs(n.NearEdge));

        var focused = RewardWeights.For(Personality.Neutral with { Targeting = 90 });
        Assert.True(focused.Knockout > n.Knockout);
        Assert.True(focused.AttackHit < n.AttackHit);

        var enduring = RewardWeights.For(Personality.Neutral with { Endurance = 90 });
        Assert.True(enduring.Survival > n.Survival);
        Assert.Equal(n.AttackHit, enduring.AttackHit);
    }

    [Fact]
    public void PersonalityFactors_FollowTheContractFormulas_AndNeverFlipASign()
    {
        float[] values = [0, 10, 25, 50, 77, 100];
        foreach (float a in values) foreach (float p in values) foreach (float t in values) foreach (float r in values) foreach (float e in values)
        {
            var f = new Personality(a, p, t, r, e).Factors();
            float sa = a / 50, sp = p / 50, st = t / 50, sr = r / 50, se = e / 50;
            Assert.Equal((1.5f - 0.5f * sa) * (0.25f + 0.75f * se), f.Survival, 5);
            Assert.Equal((0.25f + 0.75f * sa) * (1.25f - 0.25f * st), f.AttackHit, 5);
            Assert.Equal((0.5f + 0.5f * sa) * (0.5f + 0.5f * st), f.Knockout, 5);
            Assert.Equal(1.75f - 0.75f * sr, f.DamageTaken, 5);
            Assert.Equal((0.25f + 0.75f * sp) * (1.25f - 0.25f * sr), f.NearEdge, 5);
            Assert.Equal(1.5f - 0.5f * sr, f.RingOut, 5);
            var all = new float[6];
            f.CopyTo(all);
            foreach (float factor in all) Assert.True(factor > 0, $"a factor of {new Personality(a, p, t, r, e)} is {factor}: the weight flips sign");
        }
    }

    [Fact]
    public void ContractExamples_AreReproduced()
    {
        // docs/CONTRACT.md: aggression 90, risk tolerance 90.
        var w = RewardWeights.For(new Personality(Aggression: 90, RiskTolerance: 90));
        Assert.Equal(3.2f, w.AttackHit, 4);
        Assert.Equal(14f, w.Knockout, 4);
        Assert.Equal(0.6f, w.Survival, 4);
        Assert.Equal(-0.4f, w.DamageTaken, 4);
        Assert.Equal(-2.4f, w.NearEdge, 4);
        Assert.Equal(-6f, w.RingOut, 4);
        // Aggression 10, positioning 90.
        var v = RewardWeights.For(new Personality(Aggression: 10, Positioning: 90));
        Assert.Equal(0.8f, v.AttackHit, 4);
        Assert.Equal(6f, v.Knockout, 4);
        Assert.Equal(1.4f, v.Survival, 4);
        Assert.Equal(-4.8f, v.NearEdge, 4);
    }

    [Fact]
    public void TrainingModes_ScaleThePersonalityWeights()
    {
        Assert.Equal(new RewardWeights(2f, 0.5f, 1f, 1.5f, 1f, 1.5f), TrainingMode.Survival.Factors());
        Assert.Equal(new RewardWeights(0.5f, 2f, 1.5f, 1f, 1f, 1f), TrainingMode.Aggression.Factors());
        Assert.Equal(new RewardWeights(1f, 1f, 1f, 1f, 1f, 1f), TrainingMode.Tactical.Factors());
        Assert.Equal(new RewardWeights(1f, 1f, 1f, 1f, 1f, 1f), TrainingMode.Adaptation.Factors());
        Assert.Equal(new RewardWeights(0.5f, 1f, 1.5f, 1f, 1f, 1.5f), TrainingMode.Tournament.Factors());

        var p = new Personality(70, 20, 60, 35, 90);
        foreach (var mode in Enum.GetValues<TrainingMode>())
            Assert.Equal(RewardWeights.Default.Scale(p.Factors()).Scale(mode.Factors()), RewardWeights.For(p, mode));
        Assert.True(RewardWeights.For(p, TrainingMode.Survival).Survival > RewardWeights.For(p).Survival);
        Assert.True(RewardWeights.For(p, TrainingMode.Aggression).AttackHit > RewardWeights.For(p).AttackHit);
        Assert.Throws<ArgumentOutOfRangeException>(() => ((TrainingMode)42).Factors());
    }

    [Theory]
    [InlineData("survival", TrainingMode.Survival)]
    [InlineData("Aggression", TrainingMode.Aggression)]
    [InlineData("TOURNAMENT", TrainingMode.Tournament)]
    public void TrainingMode_ParsesItsNameCaseInsensitively(string text, TrainingMode mode)
    {
        Assert.Equal(mode, TrainingModes.Parse(text));
        Assert.Equal(text.ToLowerInvariant(), mode.Name());
    }

    [Theory]
    [InlineData("berserk")]
    [InlineData("7")]
    [InlineData("")]
    public void TrainingMode_UnknownName_Throws(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => TrainingModes.Parse(text));
        Assert.Contains("survival, aggression, tactical, adaptation, tournament", e.Message);
    }

    public static TheoryData<Personality, string> InvalidPersonalities => new()
    {
        { Personality.Neutral with { Aggression = float.NaN }, "aggression" },
        { Personality.Neutral with { Positioning = -1 }, "positioning" },
        { Personality.Neutral with { Targeting = 101 }, "targeting" },
        { Personality.Neutral with { RiskTolerance = float.PositiveInfinity }, "risk_tolerance" },
        { Personality.Neutral with { Endurance = -0.001f }, "endurance" },
        { Personality.Neutral with { Aggression = 101 }, "aggression" },
        { Personality.Neutral with { Endurance = float.NaN }, "endurance" },
    };

    [Theory]
    [MemberData(nameof(InvalidPersonalities))]
    public void InvalidPersonality_ThrowsNamingTheField(Personality personality, string field)
    {
        var e = Assert.Throws<ArgumentException>(personality.Validate);
        Assert.Equal(field, e.ParamName);
        Assert.Contains(field, e.Message);
    }

    [Fact]
    public void ValidPersonalities_PassValidation()
    {
        Personality.Neutral.Validate();
        new Personality(0, 0, 0, 0, 0).Validate();
        new Personality(100, 100, 100, 100, 100).Validate();
    }

    [Fact]
    public void NonFiniteRewardWeight_IsRejectedNamingTheTerm()
    {
        var e = Assert.Throws<ArgumentException>(() => (RewardWeights.Default with { NearEdge = float.NaN }).Validate());
        Assert.Equal("near_edge", e.ParamName);
        var config = ArenaConfig.Standard(2) with { Weights = [RewardWeights.Default, RewardWeights.Default with { Knockout = float.PositiveInfinity }] };
        e = Assert.Throws<ArgumentException>(() => new ArenaBatch(config, 1));
        Assert.Equal("knockout", e.ParamName);
    }
}
