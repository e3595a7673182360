using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tcp.Connection;

/// <summary>A handler that throws (under a supervisor that stops it) or is stopped: its connection is aborted, others go on.</summary>
public sealed class HandlerFaultTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Fact]
    public void A_failing_handler_aborts_only_its_own_connection()
    {
        IActorRef server = Sys.ActorOf(Props.Create(() => new Server(TestActor)));
        var target = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;

        using var healthy = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
        healthy.Connect(target);
        using var faulty = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
        faulty.Connect(target);
        ExpectMsg("registered");
        ExpectMsg("registered");

        EventFilter.Exception<InvalidOperationException>(contains: "boom").ExpectOne(() => faulty.Send("boom"u8));
        var buffer = new byte[16];
        try
        {
            Assert.Equal(0, faulty.Receive(buffer));
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }

        healthy.Send("hello"u8);
        int n = healthy.Receive(buffer);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        Sys.Stop(server);
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
            var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 5000 };
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
            foreach (int i in new[] { 1, 3 })
            {
                try
                {
                    Assert.Equal(0, clients[i].Receive(new byte[16]));
                }
                catch (SocketException e)
                {
                    Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
                }
            }
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
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
                connection.Tell(TcpMsg.Write.Create(received.Data));
            });
    }
}
