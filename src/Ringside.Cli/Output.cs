using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ringside.Cli;

/// <summary>Console output shared by every command: human text, or one JSON object as the last line.</summary>
public static class Output
{
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Prints <paramref name="result"/> as a single JSON line.</summary>
    public static void WriteJson(object result) => Console.Out.WriteLine(JsonSerializer.Serialize(result, result.GetType(), Json));

    /// <summary>Reports a user error on stderr and returns the exit code for it.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
