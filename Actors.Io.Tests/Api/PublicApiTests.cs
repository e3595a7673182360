using System.Runtime.CompilerServices;
using PublicApiGenerator;

namespace Actors.Io.Tests.Api;

/// <summary>
/// The public API of Actors.Io is approved by hand: any change to it shows up here as a failing test and, once
/// approved, as a diff of <c>Actors.Io.approved.txt</c> in the same commit as the change.
/// </summary>
public sealed class PublicApiTests
{
    private const string ApprovedFile = "Actors.Io.approved.txt";
    private const string ReceivedFile = "Actors.Io.received.txt";
    private const int DifferingLinesShown = 10;

    [Fact]
    public void Public_api_matches_the_approved_text()
    {
        string folder = ThisFolder();
        string approvedPath = Path.Combine(folder, ApprovedFile);
        string receivedPath = Path.Combine(folder, ReceivedFile);

        string received = Normalise(typeof(ActorsIo).Assembly.GeneratePublicApi(new ApiGeneratorOptions
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
            $"The public API of Actors.Io differs from {ApprovedFile}. The generated text is in {receivedPath}. " +
            $"If the change is intended, approve it: copy {ReceivedFile} over {ApprovedFile} " +
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
