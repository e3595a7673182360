using System.Net;
using System.Net.Sockets;
using Actors.Io.Buffers;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Leased receive: who owns a buffer when, what giving it back (or not) does, and flow control in leased mode.</summary>
public sealed class LeasedReceiveTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.max-pending-write-bytes = 16 KiB")
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void The_handler_owns_the_bytes_until_it_returns_them(string transport)
    {
        (Socket client, _) = AcceptLeased(Bind(transport));
        client.Send("hello"u8);

        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        Assert.Equal("hello"u8.ToArray(), lease.Data.ToArray());
        Assert.Equal(1, Outstanding());

        lease.Return();

        // An idle connection holds no buffer, and the lease says how it was misused.
        Assert.Equal(0, Outstanding());
        Assert.Contains("after its buffer was given back", Assert.Throws<InvalidOperationException>(() => lease.Data).Message);
        Assert.Contains("after its buffer was given back", Assert.Throws<InvalidOperationException>(lease.Return).Message);
        Assert.Throws<InvalidOperationException>(() => lease.Write());
    }

    [Fact]
    public void Writing_a_lease_sends_its_bytes_and_gives_the_buffer_back_once_written()
    {
        (Socket client, IActorRef connection) = AcceptLeased(Bind("tcp"));
        byte[] message = Pattern(1500);
        client.Send(message);
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        Assert.Equal(message.Length, lease.Count);

        connection.Tell(lease.Write(new Ack(1)));

        ExpectMsg(new Ack(1), TestWaits.Expect);
        AssertSameBytes(message, ReadExactly(client, message.Length));
        AwaitTrue(() => Outstanding() == 0, "the written lease is back in its pool");
        Assert.Throws<InvalidOperationException>(() => lease.Data);
    }

    [Fact]
    public void A_lease_written_on_another_connection_is_given_back_by_that_one()
    {
        EndPoint server = Bind("tcp");
        (Socket from, _) = AcceptLeased(server);
        (Socket to, IActorRef target) = AcceptLeased(server);
        from.Send("relay"u8);

        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        target.Tell(lease.Write(new Ack(2)));

        ExpectMsg(new Ack(2), TestWaits.Expect);
        Assert.Equal("relay"u8.ToArray(), ReadExactly(to, 5));
        AwaitTrue(() => Outstanding() == 0, "the relayed lease is back in its pool");
    }

    [Fact]
    public void A_write_of_a_lease_given_back_before_it_arrived_is_refused_naming_the_misuse()
    {
        (Socket client, IActorRef connection) = AcceptLeased(Bind("tcp"));
        client.Send("late"u8);
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);

        TcpMsg.LeasedWrite write = lease.Write(new Ack(3));
        lease.Return();
        connection.Tell(write);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(write, failed.Cmd);
        Assert.Contains("after its buffer was given back", failed.Cause!.Message);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_write_refused_by_a_closing_connection_leaves_the_lease_with_the_handler()
    {
        (Socket client, IActorRef connection) = AcceptLeased(Bind("tcp"));
        client.Send("bye"u8);
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);

        connection.Tell(TcpMsg.ConfirmedClose.Instance);
        TcpMsg.LeasedWrite write = lease.Write();
        connection.Tell(write);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(write, failed.Cmd);
        Assert.Equal("bye"u8.ToArray(), lease.Data.ToArray());
        lease.Return();
        Assert.Equal(0, Outstanding());
    }

    [Fact]
    public void Pull_mode_lends_one_buffer_per_ResumeReading()
    {
        (IActorRef connection, Socket peer) = ConnectOutgoing(pullMode: true, receiveMode: TcpMsg.ReceiveMode.Leased);
        peer.Send(Pattern(1000));
        AwaitDelivered(peer);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        connection.Tell(TcpMsg.ResumeReading.Instance);

        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        AssertSameBytes(Pattern(1000), lease.Data.Span);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        lease.Return();
    }

    [Fact]
    public void Leases_never_given_back_are_left_to_the_collector()
    {
        (Socket client, _) = AcceptLeased(Bind("tcp"));
        var forgotten = new List<WeakReference>();
        for (int i = 0; i < 20; i++)
        {
            client.Send(Pattern(100, seed: i));
            var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
            AssertSameBytes(Pattern(100, seed: i), lease.Data.Span);
            forgotten.Add(new WeakReference(lease));
        }

        // Nothing refers to them but the test: the pool keeps no list of what it lent.
        Assert.Equal(20, Outstanding());
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        // The last one is still the test kit's last message.
        Assert.All(forgotten.Take(19), weak => Assert.False(weak.IsAlive));
    }

    [Fact]
    public async Task A_slow_reader_is_nacked_and_resumed_with_every_byte_echoed_in_order()
    {
        const int Total = 2 << 20;
        var stats = new NackCounter();
        // Small kernel buffers on both sides, so the echo backs up into the connection's queue.
        EndPoint server = Bind(options: [new TcpMsg.SO.SendBufferSize(4096)]);
        Socket client = NewClient(receiveBufferSize: 4096);
        client.Connect(server);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        IActorRef handler = Sys.ActorOf(Props.Create(() => new ResendingLeasedEcho(connection, stats)));
        connection.Tell(new TcpMsg.Register(handler, receiveMode: TcpMsg.ReceiveMode.Leased));

        // Send everything before reading anything: the echo backs up, so writes are NACKed and resumed.
        byte[] data = Pattern(Total);
        Task sending = Task.Run(() => client.Send(data));
        AwaitTrue(() => stats.Nacks > 0, "a write is NACKed while the client does not read");
        AssertSameBytes(data, ReadExactly(client, Total));
        await sending.WaitAsync(TestWaits.Expect);
        AwaitTrue(() => Outstanding() == 0, "every lease is back in its pool");
    }

    [Fact]
    public void An_abort_gives_back_the_leases_still_queued()
    {
        // Small kernel buffers on both sides, so the echo backs up into the connection's queue.
        EndPoint server = Bind(options: [new TcpMsg.SO.SendBufferSize(4096)]);
        Socket client = NewClient(receiveBufferSize: 4096);
        client.Connect(server);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        IActorRef handler = Sys.ActorOf(Props.Create(() => new AbortingEcho(connection)));
        Watch(handler);
        connection.Tell(new TcpMsg.Register(handler, receiveMode: TcpMsg.ReceiveMode.Leased));

        // The client never reads: the echo fills the connection's queue up to the NACK, and the handler aborts.
        _ = Task.Run(() => client.Send(Pattern(1 << 20)));
        ExpectTerminated(handler, TimeSpan.FromSeconds(10));

        AwaitTrue(() => Outstanding() == 0, "the queued and the NACKed leases are back in their pool");
    }

    private (Socket Client, IActorRef Connection) AcceptLeased(EndPoint server)
    {
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        client.ReceiveTimeout = TestWaits.ExpectMilliseconds;
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        return (client, connection);
    }

    private long Outstanding()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        long total = 0;
        for (int i = 0; i < io.Pool.Count; i++) total += io.Pool[i].ReceiveBuffers.Outstanding;
        return total;
    }

}

