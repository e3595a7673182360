using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace Actors.Io.Tests.Datagrams;

/// <summary>Connected UDP: Connect / Connected, Send and Received with the peer, Disconnect / Disconnected, suspend and
/// resume, and a peer whose port is closed (ICMP port unreachable) on both the read and the send side.</summary>
public sealed class UdpConnectedTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Theory]
    [MemberData(nameof(Loopback.Addresses), MemberType = typeof(Loopback))]
    public void Connected_socket_exchanges_datagrams_with_its_peer_and_disconnects(string loopback)
    {
        IPAddress address = IPAddress.Parse(loopback);
        using var peer = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        peer.Bind(new IPEndPoint(address, 0));
        TestProbe handler = CreateTestProbe();
        IActorRef socket = Connect(handler, peer.LocalEndPoint!);

        socket.Tell(new UdpConnected.Send(ByteString.FromString("ping"), new Ack(1)));
        ExpectMsg<Ack>(TestWaits.Expect);
        byte[] buffer = new byte[64];
        EndPoint from = new IPEndPoint(address, 0);
        int n = peer.ReceiveFrom(buffer, ref from);
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString(buffer, 0, n));

        peer.SendTo("pong"u8.ToArray(), from);
        Assert.Equal("pong", handler.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());

        // Without an ack only the datagram goes out.
        socket.Tell(UdpConnected.Send.Create(ByteString.FromString("quiet")));
        n = peer.ReceiveFrom(buffer, ref from);
        Assert.Equal("quiet", System.Text.Encoding.ASCII.GetString(buffer, 0, n));

        Watch(socket);
        socket.Tell(UdpConnected.Disconnect.Instance);
        ExpectMsg<UdpConnected.Disconnected>(TestWaits.Expect);
        ExpectTerminated(socket, TestWaits.Expect);
    }

    [Fact]
    public void Connect_with_a_local_address_sends_from_that_port()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint local;
        using (var free = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            free.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            local = (IPEndPoint)free.LocalEndPoint!;
        }

        TestProbe handler = CreateTestProbe();
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new UdpConnected.Connect(handler, peer.LocalEndPoint!, local), commander);
        commander.ExpectMsg<UdpConnected.Connected>(TestWaits.Expect);
        IActorRef socket = commander.LastSender;

        socket.Tell(new UdpConnected.Send(ByteString.FromString("from here"), "sent"));
        ExpectMsg("sent", TestWaits.Expect);
        byte[] buffer = new byte[64];
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        int n = peer.ReceiveFrom(buffer, ref from);
        Assert.Equal("from here", System.Text.Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(local, from);

        peer.SendTo("back"u8.ToArray(), local);
        Assert.Equal("back", handler.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void A_failed_send_with_a_NoAck_token_names_the_send_and_its_token()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IActorRef socket = Connect(CreateTestProbe(), peer.LocalEndPoint!);
        var send = new UdpConnected.Send(ByteString.FromBytes(new byte[70_000]), new UdpConnected.NoAck("token 7"));
        socket.Tell(send);
        UdpConnected.CommandFailed failed = ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect);
        Assert.Same(send, failed.Cmd);
        Assert.Equal("token 7", Assert.IsType<UdpConnected.NoAck>(((UdpConnected.Send)failed.Cmd).Ack).Token);

        // A successful one with a token is not acked.
        socket.Tell(new UdpConnected.Send(ByteString.FromString("fine"), new UdpConnected.NoAck("token 8")));
        socket.Tell(new UdpConnected.Send(ByteString.FromString("then"), new Ack(9)));
        ExpectMsg<Ack>(ack => Assert.Equal(9, ack.Id), TestWaits.Expect);
    }

    [Fact]
    public void Suspended_reading_holds_the_peers_datagrams_until_resumed()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        TestProbe handler = CreateTestProbe();
        IActorRef socket = Connect(handler, peer.LocalEndPoint!);
        socket.Tell(UdpConnected.SuspendReading.Instance);
        socket.Tell(new UdpConnected.Send(ByteString.FromString("where"), new Ack(1)));
        ExpectMsg<Ack>(TestWaits.Expect);
        byte[] buffer = new byte[16];
        EndPoint from = new IPEndPoint(IPAddress.Loopback, 0);
        peer.ReceiveFrom(buffer, ref from);

        peer.SendTo("a"u8.ToArray(), from);
        peer.SendTo("b"u8.ToArray(), from);
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        socket.Tell(UdpConnected.ResumeReading.Instance);
        Assert.Equal("a", handler.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal("b", handler.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void A_closed_peer_port_is_reported_to_the_handler_as_PeerUnreachable()
    {
        TestProbe handler = CreateTestProbe();
        IActorRef socket = Connect(handler, ClosedPort());
        socket.Tell(new UdpConnected.Send(ByteString.FromString("anyone?"), new Ack(1)));
        ExpectMsg<Ack>(TestWaits.Expect);
        UdpConnected.PeerUnreachable unreachable = handler.ExpectMsg<UdpConnected.PeerUnreachable>(TestWaits.Expect);
        Assert.Equal(SocketError.ConnectionRefused, unreachable.Error);
        Assert.Contains("127.0.0.1", unreachable.Cause);

        // Still connected: sending goes on.
        socket.Tell(new UdpConnected.Send(ByteString.FromString("still?"), new Ack(2)));
        ExpectMsg<Ack>(ack => Assert.Equal(2, ack.Id), TestWaits.Expect);
    }

    [Fact]
    public void A_closed_peer_port_fails_the_next_send_while_reading_is_suspended()
    {
        IActorRef socket = Connect(CreateTestProbe(), ClosedPort());
        socket.Tell(UdpConnected.SuspendReading.Instance);

        // The ICMP answer arrives some time after a send; the send after it reports it.
        UdpConnected.CommandFailed? failed = null;
        AwaitAssert(
            () =>
            {
                var send = new UdpConnected.Send(ByteString.FromString("x"), new Ack(1));
                socket.Tell(send);
                object answer = ExpectMsg<object>(TestWaits.Expect);
                failed = Assert.IsType<UdpConnected.CommandFailed>(answer);
                Assert.Same(send, failed.Cmd);
            },
            TestWaits.Expect,
            TimeSpan.FromMilliseconds(20));
        SocketException cause = Assert.IsType<SocketException>(failed!.Cause);
        Assert.Equal(SocketError.ConnectionRefused, cause.SocketErrorCode);
        Assert.Contains("127.0.0.1", cause.Message);
    }

    [Fact]
    public void Connect_by_host_name_resolves_without_blocking()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = new DnsEndPoint("localhost", ((IPEndPoint)peer.LocalEndPoint!).Port, AddressFamily.InterNetwork);
        IActorRef socket = Connect(CreateTestProbe(), target);
        socket.Tell(new UdpConnected.Send(ByteString.FromString("named"), new Ack(1)));
        ExpectMsg<Ack>(TestWaits.Expect);
        byte[] buffer = new byte[16];
        Assert.Equal(5, peer.Receive(buffer));
    }

    [Fact]
    public void Unresolvable_host_and_taken_local_address_fail_Connect_with_the_cause()
    {
        var unknown = new UdpConnected.Connect(TestActor, new DnsEndPoint("no-such-host.invalid", 9));
        Sys.Io().Tell(unknown);
        UdpConnected.CommandFailed failed = ExpectMsg<UdpConnected.CommandFailed>(TimeSpan.FromSeconds(15));
        Assert.Same(unknown, failed.Cmd);
        Assert.Contains("no-such-host.invalid", failed.Cause!.Message);

        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Sys.Io().Tell(new UdpConnected.Connect(TestActor, new IPEndPoint(IPAddress.Loopback, 9), taken.LocalEndPoint));
        SocketException inUse = Assert.IsType<SocketException>(ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect).Cause);
        Assert.Equal(SocketError.AddressAlreadyInUse, inUse.SocketErrorCode);
    }

    [Fact]
    public void Oversized_datagram_fails_and_the_socket_goes_on()
    {
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IActorRef socket = Connect(CreateTestProbe(), peer.LocalEndPoint!);
        socket.Tell(new UdpConnected.Send(ByteString.FromBytes(new byte[100_000]), new Ack(1)));
        UdpConnected.CommandFailed failed = ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect);
        Assert.Contains("100000 bytes", failed.Cause!.Message);
        socket.Tell(new UdpConnected.Send(ByteString.FromString("fits"), new Ack(2)));
        ExpectMsg<Ack>(ack => Assert.Equal(2, ack.Id), TestWaits.Expect);
    }

    private static IPEndPoint ClosedPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }

    private IActorRef Connect(TestProbe handler, EndPoint remote)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new UdpConnected.Connect(handler, remote), commander);
        commander.ExpectMsg<UdpConnected.Connected>(TestWaits.Expect);
        return commander.LastSender;
    }

    private sealed class Ack(int id) : UdpConnected.Event
    {
        public int Id { get; } = id;
    }
}
