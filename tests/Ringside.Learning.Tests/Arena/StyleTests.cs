using Ringside.Learning.Arena;
using Ringside.Sim;

namespace Ringside.Learning.Tests.Arena;

/// <summary>The personality's training-only style terms pay for the behaviour each slider names, and nothing when neutral.</summary>
public class StyleTests
{
    [Fact]
    public void A_neutral_personality_has_no_style_and_each_slider_signs_its_term()
    {
        Assert.True(Style.For(Personality.Neutral).IsNone);
        Assert.True(new ArenaTrainingOptions { OutDir = "." }.Style.IsNone); // the default recipe is the contract's reward alone
        Assert.True(Style.For(Personality.Neutral with { Aggression = 90 }).ForCloseness > 0);
        Assert.True(Style.For(Personality.Neutral with { Aggression = 10 }).ForCloseness < 0);
        Assert.True(Style.For(Personality.Neutral with { Positioning = 90 }).ForCentre > 0);
        Assert.True(Style.For(Personality.Neutral with { Positioning = 10 }).ForCentre < 0);
        Assert.True(Style.For(Personality.Neutral with { Targeting = 90 }).PerHitOnWeakest > 0);
        Assert.True(Style.For(Personality.Neutral with { RiskTolerance = 90 }).ForExposure > 0);
        Assert.Equal(0, Style.For(Personality.Neutral with { RiskTolerance = 90 }).ForHealthAtWin);
        Assert.Equal(0, Style.For(Personality.Neutral with { RiskTolerance = 10 }).ForExposure);
        Assert.True(Style.For(Personality.Neutral with { RiskTolerance = 10 }).ForHealthAtWin > 0);
        Assert.True(Style.For(Personality.Neutral with { Endurance = 90 }).ForHealth > 0);
        Assert.Equal(0, Style.For(Personality.Neutral with { Endurance = 10 }).ForHealth); // no pay for losing health
    }

    [Fact]
    public void Pressing_pays_an_aggressive_fighter_and_keeping_away_a_passive_one()
    {
        var aggressive = Style.For(Personality.Neutral with { Aggression = 90 });
        var passive = Style.For(Personality.Neutral with { Aggression = 10 });
        var (pressing, away) = (Walk(aggressive, towardEnemy: true), Walk(aggressive, towardEnemy: false));
        Assert.True(pressing > away, $"aggressive: pressing {pressing}, keeping away {away}");
        // A passive fighter is paid to keep away only once it is ahead on health, not for running from an even start.
        (pressing, away) = (Walk(passive, towardEnemy: true, ahead: true), Walk(passive, towardEnemy: false, ahead: true));
        Assert.True(away > pressing, $"passive, ahead on health: pressing {pressing}, keeping away {away}");
        Assert.Equal(0f, Walk(passive, towardEnemy: true));
        Assert.Equal(0f, Walk(passive, towardEnemy: false));
    }

    [Fact]
    public void Standing_in_reach_of_a_ready_enemy_pays_a_risk_taker_and_a_careful_fighter_values_the_health_it_wins_with()
    {
        // The idle enemy's attack is always off cooldown: walking up to it ends in its reach, walking away never does.
        var taker = Style.For(Personality.Neutral with { RiskTolerance = 90 });
        var careful = Style.For(Personality.Neutral with { RiskTolerance = 10 });
        Assert.True(Walk(taker, towardEnemy: true) > 0);
        Assert.Equal(0f, Walk(taker, towardEnemy: false));
        // The careful fighter is paid nothing per step; a win credits the health it kept (see the standing rate).
        Assert.Equal(0f, Walk(careful, towardEnemy: true));
        Assert.Equal(0f, Walk(careful, towardEnemy: false));
        var wins = StyleOnLastSteps(careful, "idle", learnerPlays: "chaser", maxTicks: 600);
        Assert.NotEmpty(wins);
        float scale = new ArenaEnvOptions().RewardScale;
        Assert.All(wins, w => Assert.Equal(careful.ForHealthAtWin * (600 - w.Ticks + 1) * ArenaRules.Dt * scale, w.Last, 1e-4f));
        Assert.All(wins, w => Assert.Equal(0f, w.PerStep));
    }

    [Fact]
    public void The_centre_pays_high_positioning_and_the_ropes_low()
    {
        var centre = Style.For(Personality.Neutral with { Positioning = 90 });
        var ropes = Style.For(Personality.Neutral with { Positioning = 10 });
        Assert.True(Walk(centre, towardCentre: true) > Walk(centre, towardCentre: false));
        Assert.True(Walk(ropes, towardCentre: false) > Walk(ropes, towardCentre: true));
    }

