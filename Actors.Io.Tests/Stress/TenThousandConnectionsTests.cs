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
        using var timer = new StressTimer(_output, nameof(Ten_thousand_connections_each_echo_a_message_and_all_close));

        // Each side (this process and the client process, which inherits the limit) holds 10,000 sockets plus its own.
        FileLimits.Require(Count + 1_000);
        IActorRef server = Sys.ActorOf(Props.Create(() => new StressEchoServer(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        int baseline = Descriptors.OpenSocketsAndPollers();
        int baselineActors = await ChannelActors.Count(Sys);

        var stopwatch = Stopwatch.StartNew();
        using var clients = ClientProcess.Start("clients", Count, port);
        Assert.Equal($"DONE {Count}", clients.WaitFor("DONE", TimeSpan.FromSeconds(60)));
        _output.WriteLine($"{Count} connections opened and echoed in {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(Count + 1, ActorsIo.Get(Sys).SelectorLoads().Sum());
        Assert.Equal(baselineActors + Count, await ChannelActors.Count(Sys));

        clients.Process.StandardInput.WriteLine("close");
        Assert.Equal("CLOSED", clients.WaitFor("CLOSED", TimeSpan.FromSeconds(30)));
        await AwaitAssertAsync(
            async () => Assert.Equal(0, await server.Ask<int>(StressEchoServer.CountHandlers.Instance, TestWaits.Expect)),
            TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200));
        Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum());
        await AwaitAssertAsync(async () => Assert.Equal(baselineActors, await ChannelActors.Count(Sys)), TimeSpan.FromSeconds(10));
        await AwaitAssertAsync(() => Assert.True(Descriptors.OpenSocketsAndPollers() <= baseline), TimeSpan.FromSeconds(10));
        Assert.True(clients.Process.WaitForExit(10_000));
        Assert.Equal(0, clients.Process.ExitCode);
    }

    [Fact]
    public async Task Idle_connections_cost_the_library_little_managed_memory()
    {
        // One handler for every connection, so what is measured is the library's share: the connection actor, its
        // mailbox and props, the registration, the socket handle and the selector's bookkeeping.
        using var timer = new StressTimer(_output, nameof(Idle_connections_cost_the_library_little_managed_memory));
        const int Connections = 2_000;
        const int BoundBytes = 1_850;
        IActorRef server = Sys.ActorOf(Props.Create(() => new SharedHandlerEcho(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using var clients = ClientProcess.Start("clients", Connections, port);
        try
        {
            Assert.Equal($"DONE {Connections}", clients.WaitFor("DONE", TimeSpan.FromSeconds(60)));
            long after = GC.GetTotalMemory(forceFullCollection: true);
            double perConnection = (after - before) / (double)Connections;
            _output.WriteLine($"managed heap per idle connection (library share): {perConnection:F0} B");
            Assert.True(perConnection <= BoundBytes, $"{perConnection:F0} B of managed heap per idle connection; the bound is {BoundBytes} B");
            clients.Process.StandardInput.WriteLine("close");
            Assert.Equal("CLOSED", clients.WaitFor("CLOSED", TimeSpan.FromSeconds(30)));
            await AwaitAssertAsync(() => Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum()), TimeSpan.FromSeconds(30));
        }
        finally
        {
            Sys.Stop(server);
        }
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
