using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Ringside.Server;
using Ringside.Server.Data;
using Ringside.Server.Http;

namespace Ringside.Cli.Commands;

/// <summary><c>ringside serve</c> (the server with the UI) and <c>ringside apikey create</c>.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string?>("--urls") { Description = $"Addresses to listen on, ';'-separated (default {RingsideServer.DefaultUrl})." };
        var data = new Option<string?>("--data") { Description = "Data folder: database, models, runs (default ./data)." };
        var role = new Option<string?>("--role")
        {
            Description = "all (default: one process does everything), api (HTTP, WebSockets, UI; queues jobs, runs none) or worker (runs training jobs). api and worker need PostgreSQL (docs/SERVER.md, Cluster).",
        };
        role.AcceptOnlyFromAmong(ClusterOptions.All, ClusterOptions.Api, ClusterOptions.Worker);
        var node = new Option<string?>("--node") { Description = "This node's name in the cluster (default: host name and process id)." };
        var jobs = new Option<int?>("--jobs") { Description = "Training jobs this node runs at once (default 1)." };
        var command = new Command("serve", "Run the Ringside server: REST API, WebSockets, training jobs and the web UI. Settings: appsettings.json, Ringside__* environment variables, flags (docs/SERVER.md).")
            { urls, data, role, node, jobs };
        command.SetAction(p => Output.Guard(() =>
        {
            if (p.GetValue(jobs) is < 1) throw new ArgumentException("--jobs must be at least 1.");
            WebApplication app;
            // A setting the server refuses (a cluster role on SQLite, an unknown provider) is the user's to fix: one line, exit 2.
            try { app = RingsideServer.Build(ServerArgs(p.GetValue(urls), p.GetValue(data), p.GetValue(role), p.GetValue(node), p.GetValue(jobs))); }
            catch (InvalidOperationException e) { return Output.Fail(e.Message); }
            app.Run();
            return 0;
        }));
        return command;
    }

    public static Command CreateApiKey()
    {
        var data = new Option<string?>("--data") { Description = "Data folder of the server (default ./data)." };
        var name = new Option<string>("--name") { Description = "A label for the key.", DefaultValueFactory = _ => "cli" };
        var role = new Option<string>("--role") { Description = "read (reads, model weights, exports, streams) or write (also changes).", DefaultValueFactory = _ => "write" };
        var create = new Command("create", "Create an API key: printed once, stored only as a hash.") { data, name, role };
        create.SetAction(p => Output.Guard(() =>
        {
            var keyRole = ApiKeys.ParseRole(p.GetValue(role)!);
            var options = new RingsideOptions();
            if (p.GetValue(data) is { } dir) options.DataDir = dir;
            using var db = Database.FromOptions(options);
            Schema.UpgradeAsync(db).GetAwaiter().GetResult();
            string key = ApiKeys.CreateAsync(db, p.GetValue(name)!, keyRole).GetAwaiter().GetResult();
            Console.WriteLine(key);
            return 0;
        }));
        return new Command("apikey", "Manage API keys of a server's database.") { create };
    }

    private static string[] ServerArgs(string? urls, string? data, string? role, string? node, int? jobs)
    {
        var args = new List<string>();
        if (urls is not null) args.AddRange(["--urls", urls]);
        if (data is not null) args.AddRange(["--data", data]);
        if (role is not null) args.AddRange(["--role", role]);
        if (node is not null) args.AddRange(["--node", node]);
        if (jobs is not null) args.AddRange(["--jobs", jobs.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        return [.. args];
    }
}
