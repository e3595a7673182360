using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// Akka.IO's own specs run with <c>serialize-creators = on</c>; Akka.IO-shaped code may too. Every actor the library creates
/// must therefore be deployed locally, or the manager dies creating its selectors and every later command is a dead letter.
/// </summary>
public sealed class SerializeCreatorsTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "akka.actor.serialize-creators = on")
{
    [Fact]
    public void Bind_connect_and_an_echo_round_trip_work()
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        (EndPoint bound, _) = BindTo(new IPEndPoint(IPAddress.Loopback, 0), server);
        Pair pair = ConnectPair(Sys.Io(), bound, server, client);

        pair.Outgoing.Tell(Tcp.Write.Create(ByteString.FromString("ping")), client);
        Assert.Equal("ping", server.ExpectMsg<Tcp.Received>(TestWaits.Expect).Data.ToString());
        pair.Incoming.Tell(Tcp.Write.Create(ByteString.FromString("pong")), server);
        Assert.Equal("pong", client.ExpectMsg<Tcp.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Udp_bind_and_a_simple_sender_work()
    {
        TestProbe handler = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), handler);
        EndPoint bound = handler.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;

        TestProbe sender = CreateTestProbe();
        Sys.Io().Tell(Udp.SimpleSender.Instance, sender);
        sender.ExpectMsg<Udp.SimpleSenderReady>(TestWaits.Expect);
        sender.LastSender.Tell(Udp.Send.Create(ByteString.FromString("datagram"), bound), sender);
        Assert.Equal("datagram", handler.ExpectMsg<Udp.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Udp_connected_round_trip_works()
    {
        TestProbe server = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(server, new IPEndPoint(IPAddress.Loopback, 0)), server);
        EndPoint bound = server.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;
        IActorRef listener = server.LastSender;

        TestProbe client = CreateTestProbe();
        Sys.Io().Tell(new UdpConnected.Connect(client, bound), client);
        client.ExpectMsg<UdpConnected.Connected>(TestWaits.Expect);
        client.LastSender.Tell(UdpConnected.Send.Create(ByteString.FromString("hello")), client);
        var received = server.ExpectMsg<Udp.Received>(TestWaits.Expect);
        Assert.Equal("hello", received.Data.ToString());

        listener.Tell(Udp.Send.Create(ByteString.FromString("back"), received.Sender), server);
        Assert.Equal("back", client.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());
    }
}
