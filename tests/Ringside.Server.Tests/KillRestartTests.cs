namespace Ringside.Server.Tests;

/// <summary>A real server process killed (SIGKILL) in the middle of a training job, restarted, finishing the job from its checkpoint.</summary>
public sealed class KillRestartTests
{
    /// <summary>
    /// The interleavings that a kill at a random moment only sometimes hits, forced: the process dies (FailFast, as
    /// kill -9) after iteration 8's metrics are stored but before its checkpoint, or between the checkpoint's policy
    /// file and its trainer state. The restarted server resumes the job, and every iteration is stored exactly once.
    /// </summary>
    [Theory]
    [InlineData("reported@8")]
    [InlineData("policy-saved@8")]
    public async Task A_job_whose_process_dies_at_a_forced_point_resumes_with_every_iteration_stored_once(string crashAt)
    {
        string dataDir = Directory.CreateTempSubdirectory("ringside-crash-").FullName;
        int port = ServerProcess.FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        const int Iterations = 12;
        long jobId;
        using (var first = new ServerProcess(dataDir, port, new Dictionary<string, string> { ["Ringside__Training__CrashAt"] = crashAt }))
        {
            await first.WaitHealthyAsync(client);
            long fighter = (long)(await client.GetJson("/api/fighters"))[0]!["id"]!;
            var job = await client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = "crash", total_steps = Iterations * 8192, seed = 4, execute = true });
            jobId = (long)job["id"]!;
            Assert.True(first.WaitForExit(TimeSpan.FromSeconds(240)), "the server did not crash at " + crashAt + ":\n" + first.Log);
            Assert.Contains("crash test: job", first.Log);
        }

        using var second = new ServerProcess(dataDir, port);
        await second.WaitHealthyAsync(client);
        var done = await client.WaitForJob(jobId, j => (string)j["status"]! == "completed", timeoutSeconds: 300);
        Assert.Equal(2, (int)done["attempts"]!);
        var metrics = (await client.GetJson($"/api/training-jobs/{jobId}/metrics")).AsArray();
        Assert.Equal(Enumerable.Range(1, Iterations), metrics.Select(m => (int)m!["iteration_number"]!));
        Assert.Equal(Enumerable.Range(1, Iterations).Select(i => i * 8192L), metrics.Select(m => (long)m!["global_step"]!));
        second.Kill();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_job_interrupted_by_kill_9_resumes_from_its_checkpoint_after_a_restart_and_completes()
    {
        string dataDir = Directory.CreateTempSubdirectory("ringside-kill-").FullName;
        int port = ServerProcess.FreePort();
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        const int Iterations = 40;
        long jobId;
        int killedAt;
        using (var first = new ServerProcess(dataDir, port))
        {
            await first.WaitHealthyAsync(client);
            var fighters = await client.GetJson("/api/fighters");
            long fighter = (long)fighters[0]!["id"]!;
            var job = await client.PostJson("/api/training-jobs", new { fighter_id = fighter, profile_name = "survivor", total_steps = Iterations * 8192, seed = 3, execute = true });
            jobId = (long)job["id"]!;
            // Past a checkpoint (every 2 iterations) and well before the end.
            var running = await client.WaitForJob(jobId, j => (int)j["iteration"]! >= 7);
            first.Kill();
            killedAt = (int)running["iteration"]!;
            Assert.True(killedAt < Iterations, "the job finished before the kill; make it longer");
            Assert.Equal("running", (string)running["status"]!);
        }

        using var second = new ServerProcess(dataDir, port);
        await second.WaitHealthyAsync(client);
        var done = await client.WaitForJob(jobId, j => (string)j["status"]! == "completed", timeoutSeconds: 300);
        Assert.Equal(2, (int)done["attempts"]!);
        Assert.Equal((long)Iterations * 8192, (long)done["steps_done"]!);
        Assert.Contains("resumes from its checkpoint", second.Log);
        // Every iteration is recorded exactly once, the ones replayed after the checkpoint included.
        var metrics = (await client.GetJson($"/api/training-jobs/{jobId}/metrics")).AsArray();
        Assert.Equal(Enumerable.Range(1, Iterations), metrics.Select(m => (int)m!["iteration_number"]!));
        var profile = await client.GetJson($"/api/fighter-profiles/{(long)done["fighter_id"]!}/survivor");
        Assert.Equal(1, (int)profile["model_version"]!);
        second.Kill();
        try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
    }
}
