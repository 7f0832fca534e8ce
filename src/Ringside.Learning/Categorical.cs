using System.Numerics.Tensors;

namespace Ringside.Learning;

/// <summary>
/// The categorical policy over actions given by rows of logits [batch, actions], as torch's
/// Categorical(logits=…): softmax probabilities, log-probabilities, sampling, entropy and their gradients.
/// </summary>
public static class Categorical
{
    /// <summary>Per row: probabilities = softmax(logits), logProbabilities = log_softmax(logits).</summary>
    public static void Normalize(ReadOnlySpan<float> logits, Span<float> probabilities, Span<float> logProbabilities, int batch, int actions)
    {
        int count = batch * actions;
        logits = logits[..count];
        logProbabilities = logProbabilities[..count];
        probabilities = probabilities[..count];
        // Shift each row by its maximum so exp cannot overflow, exponentiate the whole block at once
        // (vectorised, the same bits on every machine), then normalise each row: log p = (z − max) − log Σ exp(z − max).
        // Rows are a handful of actions: plain loops beat per-row library calls here.
        for (int row = 0; row < count; row += actions)
        {
            float max = logits[row];
            for (int j = row + 1; j < row + actions; j++) max = logits[j] > max ? logits[j] : max;
            for (int j = row; j < row + actions; j++) logProbabilities[j] = logits[j] - max;
        }
        // exp of a shifted logit below −80 would be a denormal, which costs ~100× in arithmetic; such an action has
        // probability below 2e-35 either way, so its exp is taken at −80 (its log-probability stays exact).
        TensorPrimitives.Max(logProbabilities, -80f, probabilities);
        PortableMath.Exp(probabilities, probabilities);
        for (int row = 0; row < count; row += actions)
        {
            float sum = 0;
            for (int j = row; j < row + actions; j++) sum += probabilities[j];
            float inverse = 1 / sum, logSum = MathF.Log(sum);
            for (int j = row; j < row + actions; j++)
            {
                probabilities[j] *= inverse;
                logProbabilities[j] -= logSum;
            }
        }
    }

    /// <summary>Inverse-CDF sample for a <paramref name="uniform"/> in [0, 1).</summary>
    public static int Sample(ReadOnlySpan<float> probabilities, float uniform)
    {
        float cumulative = 0;
        int last = 0;
        for (int action = 0; action < probabilities.Length; action++)
        {
            if (probabilities[action] <= 0) continue;
            cumulative += probabilities[action];
            if (uniform < cumulative) return action;
            last = action;
        }
        return last; // rounding left the total just below 1: the last possible action
    }

    /// <summary>The most probable action (first on ties).</summary>
    public static int Mode(ReadOnlySpan<float> probabilities) => TensorPrimitives.IndexOfMax(probabilities);

    /// <summary>H = −Σ p log p.</summary>
    public static float Entropy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> logProbabilities)
    {
        float sum = 0;
        for (int j = 0; j < probabilities.Length; j++) sum += probabilities[j] * logProbabilities[j];
        return -sum;
    }

    /// <summary>
    /// dLoss/dlogits for a loss whose derivatives are <paramref name="dLogProb"/> with respect to log π(action) and
    /// <paramref name="dEntropy"/> with respect to H: d log π(a)/dz_j = [j = a] − p_j, dH/dz_j = −p_j (log p_j + H).
    /// </summary>
    public static void Gradient(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> logProbabilities, int action, float entropy,
                                float dLogProb, float dEntropy, Span<float> dLogits)
    {
        for (int j = 0; j < probabilities.Length; j++)
        {
            float p = probabilities[j];
            dLogits[j] = dLogProb * ((j == action ? 1f : 0f) - p) - dEntropy * p * (logProbabilities[j] + entropy);
        }
    }
}
