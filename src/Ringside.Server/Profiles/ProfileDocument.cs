using System.Text.Json;
using Ringside.Server.Data;

namespace Ringside.Server.Profiles;

/// <summary>A profile as a portable JSON document: its personality, results and (base64) the model's safetensors.</summary>
public sealed record ProfileDocument(string? Format, int? Version, DateTime? ExportedAt, ExportedFighter? Fighter, FighterProfile? Profile, ExportedModel? Model)
{
    public const string FormatName = "ringside-profile";
}

public sealed record ExportedFighter(string GlbFilename, JsonElement MetadataJson);
public sealed record ExportedModel(string FileName, string SafetensorsBase64);
