using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Ringside.Learning;

/// <summary>
/// Adam exactly as torch.optim.Adam (no weight decay, no amsgrad) updates one flat parameter span:
/// m ← m + (1−β1)(g − m), v ← β2 v + (1−β2) g², p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + ε).
/// CleanRL's PPO uses ε = 1e-5.
/// </summary>
public sealed class Adam
{
    public float Beta1 { get; } = 0.9f;
    public float Beta2 { get; } = 0.999f;
    public float Epsilon { get; }

    /// <summary>Running mean of gradients (torch: exp_avg).</summary>
    public float[] FirstMoment { get; }
    /// <summary>Running mean of squared gradients (torch: exp_avg_sq).</summary>
    public float[] SecondMoment { get; }
    /// <summary>Number of updates taken (torch: step).</summary>
    public long Step { get; private set; }

    public Adam(int parameterCount, float epsilon = 1e-5f)
    {
        Epsilon = epsilon;
        FirstMoment = new float[parameterCount];
        SecondMoment = new float[parameterCount];
    }

    /// <summary>Restores a saved state (moments and step count), for resuming.</summary>
    public void Restore(ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment, long step)
    {
        if (firstMoment.Length != FirstMoment.Length || secondMoment.Length != SecondMoment.Length)
            throw new ArgumentException("optimiser state does not match the parameter count");
        firstMoment.CopyTo(FirstMoment);
        secondMoment.CopyTo(SecondMoment);
        Step = step;
    }

    public void Update(Span<float> parameters, ReadOnlySpan<float> gradients, float learningRate)
    {
        if (parameters.Length != FirstMoment.Length || gradients.Length != FirstMoment.Length)
            throw new ArgumentException("parameters and gradients must match the optimiser's size");
        Step++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, Step);
        float stepSize = (float)(learningRate / biasCorrection1);
        float biasCorrection2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, Step));
        float oneMinusBeta1 = 1 - Beta1, oneMinusBeta2 = 1 - Beta2;

        Span<float> m = FirstMoment, v = SecondMoment;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var pv = MemoryMarshal.Cast<float, Vector<float>>(parameters);
            var gv = MemoryMarshal.Cast<float, Vector<float>>(gradients);
            var mv = MemoryMarshal.Cast<float, Vector<float>>(m);
            var vv = MemoryMarshal.Cast<float, Vector<float>>(v);
            for (int k = 0; k < pv.Length; k++)
            {
                var g = gv[k];
                mv[k] += oneMinusBeta1 * (g - mv[k]);
                vv[k] = Beta2 * vv[k] + oneMinusBeta2 * g * g;
                var denominator = Vector.SquareRoot(vv[k]) / biasCorrection2Sqrt + new Vector<float>(Epsilon);
                pv[k] -= stepSize * mv[k] / denominator;
            }
            i = pv.Length * Vector<float>.Count;
        }
        for (; i < parameters.Length; i++)
        {
            float g = gradients[i];
            m[i] += oneMinusBeta1 * (g - m[i]);
            v[i] = Beta2 * v[i] + oneMinusBeta2 * g * g;
            parameters[i] -= stepSize * m[i] / (MathF.Sqrt(v[i]) / biasCorrection2Sqrt + Epsilon);
        }
    }
}

public static class GradientClipping
{
    /// <summary>
    /// torch.nn.utils.clip_grad_norm_: scales all gradients by max/(‖g‖ + 1e-6) when that is below 1.
    /// Returns the norm before clipping.
    /// </summary>
    public static float ClipGlobalNorm(Span<float> gradients, float maxNorm)
    {
        float norm = MathF.Sqrt(PortableMath.SumOfSquares(gradients));
        float scale = maxNorm / (norm + 1e-6f);
        if (scale < 1f) TensorPrimitives.Multiply(gradients, scale, gradients);
        return norm;
    }
}
