using System.CommandLine;
using Ringside.Cli.Bench;
using Ringside.Cli.Commands;

var root = new RootCommand("Ringside: a deterministic wrestling-arena simulation with real reinforcement learning.")
{
    MatchCommand.Create(),
    ReplayCommand.Create(),
    BenchCommand.Create(),
    RosterCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
    EvalCommand.CreateCompare(),
    ServeCommand.Create(),
    ExportCommand.Create(),
    ServeCommand.CreateApiKey(),
};
return root.Parse(args).Invoke();
