namespace Ringside.Learning.Tests;

/// <summary>The training's exp, tanh and sums: accurate, and the same bits from a vector's lanes as from the scalar code.</summary>
public sealed class PortableMathTests
{
    private static float[] Sweep(float from, float to, int count) =>
        [.. Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1))];

    [Fact]
    public void Exp_is_within_a_few_parts_in_ten_million_of_the_true_value_and_clamps_to_normal_floats()
    {
        var x = Sweep(-87f, 88f, 100_003);
        var y = new float[x.Length];
        PortableMath.Exp(x, y);
        double worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(y[i] / Math.Exp(x[i]) - 1));
        Assert.True(worst < 3e-7, $"relative error {worst:E2}");

        float[] extremes = [-1000f, -87.5f, 89f, 1000f, float.NegativeInfinity, float.PositiveInfinity];
        PortableMath.Exp(extremes, extremes);
        Assert.All(extremes, v => Assert.True(float.IsNormal(v), $"{v} is not a normal float"));
        Assert.Equal(PortableMath.Exp(-87f), extremes[0]);
        Assert.Equal(PortableMath.Exp(88f), extremes[3]);
    }

    [Fact]
    public void Tanh_is_within_two_parts_in_ten_million_of_the_true_value_and_saturates()
    {
        var x = Sweep(-12f, 12f, 100_001);
        var y = new float[x.Length];
        PortableMath.Tanh(x, y);
        double worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(y[i] - Math.Tanh(x[i])));
        Assert.True(worst < 2e-7, $"absolute error {worst:E2}");
        Assert.Equal(1f, PortableMath.Tanh(50f));
        Assert.Equal(-1f, PortableMath.Tanh(-50f));
        Assert.Equal(0f, PortableMath.Tanh(0f));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Every_lane_of_the_vector_code_gives_the_scalar_codes_bits(int length)
    {
        var rng = new Random(length);
        var x = Enumerable.Range(0, length).Select(_ => (float)(rng.NextDouble() * 40 - 20)).ToArray();
        var exp = new float[length];
        var tanh = new float[length];
        PortableMath.Exp(x, exp);
        PortableMath.Tanh(x, tanh);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(PortableMath.Exp(x[i])), BitConverter.SingleToInt32Bits(exp[i]));
            Assert.Equal(BitConverter.SingleToInt32Bits(PortableMath.Tanh(x[i])), BitConverter.SingleToInt32Bits(tanh[i]));
        }
    }

    [Fact]
    public void Sum_of_squares_adds_in_index_order_in_double_precision()
    {
        Assert.Equal(30f, PortableMath.SumOfSquares([1f, 2f, 3f, 4f]));
        Assert.Equal(0f, PortableMath.SumOfSquares([]));
        // In float, 1e8 + 1 + 1 + ... loses every 1; in double the 1,000 of them are kept.
        var x = new float[1001];
        x[0] = 1e4f;
        Array.Fill(x, 1f, 1, 1000);
        Assert.Equal(1e8f + 1000f, PortableMath.SumOfSquares(x));
    }
}
