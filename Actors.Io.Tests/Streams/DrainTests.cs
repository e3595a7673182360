using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// The graceful drain (<see cref="ActorsIo.DrainAsync"/>): listeners close, handlers are told Draining once, connections
/// that close by themselves end the drain early, the rest are closed at the deadline; every acknowledged byte reaches
/// the peer.
/// </summary>
public sealed class DrainTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int Clients = 4;
    private const int Chunk = 512;
    private const int MaxChunks = 4000;

    private ActorsIo Io => ActorsIo.Get(Sys);

    [Fact]
    public async Task A_drain_with_busy_echoing_connections_ends_within_its_deadline_with_every_acked_byte_delivered()
    {
        TimeSpan deadline = TimeSpan.FromSeconds(5);
        EndPoint server = Bind();
        TestProbe report = CreateTestProbe();
        var clients = new List<(BusyClient Client, IActorRef Connection)>();
        for (int i = 0; i < Clients; i++)
        {
            (Socket socket, IActorRef connection) = AcceptUnregistered(server);
            connection.Tell(new TcpMsg.Register(Sys.ActorOf(Props.Create(() => new AckingEcho(connection, report.Ref)))));
            clients.Add((new BusyClient(socket), connection));
        }

        // Every client is sending and reading its echo when the drain starts.
        AwaitCondition(() => clients.TrueForAll(c => c.Client.Received >= 16 * Chunk), TestWaits.Expect);
        Task drain = Io.DrainAsync(deadline);

        await drain.WaitAsync(deadline);
        var results = new Dictionary<IActorRef, Closed>();
        for (int i = 0; i < Clients; i++)
        {
            var closed = report.ExpectMsg<Closed>(TestWaits.Expect);
            results.Add(closed.Connection, closed);
        }

        foreach ((BusyClient client, IActorRef connection) in clients)
        {
            await client.Done.WaitAsync(TestWaits.Expect);
            Closed result = results[connection];
            Assert.IsType<TcpMsg.Closed>(result.Event);
            Assert.True(result.Acked > 0);
            Assert.Equal(result.Acked, client.Received);
        }

        Assert.True(Io.IsDrained);
    }

    [Fact]
    public async Task Listeners_refuse_new_clients_after_the_drain_and_their_bind_commanders_hear_Unbound()
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)), commander);
        EndPoint server = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
        Assert.False(Io.IsDraining);

        await Io.DrainAsync().WaitAsync(TestWaits.Expect);
        commander.ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        Assert.True(Io.IsDraining);
        using Socket late = Loopback.NewClient(AddressFamily.InterNetwork);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(server).WaitAsync(TestWaits.Expect));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

        // A second drain is harmless, and nothing new is opened.
        await Io.DrainAsync().WaitAsync(TestWaits.Expect);
        Assert.Contains("draining", ExpectFailure(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0))).Cause!.Message);
        Assert.Contains("draining", ExpectFailure(new TcpMsg.Connect(server)).Cause!.Message);
        commander.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public async Task A_connection_whose_handler_ignores_Draining_is_closed_at_the_deadline_with_its_writes_delivered(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        Task drain = Io.DrainAsync(TimeSpan.FromMilliseconds(400));

        var draining = ExpectMsg<TcpMsg.Draining>(TestWaits.Expect);
        Assert.Equal(TimeSpan.FromMilliseconds(400), draining.Timeout);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("still here"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.True(DateTimeOffset.UtcNow >= draining.Deadline - TimeSpan.FromMilliseconds(20), "closed before the deadline");

        Assert.Equal("still here", Loopback.ReceiveAscii(client, 10));
        await DrainEnd.AfterPeerClose(client, drain);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task Handlers_that_close_on_Draining_end_a_long_drain_early_and_each_handler_is_told_once()
    {
        EndPoint server = Bind();
        (Socket early, IActorRef registered) = Accept(server);
        (Socket late, IActorRef unregistered) = AcceptUnregistered(server);
        Task drain = Io.DrainAsync(TimeSpan.FromMinutes(1));

        ExpectMsg<TcpMsg.Draining>(TestWaits.Expect);
        Assert.Equal(registered, LastSender);

        // Registered after the selector was told: the Register itself brings the notice.
        AwaitCondition(() => Io.Selector(0).Draining is not null, TestWaits.Expect);
        unregistered.Tell(new TcpMsg.Register(TestActor));
        ExpectMsg<TcpMsg.Draining>(TestWaits.Expect);
        Assert.Equal(unregistered, LastSender);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        foreach ((Socket client, IActorRef connection) in new[] { (early, registered), (late, unregistered) })
        {
            connection.Tell(TcpMsg.Close.Instance);
            ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
            Loopback.AssertEof(client);
            client.Shutdown(SocketShutdown.Send);
        }

        await drain.WaitAsync(TestWaits.Expect);
    }

    [Fact]
    public async Task A_negative_timeout_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Io.DrainAsync(TimeSpan.FromSeconds(-1)));
        Assert.False(Io.IsDraining);
    }

    /// <summary>What an <see cref="AckingEcho"/> reports when its connection ends.</summary>
    private sealed record Closed(IActorRef Connection, long Acked, TcpMsg.ConnectionClosed Event);

    /// <summary>Echoes every read with an ack counting its bytes, and closes when told Draining.</summary>
    private sealed class AckingEcho : ReceiveActor
    {
        private long _acked;

        public AckingEcho(IActorRef connection, IActorRef report)
        {
            Receive<TcpMsg.Received>(r => connection.Tell(TcpMsg.Write.Create(r.Data, new Ack(r.Data.Count))));
            Receive<Ack>(a => _acked += a.Id);
            Receive<TcpMsg.CommandFailed>(_ => { });
            Receive<TcpMsg.Draining>(_ => connection.Tell(TcpMsg.Close.Instance));
            Receive<TcpMsg.ConnectionClosed>(closed =>
            {
                report.Tell(new Closed(connection, _acked, closed));
                Context.Stop(Self);
            });
        }
    }

    /// <summary>
    /// A plain client that sends chunks (at most <see cref="MaxChunks"/>) until it reads the end of the stream, counting
    /// what it reads; then it shuts its side down, which ends the server's linger.
    /// </summary>
    private sealed class BusyClient
    {
        private readonly Socket _socket;
        private long _received;
        private volatile bool _eof;

        public BusyClient(Socket socket)
        {
            _socket = socket;
            Task writer = Task.Run(Write);
            Done = Task.WhenAll(writer, Task.Run(Read));
        }

        public long Received => Interlocked.Read(ref _received);

        public Task Done { get; }

        private void Write()
        {
            byte[] chunk = new byte[Chunk];
            try
            {
                for (int i = 0; i < MaxChunks && !_eof; i++) _socket.Send(chunk);
            }
            catch (SocketException)
            {
                // The read side shut the socket down.
            }
        }

        private void Read()
        {
            byte[] buffer = new byte[16 * 1024];
            int n;
            while ((n = _socket.Receive(buffer)) > 0) Interlocked.Add(ref _received, n);
            _eof = true;
            _socket.Shutdown(SocketShutdown.Send);
        }
    }
}