    [Fact]
    public void Low_positioning_works_near_the_ropes_not_on_them()
    {
        // Walking from its corner onto the ropes, a positioning-10 fighter is paid best about WorkingDistance from them,
        // and less on the ropes themselves (where a knockback puts it out) than there.
        var ropes = Style.For(Personality.Neutral with { Positioning = 10 });
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), 1);
        batch.Reset(7);
        var buffers = new StepBuffers(batch.AgentCount);
        var actions = new int[batch.AgentCount];
        var walk = new List<(float Edge, float Reward)>();
        for (int t = 0; t < 2 * ArenaRules.TicksPerSecond; t++)
        {
            var me = batch.Fighter(0);
            actions[0] = Contract.MoveToward(me.X, me.Y);
            actions[1] = Contract.Idle;
            batch.Step(actions, buffers);
            me = batch.Fighter(0);
            walk.Add((ArenaRules.RingHalfSize - MathF.Max(MathF.Abs(me.X), MathF.Abs(me.Y)), ropes.Reward(batch, 0, 2, 0)));
        }
        var best = walk.MaxBy(w => w.Reward);
        var onTheRopes = walk.MinBy(w => w.Edge);
        Assert.InRange(best.Edge, Style.WorkingDistance - 0.25f, Style.WorkingDistance + 0.25f);
        Assert.True(onTheRopes.Edge < 1f, $"the walk should end on the ropes, ended {onTheRopes.Edge} m from them");
        Assert.True(onTheRopes.Reward < best.Reward);
    }

    [Fact]
    public void A_winner_is_credited_its_standing_style_for_the_rest_of_the_time_limit_and_a_loser_nothing()
    {
        // Same episodes with and without endurance's style: the difference is the style reward. A learner that plays the
        // chaser knocks out an idle opponent early; on that last step it is credited its health's pay for the rest of the
        // time limit, as survival is, so that a style paid per second does not teach it to drag its fights out.
        var endurance = Style.For(Personality.Neutral with { Endurance = 90 });
        const int maxTicks = 600;
        float scale = new ArenaEnvOptions().RewardScale;
        var wins = StyleOnLastSteps(endurance, "idle", learnerPlays: "chaser", maxTicks);
        Assert.NotEmpty(wins);
        foreach (var (ticks, last, perStep) in wins)
        {
            float rest = (maxTicks - ticks + 1) * ArenaRules.Dt;
            Assert.True(ticks < maxTicks / 2, $"the knockout came late: tick {ticks}");
            // The idle opponent never hits back: full health, paid per second while the episode lasts, and at the end
            // for the rest of the time limit.
            Assert.Equal(endurance.ForHealth * ArenaRules.Dt * scale, perStep, 1e-6f);
            Assert.Equal(endurance.ForHealth * rest * scale, last, 1e-4f);
        }
        // An idle learner knocked out by the chaser is credited nothing.
        var losses = StyleOnLastSteps(endurance, "chaser", learnerPlays: "idle", maxTicks);
        Assert.NotEmpty(losses);
        Assert.All(losses, l => Assert.Equal(0f, l.Last));
    }

    [Fact]
    public void The_standing_rate_is_where_positioning_wants_the_fighter_and_the_health_endurance_keeps()
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), 1);
        batch.Reset(7);
        var me = batch.Fighter(0);
        float edge = ArenaRules.RingHalfSize - MathF.Max(MathF.Abs(me.X), MathF.Abs(me.Y));
        Assert.True(edge < Style.NeutralEdgeDistance, $"the spawn is {edge} m from the ropes");
        var ropes = Style.For(Personality.Neutral with { Positioning = 10 });
        Assert.Equal(0f, Style.For(Personality.Neutral with { Positioning = 90 }).StandingRate(batch, 0, 2)); // near the ropes: no pay, no charge
        Assert.Equal(-ropes.ForCentre * (1f - MathF.Abs(edge - Style.WorkingDistance) / Style.WorkingDistance), ropes.StandingRate(batch, 0, 2), 1e-6f);
        Assert.True(ropes.StandingRate(batch, 0, 2) > 0, "the spawn is within 2 m of the working band");
        Assert.Equal(0f, Style.For(Personality.Neutral with { Aggression = 90, RiskTolerance = 90 }).StandingRate(batch, 0, 2));
        var endurance = Style.For(Personality.Neutral with { Endurance = 90 });
        Assert.Equal(endurance.ForHealth, endurance.StandingRate(batch, 0, 2)); // full health
        var careful = Style.For(Personality.Neutral with { RiskTolerance = 10 });
        Assert.Equal(careful.ForHealthAtWin, careful.StandingRate(batch, 0, 2));
        var centre = Style.For(Personality.Neutral with { Positioning = 90 });
        Assert.True(Walk(centre, towardCentre: true) > 0);
        using var walked = new ArenaBatch(ArenaConfig.Standard(2), 1);
        walked.Reset(7);
        var buffers = new StepBuffers(walked.AgentCount);
        for (int t = 0; t < 2 * ArenaRules.TicksPerSecond; t++)
        {
            var f = walked.Fighter(0);
            walked.Step([Contract.MoveToward(-f.X, -f.Y), Contract.Idle], buffers);
        }
        Assert.True(centre.StandingRate(walked, 0, 2) > 0.5f * centre.ForCentre, $"in the centre: {centre.StandingRate(walked, 0, 2)}");
        Assert.Equal(0f, ropes.StandingRate(walked, 0, 2)); // more than 2 m from the working band
    }

    /// <summary>
    /// Runs a duel env with <paramref name="style"/> and one without it in lockstep, the learner playing the bot
    /// <paramref name="learnerPlays"/> against <paramref name="opponent"/>, and returns for each finished episode its length
    /// in ticks, the style reward of its last step and the mean style reward of its other steps.
    /// </summary>
    private static List<(int Ticks, float Last, float PerStep)> StyleOnLastSteps(Style style, string opponent, string learnerPlays, int maxTicks)
    {
        const int envs = 4;
        var options = new ArenaEnvOptions { Envs = envs, Fighters = [2], Bots = [opponent], MaxTicks = maxTicks, Weights = RewardWeights.Default };
        using var styled = new ArenaVectorEnv(options with { Style = style });
        using var plain = new ArenaVectorEnv(options);
        var (obs, plainObs, final) = (new float[envs * 30], new float[envs * 30], new float[envs * 30]);
        var (rewards, plainRewards) = (new float[envs], new float[envs]);
        var (terminals, truncations) = (new bool[envs], new bool[envs]);
        var actions = new int[envs];
        var policy = new BotPolicy(learnerPlays, FighterSpec.Standard, 1);
        styled.Reset(11, obs);
        plain.Reset(11, plainObs);
        var sums = new double[envs];
        var steps = new int[envs];
        var ends = new List<(int, float, float)>();
        for (int t = 0; t < maxTicks && ends.Count < 8; t++)
        {
            policy.Act(obs, envs, actions);
            styled.Step(actions, obs, rewards, terminals, truncations, final);
            plain.Step(actions, plainObs, plainRewards, terminals, truncations, final);
            Assert.Equal(plainObs, obs); // the style changes the reward only
            var ended = styled.CompletedEpisodes.ToArray().ToDictionary(e => e.Env, e => e.Length);
            for (int e = 0; e < envs; e++)
            {
                float styleReward = rewards[e] - plainRewards[e];
                if (ended.TryGetValue(e, out int length))
                {
                    ends.Add((length, styleReward, (float)(sums[e] / Math.Max(1, steps[e]))));
                    (sums[e], steps[e]) = (0, 0);
                }
                else (sums[e], steps[e]) = (sums[e] + styleReward, steps[e] + 1);
            }
        }
        return ends;
    }

    /// <summary>
    /// The style reward a learner (slot 0 of a duel, the opponent idle) collects over two seconds while it walks toward
    /// or away from its enemy, or toward the centre or the ropes.
    /// </summary>
    private static float Walk(Style style, bool? towardEnemy = null, bool? towardCentre = null, bool ahead = false)
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), 1);
        batch.Reset(7);
        var buffers = new StepBuffers(batch.AgentCount);
        var actions = new int[batch.AgentCount];
        if (ahead) LandAHit(batch, buffers, actions);
        float total = 0;
        for (int t = 0; t < 2 * ArenaRules.TicksPerSecond; t++)
        {
            var (me, them) = (batch.Fighter(0), batch.Fighter(1));
            float dx = towardEnemy is { } e ? (them.X - me.X) * (e ? 1 : -1) : -me.X * (towardCentre!.Value ? 1 : -1);
            float dy = towardEnemy is { } e2 ? (them.Y - me.Y) * (e2 ? 1 : -1) : -me.Y * (towardCentre!.Value ? 1 : -1);
            actions[0] = Contract.MoveToward(dx, dy);
            actions[1] = Contract.Idle;
            batch.Step(actions, buffers);
            total += style.Reward(batch, 0, 2, targetChoiceAtStart: 0);
        }
        return total;
    }

    /// <summary>The learner walks up to its idle opponent, swinging on every other tick, until a hit lands: it is then ahead on health.</summary>
    private static void LandAHit(ArenaBatch batch, StepBuffers buffers, int[] actions)
    {
        for (int t = 0; t < 5 * ArenaRules.TicksPerSecond; t++)
        {
            var (me, them) = (batch.Fighter(0), batch.Fighter(1));
            float dx = them.X - me.X, dy = them.Y - me.Y;
            actions[0] = t % 2 == 0 ? Contract.Attack : Contract.MoveToward(dx, dy); // swings that miss on the way cost nothing here
            actions[1] = Contract.Idle;
            batch.Step(actions, buffers);
            if (batch.Fighter(0).Events.HasFlag(FighterEvents.HitLanded))
            {
                Assert.True(batch.Fighter(0).Health > Surroundings.NearestEnemy(batch, 0, 2).Health);
                return;
            }
        }
        Assert.Fail("the learner never landed a hit on its idle opponent");
    }
}
