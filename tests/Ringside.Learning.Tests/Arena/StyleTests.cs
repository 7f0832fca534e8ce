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
        Assert.True(Style.For(Personality.Neutral with { RiskTolerance = 10 }).ForExposure < 0);
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
    public void Standing_in_reach_of_a_ready_enemy_pays_a_risk_taker_and_charges_a_careful_fighter()
    {
        // The idle enemy's attack is always off cooldown: walking up to it ends in its reach, walking away never does.
        var taker = Style.For(Personality.Neutral with { RiskTolerance = 90 });
        var careful = Style.For(Personality.Neutral with { RiskTolerance = 10 });
        Assert.True(Walk(taker, towardEnemy: true) > 0);
        Assert.True(Walk(careful, towardEnemy: true) < 0);
        Assert.Equal(0f, Walk(taker, towardEnemy: false));
        Assert.Equal(0f, Walk(careful, towardEnemy: false));
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
