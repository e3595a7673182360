using System.Net.Security;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary><c>Register(Props)</c> on a TLS connection: the TLS connection starts the handler, on its loop, as its child.</summary>
public sealed class TlsRegisterPropsTests(ITestOutputHelper output) : TlsTestKit(output)
{
    [Fact]
    public async Task The_TLS_connection_starts_the_handler_on_its_loop_and_stops_it_after_the_final_event()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        Watch(connection);

        TestProbe probe = CreateTestProbe();
        connection.Tell(new TcpMsg.Register(Props.Create(() => new PlainEcho(probe.Ref))));
        (string dispatcher, IActorRef parent) = probe.ExpectMsg<(string, IActorRef)>(TestWaits.Expect);
        Assert.Contains(dispatcher, ActorsIo.Get(Sys).LoopDispatcherIds);
        Assert.Equal(connection, parent);

        await client.WriteAsync("secret"u8.ToArray());
        Assert.Equal("secret", await ReadTextAsync(client, 6));

        await client.ShutdownAsync();
        probe.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        probe.ExpectMsg("stopped", TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Fact]
    public async Task The_TLS_connection_and_the_handler_it_starts_have_the_compact_mailbox()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        using (client)
        {
            Assert.IsType<CompactMessageQueue>(QueueOf(connection));

            TestProbe probe = CreateTestProbe();
            connection.Tell(new TcpMsg.Register(Props.Create(() => new SelfReporter(probe.Ref))));
            Assert.IsType<CompactMessageQueue>(QueueOf(probe.ExpectMsg<IActorRef>(TestWaits.Expect)));
        }
    }

    private static object? QueueOf(IActorRef actor) => ((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox?.MessageQueue;

    private sealed class SelfReporter(IActorRef probe) : UntypedActor
    {
        protected override void PreStart() => probe.Tell(Self);

        protected override void OnReceive(object message)
        {
        }
    }

    private sealed class PlainEcho(IActorRef probe) : UntypedActor
    {
        protected override void PreStart() => probe.Tell((Context.Props.Dispatcher, Context.Parent));

        protected override void PostStop() => probe.Tell("stopped");

        protected override void OnReceive(object message)
        {
            if (message is TcpMsg.Received received) Sender.Tell(TcpMsg.Write.Create(received.Data));
            else if (message is TcpMsg.ConnectionClosed) probe.Tell(message);
        }
    }
}
