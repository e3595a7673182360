using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// The scenarios of Akka.NET's <c>UdpListenerSpec</c>, written through <see cref="UdpMessage"/> with
/// <c>serialize-creators</c> and <c>serialize-messages</c> on. The spec builds Akka's internal listener actor under a test
/// parent; here the Bind goes through the manager, as user code does, and the socket actor is the sender of
/// <c>Bound</c>. Covered: all 3 of its scenarios (none exercises only Akka.IO's internals; its buffer-pool settings have
/// no counterpart and are left out).
/// </summary>
public sealed class UdpListenerCompatibilityTests(ITestOutputHelper output)
    : LoopbackTestKit(output, TestConfigs.AkkaIoSpecs)
{
    private (IPEndPoint Address, IActorRef Listener) Bind(TestProbe handler)
    {
        TestProbe commander = CreateTestProbe();
        // Built as the spec builds it: Akka.NET's constructor, with a list of Inet.SocketOption.
        commander.Send(Sys.Io(), new Udp.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0), new Inet.SocketOption[] { }));
        var bound = commander.ExpectMsg<Udp.Bound>(TestWaits.Expect);
        return ((IPEndPoint)bound.LocalAddress, commander.LastSender);
    }

    private static Socket NewPeer()
    {
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return peer;
    }

    private static void ExpectDatagram(TestProbe handler, string text, EndPoint from)
    {
        var received = handler.ExpectMsg<Udp.Received>(TestWaits.Expect);
        Assert.Equal(text, Encoding.UTF8.GetString(received.Data.ToArray()));
        Assert.Equal(from, received.Sender);
    }

    // Mirrors UdpListenerSpec.A_UDP_Listener_must_let_the_bind_commander_know_when_binding_is_complete.
    [Fact]
    public void Tells_the_bind_commander_when_binding_is_complete()
    {
        (IPEndPoint address, _) = Bind(CreateTestProbe());
        Assert.Equal(IPAddress.Loopback, address.Address);
        Assert.NotEqual(0, address.Port);
    }

    // Mirrors UdpListenerSpec.A_UDP_Listener_must_forward_incoming_packets_to_handler_actor.
    [Fact]
    public void Forwards_incoming_packets_to_the_handler()
    {
        TestProbe handler = CreateTestProbe();
        (IPEndPoint address, _) = Bind(handler);
        using Socket peer = NewPeer();
        for (int i = 0; i < 2; i++)
        {
            peer.SendTo(Encoding.UTF8.GetBytes($"datagram {i}"), address);
            ExpectDatagram(handler, $"datagram {i}", peer.LocalEndPoint!);
        }
    }

    private sealed class Sent : Udp.Event
    {
        public static readonly Sent Instance = new();
    }

    // Mirrors UdpListenerSpec.A_UDP_Listener_must_be_able_to_send_and_receive_when_server_goes_away.
    [Fact]
    public void Keeps_sending_and_receiving_after_replying_to_a_peer_that_went_away()
    {
        TestProbe handler = CreateTestProbe();
        (IPEndPoint address, IActorRef listener) = Bind(handler);
        TestProbe watcher = CreateTestProbe();
        watcher.Watch(listener);

        EndPoint gone;
        using (Socket peer = NewPeer())
        {
            gone = peer.LocalEndPoint!;
            peer.SendTo(Encoding.UTF8.GetBytes("last request"), address);
            ExpectDatagram(handler, "last request", gone);
        }

        // The reply goes from the listening port to a closed port: the kernel answers it with ICMP port unreachable,
        // which reaches the listening socket. The ack says the send was made; the socket must survive what follows.
        for (int i = 0; i < 2; i++)
        {
            handler.Send(listener, UdpMessage.Send(ByteString.FromString("are you there?"), gone, Sent.Instance));
            handler.ExpectMsg<Sent>(TestWaits.Expect);
        }

        using Socket next = NewPeer();
        next.SendTo(Encoding.UTF8.GetBytes("back online"), address);
        ExpectDatagram(handler, "back online", next.LocalEndPoint!);

        // Still bound: Unbind is answered by the socket actor, not by dead letters.
        handler.Send(listener, UdpMessage.Unbind());
        handler.ExpectMsg<Udp.Unbound>(TestWaits.Expect);
        watcher.ExpectTerminated(listener, TestWaits.Expect);
    }
}
