using System.Globalization;
using System.Text;
using Ringside.Sim;
using static Ringside.Cli.Bench.BenchApi;

namespace Ringside.Cli.Bench.Server;

/// <summary>
/// A body for <c>POST /api/fight-frames/batch</c> (docs/SERVER.md, Endpoints), serialised once: per request only the episode
/// id is spliced into the template's bytes (frame numbers run 0..batch-1 in every episode).
/// </summary>
internal sealed class FrameBodies
{
    private readonly byte[] _template;
    private readonly int[] _cuts; // where an episode id goes

    private FrameBodies(byte[] template, int[] cuts) { _template = template; _cuts = cuts; }

    public static FrameBodies Build(int frames, int seed)
    {
        var rng = new Random(seed);
        double U(double low, double high) => low + (high - low) * rng.NextDouble();
        var sb = new StringBuilder(frames * 560 + 16);
        var cuts = new int[frames];
        double cumulative = 0;
        sb.Append("{\"frames\":[");
        for (int i = 0; i < frames; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append("{\"episode_id\":");
            cuts[i] = sb.Length;
            double reward = U(-0.05, 0.2);
            cumulative += reward;
            sb.Append(",\"frame_number\":").Append(i.ToString(CultureInfo.InvariantCulture))
              .Append(",\"fighter_position\":[").Append(Number(U(-4, 4))).Append(',').Append(Number(U(-4, 4))).Append(']')
              .Append(",\"fighter_health\":").Append(Number(U(0, 100)))
              .Append(",\"fighter_velocity\":[").Append(Number(U(-2, 2))).Append(',').Append(Number(U(-2, 2))).Append(']')
              .Append(",\"enemies_state\":[");
            int enemies = 1 + i % 3;
            for (int e = 0; e < enemies; e++)
            {
                if (e > 0) sb.Append(',');
                sb.Append("{\"id\":").Append((e + 2).ToString(CultureInfo.InvariantCulture))
                  .Append(",\"pos\":[").Append(Number(U(-4, 4))).Append(',').Append(Number(U(-4, 4))).Append(']')
                  .Append(",\"health\":").Append(Number(U(0, 100))).Append('}');
            }
            sb.Append("],\"action_vector\":[").Append(Number(U(-1, 1))).Append(',').Append(Number(U(-1, 1)))
              .Append(',').Append(i % 7 == 0 ? '1' : '0').Append(',').Append(i % 11 == 0 ? '1' : '0').Append(']')
              .Append(",\"reward_delta\":").Append(Number(reward))
              .Append(",\"cumulative_reward\":").Append(Number(cumulative))
              .Append(",\"observation_vector\":[");
            for (int k = 0; k < Contract.ObservationSize; k++)
            {
                if (k > 0) sb.Append(',');
                sb.Append(Number(U(-1, 1)));
            }
            sb.Append("]}");
        }
        sb.Append("]}");
        return new FrameBodies(Encoding.ASCII.GetBytes(sb.ToString()), cuts); // ASCII: char and byte offsets agree
    }

    public byte[] For(long episode)
    {
        var body = new byte[Length(episode)];
        Write(episode, body);
        return body;
    }

    /// <summary>A buffer that holds the body for any episode id.</summary>
    public byte[] NewBuffer() => new byte[Length(long.MaxValue)];

    private int Length(long episode)
    {
        int digits = 1;
        for (long v = episode; v >= 10; v /= 10) digits++;
        return _template.Length + _cuts.Length * digits;
    }

    /// <summary>Writes the body for <paramref name="episode"/> into <paramref name="body"/>; returns its length.</summary>
    public int Write(long episode, byte[] body)
    {
        Span<byte> digits = stackalloc byte[20];
        episode.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        int from = 0, to = 0;
        foreach (int cut in _cuts)
        {
            _template.AsSpan(from, cut - from).CopyTo(body.AsSpan(to));
            to += cut - from;
            from = cut;
            digits[..n].CopyTo(body.AsSpan(to));
            to += n;
        }
        _template.AsSpan(from).CopyTo(body.AsSpan(to));
        return to + _template.Length - from;
    }
}
