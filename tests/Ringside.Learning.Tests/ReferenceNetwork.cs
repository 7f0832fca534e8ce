namespace Ringside.Learning.Tests;

/// <summary>
/// A second, plain implementation of the actor-critic forward pass in double precision, reading the same
/// flat parameters by tensor name. Finite differences through it are accurate to ~1e-9.
/// </summary>
internal sealed class ReferenceNetwork(ActorCriticNetwork network)
{
    private readonly NetworkSpec _spec = network.Spec;
    private readonly (string Name, int Inputs, int Outputs, int Weight, int Bias)[] _layers =
        network.Tensors.Chunk(2).Select(pair => (pair[0].Name[..^".weight".Length], pair[0].Shape[1], pair[0].Shape[0], pair[0].Offset, pair[1].Offset)).ToArray();

    public (double[] Logits, double[] Values) Forward(double[] parameters, float[] observations, int batch)
    {
        var actorPath = _layers.Where(l => l.Name.StartsWith("trunk") || l.Name.StartsWith("actor")).ToArray();
        var criticPath = _layers.Where(l => l.Name.StartsWith("trunk") || l.Name.StartsWith("critic")).ToArray();
        return (Run(actorPath, parameters, observations, batch), Run(criticPath, parameters, observations, batch));
    }

    private double[] Run((string Name, int Inputs, int Outputs, int Weight, int Bias)[] path, double[] p, float[] observations, int batch)
    {
        double[] x = observations.Take(batch * _spec.ObservationSize).Select(v => (double)v).ToArray();
        for (int l = 0; l < path.Length; l++)
        {
            var layer = path[l];
            var y = new double[batch * layer.Outputs];
            for (int b = 0; b < batch; b++)
                for (int o = 0; o < layer.Outputs; o++)
                {
                    double sum = p[layer.Bias + o];
                    for (int i = 0; i < layer.Inputs; i++) sum += p[layer.Weight + o * layer.Inputs + i] * x[b * layer.Inputs + i];
                    bool hidden = l < path.Length - 1;
                    y[b * layer.Outputs + o] = !hidden ? sum : _spec.Activation == Activation.Tanh ? Math.Tanh(sum) : Math.Max(sum, 0);
                }
            x = y;
        }
        return x;
    }

    /// <summary>Central differences of a scalar function of the parameters, in double.</summary>
    public static double[] NumericalGradient(double[] parameters, Func<double[], double> loss, double eps = 1e-6)
    {
        var gradient = new double[parameters.Length];
        var p = (double[])parameters.Clone();
        for (int i = 0; i < p.Length; i++)
        {
            double saved = p[i];
            p[i] = saved + eps; double plus = loss(p);
            p[i] = saved - eps; double minus = loss(p);
            p[i] = saved;
            gradient[i] = (plus - minus) / (2 * eps);
        }
        return gradient;
    }

    /// <summary>Replaces the orthogonal initialisation by uniform(−0.5, 0.5) so every path carries a sizeable gradient.</summary>
    public static void Randomize(ActorCriticNetwork network, ulong seed)
    {
        var rng = new Rng(seed);
        for (int i = 0; i < network.Parameters.Length; i++) network.Parameters[i] = rng.NextFloat() - 0.5f;
        network.CommitParameters();
    }

    public static float[] RandomObservations(int count, ulong seed)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => rng.NextFloat() * 2 - 1).ToArray();
    }
}
