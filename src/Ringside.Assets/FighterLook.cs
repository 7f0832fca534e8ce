namespace Ringside.Assets;

/// <summary>What a generated fighter looks like. <paramref name="Size"/> and <paramref name="Speed"/> are the
/// sim's fighter metadata multipliers (0.5–2, 1 normal): size scales the whole body (a size-1 fighter is
/// 1.8 m tall and about 1 m wide, the sim's body diameter); speed makes a leaner, longer-legged build when
/// high and a stockier one when low. A masked fighter wears a luchador mask in the accent colour.</summary>
public sealed record FighterLook(float Size, float Speed, Colour Skin, Colour Outfit, Colour Accent, bool Masked = false);

/// <summary>The animation clips every fighter GLB should carry; the viewer falls back to a static pose
/// when an uploaded model lacks them.</summary>
public static class FighterClips
{
    public const string Idle = "idle", Walk = "walk", Attack = "attack", Hit = "hit", Knockout = "knockout", Victory = "victory";

    public static IReadOnlyList<string> Standard { get; } = [Idle, Walk, Attack, Hit, Knockout, Victory];
}
