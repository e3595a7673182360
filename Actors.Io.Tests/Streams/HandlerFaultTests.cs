using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// A handler that throws (under a supervisor that stops it) or is stopped: its connection is reset, the failure is logged
/// and counted (cause <c>HandlerTerminated</c>), and other connections go on.
/// </summary>
// Its own system name: the meter's "system" tag tells this system's failures from those of tests running alongside.
public sealed class HandlerFaultTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), "handler-fault-" + Guid.NewGuid().ToString("N"))
{
    private const string AbortWarning = "stopped while the connection was open";
    private const string Failures = "actors-io.connections.failures";

    [Fact]
    public void A_failing_handler_resets_only_its_own_connection_and_is_reported()
    {
        using var meter = new MeterRecorder(Sys.Name);
        Sys.ActorOf(Props.Create(() => new Server(TestActor)));
        var target = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        using Socket healthy = Connect(target);
        using Socket faulty = Connect(target);
        ExpectMsg("registered");
        ExpectMsg("registered");

        EventFilter.Warning(contains: AbortWarning).ExpectOne(() =>
            EventFilter.Exception<InvalidOperationException>(contains: "boom").ExpectOne(() => faulty.Send("boom"u8)));

        AssertReset(faulty);
        AwaitAssert(() => Assert.Equal(1, meter.Counted(Failures, TcpConnection.HandlerTerminatedCause)), TestWaits.Expect);
        AssertEchoes(healthy, "hello");
    }

    [Fact]
    public void A_stopped_handler_resets_only_its_own_connection_and_is_reported()
    {
        using var meter = new MeterRecorder(Sys.Name);
        Sys.ActorOf(Props.Create(() => new Server(TestActor)));
        var target = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        using Socket healthy = Connect(target);
        using Socket stopping = Connect(target);
        ExpectMsg("registered");
        ExpectMsg("registered");
        AssertEchoes(healthy, "before");
        AssertEchoes(stopping, "before");

        // Context.Stop, no exception: the connection is reset all the same.
        EventFilter.Warning(contains: AbortWarning).ExpectOne(() => stopping.Send("stop"u8));

        AssertReset(stopping);
        AwaitAssert(() => Assert.Equal(1, meter.Counted(Failures, TcpConnection.HandlerTerminatedCause)), TestWaits.Expect);
        for (int i = 0; i < 3; i++) AssertEchoes(healthy, $"after {i}");
        Assert.Equal(1, meter.Total(Failures));
    }

    [Fact]
    public void Connections_sharing_a_handler_are_all_aborted_when_it_stops_even_after_some_of_them_closed()
    {
        // The selector holds one watch for the shared handler; connections that close leave its list, the rest hear.
        TestProbe sharedHandler = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var target = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        var clients = new List<Socket>();
        var connections = new List<IActorRef>();
        for (int i = 0; i < 5; i++)
        {
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
            client.Connect(target);
            clients.Add(client);
            ExpectMsg<TcpMsg.Connected>();
            connections.Add(LastSender);
            LastSender.Tell(new TcpMsg.Register(sharedHandler.Ref));
        }

        try
        {
            // The first, the middle and the last to register leave the handler's list (by Close and by the peer).
            foreach (int i in new[] { 0, 2 })
            {
                connections[i].Tell(TcpMsg.Close.Instance, sharedHandler.Ref);
                sharedHandler.ExpectMsg<TcpMsg.Closed>();
            }

            clients[4].Close();
            sharedHandler.ExpectMsg<TcpMsg.PeerClosed>();
            foreach (IActorRef connection in connections) Watch(connection);
            Sys.Stop(sharedHandler.Ref);
            var ended = new HashSet<IActorRef>();
            for (int i = 0; i < connections.Count; i++) ended.Add(ExpectMsg<Terminated>().ActorRef);
            Assert.Equal(connections.ToHashSet(), ended);
            foreach (int i in new[] { 1, 3 }) AssertReset(clients[i]);
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
    }

    private static Socket Connect(IPEndPoint target)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        socket.Connect(target);
        return socket;
    }

    /// <summary>The peer of an aborted connection sees a reset, not an orderly end of stream.</summary>
    private static void AssertReset(Socket client)
    {
        SocketException e = Assert.Throws<SocketException>(() => client.Receive(new byte[16]));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
    }

    private static void AssertEchoes(Socket client, string text)
    {
        client.Send(Encoding.ASCII.GetBytes(text));
        var buffer = new byte[64];
        int got = 0;
        while (got < text.Length)
        {
            int n = client.Receive(buffer, got, buffer.Length - got, SocketFlags.None);
            Assert.True(n > 0, "the healthy connection closed");
            got += n;
        }

        Assert.Equal(text, Encoding.ASCII.GetString(buffer, 0, got));
    }

    private sealed class Server : ReceiveActor
    {
        public Server(IActorRef probe)
        {
            Context.System.Io().Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0)));
            Receive<TcpMsg.Bound>(bound => probe.Tell(bound));
            Receive<TcpMsg.Connected>(_ =>
            {
                IActorRef connection = Sender;
                IActorRef handler = Context.ActorOf(Props.Create(() => new Handler(connection)));
                connection.Tell(new TcpMsg.Register(handler));
                probe.Tell("registered");
            });
        }

        protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(Decider.From(Directive.Stop));
    }

    private sealed class Handler : ReceiveActor
    {
        public Handler(IActorRef connection) =>
            Receive<TcpMsg.Received>(received =>
            {
                if (received.Data.ToString() == "boom") throw new InvalidOperationException("boom");
                if (received.Data.ToString() == "stop")
                {
                    Context.Stop(Self);
                    return;
                }

                connection.Tell(TcpMsg.Write.Create(received.Data));
            });
    }
}
