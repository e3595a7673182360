using System.Text.RegularExpressions;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>README's "Reliability" names tests and environment variables that exist.</summary>
public sealed partial class ReadmeReliabilityTests
{
    [Fact]
    public void Every_test_file_and_variable_it_names_exists()
    {
        string root = Readme.RepositoryRoot();
        string section = Readme.Section("## Reliability");

        string[] cited = [.. TestFile().Matches(section).Select(m => m.Groups[1].Value)];
        Assert.True(cited.Length >= 10, $"only {cited.Length} test files cited");
        foreach (string file in cited)
        {
            Assert.True(
                File.Exists(Path.Combine(root, "Actors.Io.Tests", file + ".cs")) || File.Exists(Path.Combine(root, "Actors.Io.Sample.Tests", file + ".cs")),
                $"README cites {file}, which is in neither test project");
        }

        string tests = string.Join('\n', Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => f.Contains(".Tests", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText));
        Assert.Contains("dotnet test actors-io.sln --filter Category=Stress", section);
        Assert.Contains("[Trait(\"Category\", \"Stress\")]", tests);
        foreach (string variable in new[] { "ACTORS_IO_STRESS_SECONDS", "CHAT_FUZZ_SEED" })
        {
            Assert.Contains($"{variable}=", section);
            Assert.Contains($"GetEnvironmentVariable(\"{variable}\")", tests);
        }
    }

    [GeneratedRegex(@"`((?:\w+/)+\w+Tests)`")]
    private static partial Regex TestFile();
}
