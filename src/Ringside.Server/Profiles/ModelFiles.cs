using System.Data.Common;
using Dapper;
using Ringside.Server.Data;

namespace Ringside.Server.Profiles;

/// <summary>
/// Model files: each saved version is a new file in data/models, never overwritten, and the same bytes in the
/// database (model_files, keyed by the file's name), so that every node of a cluster can serve, fight and export a
/// model that another node trained or imported. A node's models folder is only a cache of the database.
/// </summary>
public static class ModelFiles
{
    public static string NewPath(RingsideOptions options, string stem)
    {
        Directory.CreateDirectory(options.ModelsDir);
        return Path.Combine(options.ModelsDir, $"{stem}-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}.safetensors");
    }

    /// <summary>Stores a model file's bytes in the caller's transaction, so the row that names the file and the file land together.</summary>
    public static Task StoreAsync(DbConnection c, DbTransaction t, string modelPath, byte[] data) =>
        c.ExecuteAsync("INSERT INTO model_files (name, data, created_at) VALUES (@name, @data, @now) ON CONFLICT (name) DO NOTHING",
            new { name = Path.GetFileName(modelPath), data, now = DateTime.UtcNow }, t);

    /// <summary>
    /// The model as a file on this node: the path itself when this node wrote it, else its copy in this node's models
    /// folder, fetched from the database the first time; null when neither has it.
    /// </summary>
    public static async Task<string?> LocalPathAsync(Database db, RingsideOptions options, string? modelPath)
    {
        if (modelPath is null) return null;
        if (File.Exists(modelPath)) return modelPath;
        string cached = Path.Combine(options.ModelsDir, Path.GetFileName(modelPath));
        if (File.Exists(cached)) return cached;
        if (await StoredAsync(db, modelPath) is not { } data) return null;
        Directory.CreateDirectory(options.ModelsDir);
        string partial = $"{cached}.{Guid.NewGuid():N}.partial"; // renamed into place whole: a concurrent reader never sees half a file
        await File.WriteAllBytesAsync(partial, data);
        File.Move(partial, cached, overwrite: true);
        return cached;
    }

    /// <summary>The model's bytes, from this node's file or from the database; null when neither has it.</summary>
    public static async Task<byte[]?> ReadAsync(Database db, string? modelPath)
    {
        if (modelPath is null) return null;
        try { return await File.ReadAllBytesAsync(modelPath); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return await StoredAsync(db, modelPath); }
    }

    private static Task<byte[]?> StoredAsync(Database db, string modelPath) =>
        db.ReadAsync(c => c.ExecuteScalarAsync<byte[]?>("SELECT data FROM model_files WHERE name = @name", new { name = Path.GetFileName(modelPath) }));
}
