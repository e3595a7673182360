using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Streams;

public sealed class TcpSmokeTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    [Fact]
    public void Echo_server_and_client_round_trip()
    {
        Sys.Io().Tell(new Actors.Io.Tcp.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var bound = ExpectMsg<Actors.Io.Tcp.Bound>();
        int port = ((IPEndPoint)bound.LocalAddress).Port;
        Assert.NotEqual(0, port);

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        client.Connect(new IPEndPoint(IPAddress.Loopback, port));
        var connected = ExpectMsg<Actors.Io.Tcp.Connected>();
        IActorRef connection = LastSender;
        connection.Tell(new Actors.Io.Tcp.Register(TestActor));
        client.Send("hello"u8);
        var received = ExpectMsg<Actors.Io.Tcp.Received>();
        Assert.Equal("hello", received.Data.ToString());
        connection.Tell(Actors.Io.Tcp.Write.Create(ByteString.FromString("world"), new Ack()));
        ExpectMsg<Ack>();
        var buffer = new byte[16];
        int n = client.Receive(buffer);
        Assert.Equal("world", System.Text.Encoding.ASCII.GetString(buffer, 0, n));

        // Outgoing connection to the same listener.
        Sys.Io().Tell(new Actors.Io.Tcp.Connect(new IPEndPoint(IPAddress.Loopback, port)));
        var outgoing = ExpectMsg<Actors.Io.Tcp.Connected>();
        IActorRef outgoingConnection = LastSender;
        var incoming = ExpectMsg<Actors.Io.Tcp.Connected>();
        IActorRef incomingConnection = LastSender;
        outgoingConnection.Tell(new Actors.Io.Tcp.Register(TestActor));
        incomingConnection.Tell(new Actors.Io.Tcp.Register(TestActor));
        outgoingConnection.Tell(Actors.Io.Tcp.Write.Create(ByteString.FromString("ping")));
        Assert.Equal("ping", ExpectMsg<Actors.Io.Tcp.Received>().Data.ToString());
        outgoingConnection.Tell(Actors.Io.Tcp.Close.Instance);
        ExpectMsgAllOf<object>([Actors.Io.Tcp.Closed.Instance, Actors.Io.Tcp.PeerClosed.Instance]);
        _ = outgoing;
        _ = incoming;
        _ = connected;

        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<Actors.Io.Tcp.PeerClosed>();
    }

    private sealed class Ack : Actors.Io.Tcp.Event
    {
    }
}
