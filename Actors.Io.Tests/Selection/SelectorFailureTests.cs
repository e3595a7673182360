using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Selection;

/// <summary>A selector whose poller breaks: its connections end with ErrorClosed, the listener keeps accepting.</summary>
public sealed class SelectorFailureTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Fact]
    public void Connections_end_with_ErrorClosed_and_the_listener_keeps_accepting()
    {
        FaultyPollers pollers = FaultyPollers.Install(Sys);
        TestProbe binder = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(binder.Ref, new IPEndPoint(IPAddress.Loopback, 0)), binder.Ref);
        var target = (IPEndPoint)binder.ExpectMsg<TcpMsg.Bound>().LocalAddress;

        using Socket first = Loopback.Connect(target);
        binder.ExpectMsg<TcpMsg.Connected>();
        IActorRef firstConnection = binder.LastSender;
        TestProbe firstHandler = CreateTestProbe();
        firstConnection.Tell(new TcpMsg.Register(firstHandler.Ref));
        first.Send("before"u8);
        firstHandler.ExpectMsg<TcpMsg.Received>();

        EventFilter.Exception<SelectorFailedException>().ExpectOne(() =>
            pollers.Break(0));

        var closed = firstHandler.ExpectMsg<TcpMsg.ErrorClosed>();
        Assert.Contains("selector failed", closed.Cause, StringComparison.OrdinalIgnoreCase);

        // The same listener, on the restarted selector, accepts and serves new clients.
        using Socket second = Loopback.Connect(target);
        binder.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef secondConnection = binder.LastSender;
        TestProbe secondHandler = CreateTestProbe();
        secondConnection.Tell(new TcpMsg.Register(secondHandler.Ref));
        second.Send("after"u8);
        Assert.Equal("after", secondHandler.ExpectMsg<TcpMsg.Received>().Data.ToString());
        AwaitAssert(() => Assert.Equal(2, ActorsIo.Get(Sys).SelectorLoads().Sum()), TestWaits.Expect);
    }
}
