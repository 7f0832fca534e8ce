using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Ringside.Server.Tests;

/// <summary>A real server process (the built Ringside.Server, as <c>ringside serve</c> runs it) with its output captured.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    public string Log { get { lock (_log) return _log.ToString(); } }
    public int Port { get; }
    public Uri Url => new($"http://127.0.0.1:{Port}");

    /// <param name="settings">environment variables on top of the tests' usual ones (Ringside__Section__Key).</param>
    public ServerProcess(string dataDir, int port, IReadOnlyDictionary<string, string>? settings = null, params string[] args)
    {
        Port = port;
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "Ringside.Server.dll"), "--urls", $"http://127.0.0.1:{port}", "--data", dataDir, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Ringside__Training__CheckpointEvery"] = "2";
        start.Environment["Ringside__Training__Threads"] = "1";
        start.Environment["Ringside__Training__EvaluationEpisodes"] = "8";
        start.Environment["Ringside__RateLimit__Enabled"] = "false";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) start.Environment[key] = value;
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: the process dies at once, as in a crash.</summary>
    public void Kill() { _process.Kill(entireProcessTree: true); _process.WaitForExit(); }

    /// <summary>True when the process ended in time; then its output has been read to the end (the log is whole).</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // only the overload without a timeout waits for the redirected output to drain
        return true;
    }

    public async Task WaitHealthyAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try { if ((await client.GetAsync(new Uri(Url, "/health"))).IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            if (_process.HasExited) break;
            await Task.Delay(200);
        }
        Assert.Fail("the server did not start:\n" + Log);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
