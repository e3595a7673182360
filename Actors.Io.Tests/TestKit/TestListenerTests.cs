using Actors.Io.TestKit;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using Xunit.Sdk;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.TestKit;

/// <summary>The test listener: it announces test connections to a server actor, honours pull mode and Unbind.</summary>
public sealed class TestListenerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.Quiet, output: output)
{
    [Fact]
    public void Each_accepted_connection_is_announced_to_the_server_which_registers_a_handler()
    {
        TestProbe handler = CreateTestProbe();
        IActorRef server = Sys.ActorOf(Props.Create(() => new RegisteringServer(handler)));
        TestListener listener = TestListener.Create(this, server);

        TestConnection first = listener.Accept(timeout: TestWaits.Expect);
        TestConnection second = listener.Accept(timeout: TestWaits.Expect);
        Assert.Equal(handler.Ref, first.ExpectRegistered(TestWaits.Expect).Handler);
        Assert.Equal(handler.Ref, second.ExpectRegistered(TestWaits.Expect).Handler);
        Assert.NotEqual(first.Connected.RemoteAddress, second.Connected.RemoteAddress);
        Assert.Equal(listener.Bound.LocalAddress, first.Connected.LocalAddress);

        second.PushReceived("to the second");
        Assert.Equal("to the second", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Equal(second.Connection, handler.LastSender);
    }

    [Fact]
    public void In_pull_mode_a_connection_is_accepted_only_against_ResumeAccepting()
    {
        TestProbe handler = CreateTestProbe();
        IActorRef server = Sys.ActorOf(Props.Create(() => new RegisteringServer(handler)));
        TestListener listener = TestListener.Create(this, server, pullMode: true);
        var refused = Assert.ThrowsAny<XunitException>(() => listener.Accept(timeout: TestWaits.Expect));
        Assert.Contains("ResumeAccepting", refused.Message);

        listener.Listener.Tell(new TcpMsg.ResumeAccepting(1), server);
        TestConnection connection = listener.Accept(timeout: TestWaits.Expect);
        Assert.True(connection.Settings.PullMode);
        connection.ExpectRegistered(TestWaits.Expect);
        Assert.ThrowsAny<XunitException>(() => listener.Accept(timeout: TestWaits.Expect));
    }

    [Fact]
    public void Unbind_is_answered_with_Unbound_and_ends_accepting()
    {
        TestListener listener = TestListener.Create(this, TestActor);
        listener.AnnounceBound();
        Assert.Equal(listener.Bound, ExpectMsg<TcpMsg.Bound>(TestWaits.Expect));
        Assert.Equal(listener.Listener, LastSender);

        LastSender.Tell(TcpMsg.Unbind.Instance, TestActor);
        ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        listener.ExpectUnbound(TestWaits.Expect);
        Assert.Contains("unbound", Assert.ThrowsAny<XunitException>(() => listener.Accept(timeout: TestWaits.Expect)).Message);
    }

    /// <summary>A server as users write them: registers one handler for every connection.</summary>
    private sealed class RegisteringServer : ReceiveActor
    {
        public RegisteringServer(IActorRef handler) =>
            Receive<TcpMsg.Connected>(_ => Sender.Tell(new TcpMsg.Register(handler)));
    }
}
