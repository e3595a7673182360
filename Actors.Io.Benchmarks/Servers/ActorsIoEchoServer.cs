using System.Net;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// The library as a user writes it: Bind, answer each Connected with Register, and a handler that answers each Received
/// with a Write of the same bytes. The handler runs on the selector's event loop (one selector: the server is pinned to
/// one core), the placement the README recommends for the lowest latency, with the compact mailbox it recommends for
/// servers holding many connections. In leased receive (<c>actors-io-leased</c>) the handler writes each lent buffer back.
/// </summary>
internal sealed class ActorsIoEchoServer(Tcp.ReceiveMode receive) : IEchoServer
{
    private ActorSystem? _system;

    public static Config Config => EchoServers.ExtraConfig().WithFallback(ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        actors-io.nr-of-selectors = 1
        """));

    public int Start(int port)
    {
        _system = ActorSystem.Create("actors-io-echo", Config);
        string loop = ActorsIo.Get(_system).LoopDispatcherIds[0];
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _system.ActorOf(Props.Create(() => new Listener(new IPEndPoint(IPAddress.Loopback, port), loop, receive, bound)), "echo");
        return bound.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    public void Dispose() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed class Listener : ReceiveActor
    {
        public Listener(EndPoint endpoint, string loopDispatcher, Tcp.ReceiveMode receive, TaskCompletionSource<int> bound)
        {
            Context.System.Io().Tell(new Tcp.Bind(Self, endpoint, backlog: EchoServers.Backlog));
            Receive<Tcp.Bound>(b => bound.TrySetResult(((IPEndPoint)b.LocalAddress).Port));
            Receive<Tcp.CommandFailed>(f => bound.TrySetException(new InvalidOperationException($"Bind failed: {f.Cause?.Message}")));
            Receive<Tcp.Connected>(_ =>
            {
                IActorRef connection = Sender;
                IActorRef handler = Context.ActorOf(Props.Create(() => new EchoHandler(connection)).WithDispatcher(loopDispatcher).WithMailbox(CompactMailbox.ConfigPath));
                connection.Tell(new Tcp.Register(handler, keepOpenOnPeerClosed: true, receiveMode: receive));
            });
        }
    }

    private sealed class EchoHandler : ReceiveActor
    {
        public EchoHandler(IActorRef connection)
        {
            Receive<Tcp.Received>(received => connection.Tell(Tcp.Write.Create(received.Data)));
            Receive<Tcp.LeasedReceived>(leased => connection.Tell(leased.Write()));
            Receive<Tcp.PeerClosed>(_ => connection.Tell(Tcp.Close.Instance));
            Receive<Tcp.ConnectionClosed>(_ => Context.Stop(Self));
            Receive<Tcp.CommandFailed>(_ => connection.Tell(Tcp.Abort.Instance));
        }
    }
}
