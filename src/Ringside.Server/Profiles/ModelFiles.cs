namespace Ringside.Server.Profiles;

/// <summary>Where model files live: data/models, one new file per saved version, never overwritten.</summary>
public static class ModelFiles
{
    public static string NewPath(RingsideOptions options, string stem)
    {
        Directory.CreateDirectory(options.ModelsDir);
        return Path.Combine(options.ModelsDir, $"{stem}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}.safetensors");
    }
}
