using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Ringside.Cli.Tests;

/// <summary>The CLI tests swap the process-wide Console writers, so they run one at a time and alone.</summary>
[CollectionDefinition(nameof(CliCollection), DisableParallelization = true)]
public class CliCollection;

/// <summary>What a run of the command line printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The last line of stdout parsed as JSON (the <c>--json</c> convention).</summary>
    public JsonElement Json
    {
        get
        {
            Assert.True(OutLines.Length > 0, $"no output; stderr: {Err}");
            using var doc = JsonDocument.Parse(OutLines[^1]);
            return doc.RootElement.Clone();
        }
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs <c>ringside</c> in-process through its generated entry point, capturing stdout and stderr.</summary>
public static class Cli
{
    private static readonly MethodInfo EntryPoint =
        typeof(Output).Assembly.EntryPoint ?? throw new InvalidOperationException("ringside has no entry point");

    public static CliResult Run(params string[] args)
    {
        var stdout = new KeepOpenWriter();
        var stderr = new KeepOpenWriter();
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            object? code = EntryPoint.Invoke(null, [args]);
            return new CliResult(Assert.IsType<int>(code), stdout.ToString(), stderr.ToString());
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new Xunit.Sdk.XunitException($"ringside {string.Join(' ', args)} crashed: {e.InnerException}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    /// <summary>Runs <c>dotnet ringside.dll</c> as a real process: for exit codes and streams as a shell sees them.</summary>
    public static CliResult RunProcess(params string[] args) => RunProcess(new Dictionary<string, string>(), args);

    /// <summary>Runs <c>dotnet ringside.dll</c> as a real process with these environment variables set.</summary>
    public static CliResult RunProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        string dll = typeof(Output).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment) start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(300_000)) { process.Kill(entireProcessTree: true); Assert.Fail($"ringside {string.Join(' ', args)} did not finish in 5 minutes"); }
        return new CliResult(process.ExitCode, output, err.Result);
    }

    /// <summary>
    /// Like the real console, survives being disposed: <c>replay --frames -</c> disposes <c>Console.Out</c> after
    /// writing the frames, which the real console shrugs off but a plain StringWriter would not.
    /// </summary>
    private sealed class KeepOpenWriter : StringWriter
    {
        protected override void Dispose(bool disposing) { }
    }
}
