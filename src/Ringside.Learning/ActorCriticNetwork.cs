using System.Numerics;
using System.Numerics.Tensors;

namespace Ringside.Learning;

/// <summary>Where one parameter tensor lives in the flat parameter array, named as PyTorch would name it.</summary>
public readonly record struct TensorSlot(string Name, int[] Shape, int Offset, int Length);

/// <summary>
/// An actor-critic MLP: hidden dense layers with tanh or ReLU, a linear policy head giving action logits
/// and a linear value head. All parameters live in one flat array (so Adam, clipping and checkpoints see
/// one span); the forward and backward passes run on a caller-owned <see cref="NetworkWorkspace"/> and
/// never allocate. Tensor names follow PyTorch's nn.Sequential numbering (actor.0, actor.2, actor.4 …),
/// so a separate-trunk checkpoint loads into CleanRL's Agent as is. On a shared trunk both heads read the
/// same input, so they are stored and computed as one layer of actions + 1 outputs (one pass instead of a
/// second, one-column pass); the checkpoint still names them actor.* and critic.*.
/// </summary>
public sealed class ActorCriticNetwork
{
    public NetworkSpec Spec { get; }

    /// <summary>Every weight and bias. After writing to it, call <see cref="CommitParameters"/>.</summary>
    public float[] Parameters { get; }

    public IReadOnlyList<TensorSlot> Tensors { get; }

    private readonly Dense[] _actorTrunk;
    private readonly Dense[] _criticTrunk; // the same array as _actorTrunk when the trunk is shared
    // Separate trunks: a policy head and a value head. Shared trunk: both are the same fused layer whose
    // rows are the action logits and then the value.
    private readonly Dense _policyHead, _valueHead;
    private readonly Dense[] _allLayers;
    // W^T[in, out] of every layer: the layout the forward product streams (see MatMul).
    private readonly float[] _transposedWeights;

    /// <summary>A new network with CleanRL's initialisation: orthogonal weights (gain √2 hidden, 0.01 policy, 1 value), zero biases.</summary>
    public ActorCriticNetwork(NetworkSpec spec, ulong seed) : this(spec)
    {
        var rng = new Rng(seed, stream: 0x1417);
        foreach (var layer in _allLayers)
            foreach (var part in layer.Parts)
                Orthogonal.Fill(layer.Weights(Parameters).Slice(part.FirstRow * layer.Inputs, part.Rows * layer.Inputs),
                                part.Rows, layer.Inputs, part.InitGain, rng);
        CommitParameters();
    }

    /// <summary>A network with the given parameters (same order and length as <see cref="Tensors"/> describe).</summary>
    public ActorCriticNetwork(NetworkSpec spec, ReadOnlySpan<float> parameters) : this(spec)
    {
        if (parameters.Length != Parameters.Length)
            throw new ArgumentException($"{spec} has {Parameters.Length} parameters, got {parameters.Length}");
        parameters.CopyTo(Parameters);
        CommitParameters();
    }

    private ActorCriticNetwork(NetworkSpec spec)
    {
        spec.Validate();
        Spec = spec;
        var layers = new List<Dense>();
        int parameterCount = 0, transposedCount = 0;
        Dense Add(int inputs, params Part[] parts)
        {
            int outputs = parts.Sum(part => part.Rows);
            var layer = new Dense(parts, inputs, outputs, parameterCount, transposedCount);
            parameterCount += outputs * inputs + outputs;
            transposedCount += outputs * inputs;
            layers.Add(layer);
            return layer;
        }
        Dense[] Trunk(string prefix)
        {
            var trunk = new Dense[spec.HiddenSizes.Count];
            int inputs = spec.ObservationSize;
            for (int i = 0; i < trunk.Length; i++)
            {
                trunk[i] = Add(inputs, new Part($"{prefix}.{2 * i}", 0, spec.HiddenSizes[i], Math.Sqrt(2)));
                inputs = spec.HiddenSizes[i];
            }
            return trunk;
        }
        int top = spec.HiddenSizes.Count > 0 ? spec.HiddenSizes[^1] : spec.ObservationSize;
        if (spec.SharedTrunk)
        {
            _actorTrunk = _criticTrunk = Trunk("trunk");
            _policyHead = _valueHead = Add(top, new Part("actor", 0, spec.ActionCount, 0.01), new Part("critic", spec.ActionCount, 1, 1.0));
        }
        else
        {
            _actorTrunk = Trunk("actor");
            _policyHead = Add(top, new Part($"actor.{2 * _actorTrunk.Length}", 0, spec.ActionCount, 0.01));
            _criticTrunk = Trunk("critic");
            _valueHead = Add(top, new Part($"critic.{2 * _criticTrunk.Length}", 0, 1, 1.0));
        }
        _allLayers = layers.ToArray();
        Parameters = new float[parameterCount];
        _transposedWeights = new float[transposedCount];
        Tensors = _allLayers.SelectMany(layer => layer.Parts.SelectMany(part => new[]
        {
            new TensorSlot($"{part.Name}.weight", [part.Rows, layer.Inputs], layer.WeightOffset + part.FirstRow * layer.Inputs, part.Rows * layer.Inputs),
            new TensorSlot($"{part.Name}.bias", [part.Rows], layer.BiasOffset + part.FirstRow, part.Rows),
        })).ToArray();
    }

