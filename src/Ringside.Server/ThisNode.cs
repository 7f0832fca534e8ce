using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Ringside.Server;

/// <summary>
/// This process as the other nodes of a cluster see it: its name (Ringside:Cluster:Node) and the base URL they reach it
/// at (Ringside:Cluster:AdvertisedUrl, else what Kestrel listens on when that is one address that names a host).
/// </summary>
public sealed class ThisNode(RingsideOptions options, IServer server)
{
    private string? _listeningUrl;

    public string Name { get; } = options.Cluster.NodeName;

    /// <summary>Null when nothing is configured and the listening addresses do not say it (several, a wildcard, a test server).</summary>
    public string? Url => options.Cluster.AdvertisedUrl is { Length: > 0 } configured ? configured.TrimEnd('/') : _listeningUrl ??= FromListening();

    // Known only once Kestrel has bound (a port 0 becomes a real one), so it is read at first use, not at construction.
    private string? FromListening() => Unambiguous(server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []);

    /// <summary>The one address listened on, when it names a host another machine could connect to; else null.</summary>
    public static string? Unambiguous(ICollection<string> addresses)
    {
        if (addresses.Count != 1) return null;
        if (!Uri.TryCreate(addresses.First(), UriKind.Absolute, out var uri)) return null; // http://*:80 and http://+:80 do not parse
        if (uri.Host is "0.0.0.0" or "[::]" or "::") return null;
        return uri.GetLeftPart(UriPartial.Authority);
    }
}
