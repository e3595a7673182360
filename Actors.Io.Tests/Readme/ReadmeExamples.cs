// The README's examples, verbatim: ReadmeExamplesTests checks that README.md shows exactly this code and runs it.
// Their own namespace, as in a user's project (Actors.Io.Tests.Tcp would shadow Actors.Io.Tcp here).
using System.Net;
using System.Net.Sockets;
using Actors.Io;
using Actors.Io.TestKit;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using ByteString = Akka.IO.ByteString;

namespace ReadmeSamples;

public sealed class EchoServer : ReceiveActor
{
    public EchoServer(int port)
    {
        Context.System.Io().Tell(new Tcp.Bind(Self, new IPEndPoint(IPAddress.Loopback, port)));
        Receive<Tcp.Bound>(bound => Console.WriteLine($"listening on {bound.LocalAddress}"));
        Receive<Tcp.Connected>(_ =>
        {
            IActorRef connection = Sender;
            connection.Tell(new Tcp.Register(Props.Create(() => new EchoHandler(connection)), keepOpenOnPeerClosed: true));
        });
    }
}

public sealed class EchoHandler : ReceiveActor
{
    public EchoHandler(IActorRef connection)
    {
        Receive<Tcp.Received>(received => connection.Tell(Tcp.Write.Create(received.Data)));
        Receive<Tcp.PeerClosed>(_ => connection.Tell(Tcp.Close.Instance));
    }
}

public sealed class LeasedEchoServer : ReceiveActor
{
    public LeasedEchoServer(int port)
    {
        Context.System.Io().Tell(new Tcp.Bind(Self, new IPEndPoint(IPAddress.Loopback, port)));
        Receive<Tcp.Connected>(_ =>
        {
            IActorRef connection = Sender;
            connection.Tell(new Tcp.Register(Props.Create(() => new LeasedEchoHandler(connection)), keepOpenOnPeerClosed: true, receiveMode: Tcp.ReceiveMode.Leased));
        });
    }
}

public sealed class LeasedEchoHandler : ReceiveActor
{
    private long _lines;

    public LeasedEchoHandler(IActorRef connection)
    {
        Receive<Tcp.LeasedReceived>(received =>
        {
            _lines += received.Data.Span.Count((byte)'\n'); // read the bytes while the buffer is yours
            connection.Tell(received.Write());             // then hand the buffer to the write: no copy
        });
        Receive<Tcp.PeerClosed>(_ => connection.Tell(Tcp.Close.Instance));
    }
}

public sealed class EchoClient : ReceiveActor
{
    public EchoClient(EndPoint server, string message, IActorRef reportTo)
    {
        Context.System.Io().Tell(new Tcp.Connect(server));
        Receive<Tcp.Connected>(_ =>
        {
            Sender.Tell(new Tcp.Register(Self));
            Sender.Tell(Tcp.Write.Create(ByteString.FromString(message)));
        });
        Receive<Tcp.Received>(received =>
        {
            reportTo.Tell(received.Data.ToString());
            Sender.Tell(Tcp.Close.Instance);
        });
        Receive<Tcp.CommandFailed>(failed => reportTo.Tell($"failed: {failed.Cause?.Message}"));
        Receive<Tcp.ConnectionClosed>(_ => Context.Stop(Self));
    }
}

public sealed class UnixEchoServer : ReceiveActor
{
    public UnixEchoServer(string path)
    {
        var address = new UnixDomainSocketEndPoint(path);
        Tcp.SocketOption[] options = [new Tcp.SO.ReplaceStaleSocketFile()];
        Context.System.Io().Tell(new Tcp.Bind(Self, address, options: options));
        Receive<Tcp.Bound>(bound => Console.WriteLine($"listening on {bound.LocalAddress}"));
        Receive<Tcp.CommandFailed>(failed => Console.WriteLine($"cannot listen: {failed.Cause?.Message}"));
        Receive<Tcp.Connected>(_ =>
        {
            IActorRef connection = Sender;
            connection.Tell(new Tcp.Register(Props.Create(() => new EchoHandler(connection)), keepOpenOnPeerClosed: true));
        });
    }
}

public sealed class UdpEchoServer : ReceiveActor
{
    public UdpEchoServer(int port)
    {
        Context.System.Io().Tell(new Udp.Bind(Self, new IPEndPoint(IPAddress.Loopback, port)));
        Receive<Udp.Bound>(bound => Console.WriteLine($"UDP on {bound.LocalAddress}"));
        Receive<Udp.Received>(received => Sender.Tell(Udp.Send.Create(received.Data, received.Sender)));
        Receive<Udp.CommandFailed>(failed => Console.WriteLine($"failed: {failed.Cause?.Message}"));
    }
}

public sealed class UdpPing : ReceiveActor
{
    public UdpPing(EndPoint server, string message, IActorRef reportTo)
    {
        Context.System.Io().Tell(new UdpConnected.Connect(Self, server));
        Context.SetReceiveTimeout(TimeSpan.FromSeconds(5)); // UDP may lose the ping or its answer
        Receive<UdpConnected.Connected>(_ => Sender.Tell(UdpConnected.Send.Create(ByteString.FromString(message))));
        Receive<UdpConnected.Received>(received => Done(received.Data.ToString()));
        Receive<UdpConnected.PeerUnreachable>(unreachable => Done($"unreachable: {unreachable.Cause}"));
        Receive<UdpConnected.CommandFailed>(failed => Done($"failed: {failed.Cause?.Message}"));
        Receive<ReceiveTimeout>(_ => Done("no answer"));

        // However the ping ends, the actor stops, and the death of its handler closes the socket.
        void Done(string result)
        {
            reportTo.Tell(result);
            Context.Stop(Self);
        }
    }
}

public sealed class EchoHandlerTests : TestKit
{
    [Fact]
    public void Echoes_what_the_peer_sends_and_closes_after_the_peer()
    {
        TestConnection connection = TestConnection.Create(this);
        connection.Connection.Tell(new Tcp.Register(Props.Create(() => new EchoHandler(connection.Connection)), keepOpenOnPeerClosed: true));
        IActorRef handler = connection.ExpectRegistered().Handler;
        Watch(handler);

        connection.PushReceived("hello");
        connection.ExpectWrittenText("hello");

        // The handler answers the peer's close with Close: the connection ends with Closed, then stops its handler.
        connection.PushPeerClosed();
        connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(handler);
        connection.AssertNoViolations();
    }
}

public sealed class UdpEchoTests : TestKit
{
    // A UDP echo server given the manager (system.Io()): the test socket stands in for it.
    private sealed class UdpEcho : ReceiveActor
    {
        public UdpEcho(IActorRef io)
        {
            io.Tell(new Udp.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0)));
            Receive<Udp.Received>(received => Sender.Tell(Udp.Send.Create(received.Data, received.Sender)));
        }
    }

    [Fact]
    public void Echoes_each_datagram_to_its_sender()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        Sys.ActorOf(Props.Create(() => new UdpEcho(socket.Socket)));
        socket.ExpectBound();

        var peer = new IPEndPoint(IPAddress.Loopback, 40001);
        socket.PushReceived("ping", peer);
        socket.ExpectSentText("ping", peer);
        socket.ExpectNoSend(TimeSpan.FromMilliseconds(100));
        socket.AssertNoViolations();
    }
}