    public int ParameterCount => Parameters.Length;

    public NetworkWorkspace CreateWorkspace(int capacity) =>
        new(Spec, capacity, _actorTrunk.Select(l => l.Outputs).ToArray(), Spec.SharedTrunk ? null : _criticTrunk.Select(l => l.Outputs).ToArray());

    private int FusedWidth => Spec.ActionCount + 1;

    /// <summary>Refreshes what is derived from <see cref="Parameters"/> (the transposed weights); call after every update.</summary>
    public void CommitParameters()
    {
        foreach (var layer in _allLayers)
            MatMul.Transpose(layer.Weights(Parameters), _transposedWeights.AsSpan(layer.TransposedOffset, layer.Outputs * layer.Inputs),
                             layer.Outputs, layer.Inputs);
    }

    public ActorCriticNetwork Clone() => new(Spec, Parameters);

    /// <summary>Logits [batch, actions] and values [batch] of the observations [batch, observationSize], into the workspace.</summary>
    public void Forward(NetworkWorkspace workspace, ReadOnlySpan<float> observations, int batch)
    {
        Check(workspace, observations, batch);
        ReadOnlySpan<float> actorTop = ForwardTrunk(_actorTrunk, workspace.ActorHidden, observations, batch);
        if (Spec.SharedTrunk)
        {
            ForwardLayer(_policyHead, actorTop, workspace.FusedHeads, batch);
            SplitHeads(workspace, batch);
            return;
        }
        ForwardLayer(_policyHead, actorTop, workspace.Logits, batch);
        ReadOnlySpan<float> criticTop = ForwardTrunk(_criticTrunk, workspace.CriticHidden, observations, batch);
        ForwardLayer(_valueHead, criticTop, workspace.Values, batch);
    }

    /// <summary>Fused head output rows [logits…, value] → Logits and Values.</summary>
    private void SplitHeads(NetworkWorkspace workspace, int batch)
    {
        int actions = Spec.ActionCount, width = FusedWidth;
        for (int row = 0; row < batch; row++)
        {
            workspace.FusedHeads.AsSpan(row * width, actions).CopyTo(workspace.Logits.AsSpan(row * actions));
            workspace.Values[row] = workspace.FusedHeads[row * width + actions];
        }
    }

    /// <summary>
    /// Back-propagates the loss gradients that the caller wrote into <see cref="NetworkWorkspace.LogitGradients"/> and
    /// <see cref="NetworkWorkspace.ValueGradients"/> after <see cref="Forward"/> on the same observations, and adds the
    /// parameter gradients to <paramref name="gradients"/> (same layout as <see cref="Parameters"/>).
    /// </summary>
    public void Backward(NetworkWorkspace workspace, ReadOnlySpan<float> observations, int batch, Span<float> gradients)
    {
        Check(workspace, observations, batch);
        if (gradients.Length != Parameters.Length) throw new ArgumentException("gradient buffer does not match the parameters");
        var actorTop = Top(_actorTrunk, workspace.ActorHidden, observations);
        var actorTopGradient = _actorTrunk.Length > 0 ? workspace.ActorHiddenGradients[^1] : default;
        if (Spec.SharedTrunk)
        {
            int actions = Spec.ActionCount, width = FusedWidth;
            for (int row = 0; row < batch; row++)
            {
                workspace.LogitGradients.AsSpan(row * actions, actions).CopyTo(workspace.FusedHeadGradients.AsSpan(row * width));
                workspace.FusedHeadGradients[row * width + actions] = workspace.ValueGradients[row];
            }
            BackwardLayer(_policyHead, workspace.FusedHeadGradients, actorTop, batch, gradients, actorTopGradient, accumulateInput: false);
        }
        else
        {
            BackwardLayer(_policyHead, workspace.LogitGradients, actorTop, batch, gradients, actorTopGradient, accumulateInput: false);
            BackwardLayer(_valueHead, workspace.ValueGradients, Top(_criticTrunk, workspace.CriticHidden, observations), batch, gradients,
                          _criticTrunk.Length > 0 ? workspace.CriticHiddenGradients[^1] : default, accumulateInput: false);
        }
        BackwardTrunk(_actorTrunk, workspace.ActorHidden, workspace.ActorHiddenGradients, observations, batch, gradients);
        if (!Spec.SharedTrunk)
            BackwardTrunk(_criticTrunk, workspace.CriticHidden, workspace.CriticHiddenGradients, observations, batch, gradients);
    }