/// <summary>With <c>on-timeout = abort</c>, the connections still open at the deadline are reset.</summary>
public sealed class DrainAbortTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.coordinated-shutdown.on-timeout = abort")
{
    [Fact]
    public async Task A_connection_still_open_at_the_deadline_is_aborted()
    {
        EndPoint server = Bind();
        (Socket client, _) = Accept(server);
        Task drain = ActorsIo.Get(Sys).DrainAsync(TimeSpan.FromMilliseconds(300));

        ExpectMsg<TcpMsg.Draining>(TestWaits.Expect);
        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        await drain.WaitAsync(TestWaits.Expect);
        var reset = Assert.Throws<SocketException>(() => client.Receive(new byte[1]));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }
}

/// <summary>Akka's CoordinatedShutdown runs the drain in its phases service-unbind, service-requests-done, service-stop.</summary>
public sealed class CoordinatedShutdownDrainTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public async Task Running_CoordinatedShutdown_unbinds_tells_Draining_and_closes_at_the_drain_timeout()
    {
        ActorSystem system = ActorSystem.Create(
            "drained",
            TestConfigs.With("actors-io.coordinated-shutdown.drain-timeout = 300ms\n" + TestConfigs.Quiet));
        try
        {
            (TestProbe commander, TestProbe handler, Socket client) = Serve(system);
            using Socket owned = client;
            Task run = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);
            commander.ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
            Assert.Equal(TimeSpan.FromMilliseconds(300), handler.ExpectMsg<TcpMsg.Draining>(TestWaits.Expect).Timeout);
            handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
            await DrainEnd.AfterPeerClose(client, run);
            Assert.True(ActorsIo.Get(system).IsDrained);
        }
        finally
        {
            Shutdown(system);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_plain_Terminate_drains_only_with_drain_on_terminate(bool drainOnTerminate)
    {
        ActorSystem system = ActorSystem.Create(
            "terminated",
            TestConfigs.With($"actors-io.coordinated-shutdown {{ drain-timeout = 300ms, drain-on-terminate = {(drainOnTerminate ? "on" : "off")} }}\n" + TestConfigs.Quiet));
        (TestProbe commander, TestProbe handler, Socket client) = Serve(system);
        using Socket owned = client;
        Task terminated = system.Terminate();
        if (drainOnTerminate)
        {
            commander.ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
            handler.ExpectMsg<TcpMsg.Draining>(TestWaits.Expect);
        }
        else
        {
            handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }

        await terminated.WaitAsync(TestWaits.Expect);
    }

    [Fact]
    public async Task A_drain_timeout_longer_than_the_phase_timeout_is_cut_to_fit_in_the_phase()
    {
        ActorSystem system = ActorSystem.Create(
            "cut",
            TestConfigs.With(
                "actors-io.coordinated-shutdown.drain-timeout = 10s\n"
                + "akka.coordinated-shutdown.phases.service-requests-done.timeout = 2s\n"
                + TestConfigs.Quiet));
        try
        {
            (_, TestProbe handler, Socket client) = Serve(system);
            using Socket owned = client;
            Task run = CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.UnknownReason.Instance);
            Assert.Equal(TimeSpan.FromMilliseconds(1800), handler.ExpectMsg<TcpMsg.Draining>(TestWaits.Expect).Timeout);
            handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
            await DrainEnd.AfterPeerClose(client, run);
        }
        finally
        {
            Shutdown(system);
        }
    }

    /// <summary>A listener in <paramref name="system"/> and one registered connection to it from a plain client.</summary>
    private (TestProbe Commander, TestProbe Handler, Socket Client) Serve(ActorSystem system)
    {
        TestProbe commander = CreateTestProbe(system);
        TestProbe handler = CreateTestProbe(system);
        system.Io().Tell(new TcpMsg.Bind(handler.Ref, new IPEndPoint(IPAddress.Loopback, 0)), commander);
        EndPoint server = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
        Socket client = Loopback.Connect(server);
        handler.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        handler.LastSender.Tell(new TcpMsg.Register(handler.Ref));
        return (commander, handler, client);
    }
}

