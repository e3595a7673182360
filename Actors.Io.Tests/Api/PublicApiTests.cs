using System.Runtime.CompilerServices;
using PublicApiGenerator;

namespace Actors.Io.Tests.Api;

/// <summary>
/// The public API of each package (Actors.Io, Actors.Io.TestKit) is approved by hand: any change to it shows up here as
/// a failing test and, once approved, as a diff of <c>{assembly}.approved.txt</c> in the same commit as the change.
/// </summary>
public sealed class PublicApiTests
{
    private const int DifferingLinesShown = 10;

    /// <summary>The packages' assemblies, by name.</summary>
    public static TheoryData<string> Packages => new("Actors.Io", "Actors.Io.TestKit");

    [Theory]
    [MemberData(nameof(Packages))]
    public void Public_api_matches_the_approved_text(string package)
    {
        System.Reflection.Assembly assembly = package switch
        {
            "Actors.Io" => typeof(ActorsIo).Assembly,
            "Actors.Io.TestKit" => typeof(Actors.Io.TestKit.TestConnection).Assembly,
            _ => throw new ArgumentOutOfRangeException(nameof(package), package, "not a package of this repository"),
        };
        string approvedFile = package + ".approved.txt";
        string receivedFile = package + ".received.txt";
        string folder = ThisFolder();
        string approvedPath = Path.Combine(folder, approvedFile);
        string receivedPath = Path.Combine(folder, receivedFile);

        string received = Normalise(assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // The assembly's attributes carry build details (versions, commit) that are not API.
            IncludeAssemblyAttributes = false,
        }));
        string approved = File.Exists(approvedPath) ? Normalise(File.ReadAllText(approvedPath)) : string.Empty;

        if (received == approved)
        {
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, received);
        Assert.Fail(
            $"The public API of {package} differs from {approvedFile}. The generated text is in {receivedPath}. " +
            $"If the change is intended, approve it: copy {receivedFile} over {approvedFile} " +
            $"(cp {receivedPath} {approvedPath}), note the change in CHANGELOG.md and commit both.\n" +
            FirstDifferences(approved, received));
    }

    /// <summary>Unix line endings and one final newline, so a checkout with CRLF compares equal.</summary>
    private static string Normalise(string text) =>
        text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').TrimEnd('\n') + "\n";

    private static string FirstDifferences(string approved, string received)
    {
        string[] expected = approved.Split('\n');
        string[] actual = received.Split('\n');
        int first = 0;
        while (first < expected.Length && first < actual.Length && expected[first] == actual[first]) first++;

        var report = new System.Text.StringBuilder();
        report.Append("First difference at line ").Append(first + 1).Append(":\n");
        for (int i = first; i < first + DifferingLinesShown && i < expected.Length; i++)
            report.Append("- approved ").Append(i + 1).Append(": ").Append(expected[i]).Append('\n');
        for (int i = first; i < first + DifferingLinesShown && i < actual.Length; i++)
            report.Append("+ received ").Append(i + 1).Append(": ").Append(actual[i]).Append('\n');
        return report.ToString();
    }

    private static string ThisFolder([CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path) ?? throw new InvalidOperationException("No caller file path.");
}
