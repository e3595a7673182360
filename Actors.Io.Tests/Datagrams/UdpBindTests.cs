using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>Unconnected UDP: Bind / Bound, Send with and without ack, Received with the sender, Unbind / Unbound,
/// SimpleSender, suspend and resume, options, and the failures a user meets.</summary>
public sealed class UdpBindTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Theory]
    [MemberData(nameof(Loopback.Addresses), MemberType = typeof(Loopback))]
    public void Two_bound_sockets_exchange_datagrams_with_acks_and_senders(string loopback)
    {
        IPAddress address = IPAddress.Parse(loopback);
        TestProbe handlerA = CreateTestProbe();
        TestProbe handlerB = CreateTestProbe();
        (IActorRef a, IPEndPoint addressA) = Bind(handlerA, new IPEndPoint(address, 0));
        (IActorRef b, IPEndPoint addressB) = Bind(handlerB, new IPEndPoint(address, 0));
        Assert.Equal(address, addressA.Address);
        Assert.NotEqual(0, addressA.Port);

        b.Tell(new UdpMsg.Send(ByteString.FromString("hello"), addressA, new Ack(1)), TestActor);
        ExpectMsg<Ack>(ack => Assert.Equal(1, ack.Id), TestWaits.Expect);
        UdpMsg.Received received = handlerA.ExpectMsg<UdpMsg.Received>(TestWaits.Expect);
        Assert.Equal("hello", received.Data.ToString());
        Assert.Equal(addressB, received.Sender);
        Assert.Equal(a, handlerA.LastSender);

        // The answer without an ack: only the datagram arrives.
        a.Tell(UdpMsg.Send.Create(ByteString.FromString("hi back"), received.Sender), TestActor);
        UdpMsg.Received answer = handlerB.ExpectMsg<UdpMsg.Received>(TestWaits.Expect);
        Assert.Equal("hi back", answer.Data.ToString());
        Assert.Equal(addressA, answer.Sender);

        // A steady peer's address is one instance.
        b.Tell(UdpMsg.Send.Create(ByteString.FromString("again"), addressA));
        Assert.Same(received.Sender, handlerA.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Sender);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_Received_sender_changed_by_a_handler_is_not_handed_out_again()
    {
        TestProbe handler = CreateTestProbe();
        (_, IPEndPoint local) = Bind(handler, new IPEndPoint(IPAddress.Loopback, 0));
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var peerAddress = (IPEndPoint)peer.LocalEndPoint!;

        peer.SendTo("1"u8.ToArray(), local);
        var first = (IPEndPoint)handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Sender;
        first.Port = 1;
        first.Address = IPAddress.Parse("10.9.8.7");
        peer.SendTo("2"u8.ToArray(), local);
        var second = (IPEndPoint)handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Sender;
        Assert.NotSame(first, second);
        Assert.Equal(peerAddress, second);

        // The fresh instance is the steady one again.
        peer.SendTo("3"u8.ToArray(), local);
        Assert.Same(second, handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Sender);
    }

    [Fact]
    public void A_target_changed_between_two_sends_gets_the_second_datagram()
    {
        TestProbe first = CreateTestProbe();
        TestProbe second = CreateTestProbe();
        (IActorRef socket, _) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));
        (_, IPEndPoint addressOfFirst) = Bind(first, new IPEndPoint(IPAddress.Loopback, 0));
        (_, IPEndPoint addressOfSecond) = Bind(second, new IPEndPoint(IPAddress.Loopback, 0));

        var target = new IPEndPoint(IPAddress.Loopback, addressOfFirst.Port);
        socket.Tell(new UdpMsg.Send(ByteString.FromString("one"), target, new Ack(1)));
        ExpectMsg<Ack>(TestWaits.Expect);
        target.Port = addressOfSecond.Port;
        socket.Tell(new UdpMsg.Send(ByteString.FromString("two"), target, new Ack(2)));
        ExpectMsg<Ack>(TestWaits.Expect);

        Assert.Equal("one", first.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal("two", second.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        first.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Unbind_answers_Unbound_and_frees_the_port()
    {
        (IActorRef socket, IPEndPoint local) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));
        Watch(socket);
        socket.Tell(UdpMsg.Unbind.Instance);
        ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        ExpectTerminated(socket, TestWaits.Expect);

        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(local);
    }

    [Fact]
    public void Binding_a_port_in_use_fails_with_the_address_and_the_error()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var bind = new UdpMsg.Bind(TestActor, taken.LocalEndPoint!);
        Sys.Io().Tell(bind);
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(bind, failed.Cmd);
        SocketException cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.AddressAlreadyInUse, cause.SocketErrorCode);
        Assert.Contains(taken.LocalEndPoint!.ToString()!, cause.Message);
    }

    [Fact]
    public void ReuseAddress_lets_two_sockets_bind_one_port()
    {
        (_, IPEndPoint first) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0), new UdpMsg.SO.ReuseAddress(true));
        (_, IPEndPoint second) = Bind(CreateTestProbe(), first, new UdpMsg.SO.ReuseAddress(true));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Buffer_size_options_bind_and_the_socket_still_carries_datagrams()
    {
        TestProbe handler = CreateTestProbe();
        (IActorRef socket, IPEndPoint local) = Bind(
            handler,
            new IPEndPoint(IPAddress.Loopback, 0),
            new UdpMsg.SO.ReceiveBufferSize(256 * 1024),
            new UdpMsg.SO.SendBufferSize(64 * 1024));
        socket.Tell(new UdpMsg.Send(ByteString.FromString("self"), local, new Ack(7)));
        ExpectMsg<Ack>(TestWaits.Expect);
        Assert.Equal("self", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Broadcast_is_refused_without_the_option_and_sent_with_it()
    {
        var broadcast = new IPEndPoint(IPAddress.Parse("127.255.255.255"), 9);
        (IActorRef plain, _) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Any, 0));
        plain.Tell(new UdpMsg.Send(ByteString.FromString("x"), broadcast, new Ack(1)));
        UdpMsg.CommandFailed refused = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(SocketError.AccessDenied, Assert.IsType<SocketException>(refused.Cause).SocketErrorCode);
        Assert.Contains("127.255.255.255", refused.Cause!.Message);

        (IActorRef broadcaster, _) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Any, 0), new UdpMsg.SO.Broadcast(true));
        broadcaster.Tell(new UdpMsg.Send(ByteString.FromString("x"), broadcast, new Ack(2)));
        ExpectMsg<Ack>(ack => Assert.Equal(2, ack.Id), TestWaits.Expect);
    }

    [Fact]
    public void SimpleSender_sends_to_IPv4_and_IPv6_targets()
    {
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance);
        ExpectMsg<UdpMsg.SimpleSenderReady>(TestWaits.Expect);
        IActorRef sender = LastSender;

        TestProbe v4 = CreateTestProbe();
        TestProbe v6 = CreateTestProbe();
        (_, IPEndPoint target4) = Bind(v4, new IPEndPoint(IPAddress.Loopback, 0));
        (_, IPEndPoint target6) = Bind(v6, new IPEndPoint(IPAddress.IPv6Loopback, 0));
        sender.Tell(new UdpMsg.Send(ByteString.FromString("four"), target4, new Ack(4)));
        ExpectMsg<Ack>(ack => Assert.Equal(4, ack.Id), TestWaits.Expect);
        sender.Tell(new UdpMsg.Send(ByteString.FromString("six"), target6, new Ack(6)));
        ExpectMsg<Ack>(ack => Assert.Equal(6, ack.Id), TestWaits.Expect);
        Assert.Equal("four", v4.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal("six", v6.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void SimpleSender_Unbind_answers_Unbound_and_stops()
    {
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance);
        ExpectMsg<UdpMsg.SimpleSenderReady>(TestWaits.Expect);
        IActorRef sender = LastSender;
        Watch(sender);
        sender.Tell(UdpMsg.Unbind.Instance);
        ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        ExpectTerminated(sender, TestWaits.Expect);
    }

    [Fact]
    public void A_failed_send_with_a_NoAck_token_names_the_send_and_its_token()
    {
        (IActorRef socket, IPEndPoint local) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));
        var send = new UdpMsg.Send(ByteString.FromBytes(new byte[70_000]), local, new UdpMsg.NoAck("token 7"));
        socket.Tell(send);
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(send, failed.Cmd);
        Assert.Equal("token 7", Assert.IsType<UdpMsg.NoAck>(((UdpMsg.Send)failed.Cmd).Ack).Token);

        // A successful one with a token is not acked.
        socket.Tell(new UdpMsg.Send(ByteString.FromString("fine"), local, new UdpMsg.NoAck("token 8")));
        socket.Tell(new UdpMsg.Send(ByteString.FromString("then"), local, new Ack(9)));
        ExpectMsg<Ack>(ack => Assert.Equal(9, ack.Id), TestWaits.Expect);
    }

    [Fact]
    public void Suspended_reading_holds_datagrams_until_resumed_in_order()
    {
        TestProbe handler = CreateTestProbe();
        (IActorRef socket, IPEndPoint local) = Bind(handler, new IPEndPoint(IPAddress.Loopback, 0));
        socket.Tell(UdpMsg.SuspendReading.Instance);
        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        // Ordered after the suspend: a send answered by the socket proves the suspend was handled.
        socket.Tell(new UdpMsg.Send(ByteString.FromString("sync"), peer.LocalEndPoint!, new Ack(0)));
        ExpectMsg<Ack>(TestWaits.Expect);
        for (int i = 1; i <= 3; i++) peer.SendTo(new[] { (byte)i }, local);
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        socket.Tell(UdpMsg.ResumeReading.Instance);
        for (int i = 1; i <= 3; i++) Assert.Equal((byte)i, handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data[0]);
    }

    [Fact]
    public void Oversized_datagram_fails_naming_its_size_and_the_limit()
    {
        (IActorRef socket, IPEndPoint local) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));
        var send = new UdpMsg.Send(ByteString.FromBytes(new byte[70_000]), local, new Ack(1));
        socket.Tell(send);
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(send, failed.Cmd);
        Assert.Equal(SocketError.MessageSize, Assert.IsType<SocketException>(failed.Cause).SocketErrorCode);
        Assert.Contains("70000 bytes", failed.Cause!.Message);
        Assert.Contains("max-datagram-size = 65536", failed.Cause.Message);

        // The socket carries on.
        socket.Tell(new UdpMsg.Send(ByteString.FromString("ok"), local, new Ack(2)));
        ExpectMsg<Ack>(ack => Assert.Equal(2, ack.Id), TestWaits.Expect);
    }

    [Fact]
    public void Kernel_size_limit_answers_CommandFailed_with_MessageSize()
    {
        // 65536 passes the configured limit but not IPv4's (65507 bytes of payload).
        (IActorRef socket, IPEndPoint local) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));
        socket.Tell(new UdpMsg.Send(ByteString.FromBytes(new byte[65536]), local, new Ack(1)));
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(SocketError.MessageSize, Assert.IsType<SocketException>(failed.Cause).SocketErrorCode);
    }

    [Fact]
    public void Bad_targets_fail_with_a_cause_naming_the_problem()
    {
        (IActorRef socket, _) = Bind(CreateTestProbe(), new IPEndPoint(IPAddress.Loopback, 0));

        socket.Tell(new UdpMsg.Send(ByteString.FromString("x"), new DnsEndPoint("localhost", 9), new Ack(1)));
        UdpMsg.CommandFailed dns = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.IsType<NotSupportedException>(dns.Cause);
        Assert.Contains("DnsEndPoint", dns.Cause!.Message);

        socket.Tell(new UdpMsg.Send(ByteString.FromString("x"), new IPEndPoint(IPAddress.IPv6Loopback, 9), new Ack(2)));
        UdpMsg.CommandFailed family = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(SocketError.AddressFamilyNotSupported, Assert.IsType<SocketException>(family.Cause).SocketErrorCode);
        Assert.Contains("InterNetworkV6", family.Cause!.Message);

        var bind = new UdpMsg.Bind(TestActor, new DnsEndPoint("localhost", 0));
        Sys.Io().Tell(bind);
        Assert.IsType<NotSupportedException>(ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);
    }

    [Fact]
    public void The_manager_refuses_socket_commands_naming_where_they_go()
    {
        var send = UdpMsg.Send.Create(ByteString.FromString("x"), new IPEndPoint(IPAddress.Loopback, 9));
        Sys.Io().Tell(send);
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(send, failed.Cmd);
        Assert.Contains("socket actor", Assert.IsType<NotSupportedException>(failed.Cause).Message);

        Sys.Io().Tell(UdpConnected.Disconnect.Instance);
        Assert.Contains("Connected", ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect).Cause!.Message);
    }

    [Fact]
    public void Any_exception_while_opening_answers_Bind_SimpleSender_and_Connect_with_CommandFailed()
    {
        UdpMsg.SocketOption[] options = [new Unavailable()];
        var bind = new UdpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), options);
        Sys.Io().Tell(bind);
        UdpMsg.CommandFailed bindFailed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(bind, bindFailed.Cmd);
        Assert.IsType<PlatformNotSupportedException>(bindFailed.Cause);

        var simple = new UdpMsg.SimpleSender(options);
        Sys.Io().Tell(simple);
        Assert.Same(simple, ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cmd);

        var connect = new UdpConnected.Connect(TestActor, new IPEndPoint(IPAddress.Loopback, 9), options: options);
        Sys.Io().Tell(connect);
        UdpConnected.CommandFailed connectFailed = ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect);
        Assert.Same(connect, connectFailed.Cmd);
        Assert.Contains("not on this platform", connectFailed.Cause!.Message);
    }

    private (IActorRef Socket, IPEndPoint Local) Bind(TestProbe handler, IPEndPoint local, params UdpMsg.SocketOption[] options)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new UdpMsg.Bind(handler, local, options), commander);
        UdpMsg.Bound bound = commander.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        return (commander.LastSender, (IPEndPoint)bound.LocalAddress);
    }

    /// <summary>An option that throws what no socket call here does, as one the platform lacks would.</summary>
    private sealed record Unavailable : UdpMsg.SocketOption
    {
        internal override void BeforeBind(Socket socket) => throw new PlatformNotSupportedException("This option is not on this platform.");
    }

    private sealed class Ack(int id) : UdpMsg.Event
    {
        public int Id { get; } = id;
    }
}
