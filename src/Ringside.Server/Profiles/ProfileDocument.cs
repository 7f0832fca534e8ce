using System.Text.Json;
using Ringside.Server.Data;

namespace Ringside.Server.Profiles;

/// <summary>A profile as a portable JSON document: its personality, results and (base64) the model's safetensors.</summary>
/// <remarks>An import needs the format, the version and the profile; the rest is optional (no model: a profile to train).</remarks>
public sealed record ProfileDocument(string? Format, int? Version, FighterProfile? Profile, ExportedFighter? Fighter = null, ExportedModel? Model = null,
    DateTime? ExportedAt = null)
{
    public const string FormatName = "ringside-profile";
}

public sealed record ExportedFighter(string GlbFilename, JsonElement? MetadataJson = null);
public sealed record ExportedModel(string SafetensorsBase64, string FileName = "");
