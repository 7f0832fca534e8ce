namespace Ringside.Sim;

/// <summary>
/// The simulation's random numbers: SplitMix64 (Steele, Lea and Flood 2014). Our own so that a seed means
/// the same thing on every runtime and machine; it is a value type that lives inside the arena state.
/// </summary>
public struct SplitMix64(ulong seed)
{
    public ulong State = seed;

    public ulong NextULong()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 bits, exact in float.</summary>
    public float NextFloat() => (NextULong() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, n) by Lemire's multiply-shift (bias below 2^-32 for our small n).</summary>
    public int NextInt(int n) => (int)(((NextULong() >> 32) * (ulong)n) >> 32);

    /// <summary>Derives an independent seed from a seed and a stream index.</summary>
    public static ulong Mix(ulong seed, ulong stream)
    {
        var rng = new SplitMix64(seed ^ (stream * 0xD1B54A32D192ED03UL));
        return rng.NextULong();
    }
}
