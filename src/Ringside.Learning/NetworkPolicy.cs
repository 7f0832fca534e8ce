namespace Ringside.Learning;

/// <summary>
/// Anything that picks one action per observation row: the learner, a frozen checkpoint, a scripted bot.
/// Environments drive their opponents through this (self-play), so the learner itself only sees <see cref="IVectorEnv"/>.
/// </summary>
public interface IPolicy
{
    int ObservationSize { get; }
    int ActionCount { get; }
    void Act(ReadOnlySpan<float> observations, int batch, Span<int> actions);
}

/// <summary>
/// A network acting: forward pass, softmax, then a seeded sample (or the most probable action when greedy).
/// Owns its workspace and random stream, so it allocates nothing per call; one instance per thread.
/// It reads the network's parameters live, so a policy over the learner's network follows its updates.
/// </summary>
public sealed class NetworkPolicy : IPolicy
{
    public ActorCriticNetwork Network { get; }
    public Rng Random { get; }
    public bool Greedy { get; }
    private readonly NetworkWorkspace _workspace;

    public NetworkPolicy(ActorCriticNetwork network, int capacity, ulong seed, bool greedy = false)
    {
        Network = network;
        Random = new Rng(seed, stream: 0xAC7);
        Greedy = greedy;
        _workspace = network.CreateWorkspace(capacity);
    }

    public int ObservationSize => Network.Spec.ObservationSize;
    public int ActionCount => Network.Spec.ActionCount;
    public int Capacity => _workspace.Capacity;

    public void Act(ReadOnlySpan<float> observations, int batch, Span<int> actions) => Act(observations, batch, actions, default, default);

    /// <summary>Actions, and when the spans are not empty, their log-probabilities and the state values.</summary>
    public void Act(ReadOnlySpan<float> observations, int batch, Span<int> actions, Span<float> logProbs, Span<float> values)
    {
        Forward(observations, batch);
        for (int row = 0; row < batch; row++)
        {
            int action = Choose(row, Greedy);
            actions[row] = action;
            if (!logProbs.IsEmpty) logProbs[row] = _workspace.LogProbabilities[row * ActionCount + action];
        }
        if (!values.IsEmpty) _workspace.Values.AsSpan(0, batch).CopyTo(values);
    }

    /// <summary>
    /// One observation's decision, with what a viewer wants to see of it: the most probable action (or a sampled one
    /// when <paramref name="sample"/>), the action probabilities (copied into <paramref name="probabilities"/>) and
    /// the state value. The same path as <see cref="Act(ReadOnlySpan{float}, int, Span{int})"/>.
    /// </summary>
    public (int Action, float Value) Decide(ReadOnlySpan<float> observation, bool sample, Span<float> probabilities)
    {
        Forward(observation, 1);
        _workspace.Probabilities.AsSpan(0, ActionCount).CopyTo(probabilities);
        return (Choose(0, greedy: !sample), _workspace.Values[0]);
    }

    /// <summary>Forward pass, then softmax of each row's logits into the workspace's probabilities.</summary>
    private void Forward(ReadOnlySpan<float> observations, int batch)
    {
        Network.Forward(_workspace, observations, batch);
        Categorical.Normalize(_workspace.Logits, _workspace.Probabilities, _workspace.LogProbabilities, batch, ActionCount);
    }

    /// <summary>A row's action: the most probable when greedy, else a seeded sample.</summary>
    private int Choose(int row, bool greedy)
    {
        var probabilities = _workspace.Probabilities.AsSpan(row * ActionCount, ActionCount);
        return greedy ? Categorical.Mode(probabilities) : Categorical.Sample(probabilities, Random.NextFloat());
    }

    /// <summary>State values only (used to bootstrap truncated episodes).</summary>
    public void Evaluate(ReadOnlySpan<float> observations, int batch, Span<float> values)
    {
        Network.Forward(_workspace, observations, batch);
        _workspace.Values.AsSpan(0, batch).CopyTo(values);
    }
}