    private ReadOnlySpan<float> ForwardTrunk(Dense[] trunk, float[][] outputs, ReadOnlySpan<float> observations, int batch)
    {
        ReadOnlySpan<float> input = observations;
        for (int i = 0; i < trunk.Length; i++)
        {
            Span<float> output = outputs[i].AsSpan(0, batch * trunk[i].Outputs);
            ForwardLayer(trunk[i], input, output, batch);
            if (Spec.Activation == Activation.Tanh) PortableMath.Tanh(output, output);
            else TensorPrimitives.Max(output, 0f, output);
            input = output;
        }
        return input;
    }

    private void ForwardLayer(Dense layer, ReadOnlySpan<float> input, Span<float> output, int batch) =>
        MatMul.DenseForward(input, _transposedWeights.AsSpan(layer.TransposedOffset, layer.Inputs * layer.Outputs),
                            layer.Biases(Parameters), output, batch, layer.Inputs, layer.Outputs);

    private void BackwardTrunk(Dense[] trunk, float[][] outputs, float[][] outputGradients, ReadOnlySpan<float> observations,
                               int batch, Span<float> gradients)
    {
        for (int i = trunk.Length - 1; i >= 0; i--)
        {
            // Turn dL/d(activation output) into dL/d(pre-activation) in place; the derivative is read off the output.
            Span<float> delta = outputGradients[i].AsSpan(0, batch * trunk[i].Outputs);
            ActivationBackward(Spec.Activation, outputs[i].AsSpan(0, delta.Length), delta);
            ReadOnlySpan<float> input = i > 0 ? outputs[i - 1] : observations;
            BackwardLayer(trunk[i], delta, input, batch, gradients, i > 0 ? outputGradients[i - 1] : default, accumulateInput: false);
        }
    }

    /// <summary>Adds dW and db of <paramref name="layer"/>; writes (or adds) dX unless <paramref name="inputGradient"/> is empty.</summary>
    private void BackwardLayer(Dense layer, ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> input, int batch,
                               Span<float> gradients, Span<float> inputGradient, bool accumulateInput)
    {
        MatMul.DenseBackwardWeights(outputGradient, input, layer.Weights(gradients), batch, layer.Inputs, layer.Outputs);
        MatMul.DenseBackwardBias(outputGradient, layer.Biases(gradients), batch, layer.Outputs);
        if (!inputGradient.IsEmpty)
            MatMul.DenseBackwardInput(outputGradient, layer.Weights(Parameters), inputGradient, batch, layer.Inputs, layer.Outputs, accumulateInput);
    }

    private static ReadOnlySpan<float> Top(Dense[] trunk, float[][] outputs, ReadOnlySpan<float> observations) =>
        trunk.Length > 0 ? outputs[^1] : observations;

