using System.Text.RegularExpressions;
using Actors.Io.Hosting;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;

namespace Actors.Io.Tests.Hosting;

public sealed partial class ReadmeHostingTests
{
    [Fact]
    public void Readme_shows_the_tested_hosting_snippet_verbatim()
    {
        string root = FindRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string tested = Normalize(File.ReadAllText(Path.Combine(root, "Actors.Io.Tests", "Hosting", "ReadmeHostingTests.cs")));
        Match? block = CodeBlock().Matches(readme).FirstOrDefault(b => b.Groups[1].Value.Contains(".WithActorsIo(", StringComparison.Ordinal));
        Assert.True(block is not null, "README.md has no csharp block calling WithActorsIo");
        foreach (string line in block.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using ", StringComparison.Ordinal)))
        {
            Assert.Contains(line, tested);
        }
    }

    [Fact]
    public async Task Readme_hosting_snippet_runs_as_written()
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // The README snippet, verbatim.
        builder.Services.AddAkka("my-system", akka => akka.WithActorsIo(io =>
        {
            io.NrOfSelectors = 2;
            io.Tcp.MaxReceivedMessageSize = 128 * 1024; // bytes
            io.Tcp.RegisterTimeout = TimeSpan.FromSeconds(2);
        }));

        await TestHosts.RunAsync(builder.Build(), async (system, ct) =>
        {
            ActorsIoSettings settings = ActorsIo.Get(system).Settings;
            Assert.Equal(2, settings.NrOfSelectors);
            Assert.Equal(128 * 1024, settings.Tcp.MaxReceivedMessageSize);
            Assert.Equal(TimeSpan.FromSeconds(2), settings.Tcp.RegisterTimeout);
            IActorRef manager = await ActorRegistry.For(system).GetAsync<ActorsIoManager>(ct);
            Assert.Equal(system.Io(), manager);
        });
    }

    private static string Normalize(string code) => string.Join('\n', code.Split('\n').Select(l => l.Trim()));

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "actors-io.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("actors-io.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
