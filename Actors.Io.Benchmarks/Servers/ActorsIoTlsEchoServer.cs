using System.Net;
using Akka.Actor;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// <see cref="ActorsIoEchoServer"/> over TLS: the same listener and handler placement (on the selector's event loop,
/// compact mailbox), with <c>tls:</c> on the <see cref="Tcp.Bind"/> and <see cref="BenchCertificate.Server"/>. The
/// handler sees plaintext and writes it back; the TLS stage in front of each connection does the rest.
/// </summary>
internal sealed class ActorsIoTlsEchoServer : IEchoServer
{
    private ActorSystem? _system;

    public int Start(int port)
    {
        _system = ActorSystem.Create("actors-io-tls-echo", ActorsIoEchoServer.Config);
        string loop = ActorsIo.Get(_system).LoopDispatcherIds[0];
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var tls = new Tcp.TlsServerSettings(BenchCertificate.Server);
        _system.ActorOf(Props.Create(() => new Listener(new IPEndPoint(IPAddress.Loopback, port), loop, tls, bound)), "echo");
        return bound.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    public void Dispose() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed class Listener : ReceiveActor
    {
        public Listener(EndPoint endpoint, string loopDispatcher, Tcp.TlsServerSettings tls, TaskCompletionSource<int> bound)
        {
            Context.System.Io().Tell(new Tcp.Bind(Self, endpoint, backlog: EchoServers.Backlog, tls: tls));
            Receive<Tcp.Bound>(b => bound.TrySetResult(((IPEndPoint)b.LocalAddress).Port));
            Receive<Tcp.CommandFailed>(f => bound.TrySetException(new InvalidOperationException($"Bind failed: {f.Cause?.Message}")));
            Receive<Tcp.Connected>(_ =>
            {
                IActorRef connection = Sender;
                IActorRef handler = Context.ActorOf(Props.Create(() => new EchoHandler(connection)).WithDispatcher(loopDispatcher).WithMailbox(CompactMailbox.ConfigPath));
                connection.Tell(new Tcp.Register(handler, keepOpenOnPeerClosed: true));
            });
        }
    }

    private sealed class EchoHandler : ReceiveActor
    {
        public EchoHandler(IActorRef connection)
        {
            Receive<Tcp.Received>(received => connection.Tell(Tcp.Write.Create(received.Data)));
            Receive<Tcp.PeerClosed>(_ => connection.Tell(Tcp.Close.Instance));
            Receive<Tcp.ConnectionClosed>(_ => Context.Stop(Self));
            Receive<Tcp.CommandFailed>(_ => connection.Tell(Tcp.Abort.Instance));
        }
    }
}
