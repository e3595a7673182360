namespace Actors.Io.Sample.Tests.Support;

/// <summary>The repository's README.md, found above the test's build output.</summary>
internal static class Readme
{
    /// <summary>The folder with <c>actors-io.sln</c>.</summary>
    public static string RepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "actors-io.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("actors-io.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The section under <paramref name="heading"/> (e.g. <c>## Try the chat</c>), up to the next <c>## </c>.</summary>
    public static string Section(string heading)
    {
        string text = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        int start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"README.md has no '{heading}' section");
        int end = text.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return text[start..(end < 0 ? text.Length : end)];
    }
}
