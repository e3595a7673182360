using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>What closes a UDP socket and gives its descriptor and channel back: the handler's death, the simple sender's
/// owner's death; and <c>max-channels</c> refusing sockets beyond it.</summary>
[Collection(SerialCollection.Name)]
public sealed class UdpLifecycleTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.max-channels = 2"))
{
    [Fact]
    public void Handler_death_closes_the_socket_and_releases_its_descriptor()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        WarmUp();
        int descriptors = Descriptors.OpenSocketsAndPollers();
        TestProbe handler = CreateTestProbe();
        Sys.Io().Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<UdpMsg.Bound>(TestWaits.Expect).LocalAddress;
        IActorRef socket = LastSender;
        Assert.True(Descriptors.OpenSocketsAndPollers() > descriptors, "the bound socket is not among the open descriptors");

        Watch(socket);
        Sys.Stop(handler.Ref);
        ExpectTerminated(socket, TestWaits.Expect);
        AwaitAssert(() => Assert.True(descriptors == Descriptors.OpenSocketsAndPollers(), Open()), TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(0, io.Budget.Open), TestWaits.Expect);
        using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        again.Bind(local);
    }

    [Fact]
    public void Simple_sender_closes_when_its_owner_dies()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        WarmUp();
        int descriptors = Descriptors.OpenSocketsAndPollers();
        TestProbe owner = CreateTestProbe();
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance, owner);
        owner.ExpectMsg<UdpMsg.SimpleSenderReady>(TestWaits.Expect);
        IActorRef sender = owner.LastSender;
        Watch(sender);
        Sys.Stop(owner.Ref);
        ExpectTerminated(sender, TestWaits.Expect);
        AwaitAssert(() => Assert.True(descriptors == Descriptors.OpenSocketsAndPollers(), Open()), TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(0, io.Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Beyond_max_channels_Bind_SimpleSender_and_Connect_fail()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        Sys.Io().Tell(new UdpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        IActorRef bound = LastSender;
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance);
        ExpectMsg<UdpMsg.SimpleSenderReady>(TestWaits.Expect);

        var bind = new UdpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0));
        Sys.Io().Tell(bind);
        UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(bind, failed.Cmd);
        Assert.Equal(2, Assert.IsType<ChannelLimitExceededException>(failed.Cause).MaxChannels);
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance);
        Assert.IsType<ChannelLimitExceededException>(ExpectMsg<UdpMsg.CommandFailed>(TestWaits.Expect).Cause);
        Sys.Io().Tell(new UdpConnected.Connect(TestActor, new IPEndPoint(IPAddress.Loopback, 9)));
        Assert.IsType<ChannelLimitExceededException>(ExpectMsg<UdpConnected.CommandFailed>(TestWaits.Expect).Cause);

        // Unbind gives the channel back.
        bound.Tell(UdpMsg.Unbind.Instance);
        ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(1, io.Budget.Open), TestWaits.Expect);
        Sys.Io().Tell(new UdpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
    }

    /// <summary>The runtime opens descriptors of its own on first use of sockets (an epoll and a netlink socket): open
    /// and close a UDP socket once before counting.</summary>
    private void WarmUp()
    {
        Sys.Io().Tell(new UdpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        LastSender.Tell(UdpMsg.Unbind.Instance);
        ExpectMsg<UdpMsg.Unbound>(TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    private static string Open() =>
        "open: " + string.Join(", ", Descriptors.Describe().Where(d => d.Value.StartsWith("socket:", StringComparison.Ordinal) || d.Value.StartsWith("anon_inode:", StringComparison.Ordinal)).Select(d => $"{d.Key}->{d.Value}"));
}
