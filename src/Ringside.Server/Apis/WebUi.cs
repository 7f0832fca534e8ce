namespace Ringside.Server.Apis;

/// <summary>The browser UI: static pages, vendored three.js, fighter GLB files.</summary>
public static class WebUi
{
    public static void MapWebUi(this WebApplication app)
    {
    }
}