/// <summary>
/// Echoes leases until the first NACK, then aborts its connection: the leases queued in the connection go back with the
/// abort, and the handler gives back the refused one and any that reach it before <c>Aborted</c>.
/// </summary>
internal sealed class AbortingEcho : ReceiveActor
{
    public AbortingEcho(IActorRef connection)
    {
        bool aborting = false;
        Receive<TcpMsg.LeasedReceived>(lease =>
        {
            if (aborting) lease.Return();
            else connection.Tell(lease.Write());
        });
        Receive<TcpMsg.CommandFailed>(failed =>
        {
            ((TcpMsg.LeasedWrite)failed.Cmd).Lease.Return();
            if (aborting) return;
            aborting = true;
            connection.Tell(TcpMsg.Abort.Instance);
        });
        Receive<TcpMsg.ConnectionClosed>(_ => Context.Stop(Self));
    }
}

/// <summary>The debug option: a given-back buffer is poisoned and its lease object is never lent again.</summary>
public sealed class LeasedReceiveDebugTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.leased-receive.debug-checks = on")
{
    [Fact]
    public void A_use_after_give_back_throws_and_the_bytes_are_overwritten()
    {
        EndPoint server = Bind("tcp");
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        client.Send("first"u8);
        var first = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        ReadOnlyMemory<byte> kept = first.Data;
        first.Return();

        Assert.All(kept.ToArray(), b => Assert.Equal(0xDB, b));
        client.Send("second"u8);
        var second = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);

