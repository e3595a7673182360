using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Actors.Io.Tests.Support;
using Akka.Actor;
using ReadmeSamples;

namespace Actors.Io.Tests.Readme;

public sealed partial class ReadmeExamplesTests()
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Theory]
    [InlineData("README.md", "EchoServer,EchoHandler,EchoClient,LeasedEchoServer,LeasedEchoHandler,UnixEchoServer,UdpEchoServer,UdpPing,EchoHandlerTests,UdpEchoTests")]
    [InlineData("Actors.Io/PACKAGE.md", "EchoServer,EchoHandler")]
    [InlineData("Actors.Io.TestKit/PACKAGE.md", "EchoHandlerTests,UdpEchoTests")]
    public void Readme_shows_the_tested_examples_verbatim(string document, string classList)
    {
        string root = FindRoot();
        string readme = File.ReadAllText(Path.Combine(root, document));
        string examples = Normalize(File.ReadAllText(Path.Combine(root, "Actors.Io.Tests", "Readme", "ReadmeExamples.cs")));
        MatchCollection blocks = CodeBlock().Matches(readme);
        foreach (string name in classList.Split(','))
        {
            Match? block = blocks.FirstOrDefault(b => b.Groups[1].Value.Contains($"class {name} "));
            Assert.True(block is not null, $"{document} has no csharp block with class {name}");
            foreach (string line in block.Groups[1].Value.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("using ", StringComparison.Ordinal)))
            {
                Assert.Contains(line, examples);
            }

            Assert.True(block.Groups[1].Value.Split('\n').Length <= 30, $"the example with {name} in {document} is longer than 30 lines");
        }
    }

    [Fact]
    public void Readme_echo_server_and_client_run_as_written()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Sys.ActorOf(Props.Create(() => new EchoServer(port)));
        AwaitAssert(
            () =>
            {
                Sys.ActorOf(Props.Create(() => new EchoClient(new IPEndPoint(IPAddress.Loopback, port), "hello", TestActor)));
                Assert.Equal("hello", ExpectMsg<string>(TimeSpan.FromSeconds(2)));
            },
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Readme_leased_echo_server_answers_the_echo_client()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        Sys.ActorOf(Props.Create(() => new LeasedEchoServer(port)));
        AwaitAssert(
            () =>
            {
                Sys.ActorOf(Props.Create(() => new EchoClient(new IPEndPoint(IPAddress.Loopback, port), "hello\n", TestActor)));
                Assert.Equal("hello\n", ExpectMsg<string>(TimeSpan.FromSeconds(2)));
            },
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Readme_unix_echo_server_answers_the_echo_client_and_removes_its_socket_file()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("aio");
        try
        {
            string path = Path.Combine(directory.FullName, "echo.sock");
            IActorRef server = Sys.ActorOf(Props.Create(() => new UnixEchoServer(path)));
            AwaitAssert(
                () =>
                {
                    Sys.ActorOf(Props.Create(() => new EchoClient(new UnixDomainSocketEndPoint(path), "hello", TestActor)));
                    Assert.Equal("hello", ExpectMsg<string>(TimeSpan.FromSeconds(2)));
                },
                TimeSpan.FromSeconds(10));

            Watch(server);
            Sys.Stop(server);
            ExpectTerminated(server, TestWaits.Expect);
            AwaitCondition(() => !File.Exists(path), TestWaits.Expect);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Readme_udp_echo_server_and_ping_run_as_written()
    {
        int port;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            port = ((IPEndPoint)probe.LocalEndPoint!).Port;
        }

        Sys.ActorOf(Props.Create(() => new UdpEchoServer(port)));

        // Until the server is bound a ping is answered with "unreachable: ...": try again.
        AwaitAssert(
            () =>
            {
                Sys.ActorOf(Props.Create(() => new UdpPing(new IPEndPoint(IPAddress.Loopback, port), "hello", TestActor)));
                Assert.Equal("hello", ExpectMsg<string>(TimeSpan.FromSeconds(2)));
            },
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Readme_udp_ping_to_a_closed_port_reports_unreachable_stops_and_closes_its_socket()
    {
        IPEndPoint closed;
        using (var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp))
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closed = (IPEndPoint)probe.LocalEndPoint!;
        }

        IActorRef ping = Sys.ActorOf(Props.Create(() => new UdpPing(closed, "anyone?", TestActor)));
        Watch(ping);
        Assert.StartsWith("unreachable: ", ExpectMsg<string>(TestWaits.Expect), StringComparison.Ordinal);
        ExpectTerminated(ping, TestWaits.Expect);
        AwaitCondition(() => ActorsIo.Get(Sys).Budget.Open == 0, TestWaits.Expect);
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