    /// <summary>delta ⊙= f'(pre-activation), with f' written in terms of the output y: tanh' = 1 − y², relu' = [y > 0].</summary>
    private static void ActivationBackward(Activation activation, ReadOnlySpan<float> output, Span<float> delta)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var outputs = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(output);
            var deltas = System.Runtime.InteropServices.MemoryMarshal.Cast<float, Vector<float>>(delta);
            for (int v = 0; v < deltas.Length; v++)
                deltas[v] = activation == Activation.Tanh
                    ? deltas[v] * (Vector<float>.One - outputs[v] * outputs[v])
                    : Vector.ConditionalSelect(Vector.GreaterThan(outputs[v], Vector<float>.Zero), deltas[v], Vector<float>.Zero);
            i = deltas.Length * Vector<float>.Count;
        }
        for (; i < delta.Length; i++)
            delta[i] = activation == Activation.Tanh ? delta[i] * (1 - output[i] * output[i]) : output[i] > 0 ? delta[i] : 0;
    }

    private void Check(NetworkWorkspace workspace, ReadOnlySpan<float> observations, int batch)
    {
        if (!ReferenceEquals(workspace.Spec, Spec) && !workspace.Spec.Equals(Spec))
            throw new ArgumentException("workspace was made for another architecture");
        if (batch < 0 || batch > workspace.Capacity)
            throw new ArgumentOutOfRangeException(nameof(batch), $"batch {batch} exceeds the workspace capacity {workspace.Capacity}");
        if (observations.Length < batch * Spec.ObservationSize)
            throw new ArgumentException($"need {batch * Spec.ObservationSize} observation values, got {observations.Length}");
    }

    /// <summary>A named block of a layer's output rows (a whole layer, or one of the fused heads) and its init gain.</summary>
    private sealed record Part(string Name, int FirstRow, int Rows, double InitGain);

    /// <summary>One linear layer's place in the flat arrays.</summary>
    private sealed record Dense(Part[] Parts, int Inputs, int Outputs, int WeightOffset, int TransposedOffset)
    {
        public int BiasOffset => WeightOffset + Outputs * Inputs;
        public Span<float> Weights(Span<float> flat) => flat.Slice(WeightOffset, Outputs * Inputs);
        public Span<float> Biases(Span<float> flat) => flat.Slice(BiasOffset, Outputs);
    }
}

/// <summary>
/// Scratch memory for forward and backward passes of up to <see cref="Capacity"/> rows: activations, their
/// gradients, and the policy head's outputs. One per thread; allocate once, reuse for every call.
/// </summary>
public sealed class NetworkWorkspace
{
    public NetworkSpec Spec { get; }
    public int Capacity { get; }

    /// <summary>[Capacity, ActionCount], written by Forward.</summary>
    public float[] Logits { get; }
    /// <summary>[Capacity], written by Forward.</summary>
    public float[] Values { get; }
    /// <summary>[Capacity, ActionCount] softmax and log-softmax of the logits, written by <see cref="Categorical.Normalize"/>.</summary>
    public float[] Probabilities { get; }
    public float[] LogProbabilities { get; }
    /// <summary>[Capacity, ActionCount] and [Capacity]: dLoss/dLogits and dLoss/dValue, written by the caller before Backward.</summary>
    public float[] LogitGradients { get; }
    public float[] ValueGradients { get; }

    /// <summary>[Capacity, ActionCount + 1]: the fused heads of a shared trunk (logits then value per row).</summary>
    internal float[] FusedHeads { get; }
    internal float[] FusedHeadGradients { get; }
    internal float[][] ActorHidden { get; }
    internal float[][] ActorHiddenGradients { get; }
    internal float[][] CriticHidden { get; }
    internal float[][] CriticHiddenGradients { get; }

    internal NetworkWorkspace(NetworkSpec spec, int capacity, int[] actorWidths, int[]? criticWidths)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity));
        Spec = spec;
        Capacity = capacity;
        Logits = new float[capacity * spec.ActionCount];
        Probabilities = new float[capacity * spec.ActionCount];
        LogProbabilities = new float[capacity * spec.ActionCount];
        LogitGradients = new float[capacity * spec.ActionCount];
        Values = new float[capacity];
        ValueGradients = new float[capacity];
        FusedHeads = criticWidths is null ? new float[capacity * (spec.ActionCount + 1)] : [];
        FusedHeadGradients = criticWidths is null ? new float[capacity * (spec.ActionCount + 1)] : [];
        ActorHidden = actorWidths.Select(width => new float[capacity * width]).ToArray();
        ActorHiddenGradients = actorWidths.Select(width => new float[capacity * width]).ToArray();
        CriticHidden = criticWidths is null ? ActorHidden : criticWidths.Select(width => new float[capacity * width]).ToArray();
        CriticHiddenGradients = criticWidths is null ? ActorHiddenGradients : criticWidths.Select(width => new float[capacity * width]).ToArray();
    }
}
