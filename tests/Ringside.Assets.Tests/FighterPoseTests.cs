using System.Numerics;

namespace Ringside.Assets.Tests;

/// <summary>What the fighters look like, measured on the skinned GLB mesh as a viewer would pose it.</summary>
public class FighterPoseTests
{
    private static readonly Colour Grey = Colour.FromHex("#808080");

    private static Gltf Fighter(float size, float speed) =>
        Gltf.Parse(FighterModelBuilder.Build(new FighterLook(size, speed, Grey, Colour.FromHex("#203040"), Colour.FromHex("#c0a000"))).ToGlb());

    private static float[] KeyTimes(Gltf gltf, string clip) =>
        gltf.Read(gltf.Animation(clip).GetProperty("samplers")[0].GetProperty("input").GetInt32()).Select(t => (float)t).ToArray();

    [Fact]
    public void A_normal_fighter_is_about_1_8_m_tall_1_m_wide_faces_plus_z_and_stands_on_the_floor()
    {
        var (min, max) = Gltf.Bounds(Fighter(1, 1).SkinnedVertices());
        Assert.Equal(0f, min.Y, 3);
        Assert.InRange(max.Y, 1.75f, 1.85f);
        Assert.InRange(max.X - min.X, 0.85f, 1.1f);
        Assert.InRange(max.Z - min.Z, 0.25f, 0.5f);
        Assert.True(max.Z > -min.Z, "the toes and the face point to +Z");
    }

    [Fact]
    public void Height_and_width_scale_with_size()
    {
        var (heavyMin, heavyMax) = Gltf.Bounds(Fighter(1.4f, 0.75f).SkinnedVertices());
        var (smallMin, smallMax) = Gltf.Bounds(Fighter(0.8f, 1.35f).SkinnedVertices());
        Assert.True(heavyMax.Y > smallMax.Y * 1.5f, $"heavy {heavyMax.Y} m vs small {smallMax.Y} m tall");
        Assert.True(heavyMax.X - heavyMin.X > (smallMax.X - smallMin.X) * 1.5f, "the heavyweight is wider");
        Assert.InRange(heavyMax.Y, 1.4f * 1.8f * 0.97f, 1.4f * 1.8f * 1.03f);
        Assert.InRange(smallMax.Y, 0.8f * 1.8f * 0.97f, 0.8f * 1.8f * 1.03f);
    }

    [Fact]
    public void Speed_makes_a_leaner_longer_legged_build_at_the_same_size()
    {
        FighterModel fast = FighterModelBuilder.Build(new FighterLook(1, 2, Grey, Grey, Grey));
        FighterModel slow = FighterModelBuilder.Build(new FighterLook(1, 0.5f, Grey, Grey, Grey));
        int hip = FighterModelBuilder.JointNames.ToList().IndexOf("upper_leg_l");
        Assert.True(fast.Joints[hip].BindPosition.Y > slow.Joints[hip].BindPosition.Y + 0.1f, "longer legs");
        var (fastMin, fastMax) = fast.Bounds();
        var (slowMin, slowMax) = slow.Bounds();
        Assert.True(fastMax.X - fastMin.X < slowMax.X - slowMin.X - 0.1f, "narrower");
        Assert.Equal(fastMax.Y, slowMax.Y, 2); // same height: size alone sets it
    }

    [Theory]
    [InlineData(1f, 1f)]
    [InlineData(0.5f, 2f)]
    [InlineData(2f, 0.5f)]
    public void Every_key_of_every_clip_keeps_the_body_on_or_above_the_floor(float size, float speed)
    {
        Gltf gltf = Fighter(size, speed);
        foreach (string clip in FighterClips.Standard)
            foreach (float time in KeyTimes(gltf, clip))
            {
                float lowest = Gltf.Bounds(gltf.SkinnedVertices(clip, time)).Min.Y;
                Assert.True(lowest >= -0.002f, $"{clip} at {time}s goes {-lowest} m into the floor");
                bool airborne = (clip, time) is ("victory", 0.45f) or ("knockout", 1f); // the jump; the bounce off the canvas
                if (!airborne)
                    Assert.True(lowest <= 0.002f, $"{clip} at {time}s floats {lowest} m above the floor");
            }
    }

    [Fact]
    public void Knockout_ends_lying_on_the_floor()
    {
        Gltf gltf = Fighter(1, 1);
        var (min, max) = Gltf.Bounds(gltf.SkinnedVertices("knockout", 1.2f));
        Assert.True(max.Y < 0.5f, $"the knocked-out fighter reaches {max.Y} m high");
        Assert.True(max.Z - min.Z > 1.5f, "lying full length along the facing axis");
        Assert.InRange((min.Z + max.Z) / 2, -0.6f, 0.6f); // still on its spot in the ring, not a body length away
    }

    [Fact]
    public void Victory_jumps_and_ends_with_the_arms_raised()
    {
        Gltf gltf = Fighter(1, 1);
        float restTop = Gltf.Bounds(gltf.SkinnedVertices()).Max.Y;
        float highestFeet = KeyTimes(gltf, "victory").Max(t => Gltf.Bounds(gltf.SkinnedVertices("victory", t)).Min.Y);
        Assert.True(highestFeet > 0.2f, $"the jump only lifts the feet {highestFeet} m");
        Assert.True(Gltf.Bounds(gltf.SkinnedVertices("victory", 1.5f)).Max.Y > restTop + 0.2f, "fists above the head");
    }

    [Fact]
    public void Attack_reaches_forward_and_hit_recoils_backward()
    {
        Gltf gltf = Fighter(1, 1);
        float guardReach = Gltf.Bounds(gltf.SkinnedVertices("attack", 0)).Max.Z;
        float punchReach = KeyTimes(gltf, "attack").Max(t => Gltf.Bounds(gltf.SkinnedVertices("attack", t)).Max.Z);
        Assert.True(punchReach > guardReach + 0.25f, $"the punch reaches {punchReach} m, the guard {guardReach} m");

        int head = FighterModelBuilder.JointNames.ToList().IndexOf("head");
        float guardHeadZ = gltf.WorldMatrices("hit", 0)[head].Translation.Z;
        float recoilHeadZ = gltf.WorldMatrices("hit", 0.08f)[head].Translation.Z;
        Assert.True(recoilHeadZ < guardHeadZ - 0.03f, "the head snaps back");
    }

    [Fact]
    public void Walk_alternates_the_leading_foot()
    {
        Gltf gltf = Fighter(1, 1);
        var names = FighterModelBuilder.JointNames.ToList();
        int left = names.IndexOf("lower_leg_l"), right = names.IndexOf("lower_leg_r");
        float Lead(float time)
        {
            Matrix4x4[] world = gltf.WorldMatrices("walk", time);
            return world[left].Translation.Z - world[right].Translation.Z;
        }
        Assert.True(Lead(0) > 0.1f, "left knee ahead at the start");
        Assert.True(Lead(0.4f) < -0.1f, "right knee ahead half a cycle later");
    }

    [Fact]
    public void Metadata_outside_the_contract_range_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FighterModelBuilder.Build(new FighterLook(0.4f, 1, Grey, Grey, Grey)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FighterModelBuilder.Build(new FighterLook(1, 2.5f, Grey, Grey, Grey)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FighterModelBuilder.Build(new FighterLook(float.NaN, 1, Grey, Grey, Grey)));
    }
}
