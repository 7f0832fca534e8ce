using System.Buffers.Binary;
using System.Text;
using Ringside.Sim;

namespace Ringside.Sim.Tests;

/// <summary>Replays: round trip through the file format, verification, frames, and rejection of damaged files.</summary>
public class ReplayTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("ringside-replay-tests-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (Match Match, MatchResult Result) Play(ulong seed = 5, ArenaConfig? config = null, params string[] bots)
    {
        config ??= new ArenaConfig
        {
            Fighters = [new(1f, 1f), new(1.4f, 0.9f), new(0.8f, 1.3f)],
            Weights = [RewardWeights.Default, RewardWeights.For(new Personality(Aggression: 90)), RewardWeights.For(Personality.Neutral, TrainingMode.Survival)],
            MaxTicks = 600,
            EndWhenEliminatedMask = 0b100,
        };
        if (bots.Length == 0) bots = ["chaser", "random", "cautious"];
        var controllers = bots.Select((n, i) => Bots.Create(n, config.Fighters[i], SplitMix64.Mix(seed, (ulong)(100 + i)))).ToArray();
        var match = new Match(config, seed, controllers, bots.Select((n, i) => $"{n}#{i}").ToArray());
        return (match, match.Run());
    }

    private static void AssertSameReplay(Replay expected, Replay actual)
    {
        Assert.Equal(expected.ContractVersion, actual.ContractVersion);
        Assert.Equal(expected.EpisodeSeed, actual.EpisodeSeed);
        Assert.Equal(expected.FighterNames, actual.FighterNames);
        Assert.Equal(expected.Actions, actual.Actions);
        Assert.Equal(expected.FrameHashes, actual.FrameHashes);
        Assert.Equal(expected.Winner, actual.Winner);
        Assert.Equal(expected.Config.Fighters, actual.Config.Fighters);
        Assert.Equal(expected.Config.MaxTicks, actual.Config.MaxTicks);
        Assert.Equal(expected.Config.EndWhenEliminatedMask, actual.Config.EndWhenEliminatedMask);
        var w = expected.Config.Weights ?? Enumerable.Repeat(RewardWeights.Default, expected.Config.FighterCount).ToArray();
        Assert.Equal(w, actual.Config.Weights);
    }

    [Fact]
    public void SaveThenLoad_RoundTripsEverything()
    {
        var (match, result) = Play();
        using (match)
        {
            var replay = match.ToReplay();
            Assert.Equal(result.Frames, replay.Ticks);
            Assert.Equal(result.Winner, replay.Winner);
            Assert.Equal(result.Frames * 3, replay.Actions.Length);
            Assert.Equal(result.StateHash, replay.FrameHashes[^1]);

            string path = Path.Combine(dir, "match.rsrp");
            replay.Save(path);
            var loaded = Replay.Load(path);
            AssertSameReplay(replay, loaded);
            Assert.Null(loaded.FirstMismatch());

            // The stream overload writes the same bytes.
            using var stream = new MemoryStream();
            replay.Save(stream);
            Assert.Equal(File.ReadAllBytes(path), stream.ToArray());
            // Compact: 4 bits per action, 8 bytes per tick, plus a small header.
            Assert.InRange(stream.Length, replay.Ticks * 8 + replay.Actions.Length / 2, replay.Ticks * 8 + replay.Actions.Length / 2 + 2000);
        }
    }

    [Fact]
    public void DefaultWeights_RoundTripAsTheSeedWeights()
    {
        var (match, _) = Play(9, ArenaConfig.Standard(2), "chaser", "idle");
        using (match)
        {
            var replay = match.ToReplay();
            using var stream = new MemoryStream();
            replay.Save(stream);
            var loaded = Replay.Load(stream.ToArray());
            AssertSameReplay(replay, loaded);
            Assert.Null(loaded.FirstMismatch());
        }
    }

    [Fact]
    public void FirstMismatch_IsNullForAGenuineReplay_AndFindsTheTickOfAnAlteredAction()
    {
        var (match, _) = Play(seed: 5, config: ArenaConfig.Standard(2), "chaser", "random");
        using (match)
        {
            var replay = match.ToReplay();
            Assert.Null(replay.FirstMismatch());
            int checkedTicks = 0;
            foreach (int tick in new[] { 0, 3, 10, replay.Ticks / 2 })
            {
                // Replace a move of the chaser (slot 0) by the opposite move: its velocity differs at once.
                int k = tick * 2;
                if (replay.Actions[k] >= 8) continue;
                var actions = replay.Actions.ToArray();
                actions[k] = (byte)((actions[k] + 4) % 8);
                var altered = new Replay
                {
                    EpisodeSeed = replay.EpisodeSeed,
                    Config = replay.Config,
                    FighterNames = replay.FighterNames,
                    Actions = actions,
                    FrameHashes = replay.FrameHashes,
                    Winner = replay.Winner,
                };
                Assert.Equal(tick + 1, altered.FirstMismatch()); // frames count from 1 (frame 0 is the spawn)
                checkedTicks++;
            }
            Assert.True(checkedTicks >= 2);

            // A tampered hash is found at its frame.
            var hashes = replay.FrameHashes.ToArray();
            hashes[7] ^= 1;
            var tampered = new Replay
            {
                EpisodeSeed = replay.EpisodeSeed,
                Config = replay.Config,
                FighterNames = replay.FighterNames,
                Actions = replay.Actions,
                FrameHashes = hashes,
                Winner = replay.Winner,
            };
            Assert.Equal(8, tampered.FirstMismatch());
            // So is another episode seed, at the first frame.
            var otherSeed = new Replay
            {
                EpisodeSeed = replay.EpisodeSeed + 1,
                Config = replay.Config,
                FighterNames = replay.FighterNames,
                Actions = replay.Actions,
                FrameHashes = replay.FrameHashes,
                Winner = replay.Winner,
            };
            Assert.Equal(1, otherSeed.FirstMismatch());
        }
    }

    [Fact]
    public void Frames_HaveTicksPlusOne_FromTheSpawnToTheFinalState()
    {
        var (match, result) = Play();
        using (match)
        {
            var replay = match.ToReplay();
            var frames = replay.Frames().ToList();
            Assert.Equal(replay.Ticks + 1, frames.Count);
            Assert.Equal(Enumerable.Range(0, replay.Ticks + 1), frames.Select(f => f.Tick));

            using var fresh = new Match(match.Config, match.Seed);
            Assert.Equal(fresh.CurrentFrame().Fighters, frames[0].Fighters);
            Assert.Equal(match.CurrentFrame().Tick, frames[^1].Tick);
            Assert.Equal(match.CurrentFrame().Fighters, frames[^1].Fighters);
            Assert.Equal(result.Frames, frames[^1].Tick);
            // Each frame's actions are those recorded for its tick.
            for (int t = 1; t < frames.Count; t++)
                for (int s = 0; s < 3; s++)
                    if (frames[t - 1].Fighters[s].Alive)
                        Assert.Equal(replay.Actions[(t - 1) * 3 + s], frames[t].Fighters[s].Action);
        }
    }

    private byte[] SavedBytes()
    {
        var (match, _) = Play(seed: 3, config: ArenaConfig.Standard(2), "chaser", "random");
        using (match)
        {
            using var stream = new MemoryStream();
            match.ToReplay().Save(stream);
            return stream.ToArray();
        }
    }

    private static ReplayFormatException AssertRejected(byte[] bytes, string expectedInMessage)
    {
        var e = Assert.Throws<ReplayFormatException>(() => Replay.Load(bytes));
        Assert.Contains(expectedInMessage, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void CorruptFiles_AreRejectedWithAClearMessage()
    {
        var good = SavedBytes();
        Replay.Load(good); // sanity

        AssertRejected([], "not a Ringside replay");
        AssertRejected("RSRP"u8.ToArray(), "not a Ringside replay");
        var magic = good.ToArray(); magic[0] = (byte)'X';
        AssertRejected(magic, "not a Ringside replay");
        AssertRejected(Encoding.UTF8.GetBytes("{\"this\": \"is json, not a replay\"}"), "not a Ringside replay");

        for (int at = 4; at < good.Length; at += Math.Max(1, good.Length / 37))
        {
            var flipped = good.ToArray();
            flipped[at] ^= 0x10;
            AssertRejected(flipped, "corrupt");
        }
        foreach (int cut in new[] { 1, 4, 9, good.Length / 2, good.Length - 20 })
            AssertRejected(good[..^cut], "corrupt or truncated");
        AssertRejected([.. good, 0], "corrupt");
    }

    [Fact]
    public void MissingFile_IsAFormatError()
    {
        var e = Assert.Throws<ReplayFormatException>(() => Replay.Load(Path.Combine(dir, "nope.rsrp")));
        Assert.Contains("does not exist", e.Message);
    }

    /// <summary>A file with a valid checksum around whatever header and body the test wants.</summary>
    private static byte[] Forge(string json, ReadOnlySpan<byte> body, ushort version = 1, int? headerLength = null)
    {
        var header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[10 + header.Length + body.Length + 4];
        "RSRP"u8.CopyTo(bytes);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), headerLength ?? header.Length);
        header.CopyTo(bytes, 10);
        body.CopyTo(bytes.AsSpan(10 + header.Length));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Compute(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    private const string Fighter = """{"name":"a","size":1,"speed":1,"weights":[1,2,10,-1,-3,-10]}""";

    private static string Header(int ticks = 1, string fighters = Fighter + "," + Fighter, int contract = 1) =>
        $$"""{"contract_version":{{contract}},"episode_seed":5,"fighters":[{{fighters}}],"max_ticks":100,"end_when_eliminated_mask":0,"ticks":{{ticks}},"winner":-1}""";

    [Fact]
    public void ForgedFile_WithAValidChecksum_IsStillChecked()
    {
        byte[] oneTick = [0x88, 0, 0, 0, 0, 0, 0, 0, 0]; // two idle actions, one hash
        Replay.Load(Forge(Header(), oneTick)); // well-formed

        AssertRejected(Forge(Header(), oneTick, version: 2), "format v2");
        AssertRejected(Forge("not json at all", oneTick), "not valid JSON");
        AssertRejected(Forge("null", oneTick), "not valid JSON");
        AssertRejected(Forge(Header(fighters: Fighter), oneTick), "2 to 8 fighters");
        AssertRejected(Forge(Header(fighters: Fighter + "," + Fighter.Replace("\"size\":1", "\"size\":9")), oneTick), "size");
        AssertRejected(Forge(Header(fighters: Fighter + "," + Fighter.Replace("[1,2,10,-1,-3,-10]", "[1,2]")), oneTick), "6 reward weights");
        AssertRejected(Forge(Header(ticks: 2), oneTick), "header implies");
        AssertRejected(Forge(Header(), [0xA8, 0, 0, 0, 0, 0, 0, 0, 0]), "outside 0-9"); // action 10
        AssertRejected(Forge(Header(), oneTick, headerLength: 0), "header length");
        AssertRejected(Forge(Header(), oneTick, headerLength: 100_000), "header length");
        AssertRejected(Forge(Header(), oneTick, headerLength: -5), "header length");

        // A replay of another contract version loads, but refuses to re-simulate.
        var other = Replay.Load(Forge(Header(contract: 2), oneTick));
        Assert.Equal(2, other.ContractVersion);
        Assert.Throws<ReplayFormatException>(() => other.FirstMismatch());
        Assert.Throws<ReplayFormatException>(() => other.Frames().ToList());
    }

    [Fact]
    public void ForgedFile_WithAHugeHeaderLength_IsAFormatError()
    {
        byte[] oneTick = [0x88, 0, 0, 0, 0, 0, 0, 0, 0];
        AssertRejected(Forge(Header(), oneTick, headerLength: int.MaxValue - 5), "header length");
    }
}
