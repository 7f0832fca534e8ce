namespace Ringside.Learning;

/// <summary>The last <see cref="Capacity"/> finished episodes, for running means of return, length and wins.</summary>
public sealed class EpisodeWindow(int capacity)
{
    private readonly EpisodeEnd[] _episodes = new EpisodeEnd[capacity];
    private int _next;

    public int Capacity => _episodes.Length;
    public int Count { get; private set; }
    public long Total { get; private set; }

    public void Add(EpisodeEnd episode)
    {
        _episodes[_next] = episode;
        _next = (_next + 1) % _episodes.Length;
        Count = Math.Min(Count + 1, _episodes.Length);
        Total++;
    }

    /// <summary>NaN until an episode has finished.</summary>
    public double MeanReturn => Mean(e => e.Return);
    public double MeanLength => Mean(e => e.Length);
    public double WinRate => Mean(e => e.Won);

    private double Mean(Func<EpisodeEnd, double> value)
    {
        if (Count == 0) return double.NaN;
        double sum = 0;
        for (int i = 0; i < Count; i++) sum += value(_episodes[i]);
        return sum / Count;
    }
}
