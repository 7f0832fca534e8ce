using System.Text.Json;

namespace Ringside.Server.Http;

/// <summary>
/// Well-formed UTF-16: JSON may escape a lone surrogate ("\ud800"), which .NET reads into a string but cannot write
/// back as UTF-8. Text that will be stored or sent again is checked (and refused) on the way in; text echoed in an
/// error is repaired, so that reporting bad input can never fail.
/// </summary>
public static class Utf16
{
    public const string IllFormedMessage = "is not well-formed text (a lone UTF-16 surrogate).";

    /// <summary>The index of the first lone surrogate, or −1 when the text is well formed.</summary>
    public static int FirstLoneSurrogate(ReadOnlySpan<char> text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (char.IsSurrogate(text[i])) return i;
        }
        return -1;
    }

    /// <summary>The text with every lone surrogate replaced by U+FFFD.</summary>
    public static string Repaired(string text)
    {
        int first = FirstLoneSurrogate(text);
        if (first < 0) return text;
        var chars = text.ToCharArray();
        for (int i = first; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>The path ("n", "a[2].b") of the first property name or string in <paramref name="value"/> with a lone surrogate; null when none has.</summary>
    public static string? FirstIllFormed(JsonElement value, string path = "")
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return Readable(value) is { } text && FirstLoneSurrogate(text) < 0 ? null : (path.Length == 0 ? "body" : path);
            case JsonValueKind.Object:
                foreach (var p in value.EnumerateObject())
                {
                    string? name = NameOf(p);
                    string at = path.Length == 0 ? Repaired(name ?? "?") : $"{path}.{Repaired(name ?? "?")}";
                    if (name is null || FirstLoneSurrogate(name) >= 0) return at;
                    if (FirstIllFormed(p.Value, at) is { } inner) return inner;
                }
                return null;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in value.EnumerateArray())
                    if (FirstIllFormed(item, $"{path}[{i++}]") is { } inner) return inner;
                return null;
            default:
                return null;
        }
    }

    // System.Text.Json refuses to unescape some ill-formed text at all (InvalidOperationException): that is ill-formed too.
    private static string? Readable(JsonElement value)
    {
        try { return value.GetString(); }
        catch (InvalidOperationException) { return null; }
    }

    private static string? NameOf(JsonProperty property)
    {
        try { return property.Name; }
        catch (InvalidOperationException) { return null; }
    }
}
