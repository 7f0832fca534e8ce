using Ringside.Learning.Arena;
using Ringside.Server.Data;

namespace Ringside.Server.Training;

/// <summary>
/// Training jobs of this process announce status changes and iterations here; live streams subscribe. Handlers run
/// on the trainer's thread, so they must be quick (queue, never block).
/// </summary>
public sealed class TrainingEvents
{
    public event Action<TrainingJob, ArenaIterationMetrics?>? Changed;

    public void Publish(TrainingJob job, ArenaIterationMetrics? iteration = null) => Changed?.Invoke(job, iteration);
}
