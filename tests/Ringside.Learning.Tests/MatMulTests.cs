namespace Ringside.Learning.Tests;

/// <summary>Each kernel against a plain scalar loop (double accumulation), on every SIMD path this machine has.</summary>
public class MatMulTests
{
    private static readonly (int Batch, int Inputs, int Outputs)[] Shapes =
    [
        (1, 1, 1), (4, 4, 64), (4, 64, 2), (5, 64, 1), (7, 30, 128), (9, 128, 11), (13, 17, 65), (128, 64, 64), (33, 128, 130), (70, 40, 45), (6, 33, 24), (2, 64, 40),
    ];

    /// <summary>SIMD paths by name (the enum is internal, theory parameters must be public).</summary>
    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (var path in Enum.GetValues<MatMul.Path>())
            if (MatMul.IsSupported(path)) data.Add(path.ToString());
        return data;
    }

    [Theory, MemberData(nameof(Paths))]
    public void ForwardMatchesScalarLoop(string pathName)
    {
        var path = Enum.Parse<MatMul.Path>(pathName);
        var rng = new Rng(7);
        foreach (var (batch, inputs, outputs) in Shapes)
        {
            float[] x = Random(rng, batch * inputs), w = Random(rng, outputs * inputs), bias = Random(rng, outputs);
            float[] wT = new float[inputs * outputs];
            MatMul.Transpose(w, wT, outputs, inputs);
            float[] y = Random(rng, batch * outputs); // garbage that must be overwritten
            MatMul.DenseForward(path, x, wT, bias, y, batch, inputs, outputs);
            for (int b = 0; b < batch; b++)
                for (int o = 0; o < outputs; o++)
                {
                    double expected = bias[o];
                    for (int i = 0; i < inputs; i++) expected += (double)x[b * inputs + i] * w[o * inputs + i];
                    AssertClose(expected, y[b * outputs + o], inputs);
                }
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void BackwardInputMatchesScalarLoop(string pathName)
    {
        var path = Enum.Parse<MatMul.Path>(pathName);
        var rng = new Rng(8);
        foreach (var (batch, inputs, outputs) in Shapes)
            foreach (bool accumulate in new[] { false, true })
            {
                float[] dy = Random(rng, batch * outputs), w = Random(rng, outputs * inputs);
                float[] dx = Random(rng, batch * inputs), before = (float[])dx.Clone();
                MatMul.DenseBackwardInput(path, dy, w, dx, batch, inputs, outputs, accumulate);
                for (int b = 0; b < batch; b++)
                    for (int i = 0; i < inputs; i++)
                    {
                        double expected = accumulate ? before[b * inputs + i] : 0;
                        for (int o = 0; o < outputs; o++) expected += (double)dy[b * outputs + o] * w[o * inputs + i];
                        AssertClose(expected, dx[b * inputs + i], outputs);
                    }
            }
    }

    [Theory, MemberData(nameof(Paths))]
    public void BackwardWeightsAccumulatesLikeScalarLoop(string pathName)
    {
        var path = Enum.Parse<MatMul.Path>(pathName);
        var rng = new Rng(9);
        foreach (var (batch, inputs, outputs) in Shapes)
        {
            float[] dy = Random(rng, batch * outputs), x = Random(rng, batch * inputs);
            float[] dw = Random(rng, outputs * inputs), before = (float[])dw.Clone();
            MatMul.DenseBackwardWeights(path, dy, x, dw, batch, inputs, outputs);
            for (int o = 0; o < outputs; o++)
                for (int i = 0; i < inputs; i++)
                {
                    double expected = before[o * inputs + i];
                    for (int b = 0; b < batch; b++) expected += (double)dy[b * outputs + o] * x[b * inputs + i];
                    AssertClose(expected, dw[o * inputs + i], batch);
                }
        }
    }

    [Fact]
    public void BackwardBiasAddsColumnSums()
    {
        var rng = new Rng(10);
        foreach (var (batch, _, outputs) in Shapes)
        {
            float[] dy = Random(rng, batch * outputs), db = Random(rng, outputs), before = (float[])db.Clone();
            MatMul.DenseBackwardBias(dy, db, batch, outputs);
            for (int o = 0; o < outputs; o++)
            {
                double expected = before[o];
                for (int b = 0; b < batch; b++) expected += dy[b * outputs + o];
                AssertClose(expected, db[o], batch);
            }
        }
    }

    [Fact]
    public void AllPathsAreBitIdentical()
    {
        var rng = new Rng(11);
        const int batch = 37, inputs = 45, outputs = 83;
        float[] x = Random(rng, batch * inputs), wT = Random(rng, inputs * outputs), bias = Random(rng, outputs);
        float[] reference = new float[batch * outputs];
        MatMul.DenseForward(MatMul.Path.Scalar, x, wT, bias, reference, batch, inputs, outputs);
        foreach (var path in Enum.GetValues<MatMul.Path>())
        {
            if (!MatMul.IsSupported(path)) continue;
            float[] y = new float[batch * outputs];
            MatMul.DenseForward(path, x, wT, bias, y, batch, inputs, outputs);
            Assert.Equal(reference, y);
        }
    }

    [Fact]
    public void ShortSpansAreRejected()
    {
        Assert.Throws<ArgumentException>(() => MatMul.DenseForward(new float[3], new float[4], new float[2], new float[4], 2, 2, 2));
    }

    private static float[] Random(Rng rng, int count)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = rng.NextFloat() * 2 - 1;
        return values;
    }

    /// <summary>Float accumulation of n terms of size ≤ 1 drifts by about n·2^-24 at worst.</summary>
    private static void AssertClose(double expected, float actual, int terms) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-6 * (terms + 1) + 1e-6 * Math.Abs(expected),
                    $"expected {expected}, got {actual}");
}
