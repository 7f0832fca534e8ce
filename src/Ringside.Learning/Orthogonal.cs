namespace Ringside.Learning;

/// <summary>
/// torch.nn.init.orthogonal_: a Gaussian matrix made orthogonal by QR (here modified Gram–Schmidt in double,
/// which gives the Q of a QR with positive diagonal R, the same sign convention torch applies), times a gain.
/// </summary>
public static class Orthogonal
{
    /// <summary>Fills <paramref name="weights"/>[rows, cols] so that its rows (if rows ≤ cols) or columns are orthonormal × gain.</summary>
    public static void Fill(Span<float> weights, int rows, int cols, double gain, Rng rng)
    {
        if (weights.Length != rows * cols) throw new ArgumentException("weights do not have rows × cols values");
        // Orthonormalise the columns of a tall matrix Q[tall, narrow]; wide weights take its transpose.
        bool wide = rows < cols;
        int tall = wide ? cols : rows, narrow = wide ? rows : cols;
        var q = new double[tall * narrow];
        for (int i = 0; i < q.Length; i++) q[i] = rng.NextGaussian();
        for (int pass = 0; pass < 2; pass++) // a second pass restores orthogonality lost to rounding
            for (int j = 0; j < narrow; j++)
            {
                for (int p = 0; p < j; p++)
                {
                    double dot = 0;
                    for (int r = 0; r < tall; r++) dot += q[r * narrow + p] * q[r * narrow + j];
                    for (int r = 0; r < tall; r++) q[r * narrow + j] -= dot * q[r * narrow + p];
                }
                double norm = 0;
                for (int r = 0; r < tall; r++) norm += q[r * narrow + j] * q[r * narrow + j];
                norm = Math.Sqrt(norm);
                for (int r = 0; r < tall; r++) q[r * narrow + j] /= norm;
            }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                weights[r * cols + c] = (float)(gain * (wide ? q[c * narrow + r] : q[r * narrow + c]));
    }
}
