using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>Every bad input gets a clear exception, and nothing is changed by a rejected call.</summary>
public class BadInputTests
{
    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    [InlineData(255)]
    [InlineData(int.MaxValue)]
    public void ActionOutOfRange_ThrowsBeforeAnyStateChanges(int bad)
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), 3);
        batch.Reset(1);
        var buffers = new StepBuffers(6);
        batch.Step([0, 2, 4, 6, 9, 1], buffers);
        var hashes = Enumerable.Range(0, 3).Select(batch.StateHash).ToArray();
        var obs = buffers.Observations.ToArray();
        var rewards = buffers.Rewards.ToArray();

        // The bad action belongs to the last arena: the first two must not have been stepped either.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => batch.Step([0, 0, 0, 0, 0, bad], buffers));
        Assert.Equal("actions", e.ParamName);
        Assert.Contains("agent 5", e.Message);
        Assert.Equal(hashes, Enumerable.Range(0, 3).Select(batch.StateHash));
        Assert.Equal(1, batch.Tick(0));
        Assert.Equal(obs, buffers.Observations);
        Assert.Equal(rewards, buffers.Rewards);
    }

    [Fact]
    public void Match_ActionOutOfRange_Throws_AndRecordsNothing()
    {
        using var match = new Match(ArenaConfig.Standard(2), 1);
        match.Step([0, 4]);
        var frame = match.CurrentFrame();
        Assert.Throws<ArgumentOutOfRangeException>(() => match.Step([Contract.ActionCount, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => match.Step([0, -1]));
        Assert.Equal(1, match.Tick);
        Assert.Equal(frame.Fighters, match.CurrentFrame().Fighters);
        Assert.Single(match.ToReplay().FrameHashes);
        Assert.Equal(2, match.ToReplay().Actions.Length);
        Assert.Throws<ArgumentException>(() => match.Step([0]));
        Assert.Throws<InvalidOperationException>(() => match.Step()); // no controllers
        Assert.Throws<InvalidOperationException>(() => match.Result()); // not over
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(20)]
    public void FighterCountOutside2To8_Throws(int fighters)
    {
        var config = new ArenaConfig { Fighters = Enumerable.Repeat(FighterSpec.Standard, fighters).ToArray() };
        var e = Assert.Throws<ArgumentException>(() => new ArenaBatch(config, 1));
        Assert.Equal("fighters", e.ParamName);
        Assert.Contains("2 to 8", e.Message);
        Assert.Throws<ArgumentException>(() => new Match(config, 1));
        Assert.Throws<ArgumentException>(config.Validate);
    }

    [Fact]
    public void FighterCounts2To8_AreAccepted()
    {
        for (int f = 2; f <= 8; f++)
        {
            using var batch = new ArenaBatch(ArenaConfig.Standard(f), 2);
            Assert.Equal(2 * f, batch.AgentCount);
        }
    }

    public static TheoryData<float, float, string> BadSpecs => new()
    {
        { float.NaN, 1f, "size" },
        { float.PositiveInfinity, 1f, "size" },
        { 0.49f, 1f, "size" },
        { 2.01f, 1f, "size" },
        { 0f, 1f, "size" },
        { -1f, 1f, "size" },
        { 1f, float.NaN, "speed" },
        { 1f, float.NegativeInfinity, "speed" },
        { 1f, 0.4f, "speed" },
        { 1f, 3f, "speed" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public void BadSizeOrSpeed_ThrowsNamingTheField(float size, float speed, string field)
    {
        var spec = new FighterSpec(size, speed);
        var e = Assert.Throws<ArgumentException>(() => spec.Validate("tiny"));
        Assert.Equal(field, e.ParamName);
        Assert.Contains(field, e.Message);
        Assert.Contains("tiny", e.Message);

        var config = new ArenaConfig { Fighters = [FighterSpec.Standard, spec] };
        e = Assert.Throws<ArgumentException>(() => new ArenaBatch(config, 1));
        Assert.Equal(field, e.ParamName);
        Assert.Contains("#1", e.Message);
        Assert.Throws<ArgumentException>(() => new Match(config, 1));
    }

    [Fact]
    public void BoundarySizesAndSpeeds_AreAccepted()
    {
        new FighterSpec(0.5f, 0.5f).Validate();
        new FighterSpec(2f, 2f).Validate();
        using var batch = new ArenaBatch(new ArenaConfig { Fighters = [new(0.5f, 2f), new(2f, 0.5f)] }, 1);
    }

    [Fact]
    public void BadConfiguration_ThrowsNamingTheField()
    {
        var two = ArenaConfig.Standard(2);
        Assert.Equal("weights", Assert.Throws<ArgumentException>(() => (two with { Weights = [RewardWeights.Default] }).Validate()).ParamName);
        Assert.Equal("max_ticks", Assert.Throws<ArgumentException>(() => (two with { MaxTicks = 0 }).Validate()).ParamName);
        Assert.Equal("end_when_eliminated_mask", Assert.Throws<ArgumentException>(() => (two with { EndWhenEliminatedMask = 0b100 }).Validate()).ParamName);
        Assert.Equal("end_when_eliminated_mask", Assert.Throws<ArgumentException>(() => (two with { EndWhenEliminatedMask = -1 }).Validate()).ParamName);
        (two with { EndWhenEliminatedMask = 0b11 }).Validate();
        Assert.Equal("arenaCount", Assert.Throws<ArgumentException>(() => new ArenaBatch(two, 0)).ParamName);
        Assert.Equal("threads", Assert.Throws<ArgumentException>(() => new ArenaBatch(two, 1, threads: 0)).ParamName);
        Assert.Throws<ArgumentNullException>(() => new ArenaBatch(null!, 1));
    }

    [Fact]
    public void WrongBufferLengths_Throw_AndStepNothing()
    {
        using var batch = new ArenaBatch(ArenaConfig.Standard(2), 2);
        batch.Reset(3);
        ulong hash = batch.StateHash(0);
        Assert.Equal("actions", Assert.Throws<ArgumentException>(() => batch.Step(new int[3], new StepBuffers(4))).ParamName);
        Assert.Equal("actions", Assert.Throws<ArgumentException>(() => batch.Step(new int[5], new StepBuffers(4))).ParamName);
        Assert.Equal("buffers", Assert.Throws<ArgumentException>(() => batch.Step(new int[4], new StepBuffers(2))).ParamName);
        Assert.Equal("buffers", Assert.Throws<ArgumentException>(() => batch.Step(new int[4], new StepBuffers(6))).ParamName);
        Assert.Equal("observations", Assert.Throws<ArgumentException>(() => batch.WriteObservations(new float[4 * 30 - 1])).ParamName);
        Assert.Throws<ArgumentNullException>(() => batch.Step(null!, new StepBuffers(4)));
        Assert.Throws<ArgumentNullException>(() => batch.Step(new int[4], null!));
        Assert.Equal(hash, batch.StateHash(0));
        Assert.Equal(0, batch.Tick(0));
    }

    [Fact]
    public void Match_ControllerOrNameCountMismatch_Throws()
    {
        var config = ArenaConfig.Standard(3);
        Assert.Equal("controllers", Assert.Throws<ArgumentException>(() => new Match(config, 1, Controllers.Of(1, "idle", "idle"))).ParamName);
        Assert.Equal("names", Assert.Throws<ArgumentException>(() => new Match(config, 1, Controllers.Of(1, "idle", "idle", "idle"), ["a"])).ParamName);
    }
}
