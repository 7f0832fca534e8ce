namespace Ringside.Cli.Tests;

/// <summary><c>ringside roster train</c> is a recipe: the same command writes the same bytes.</summary>
[Collection(nameof(CliCollection))]
public sealed class RosterCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ringside-roster-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Two_runs_of_the_recipe_with_a_short_budget_write_identical_files()
    {
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b");
        foreach (var dir in new[] { a, b })
        {
            var run = Cli.Run("roster", "train", "--out", dir, "--steps", "16384", "--only", "rocket-ray,golden-titan", "--episodes", "6");
            Assert.True(run.ExitCode == 0, run.ToString());
        }
        var files = Directory.GetFiles(a).Select(Path.GetFileName).Order().ToArray();
        Assert.Equal(new[] { "golden-titan.safetensors", "rocket-ray.safetensors", "roster.json" }, files);
        foreach (var file in files)
            Assert.True(File.ReadAllBytes(Path.Combine(a, file!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(b, file!))), $"{file} differs between the runs");

        var bad = Cli.Run("roster", "train", "--out", a, "--only", "nobody");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("no built-in wrestler is called 'nobody'", bad.Err);
    }

    /// <summary>
    /// The recipe's bytes do not depend on the machine: here with the machine's widest vectors (AVX-512 where it has them),
    /// and in a process with hardware intrinsics turned off (every vector operation done lane by lane in software).
    /// Before the training's exp and sums were made portable (session 10), Iron Mountain trained on an AVX-512 machine
    /// could not be reproduced on an AVX2 one, and this test told the two paths apart.
    /// </summary>
    [Fact]
    public void The_recipe_writes_the_same_bytes_with_and_without_vector_instructions()
    {
        string vector = Path.Combine(_dir, "vector"), scalar = Path.Combine(_dir, "scalar");
        string[] recipe = ["roster", "train", "--steps", "16384", "--only", "rocket-ray", "--episodes", "6", "--out"];
        var run = Cli.Run([.. recipe, vector]);
        Assert.True(run.ExitCode == 0, run.ToString());
        run = Cli.RunProcess(new Dictionary<string, string> { ["DOTNET_EnableHWIntrinsic"] = "0" }, [.. recipe, scalar]);
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var file in new[] { "rocket-ray.safetensors", "roster.json" })
            Assert.True(File.ReadAllBytes(Path.Combine(vector, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(scalar, file))),
                $"{file} differs between the vector and the scalar run");
    }
}
