using System.Text.RegularExpressions;

namespace Ringside.Server;

/// <summary>Server paths never leave the server (docs/SERVER.md, Security model): text that may hold one is cut to file names.</summary>
public static partial class ServerPaths
{
    /// <summary>"Could not find file '/srv/data/runs/job-3/model.safetensors'" becomes "Could not find file 'model.safetensors'".</summary>
    public static string Redact(string text) => AbsolutePath().Replace(text, m =>
    {
        string path = m.Value.TrimEnd('/', '\\');
        return path[(path.LastIndexOfAny(['/', '\\']) + 1)..]; // either separator, whatever the server's own
    });

    // Two or more segments from a root (/a/b, C:\a\b, \\host\share): a lone "/" or "a/b" is no server path.
    [GeneratedRegex(@"(?<![\w.~/\\:])(?:/|[A-Za-z]:\\|\\\\)[^\s'""/\\]+(?:[/\\][^\s'""/\\]*)+")]
    private static partial Regex AbsolutePath();
}
