using Ringside.Server;

// `ringside serve` runs the same server through RingsideServer.Build; this entry point is for
// `dotnet run` and for WebApplicationFactory<Program> in the tests.
var app = RingsideServer.Build(args);
await app.RunAsync();

public partial class Program;
