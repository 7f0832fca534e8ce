using System.Diagnostics;

namespace Ringside.Cli.Bench.Soak;

/// <summary>
/// A fresh <c>ringside serve</c> in a process of its own, on a free loopback port and a temporary data folder (deleted on
/// dispose): the soak measures the server's memory, which in this process would include the load generator's.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dataDir;
    private readonly Queue<string> _lastLines = new();

    private ServerProcess(Process process, string url, string dataDir) { _process = process; Url = url; _dataDir = dataDir; }

    public string Url { get; }
    public int Id => _process.Id;
    public bool Exited => _process.HasExited;

    /// <summary>The server's last 40 lines of output (warnings and errors only: it logs at Warning), which name the exception behind a 5xx.</summary>
    public string[] LastLines { get { lock (_lastLines) return [.. _lastLines]; } }

    /// <summary>Starts the server with <paramref name="settings"/> (as Ringside__Section__Key variables) and waits until /health answers.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> settings, TimeSpan timeout)
    {
        string url = BenchHost.FreeLoopbackUrl();
        string dataDir = Directory.CreateTempSubdirectory("ringside-bench-soak-").FullName;
        // This very ringside.dll, asked to serve, under the dotnet host (the ringside script's way; also from a test host,
        // whose process is not ringside); a single-file build is its own host.
        string dll = typeof(ServerProcess).Assembly.Location;
        string host = dll.Length == 0 ? Environment.ProcessPath ?? "ringside"
            : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (dll.Length > 0) start.ArgumentList.Add(dll);
        foreach (string arg in new[] { "serve", "--urls", url, "--data", dataDir }) start.ArgumentList.Add(arg);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(start) ?? throw new BenchException($"could not start {host} serve");
        var server = new ServerProcess(process, url, dataDir);
        // A bench stopped from outside (Ctrl+C, SIGTERM) takes its server with it instead of leaving it running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { if (!process.HasExited) process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } };
        process.OutputDataReceived += (_, e) => server.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => server.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = BenchHost.CreateClient(1, TimeSpan.FromSeconds(5));
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                await server.DisposeAsync();
                throw new BenchException($"the server exited with code {process.ExitCode}: {string.Join(" | ", server.LastLines)}");
            }
            try
            {
                using var response = await http.GetAsync(url + "/health");
                if (response.IsSuccessStatusCode) return server;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { }
            await Task.Delay(250);
        }
        await server.DisposeAsync();
        throw new BenchException($"the server did not answer /health within {timeout.TotalSeconds:0} s");
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > 40) _lastLines.Dequeue();
        }
    }

    /// <summary>Stops the server (SIGTERM, then kill after 30 s) and deletes its data folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                term?.WaitForExit();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or System.ComponentModel.Win32Exception) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
        try { Directory.Delete(_dataDir, recursive: true); }
        catch (IOException) { }
    }
}
