using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Stress;

/// <summary>
/// 10,000 concurrent connections on one node, each exchanging a message, then all closed: none lost, none left open.
/// The clients run in a child process (the helper program's <c>clients</c> mode), so each side has its own descriptors.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait("Category", "Stress")]
public sealed class TenThousandConnectionsTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Count = 10_000;
    private readonly ITestOutputHelper _output;

    public TenThousandConnectionsTests(ITestOutputHelper output)
        : base(TestConfigs.With(TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public async Task Ten_thousand_connections_each_echo_a_message_and_all_close()
    {
        IActorRef server = Sys.ActorOf(Props.Create(() => new StressEchoServer(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        int baseline = Descriptors.OpenSocketsAndPollers();

        var lines = new BlockingCollection<string>();
        var stopwatch = Stopwatch.StartNew();
        using Process clients = StartClients(Count, port, lines);
        try
        {
            Assert.Equal($"DONE {Count}", WaitFor(lines, "DONE", TimeSpan.FromSeconds(60)));
            _output.WriteLine($"{Count} connections opened and echoed in {stopwatch.ElapsedMilliseconds} ms");
            Assert.Equal(Count + 1, ActorsIo.Get(Sys).SelectorLoads().Sum());

            clients.StandardInput.WriteLine("close");
            Assert.Equal("CLOSED", WaitFor(lines, "CLOSED", TimeSpan.FromSeconds(30)));
            await AwaitAssertAsync(
                async () => Assert.Equal(0, await server.Ask<int>(StressEchoServer.CountHandlers.Instance, TimeSpan.FromSeconds(3))),
                TimeSpan.FromSeconds(30),
                TimeSpan.FromMilliseconds(200));
            Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum());
            await AwaitAssertAsync(() => Assert.True(Descriptors.OpenSocketsAndPollers() <= baseline), TimeSpan.FromSeconds(10));
            Assert.True(clients.WaitForExit(10_000));
            Assert.Equal(0, clients.ExitCode);
        }
        finally
        {
            if (!clients.HasExited) clients.Kill();
        }
    }

    [Fact]
    public async Task A_client_process_killed_mid_transfer_is_cleaned_up()
    {
        IActorRef server = Sys.ActorOf(Props.Create(() => new StressEchoServer(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        var lines = new BlockingCollection<string>();
        using Process clients = StartClients(200, port, lines);
        try
        {
            Assert.Equal("DONE 200", WaitFor(lines, "DONE", TimeSpan.FromSeconds(30)));
            Assert.Equal(201, ActorsIo.Get(Sys).SelectorLoads().Sum());
            clients.Kill(entireProcessTree: true);
            Assert.True(clients.WaitForExit(10_000));
            await AwaitAssertAsync(
                async () => Assert.Equal(0, await server.Ask<int>(StressEchoServer.CountHandlers.Instance, TimeSpan.FromSeconds(3))),
                TimeSpan.FromSeconds(20),
                TimeSpan.FromMilliseconds(200));
            Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum());
        }
        finally
        {
            if (!clients.HasExited) clients.Kill();
        }
    }

    [Fact]
    public async Task Idle_connections_cost_the_library_little_managed_memory()
    {
        // One handler for every connection, so what is measured is the library's share: the connection actor, its
        // mailbox and props, the registration, the socket handle and the selector's bookkeeping.
        const int Connections = 2_000;
        const int BoundBytes = 1_850;
        IActorRef server = Sys.ActorOf(Props.Create(() => new SharedHandlerEcho(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var lines = new BlockingCollection<string>();
        using Process clients = StartClients(Connections, port, lines);
        try
        {
            Assert.Equal($"DONE {Connections}", WaitFor(lines, "DONE", TimeSpan.FromSeconds(60)));
            long after = GC.GetTotalMemory(forceFullCollection: true);
            double perConnection = (after - before) / (double)Connections;
            _output.WriteLine($"managed heap per idle connection (library share): {perConnection:F0} B");
            Assert.True(perConnection <= BoundBytes, $"{perConnection:F0} B of managed heap per idle connection; the bound is {BoundBytes} B");
            clients.StandardInput.WriteLine("close");
            Assert.Equal("CLOSED", WaitFor(lines, "CLOSED", TimeSpan.FromSeconds(30)));
            await AwaitAssertAsync(() => Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum()), TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!clients.HasExited) clients.Kill();
            Sys.Stop(server);
        }
    }

    private static Process StartClients(int count, int port, BlockingCollection<string> lines)
    {
        var start = new ProcessStartInfo(ChildProcesses.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildProcesses.HostDll());
        start.ArgumentList.Add("clients");
        start.ArgumentList.Add(count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) lines.Add(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        return process;
    }

    private static string WaitFor(BlockingCollection<string> lines, string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (lines.TryTake(out string? line, timeout - deadline.Elapsed > TimeSpan.Zero ? timeout - deadline.Elapsed : TimeSpan.Zero))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) || line.StartsWith("FAILED", StringComparison.Ordinal)) return line;
        }

        throw new TimeoutException($"No '{prefix}' line from the client process within {timeout}.");
    }

    /// <summary>Binds, registers itself as the handler of every connection and echoes.</summary>
    private sealed class SharedHandlerEcho : UntypedActor
    {
        private readonly IActorRef _probe;

        public SharedHandlerEcho(IActorRef probe)
        {
            _probe = probe;
            Context.System.Io().Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0), backlog: 4096));
        }

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case TcpMsg.Bound bound:
                    _probe.Tell(bound);
                    break;
                case TcpMsg.Connected:
                    Sender.Tell(new TcpMsg.Register(Self));
                    break;
                case TcpMsg.Received received:
                    Sender.Tell(TcpMsg.Write.Create(received.Data));
                    break;
            }
        }
    }
}
