using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Event;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary><c>actors-io.max-channels</c>: a listener counts as a channel; connections beyond the limit are closed or refused.</summary>
public sealed class ListenerChannelLimitTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.max-channels = 3"), output: output)
{
    [Fact]
    public void Beyond_max_channels_accepted_connections_are_closed_and_Connect_fails()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        AwaitAssert(() => Assert.Equal(1, io.Budget.Open), TestWaits.Expect);

        // The listener and two connections: the third channel reaches the limit.
        using Socket first = Loopback.Connect(local);
        ExpectMsg<TcpMsg.Connected>();
        LastSender.Tell(new TcpMsg.Register(TestActor));
        using Socket second = Loopback.Connect(local);
        ExpectMsg<TcpMsg.Connected>();
        IActorRef secondConnection = LastSender;
        secondConnection.Tell(new TcpMsg.Register(TestActor));
        AwaitAssert(() => Assert.Equal(3, io.Budget.Open), TestWaits.Expect);

        // More clients: the kernel completes their handshakes, the listener accepts and closes each at once, and says so
        // once for the shortage, not once per connection.
        var warnings = CreateTestProbe();
        Sys.EventStream.Subscribe(warnings.Ref, typeof(Warning));
        Loopback.AssertClosedByServer(local);
        Loopback.AssertClosedByServer(local);
        Loopback.AssertClosedByServer(local);
        string warning = warnings.ExpectMsg<Warning>().Message.ToString()!;
        Assert.Contains("max-channels = 3 reached", warning);
        Assert.Contains(local.ToString(), warning);
        warnings.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(3, io.Budget.Open);

        var connect = new TcpMsg.Connect(local);
        Sys.Io().Tell(connect);
        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(connect, failed.Cmd);
        var cause = Assert.IsType<ChannelLimitExceededException>(failed.Cause);
        Assert.Equal(3, cause.MaxChannels);

        // Closing a connection gives its channel back: a new client is accepted again.
        secondConnection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>();
        AwaitAssert(() => Assert.Equal(2, io.Budget.Open), TestWaits.Expect);
        using Socket again = Loopback.Connect(local);
        ExpectMsg<TcpMsg.Connected>();
        LastSender.Tell(new TcpMsg.Register(TestActor));
        AwaitAssert(() => Assert.Equal(3, io.Budget.Open), TestWaits.Expect);
    }
}
