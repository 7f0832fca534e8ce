namespace Ringside.Learning;

/// <summary>
/// Deterministic random numbers (xoshiro256**, seeded through SplitMix64). Ours rather than
/// <see cref="Random"/> so that a seed gives the same run on every .NET version and machine.
/// </summary>
public sealed class Rng
{
    private ulong _s0, _s1, _s2, _s3;

    /// <param name="seed">any value; equal seeds give equal sequences.</param>
    /// <param name="stream">separates independent sequences derived from one seed (sampling, shuffling, ...).</param>
    public Rng(ulong seed, ulong stream = 0)
    {
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The full generator state, for checkpoints.</summary>
    public ulong[] GetState() => [_s0, _s1, _s2, _s3];

    public void SetState(ReadOnlySpan<ulong> state)
    {
        if (state.Length != 4) throw new ArgumentException("an Rng state is 4 values", nameof(state));
        (_s0, _s1, _s2, _s3) = (state[0], state[1], state[2], state[3]);
    }

    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1) with 24 random bits, so every value is exactly representable.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    public double NextDouble(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>Uniform integer in [0, <paramref name="count"/>), unbiased (Lemire's multiply-and-reject).</summary>
    public int NextInt(int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count));
        ulong range = (ulong)count;
        while (true)
        {
            UInt128 product = (UInt128)NextUInt64() * range;
            ulong low = (ulong)product;
            if (low >= range || low >= (0UL - range) % range) return (int)(product >> 64);
        }
    }

    /// <summary>Standard normal (Box–Muller; the second value of each pair is discarded to keep no state).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(); // in (0, 1], so the logarithm is finite
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="values"/> uniformly from [−1, 1).</summary>
    public void NextFloats(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = NextFloat() * 2 - 1;
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle(Span<int> values)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
