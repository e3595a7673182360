using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The UDP protocol as a handler sees it, run against a real bound socket (<see cref="RealUdpProtocolTests"/>) and the
/// test kit's (<see cref="TestUdpSocketProtocolTests"/>), so the test socket cannot drift from the library. The handler
/// is a probe; the same assertions run on both.
/// </summary>
public abstract class UdpProtocolTests(ITestOutputHelper output)
    : LoopbackTestKit(output, $"actors-io.udp.max-datagram-size = {MaxDatagramSize}")
{
    /// <summary>The largest datagram both sockets take.</summary>
    protected const int MaxDatagramSize = 1024;

    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    /// <summary>Binds a socket for <paramref name="handler"/> on 127.0.0.1 port 0 through <paramref name="commander"/>'s Bind.</summary>
    protected abstract IUdpSocketUnderTest Bind(TestProbe handler, TestProbe commander);

    [Fact]
    public void Bind_is_answered_with_Bound_from_the_socket_with_the_port_picked()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        var local = Assert.IsType<IPEndPoint>(socket.LocalAddress);
        Assert.Equal(IPAddress.Loopback, local.Address);
        Assert.NotEqual(0, local.Port);
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_datagram_reaches_the_handler_from_the_socket_with_the_peers_address()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.SendFromPeer("hello"u8.ToArray());
        var received = handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect);
        Assert.Equal("hello", received.Data.ToString());
        Assert.Equal(socket.Peer, received.Sender);
        Assert.Equal(socket.Socket, handler.LastSender);
    }

    [Fact]
    public void A_send_reaches_its_target_and_its_ack_goes_to_whoever_sent_it()
    {
        TestProbe handler = CreateTestProbe();
        TestProbe other = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(new UdpMsg.Send(ByteString.FromString("one"), socket.Peer, new Sent(1)), handler);
        socket.Socket.Tell(new UdpMsg.Send(ByteString.FromString("two"), socket.Peer, new Sent(2)), other);
        Assert.Equal(1, handler.ExpectMsg<Sent>(TestWaits.Expect).Id);
        Assert.Equal(2, other.ExpectMsg<Sent>(TestWaits.Expect).Id);
        Assert.Equal(socket.Socket, other.LastSender);
        Assert.Equal("one"u8.ToArray(), socket.ReceiveAtPeer());
        Assert.Equal("two"u8.ToArray(), socket.ReceiveAtPeer());
    }

    [Fact]
    public void A_send_without_an_ack_is_not_answered()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("quiet"), socket.Peer), handler);
        Assert.Equal("quiet"u8.ToArray(), socket.ReceiveAtPeer());
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void SuspendReading_holds_the_datagrams_until_ResumeReading_in_order()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(UdpMsg.SuspendReading.Instance, handler);

        // The ack of a send after SuspendReading from the same sender proves the suspend was handled.
        socket.Socket.Tell(new UdpMsg.Send(ByteString.FromString("barrier"), socket.Peer, new Sent(1)), handler);
        handler.ExpectMsg<Sent>(TestWaits.Expect);
        Assert.Equal("barrier"u8.ToArray(), socket.ReceiveAtPeer());
        socket.SendFromPeer("first"u8.ToArray());
        socket.SendFromPeer("second"u8.ToArray());
        handler.ExpectNoMsg(Quiet);

        socket.Socket.Tell(UdpMsg.ResumeReading.Instance, handler);
        Assert.Equal("first", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal("second", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void A_send_over_max_datagram_size_fails_and_the_socket_stays_open()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        var tooLong = new UdpMsg.Send(ByteString.FromBytes(new byte[MaxDatagramSize + 1]), socket.Peer, new Sent(1));
        socket.Socket.Tell(tooLong, handler);
        var failed = handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(tooLong, failed.Cmd);
        Assert.Equal(SocketError.MessageSize, Assert.IsType<SocketException>(failed.Cause).SocketErrorCode);
        Assert.Contains("max-datagram-size", failed.Cause!.Message);

        socket.Socket.Tell(new UdpMsg.Send(ByteString.FromBytes(new byte[MaxDatagramSize]), socket.Peer, new Sent(2)), handler);
        handler.ExpectMsg<Sent>(TestWaits.Expect);
        Assert.Equal(MaxDatagramSize, socket.ReceiveAtPeer().Length);
    }

    [Fact]
    public void A_send_to_a_name_or_to_another_address_family_fails_naming_the_target()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("x"), new DnsEndPoint("localhost", 9)), handler);
        Assert.IsType<NotSupportedException>(handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);

        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("x"), new IPEndPoint(IPAddress.IPv6Loopback, 9)), handler);
        var failed = handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(SocketError.AddressFamilyNotSupported, Assert.IsType<SocketException>(failed.Cause).SocketErrorCode);
        Assert.Contains("[::1]:9", failed.Cause!.Message);
    }

    [Fact]
    public void A_datagram_over_max_datagram_size_is_dropped_not_cut_short()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.SendFromPeer(new byte[MaxDatagramSize + 100]);
        socket.SendFromPeer("next"u8.ToArray());
        Assert.Equal("next", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_command_for_the_manager_is_refused_and_the_socket_stays_open()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(UdpMsg.SimpleSender.Instance, handler);
        Assert.IsType<NotSupportedException>(handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);
        socket.SendFromPeer("still open"u8.ToArray());
        Assert.Equal("still open", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Unbind_is_answered_with_Unbound_and_closes_the_socket()
    {
        TestProbe handler = CreateTestProbe();
        IUdpSocketUnderTest socket = Bind(handler, CreateTestProbe());
        socket.Socket.Tell(UdpMsg.Unbind.Instance, handler);
        handler.ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        Assert.Equal(socket.Socket, handler.LastSender);
        socket.AssertUnbound();
    }

    /// <summary>An ack carrying a number.</summary>
    protected sealed class Sent(int id) : UdpMsg.Event
    {
        public int Id { get; } = id;
    }
}
