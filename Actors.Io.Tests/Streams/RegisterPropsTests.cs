using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// <c>Register(Props)</c> (issue #20): the connection starts its handler as its child on its own event loop, the handler
/// reads every event up to the final one, then stops, and the connection stops after it.
/// </summary>
public sealed class RegisterPropsTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void The_handler_runs_on_the_connections_loop_as_its_child_and_echoes(string transport)
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind(transport));
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));

        Started started = probe.ExpectMsg<Started>(TestWaits.Expect);
        Assert.Contains(started.DispatcherId, ActorsIo.Get(Sys).LoopDispatcherIds);
        Assert.Equal(connection, started.Parent);
        Assert.Equal(CompactMailbox.ConfigPath, started.Mailbox);

        client.Send("hello"u8);
        Assert.Equal("hello", Loopback.ReceiveAscii(client, 5));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void The_handler_reads_the_final_event_then_stops_and_the_connection_after_it(string transport)
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind(transport));
        Watch(connection);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref), keepOpenOnPeerClosed: true));
        IActorRef handler = probe.ExpectMsg<Started>(TestWaits.Expect).Self;
        Watch(handler);

        // Kept open after the peer's EOF, the reporter answers PeerClosed with Close: it hears Closed before it is stopped.
        client.Shutdown(SocketShutdown.Send);
        probe.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        probe.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        probe.ExpectMsg<Stopped>(TestWaits.Expect);
        Assert.Equal(handler, ExpectMsg<Terminated>(TestWaits.Expect).ActorRef);
        Assert.Equal(connection, ExpectMsg<Terminated>(TestWaits.Expect).ActorRef);
        AssertEof(client);
    }

    [Fact]
    public void A_reset_reaches_the_handler_as_ErrorClosed_before_it_stops()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        Watch(connection);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        probe.ExpectMsg<Started>(TestWaits.Expect);

        client.LingerState = new LingerOption(true, 0);
        client.Close();
        probe.ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        probe.ExpectMsg<Stopped>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Fact]
    public void A_handler_that_stops_itself_on_the_final_event_ends_the_connection_as_well()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        Watch(connection);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref, stopOnClosed: true)));
        probe.ExpectMsg<Started>(TestWaits.Expect);

        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        probe.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        probe.ExpectMsg<Stopped>(TestWaits.Expect);
        client.Shutdown(SocketShutdown.Send);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Fact]
    public void Props_that_name_a_dispatcher_keep_it()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref).WithDispatcher("akka.actor.default-dispatcher")));

        Started started = probe.ExpectMsg<Started>(TestWaits.Expect);
        Assert.Equal("akka.actor.default-dispatcher", started.DispatcherId);
        Assert.Equal(connection, started.Parent);
        client.Send("off the loop"u8);
        Assert.Equal("off the loop", Loopback.ReceiveAscii(client, 12));
    }

    [Fact]
    public void A_handler_that_cannot_be_started_is_answered_with_CommandFailed_and_the_connection_still_waits()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        var bad = new TcpMsg.Register(Reporter.Props(probe.Ref).WithDispatcher("no-such-dispatcher"));
        connection.Tell(bad);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(bad, failed.Cmd);
        Assert.Contains("could not start its handler", failed.Cause!.Message, StringComparison.Ordinal);
        Assert.Contains("no-such-dispatcher", failed.Cause.ToString(), StringComparison.Ordinal);

        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        probe.ExpectMsg<Started>(TestWaits.Expect);
        client.Send("second try"u8);
        Assert.Equal("second try", Loopback.ReceiveAscii(client, 10));
    }

    [Fact]
    public void A_handler_that_throws_is_restarted_and_the_connection_goes_on()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        probe.ExpectMsg<Started>(TestWaits.Expect);

        EventFilter.Exception<InvalidOperationException>(contains: "boom").ExpectOne(() => client.Send("boom"u8));
        probe.ExpectMsg<Restarting>(TestWaits.Expect);
        probe.ExpectMsg<Started>(TestWaits.Expect);
        client.Send("still here"u8);
        Assert.Equal("still here", Loopback.ReceiveAscii(client, 10));
    }

    [Fact]
    public void A_handler_whose_constructor_throws_aborts_its_connection()
    {
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        Watch(connection);
        EventFilter.Exception<ActorInitializationException>().ExpectOne(() =>
            connection.Tell(new TcpMsg.Register(Props.Create(() => new Unbuildable()))));

        ExpectTerminated(connection, TestWaits.Expect);
        AssertResetOrEof(client);
    }

    [Fact]
    public void Without_keep_open_the_peers_close_is_the_final_event()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        Watch(connection);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        probe.ExpectMsg<Started>(TestWaits.Expect);

        client.Shutdown(SocketShutdown.Send);
        probe.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        probe.ExpectMsg<Stopped>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertEof(client);
    }

    [Fact]
    public void A_second_Register_starts_no_second_handler()
    {
        TestProbe probe = CreateTestProbe();
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        probe.ExpectMsg<Started>(TestWaits.Expect);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref)));
        client.Send("once"u8);
        Assert.Equal("once", Loopback.ReceiveAscii(client, 4));
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_outgoing_connection_starts_its_handler_the_same_way()
    {
        TestProbe probe = CreateTestProbe();
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Sys.Io().Tell(new TcpMsg.Connect(listener.LocalEndPoint!));
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        Watch(connection);
        connection.Tell(new TcpMsg.Register(Reporter.Props(probe.Ref), keepOpenOnPeerClosed: true));
        using Socket peer = listener.Accept();
        peer.ReceiveTimeout = TestWaits.ExpectMilliseconds;

        Assert.Equal(connection, probe.ExpectMsg<Started>(TestWaits.Expect).Parent);
        peer.Send("ping"u8);
        Assert.Equal("ping", Loopback.ReceiveAscii(peer, 4));
        peer.Shutdown(SocketShutdown.Send);
        probe.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        probe.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        probe.ExpectMsg<Stopped>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Fact]
    public void The_TcpMessage_factory_takes_props_too()
    {
        var register = (TcpMsg.Register)TcpMessage.Register(Props.Create(() => new Unbuildable()), keepOpenOnPeerClosed: true);
        Assert.NotNull(register.HandlerProps);
        Assert.True(register.Handler.IsNobody());
        Assert.True(register.KeepOpenOnPeerClosed);
        Assert.Throws<ArgumentNullException>(() => new TcpMsg.Register((Props)null!));
    }

    private sealed record Started(string DispatcherId, IActorRef Parent, IActorRef Self, string Mailbox);

    private sealed class Stopped
    {
        public static readonly Stopped Instance = new();
    }

    private sealed class Restarting
    {
        public static readonly Restarting Instance = new();
    }

    /// <summary>Echoes, reports its life and each event but Received to the probe; answers PeerClosed with Close.</summary>
    private sealed class Reporter(IActorRef probe, bool stopOnClosed) : UntypedActor
    {
        public static Props Props(IActorRef probe, bool stopOnClosed = false) => Akka.Actor.Props.Create(() => new Reporter(probe, stopOnClosed));

        protected override void PreStart() => probe.Tell(new Started(Context.Props.Dispatcher, Context.Parent, Self, Context.Props.Mailbox));

        protected override void PreRestart(Exception reason, object message) => probe.Tell(Restarting.Instance);

        protected override void PostStop() => probe.Tell(Stopped.Instance);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case TcpMsg.Received received when received.Data.ToString() == "boom":
                    throw new InvalidOperationException("boom");
                case TcpMsg.Received received:
                    Sender.Tell(TcpMsg.Write.Create(received.Data));
                    break;
                case TcpMsg.PeerClosed:
                    probe.Tell(message);
                    Sender.Tell(TcpMsg.Close.Instance);
                    break;
                case TcpMsg.ConnectionClosed:
                    probe.Tell(message);
                    if (stopOnClosed) Context.Stop(Self);
                    break;
            }
        }
    }

    private sealed class Unbuildable : UntypedActor
    {
        public Unbuildable() => throw new InvalidOperationException("no handler today");

        protected override void OnReceive(object message)
        {
        }
    }
}
