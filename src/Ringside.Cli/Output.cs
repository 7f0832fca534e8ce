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

    /// <summary>
    /// Runs a command body; an error caused by the user's input (bad argument, unreadable file) becomes
    /// a one-line message on stderr and exit code 2 instead of a stack trace.
    /// </summary>
    public static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (ArgumentException e)
        {
            // ArgumentException appends " (Parameter 'x')" to its message; the message already names the field.
            return Fail(e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", ""));
        }
        catch (Exception e) when (e is FormatException or IOException or InvalidDataException
                                      or UnauthorizedAccessException or Sim.ReplayFormatException or Learning.CheckpointException)
        {
            return Fail(e.Message);
        }
    }

    /// <summary>Splits a comma-separated option value into trimmed, non-empty items.</summary>
    public static string[] SplitList(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Reports a user error on stderr and returns the exit code for it.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }
}
