using System.Text.Json;
using Ringside.Server.Http;
using Ringside.Sim;

namespace Ringside.Server.Realtime;

/// <summary>JSON messages of the WebSocket streams (snake_case like the REST API), serialized once per broadcast.</summary>
public static class Messages
{
    public static byte[] Serialize(object message) => JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), Json.Options);

    /// <summary>An error message; what it echoes of the client's input is repaired first (<see cref="Utf16.Repaired"/>).</summary>
    public static byte[] Error(string message) => Serialize(new { type = "error", message = Utf16.Repaired(message) });

    public sealed record FighterState(int Slot, float X, float Y, float Vx, float Vy, float Fx, float Fy, float Health, bool Alive, int Action, string[] Events);

    /// <summary>The fighters of a frame as the live stream and replay pages show them.</summary>
    public static FighterState[] Fighters(Frame frame) =>
        frame.Fighters.Select(f => new FighterState(f.Slot, Round(f.X), Round(f.Y), Round(f.VelocityX), Round(f.VelocityY), Round(f.FacingX), Round(f.FacingY),
            Round(f.Health), f.Alive, f.Action, EventNames(f.Events))).ToArray();

    // Millimetres are plenty for a viewer and keep the stream small.
    private static float Round(float value) => MathF.Round(value, 3);

    private static readonly string[] NoEvents = [];

    public static string[] EventNames(FighterEvents e)
    {
        if (e == FighterEvents.None) return NoEvents;
        var names = new List<string>(3);
        if (e.HasFlag(FighterEvents.Attacked)) names.Add("attack");
        if (e.HasFlag(FighterEvents.HitLanded)) names.Add("hit_landed");
        if (e.HasFlag(FighterEvents.WasHit)) names.Add("hit_taken");
        if (e.HasFlag(FighterEvents.KnockedOut)) names.Add("knockout");
        if (e.HasFlag(FighterEvents.RingOut)) names.Add("ring_out");
        if (e.HasFlag(FighterEvents.Eliminated)) names.Add("eliminated_opponent");
        return [.. names];
    }
}
