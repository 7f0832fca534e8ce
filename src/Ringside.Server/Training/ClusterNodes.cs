using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Training;

/// <summary>A node of the cluster as Quartz sees it: its last check-in, whether it is within its check-in window, the jobs it runs.</summary>
public sealed record ClusterNode(string Name, DateTime LastCheckin, double CheckinIntervalSeconds, bool Alive, IReadOnlyList<long> RunningJobs);

/// <summary>
/// The cluster's nodes from Quartz's own check-in table (QRTZ_SCHEDULER_STATE): the nodes that run a started scheduler,
/// i.e. the workers (an api node never starts one). Empty when Quartz is not clustered.
/// </summary>
public static class ClusterNodes
{
    private sealed record StateRow(string InstanceName, long LastCheckinTime, long CheckinInterval);

    public static async Task<IReadOnlyList<ClusterNode>> ListAsync(Database db, RingsideOptions options)
    {
        if (!options.QuartzClustered) return [];
        // Quartz creates its tables when a worker's scheduler starts; before the first one has, there are no nodes.
        if (await db.ReadAsync(c => c.ExecuteScalarAsync<string?>("SELECT to_regclass('qrtz_scheduler_state')::text")) is null) return [];
        var (states, running) = await db.ReadAsync(async c => (
            (await c.QueryAsync<StateRow>("SELECT instance_name, last_checkin_time, checkin_interval FROM QRTZ_SCHEDULER_STATE WHERE sched_name = 'ringside' ORDER BY instance_name")).ToList(),
            (await c.QueryAsync<(string? Worker, long Id)>("SELECT worker, id FROM training_jobs WHERE status = 'running' ORDER BY id")).ToList()));
        var now = DateTime.UtcNow;
        var threshold = TimeSpan.FromSeconds(options.Cluster.CheckinMisfireThresholdSeconds);
        return states.Select(s =>
        {
            // Quartz.NET stores the check-in as UTC ticks and the interval in milliseconds.
            var last = new DateTime(s.LastCheckinTime, DateTimeKind.Utc);
            var interval = TimeSpan.FromMilliseconds(s.CheckinInterval);
            return new ClusterNode(s.InstanceName, last, interval.TotalSeconds, now - last <= interval + threshold,
                running.Where(r => r.Worker == s.InstanceName).Select(r => r.Id).ToList());
        }).ToList();
    }
}
