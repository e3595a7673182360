using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Idle timeouts given at Register (issue #17): the handler is told which side went idle, once per idle period, or the
/// connection closes itself as Close would; activity starts a new period; the selector's sweep runs only while a
/// connection has a timeout. Timeouts here are a few hundred milliseconds: the sweep's resolution is at least 100 ms.
/// </summary>
public sealed class IdleTimeoutTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    // Traffic every 100 ms or so for longer than a timeout that a stalled test thread on a busy machine does not reach.
    private static readonly TimeSpan Paced = TimeSpan.FromMilliseconds(1500);
    private const int PacedTurns = 20;

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Reader_idle_is_told_once_per_period_and_never_early(string transport)
    {
        long registered = Stopwatch.GetTimestamp();
        (Socket client, _) = AcceptWith(transport, new TcpMsg.IdleTimeout(reader: Short));

        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.True(Stopwatch.GetElapsedTime(registered) >= Short, $"told after {Stopwatch.GetElapsedTime(registered)}");

        // Once per period: nothing more while the peer stays silent.
        ExpectNoMsg(Short * 3);

        // Bytes from the peer end the period; the next one starts from them.
        client.Send("ping"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        long sent = Stopwatch.GetTimestamp();
        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.True(Stopwatch.GetElapsedTime(sent) >= Short - TimeSpan.FromMilliseconds(50), $"told {Stopwatch.GetElapsedTime(sent)} after the last read");
    }

    [Fact]
    public void Writer_idle_is_told_while_the_peer_sends_and_writing_starts_a_new_period()
    {
        (Socket client, IActorRef connection) = AcceptWith("tcp", new TcpMsg.IdleTimeout(writer: Short));
        client.Send("hello"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Assert.Same(TcpMsg.Idle.Writer, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        ExpectNoMsg(Short * 2);

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("hi")));
        Assert.Equal("hi", Loopback.ReceiveAscii(client, 2));
        Assert.Same(TcpMsg.Idle.Writer, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public void Both_idle_is_not_told_while_either_side_is_active()
    {
        (Socket client, IActorRef connection) = AcceptWith("tcp", new TcpMsg.IdleTimeout(both: Paced));

        // Only writing, every 100 ms or so, for longer than the timeout: the connection is not idle on both sides.
        long last = Stopwatch.GetTimestamp();
        for (int i = 0; i < PacedTurns; i++)
        {
            connection.Tell(TcpMsg.Write.Create(ByteString.FromString("w")));
            Assert.Equal("w", Loopback.ReceiveAscii(client, 1));
            last = Stopwatch.GetTimestamp();
            ExpectNoIdleUnlessHeldUp(last, Paced);
        }

        Assert.Same(TcpMsg.Idle.Both, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public void No_reader_idle_while_the_peer_keeps_sending()
    {
        (Socket client, _) = AcceptWith("tcp", new TcpMsg.IdleTimeout(reader: Paced));
        long last = Stopwatch.GetTimestamp();
        for (int i = 0; i < PacedTurns; i++)
        {
            client.Send("r"u8);
            object answer = ReceiveOne(TestWaits.Expect)!;
            if (answer is TcpMsg.Idle)
            {
                // The notice overtook the read: the test thread was held up past the timeout since its last send.
                AssertHeldUp(last, Paced);
                answer = ReceiveOne(TestWaits.Expect)!;
            }

            Assert.IsType<TcpMsg.Received>(answer);
            last = Stopwatch.GetTimestamp();
            ExpectNoIdleUnlessHeldUp(last, Paced);
        }

        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public void Each_side_is_told_separately()
    {
        AcceptWith("tcp", new TcpMsg.IdleTimeout(reader: Short, writer: Short, both: Short));
        var sides = new HashSet<TcpMsg.IdleSide>();
        for (int i = 0; i < 3; i++) sides.Add(ExpectMsg<TcpMsg.Idle>(TestWaits.Expect).Side);
        Assert.Equal([TcpMsg.IdleSide.Reader, TcpMsg.IdleSide.Writer, TcpMsg.IdleSide.Both], sides.Order());
        ExpectNoMsg(Short * 2);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Close_on_idle_sends_the_queued_answer_then_the_end_of_stream_and_tells_the_handler_why(string transport)
    {
        (Socket client, IActorRef connection) = AcceptWith(transport, new TcpMsg.IdleTimeout(reader: Short, action: TcpMsg.IdleAction.Close));
        Watch(connection);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("welcome")));
        Assert.Equal("welcome", Loopback.ReceiveAscii(client, 7));

        var closed = ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect);
        Assert.Equal(TcpMsg.IdleSide.Reader, closed.Side);
        Assert.Equal(Short, closed.Timeout);
        Assert.False(closed.IsErrorClosed);
        AssertEof(client);

        // A normal close: the peer's close ends it, and nothing else reaches the handler.
        client.Shutdown(SocketShutdown.Send);
        ExpectTerminated(connection, TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Activity_postpones_the_close()
    {
        TimeSpan timeout = Paced;
        (Socket client, _) = AcceptWith("tcp", new TcpMsg.IdleTimeout(reader: timeout, action: TcpMsg.IdleAction.Close));
        long last = Stopwatch.GetTimestamp();
        bool closed = false;
        for (int i = 0; i < PacedTurns && !closed; i++)
        {
            // A test thread held up longer than the timeout (a loaded machine) is idle for real: then the close may come
            // before the echo of this send or after it, but never sooner than the timeout after the last read.
            client.Send("k"u8);
            object answer = ReceiveOne(TestWaits.Expect)!;
            if (answer is TcpMsg.IdleClosed)
            {
                closed = true;
                break;
            }

            Assert.IsType<TcpMsg.Received>(answer);
            last = Stopwatch.GetTimestamp();
            closed = ReceiveOne(TimeSpan.FromMilliseconds(100)) is TcpMsg.IdleClosed;
        }

        if (!closed) ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect);
        Assert.True(Stopwatch.GetElapsedTime(last) >= timeout - TimeSpan.FromMilliseconds(50), $"closed {Stopwatch.GetElapsedTime(last)} after the last read");
        AssertEof(client);
    }

    [Fact]
    public void An_outgoing_connection_takes_an_idle_timeout_too()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Sys.Io().Tell(new TcpMsg.Connect(listener.LocalEndPoint!));
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        LastSender.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(both: Short, action: TcpMsg.IdleAction.Close)));
        using Socket peer = listener.Accept();
        peer.ReceiveTimeout = TestWaits.ExpectMilliseconds;

        Assert.Equal(TcpMsg.IdleSide.Both, ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect).Side);
        Assert.Equal(0, peer.Receive(new byte[1]));
    }

    [Fact]
    public void The_sweep_runs_only_while_a_connection_has_a_timeout()
    {
        IdleSweep sweep = ActorsIo.Get(Sys).Selector(0).IdleSweep;
        EndPoint server = Bind("tcp");
        (Socket plain, IActorRef plainConnection) = Accept(server);
        plain.Send("x"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        ExpectNoMsg(Short);
        Assert.Equal(0, sweep.Sweeps);
        Assert.Equal(0, sweep.Count);

        (Socket timed, IActorRef timedConnection) = AcceptUnregistered(server);
        timedConnection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: TimeSpan.FromMinutes(1))));
        AwaitTrue(() => sweep.Sweeps > 0, "the sweep runs");
        Assert.Equal(1, sweep.Count);

        // Its connection gone, the sweep drops it and stops.
        Watch(timedConnection);
        timed.Close();
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        ExpectTerminated(timedConnection, TestWaits.Expect);
        AwaitTrue(() => sweep.Count == 0, "the sweep drops the closed connection");
        long sweeps = sweep.Sweeps;
        ExpectNoMsg(TimeSpan.FromMilliseconds(1500));
        Assert.Equal(sweeps, sweep.Sweeps);
        Assert.False(plainConnection.IsNobody());
    }

    [Fact]
    public void A_shorter_timeout_joining_is_swept_at_its_resolution_and_the_sweep_stays_one_chain()
    {
        IdleSweep sweep = ActorsIo.Get(Sys).Selector(0).IdleSweep;
        EndPoint server = Bind("tcp");
        (_, IActorRef longConnection) = AcceptUnregistered(server);
        longConnection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: TimeSpan.FromMinutes(1))));
        AwaitTrue(() => sweep.Count == 1, "the first entry is swept");

        // Its sweep runs every second; the 300 ms timeout needs one every 100 ms from now on.
        (Socket shortClient, IActorRef shortConnection) = AcceptUnregistered(server);
        long registered = Stopwatch.GetTimestamp();
        shortConnection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: Short)));
        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.True(Stopwatch.GetElapsedTime(registered) >= Short, "told early");

        // Gone again, the sweep goes back to once a second: one chain, not one per timer ever scheduled.
        Watch(shortConnection);
        shortClient.Close();
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        ExpectTerminated(shortConnection, TestWaits.Expect);
        AwaitTrue(() => sweep.Count == 1, "the closed entry is dropped");
        long before = sweep.Sweeps;
        ExpectNoMsg(TimeSpan.FromSeconds(3));
        Assert.InRange(sweep.Sweeps - before, 1, 5);
    }

    [Theory]
    [InlineData(-1, 0, 0, "reader")]
    [InlineData(0, -1, 0, "writer")]
    [InlineData(0, 0, -1, "both")]
    public void A_negative_timeout_is_refused_naming_the_parameter(int reader, int writer, int both, string parameter)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TcpMsg.Register(
            TestActor,
            idleTimeout: new TcpMsg.IdleTimeout(TimeSpan.FromSeconds(reader), TimeSpan.FromSeconds(writer), TimeSpan.FromSeconds(both))));
        Assert.Equal(parameter, e.ParamName);
        Assert.Contains("365 days", e.Message);
    }

    [Fact]
    public void A_timeout_over_a_year_or_an_unknown_action_is_refused()
    {
        Assert.Equal("reader", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpMsg.IdleTimeout(reader: TimeSpan.FromDays(366))).ParamName);
        Assert.Equal("action", Assert.Throws<ArgumentOutOfRangeException>(() => new TcpMsg.IdleTimeout(reader: Short, action: (TcpMsg.IdleAction)7)).ParamName);
        Assert.True(TcpMsg.IdleTimeout.Off.IsOff);
        Assert.True(new TcpMsg.IdleTimeout().IsOff);
    }

    /// <summary>
    /// No idle notice for 100 ms, unless the test thread itself was held up (a loaded machine) until the connection was
    /// idle for real: then a notice may come, but never sooner than <paramref name="timeout"/> after the last activity.
    /// </summary>
    private void ExpectNoIdleUnlessHeldUp(long lastActivity, TimeSpan timeout)
    {
        if (ReceiveOne(TimeSpan.FromMilliseconds(100)) is { } unexpected)
        {
            Assert.IsType<TcpMsg.Idle>(unexpected);
            AssertHeldUp(lastActivity, timeout);
        }
    }

    private static void AssertHeldUp(long lastActivity, TimeSpan timeout) =>
        Assert.True(
            Stopwatch.GetElapsedTime(lastActivity) >= timeout - TimeSpan.FromMilliseconds(50),
            $"told idle {Stopwatch.GetElapsedTime(lastActivity)} after the last activity, before its {timeout} timeout");

    private (Socket Client, IActorRef Connection) AcceptWith(string transport, TcpMsg.IdleTimeout idleTimeout)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        connection.Tell(new TcpMsg.Register(TestActor, idleTimeout: idleTimeout));
        return (client, connection);
    }
}

/// <summary><c>actors-io.tcp.idle-timeout</c> applies to every connection registered without a timeout of its own.</summary>
public sealed class ConfiguredIdleTimeoutTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.idle-timeout { reader = 300ms, action = close }")
{
    [Fact]
    public void A_connection_registered_without_a_timeout_takes_the_configured_one()
    {
        EndPoint server = Bind("tcp");
        (Socket client, _) = Accept(server);
        var closed = ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect);
        Assert.Equal(TimeSpan.FromMilliseconds(300), closed.Timeout);
        AssertEof(client);
    }

    [Fact]
    public void Register_with_Off_turns_the_configured_timeout_off()
    {
        EndPoint server = Bind("tcp");
        (_, IActorRef connection) = AcceptUnregistered(server);
        connection.Tell(new TcpMsg.Register(TestActor, idleTimeout: TcpMsg.IdleTimeout.Off));
        ExpectNoMsg(TimeSpan.FromMilliseconds(1000));
        Assert.Equal(0, ActorsIo.Get(Sys).Selector(0).IdleSweep.Count);
    }
}
