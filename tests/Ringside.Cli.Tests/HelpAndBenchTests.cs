namespace Ringside.Cli.Tests;

/// <summary>Every command documents itself; <c>bench sim</c> measures something.</summary>
[Collection(nameof(CliCollection))]
public class HelpAndBenchTests
{
    /// <summary>Command names listed in the "Commands:" section of a help text.</summary>
    private static string[] ListedCommands(string help)
    {
        var lines = help.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        int start = Array.FindIndex(lines, l => l.Trim() == "Commands:");
        if (start < 0) return [];
        return lines.Skip(start + 1).TakeWhile(l => l.StartsWith("  "))
            .Select(l => l.Trim().Split(' ')[0]).Where(n => n.Length > 0).ToArray();
    }

    [Fact]
    public void RootHelp_ListsTheCommands()
    {
        var help = Cli.Run("--help");
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:", help.Out);
        var commands = ListedCommands(help.Out);
        Assert.Contains("match", commands);
        Assert.Contains("replay", commands);
        Assert.Contains("bench", commands);
    }

    [Fact]
    public void EverySubcommand_HelpExitsZeroAndPrintsItsUsage()
    {
        var pending = new Queue<string[]>(ListedCommands(Cli.Run("--help").Out).Select(c => new[] { c }));
        int checkedCommands = 0;
        while (pending.Count > 0)
        {
            var path = pending.Dequeue();
            var help = Cli.Run([.. path, "--help"]);
            string name = string.Join(' ', path);
            Assert.True(help.ExitCode == 0, $"{name} --help: {help}");
            Assert.Contains("Usage:", help.Out);
            // In-process the root's name is the test host's, so look for the command path in the usage line.
            string usage = help.OutLines.SkipWhile(l => l != "Usage:").Skip(1).FirstOrDefault() ?? "";
            Assert.Contains($" {name}", usage);
            Assert.Contains("Description:", help.Out);
            Assert.Equal("", help.Err);
            foreach (var sub in ListedCommands(help.Out)) pending.Enqueue([.. path, sub]);
            checkedCommands++;
        }
        Assert.True(checkedCommands >= 4, $"only {checkedCommands} commands found"); // match, replay, bench, bench sim at least
    }

    [Fact]
    public void BenchSim_Json_ReportsAPositiveThroughput()
    {
        var result = Cli.Run("bench", "sim", "--seconds", "1.1", "--json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var json = result.Json;
        double rate = json.GetProperty("agent_steps_per_second").GetDouble();
        Assert.True(rate > 0);
        Assert.True(json.GetProperty("steps").GetInt64() > 0);
        Assert.Equal(json.GetProperty("arenas").GetInt32() * 2, json.GetProperty("agents").GetInt32());
        Assert.InRange(json.GetProperty("seconds").GetDouble(), 1.1, 30);
        // Half-second windows: at least one (how many fit in 1.1 s depends on how busy the machine is), and ordered.
        var windows = json.GetProperty("half_second_windows");
        Assert.True(windows.GetProperty("count").GetInt32() >= 1, windows.ToString());
        double min = windows.GetProperty("min").GetDouble(), median = windows.GetProperty("median").GetDouble(), max = windows.GetProperty("max").GetDouble();
        Assert.True(0 < min && min <= median && median <= max, windows.ToString());
    }

    [Theory]
    [InlineData("--seconds must be positive", "bench", "sim", "--seconds", "0")]
    [InlineData("--agents must be at least the fighter count", "bench", "sim", "--agents", "1", "--seconds", "0.1")]
    [InlineData("2 to 8 fighters", "bench", "sim", "--fighters", "9", "--seconds", "0.1")]
    [InlineData("--workers must be 1 to 8", "bench", "cluster", "--workers", "0", "--postgres", "Host=127.0.0.1")]
    [InlineData("--checkin must be 0.5 to 600 seconds", "bench", "cluster", "--checkin", "0", "--postgres", "Host=127.0.0.1")]
    public void BenchSim_BadArguments_ExitNonZeroWithAClearMessage(string message, params string[] args)
    {
        var result = Cli.Run(args);
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.Contains(message, result.Err);
    }

    [Fact]
    public void Serve_with_a_cluster_role_on_SQLite_exits_with_a_clear_message()
    {
        var result = Cli.Run("serve", "--role", "worker", "--data", Path.Combine(Path.GetTempPath(), "ringside-unused"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("needs a database every node shares", result.Err);
    }
}