/// <summary>What the deadline does to connections that are neither open nor gone.</summary>
public sealed class DrainDeadlineTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public async Task A_ConfirmedClose_still_waiting_for_the_peer_is_closed_at_the_deadline()
    {
        EndPoint server = Bind();
        (Socket client, IActorRef connection) = Accept(server);
        connection.Tell(TcpMsg.ConfirmedClose.Instance);
        Loopback.AssertEof(client);

        // Already closing: its handler is not told Draining, and the deadline ends the wait for the peer's EOF.
        Task drain = ActorsIo.Get(Sys).DrainAsync(TimeSpan.FromMilliseconds(300));
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        await DrainEnd.AfterPeerClose(client, drain);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_connection_that_never_registered_is_closed_at_the_deadline()
    {
        EndPoint server = Bind();
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        Watch(connection);
        Task drain = ActorsIo.Get(Sys).DrainAsync(TimeSpan.FromMilliseconds(300));

        await DrainEnd.AfterPeerClose(client, drain);
        ExpectTerminated(connection, TestWaits.Expect);
    }
}

/// <summary>How a test's drain ends: the peer reads the end of the stream and closes, which ends the server's linger.</summary>
internal static class DrainEnd
{
    public static Task AfterPeerClose(Socket client, Task drain)
    {
        Loopback.AssertEof(client);
        client.Shutdown(SocketShutdown.Send);
        return drain.WaitAsync(TestWaits.Expect);
    }
}