        // Even with the same buffer lent again, the old lease stays given back.
        Assert.NotSame(first, second);
        Assert.Equal("second"u8.ToArray(), second.Data.ToArray());
        Assert.Throws<InvalidOperationException>(() => first.Data);
        Assert.Throws<InvalidOperationException>(first.Return);
        second.Return();
    }
}

/// <summary>The pool keeps at most its configured size, however many connections came and went.</summary>
[Collection(ConnectionLoadCollection.Name)]
public sealed class LeasedReceivePoolTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.leased-receive.pool-size = 64 KiB")
{
    private const int Connections = 10_000;
    private const int Concurrent = 250;

    [Fact]
    public async Task The_pool_stays_within_its_size_after_a_burst_of_ten_thousand_connections()
    {
        IActorRef acceptor = Sys.ActorOf(Props.Create(() => new LeasedEchoAcceptor()));
        IPEndPoint server = Bind(acceptor);

        for (int wave = 0; wave < Connections / Concurrent; wave++)
        {
            await Task.WhenAll(Enumerable.Range(0, Concurrent).Select(i => EchoOnce(server, (wave * Concurrent) + i)))
                .WaitAsync(TimeSpan.FromSeconds(30));
        }

        ActorsIo io = ActorsIo.Get(Sys);
        AwaitTrue(() => Enumerable.Range(0, io.Pool.Count).Sum(i => io.Pool[i].ReceiveBuffers.Outstanding) == 0, "every lease is given back");
        for (int i = 0; i < io.Pool.Count; i++)
        {
            ReceiveBufferPool pool = io.Pool[i].ReceiveBuffers;
            Assert.InRange(pool.RetainedBytes, 0, 64 << 10);
        }
    }

    private static async Task EchoOnce(IPEndPoint server, int seed)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server);
        byte[] message = Pattern(100 + (seed % 3000), seed: seed);
        await socket.SendAsync(message);
        var echo = new byte[message.Length];
        int got = 0;
        while (got < echo.Length)
        {
            int n = await socket.ReceiveAsync(echo.AsMemory(got));
            if (n == 0) throw new EndOfStreamException($"connection {seed}: EOF after {got} bytes");
            got += n;
        }

        AssertSameBytes(message, echo);

        // A reset, not a FIN: ten thousand client ports left in TIME_WAIT would starve the tests that follow.
        socket.LingerState = new LingerOption(true, 0);
    }

    private sealed class LeasedEchoAcceptor : ReceiveActor
    {
        public LeasedEchoAcceptor()
        {
            Receive<TcpMsg.Connected>(_ =>
            {
                IActorRef connection = Sender;
                IActorRef handler = Context.ActorOf(Props.Create(() => new LeasedEcho(connection)));
                connection.Tell(new TcpMsg.Register(handler, receiveMode: TcpMsg.ReceiveMode.Leased));
            });
        }
    }

    private sealed class LeasedEcho : ReceiveActor
    {
        public LeasedEcho(IActorRef connection)
        {
            Receive<TcpMsg.LeasedReceived>(lease => connection.Tell(lease.Write()));
            Receive<TcpMsg.ConnectionClosed>(_ => Context.Stop(Self));
        }
    }
}
