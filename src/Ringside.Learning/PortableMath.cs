using System.Numerics;

namespace Ringside.Learning;

/// <summary>
/// The training's non-trivial maths, written so that every machine computes the same bits: each lane of a vector and the
/// scalar tail do the same IEEE operations in the same order (multiplies and adds never fused), and sums run in index
/// order. System.Numerics.Tensors picks its algorithm by the machine's vector width (a different exp polynomial in the
/// scalar fallback, partial sums per lane in reductions), so a recipe trained on an AVX-512 machine wrote other bytes than
/// the same recipe on an AVX2 one (session 10: Iron Mountain's shipped model could not be reproduced).
/// </summary>
public static class PortableMath
{
    // Cephes' expf: x = n ln 2 + r with |r| <= ln2 / 2, ln 2 split in two so that n ln 2 is exact, e^r by a degree-7
    // polynomial, 2^n put into the exponent bits. Relative error about 1e-7 over the clamped range.
    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
                        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
    /// <summary>Inputs are clamped to this range: e^x stays a normal float (no overflow, no denormal).</summary>
    public const float MinExpInput = -87f, MaxExpInput = 88f;

    /// <summary>e^x element-wise (<paramref name="y"/> may be <paramref name="x"/>), x clamped to [−87, 88].</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("destination is shorter than the source", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
                Exp(new Vector<float>(x[i..])).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] = Exp(x[i]);
    }

    /// <summary>e^x, x clamped to [−87, 88]; the same bits as each lane of <see cref="Exp(ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static float Exp(float x)
    {
        x = MathF.Min(MathF.Max(x, MinExpInput), MaxExpInput);
        float n = MathF.Floor(x * Log2E + 0.5f);
        float r = x - n * Ln2High;
        r -= n * Ln2Low;
        float p = P0;
        p = p * r + P1;
        p = p * r + P2;
        p = p * r + P3;
        p = p * r + P4;
        p = p * r + P5;
        p = p * (r * r) + r + 1f;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    private static Vector<float> Exp(Vector<float> x)
    {
        x = Vector.Min(Vector.Max(x, new Vector<float>(MinExpInput)), new Vector<float>(MaxExpInput));
        var n = Vector.Floor(x * Log2E + new Vector<float>(0.5f));
        var r = x - n * Ln2High;
        r -= n * Ln2Low;
        var p = new Vector<float>(P0);
        p = p * r + new Vector<float>(P1);
        p = p * r + new Vector<float>(P2);
        p = p * r + new Vector<float>(P3);
        p = p * r + new Vector<float>(P4);
        p = p * r + new Vector<float>(P5);
        p = p * (r * r) + r + Vector<float>.One;
        var twoToN = Vector.AsVectorSingle(Vector.ShiftLeft(Vector.ConvertToInt32(n) + new Vector<int>(127), 23));
        return p * twoToN;
    }

    /// <summary>tanh element-wise (<paramref name="y"/> may be <paramref name="x"/>): 1 − 2 / (e^2x + 1), with the exp above.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("destination is shorter than the source", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i + Vector<float>.Count <= x.Length; i += Vector<float>.Count)
            {
                var e = Exp(new Vector<float>(x[i..]) * 2f);
                (Vector<float>.One - new Vector<float>(2f) / (e + Vector<float>.One)).CopyTo(y[i..]);
            }
        for (; i < x.Length; i++) y[i] = Tanh(x[i]);
    }

    /// <summary>tanh x; the same bits as each lane of <see cref="Tanh(ReadOnlySpan{float}, Span{float})"/>.</summary>
    public static float Tanh(float x) => 1f - 2f / (Exp(x * 2f) + 1f);

    /// <summary>Σ x², summed in index order in double precision.</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += (double)v * v;
        return (float)sum;
    }
}
