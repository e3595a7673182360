using System.Net;
using System.Net.Sockets;
using Actors.Io.TestKit;
using Actors.Io.Tests.Support;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using Xunit.Sdk;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The test UDP socket's own rules beyond the shared protocol tests: what only a test can make happen (a full send
/// buffer, a handler given its socket) and the violations it reports, each naming its rule.
/// </summary>
public sealed class TestUdpSocketTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.Quiet, output: output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);
    private static readonly IPEndPoint Peer = new(IPAddress.Loopback, 40001);

    [Fact]
    public void The_default_settings_are_the_reference_configurations()
    {
        UdpSettings reference = ActorsIoSettings.Create(ActorsIo.ReferenceConfig).Udp;
        Assert.Equal(reference.MaxDatagramSize, TestUdpSocketSettings.Default.MaxDatagramSize);
        Assert.Equal(reference.MaxQueuedSends, TestUdpSocketSettings.Default.MaxQueuedSends);
        Assert.True(TestUdpSocketSettings.Default.KernelTakesSends);
    }

    [Fact]
    public void BindTo_tells_the_handler_Bound_and_datagrams_pushed_before_wait_for_it()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.PushReceived("early", Peer);
        socket.BindTo(handler);
        Assert.Equal(socket.Settings.LocalAddress, handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect).LocalAddress);
        Assert.Equal(socket.Socket, handler.LastSender);
        Assert.Equal("early", handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal(socket.Settings.LocalAddress, socket.ExpectBound(TestWaits.Expect).LocalAddress);
    }

    [Fact]
    public void A_Bind_to_a_given_port_is_bound_there_and_one_to_a_name_fails()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.Socket.Tell(new UdpMsg.Bind(handler, new DnsEndPoint("localhost", 5000)), handler);
        Assert.IsType<NotSupportedException>(handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);

        var wanted = new IPEndPoint(IPAddress.IPv6Loopback, 5353);
        socket.Socket.Tell(new UdpMsg.Bind(handler, wanted), handler);
        Assert.Equal(wanted, handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect).LocalAddress);
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("v6 only"), Peer), handler);
        Assert.Contains("InterNetworkV6", handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
        socket.AssertNoViolations();
    }

    [Fact]
    public void A_full_send_buffer_holds_sends_up_to_max_queued_sends_and_acks_them_in_order()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this, new TestUdpSocketSettings { KernelTakesSends = false, MaxQueuedSends = 2 });
        TestProbe handler = CreateTestProbe();
        socket.BindTo(handler);
        handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        for (int i = 1; i <= 3; i++) socket.Socket.Tell(new UdpMsg.Send(ByteString.FromString($"d{i}"), Peer, new Sent(i)), handler);
        Assert.Contains("max-queued-sends", handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
        handler.ExpectNoMsg(Quiet);

        socket.AckPending();
        Assert.Equal(1, handler.ExpectMsg<Sent>(TestWaits.Expect).Id);
        Assert.Equal(2, handler.ExpectMsg<Sent>(TestWaits.Expect).Id);
        socket.ExpectSentText("d1", Peer, TestWaits.Expect);
        socket.ExpectSentText("d2", Peer, TestWaits.Expect);
        socket.ExpectNoSend(Quiet);
    }

    [Fact]
    public void Unbind_fails_the_held_sends_before_it_answers_Unbound()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this, new TestUdpSocketSettings { KernelTakesSends = false });
        TestProbe handler = CreateTestProbe();
        socket.BindTo(handler);
        handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        socket.Socket.Tell(new UdpMsg.Send(ByteString.FromString("held"), Peer, new Sent(1)), handler);
        socket.Socket.Tell(UdpMsg.Unbind.Instance, handler);
        Assert.Contains("closed before", handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
        handler.ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        socket.ExpectUnbound(TestWaits.Expect);
    }

    [Fact]
    public void A_command_after_Unbind_is_a_violation_from_the_unbinder_only()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        TestProbe other = CreateTestProbe();
        socket.BindTo(handler);
        socket.Socket.Tell(UdpMsg.Unbind.Instance, handler);
        handler.FishForMessage<UdpMsg.Unbound>(_ => true, TestWaits.Expect);

        // Another actor's send raced the Unbind: a dead letter for the real socket, no broken rule.
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("late"), Peer), other);
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("after"), Peer), handler);
        ProtocolViolation violation = socket.ExpectViolation("no commands after Unbind", TestWaits.Expect);
        Assert.Contains(handler.Ref.Path.ToString(), violation.Message);
        socket.ExpectNoSend(Quiet);
        Assert.Empty(socket.Violations);
    }

    [Fact]
    public void A_second_Bind_is_refused_and_a_violation_that_fails_the_next_expectation()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.Socket.Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), handler);
        handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        socket.Socket.Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), handler);
        Assert.IsType<NotSupportedException>(handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);
        var failure = Assert.ThrowsAny<XunitException>(() => socket.ExpectNoSend(Quiet));
        Assert.Contains("one Bind per socket", failure.Message);
    }

    [Fact]
    public void A_command_before_the_socket_is_bound_is_a_violation()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("too soon"), Peer), handler);
        Assert.Contains("before the socket was bound", socket.ExpectViolation("commands only after Bound", TestWaits.Expect).Message);
        socket.ExpectNoSend(Quiet);
    }

    [Fact]
    public void The_handlers_death_closes_the_socket()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.BindTo(handler);
        socket.ExpectBound(TestWaits.Expect);
        Sys.Stop(handler.Ref);
        var failure = Assert.ThrowsAny<XunitException>(() => socket.ExpectUnbound(TestWaits.Expect));
        Assert.Contains("stopped", failure.Message);
    }

    [Fact]
    public void Multicast_membership_is_answered_and_a_second_join_or_a_leave_without_one_fails()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.BindTo(handler);
        handler.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        IPAddress group = IPAddress.Parse("239.1.2.3");
        socket.Socket.Tell(new UdpMsg.JoinGroup(group), handler);
        Assert.Equal(group, handler.ExpectMsg<UdpMsg.GroupJoined>(TestWaits.Expect).Group);
        socket.Socket.Tell(new UdpMsg.JoinGroup(group), handler);
        var twice = handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(SocketError.AddressAlreadyInUse, Assert.IsType<SocketException>(twice.Cause).SocketErrorCode);
        socket.Socket.Tell(new UdpMsg.JoinGroup(IPAddress.Parse("10.0.0.1")), handler);
        Assert.Contains("not a multicast address", handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
        socket.Socket.Tell(new UdpMsg.LeaveGroup(group), handler);
        Assert.Equal(group, handler.ExpectMsg<UdpMsg.GroupLeft>(TestWaits.Expect).Group);
        socket.Socket.Tell(new UdpMsg.LeaveGroup(group), handler);
        Assert.Contains("not a member", handler.ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
    }

    [Fact]
    public void ExpectSentText_names_what_was_sent_and_where_on_a_mismatch()
    {
        TestUdpSocket socket = TestUdpSocket.Create(this);
        TestProbe handler = CreateTestProbe();
        socket.BindTo(handler);
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromString("pong"), Peer), handler);
        var failure = Assert.ThrowsAny<XunitException>(() => socket.ExpectSentText("pong", new IPEndPoint(IPAddress.Loopback, 40002), TestWaits.Expect));
        Assert.Contains("\"pong\" to 127.0.0.1:40001", failure.Message);
        socket.Socket.Tell(UdpMsg.Send.Create(ByteString.FromBytes([1, 2]), Peer), handler);
        socket.ExpectSentBytes([1, 2], Peer, TestWaits.Expect);
    }

    private sealed class Sent(int id) : UdpMsg.Event
    {
        public int Id { get; } = id;
    }
}
