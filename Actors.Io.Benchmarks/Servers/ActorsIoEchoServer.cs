using System.Net;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// The library as a user writes it: Bind, answer each Connected with Register, and a handler that answers each Received
/// with a Write of the same bytes. Where the handler runs is the <see cref="HandlerPlacement"/>: <c>actors-io</c> and
/// <c>actors-io-leased</c> start it on the selector's event loop by hand (one selector: the server is pinned to one
/// core) with the compact mailbox; <c>actors-io-readme</c> registers its props, as the README's echo server does, and
/// the connection starts it (the same placement); <c>actors-io-ported</c> makes it with <c>Context.ActorOf</c> on Akka's
/// default dispatcher, as code ported from Akka.IO does. In leased receive the handler writes each lent buffer back.
/// With <paramref name="tls"/> the Bind takes TLS (<see cref="BenchCertificate.Server"/>): <c>actors-io-tls</c>,
/// <c>actors-io-tls-leased</c> and <c>actors-io-tls-readme</c>; the handler sees plaintext, the TLS stage does the rest.
/// </summary>
internal sealed class ActorsIoEchoServer(Tcp.ReceiveMode receive, HandlerPlacement placement = HandlerPlacement.LoopByHand, bool tls = false) : IEchoServer
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
        _system = ActorSystem.Create(tls ? "actors-io-tls-echo" : "actors-io-echo", Config);
        string loop = ActorsIo.Get(_system).LoopDispatcherIds[0];
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _system.ActorOf(Props.Create(() => new Listener(new IPEndPoint(IPAddress.Loopback, port), loop, receive, placement, tls ? new Tcp.TlsServerSettings(BenchCertificate.Server) : null, bound)), "echo");
        return bound.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    public void Dispose() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed class Listener : ReceiveActor
    {
        public Listener(EndPoint endpoint, string loopDispatcher, Tcp.ReceiveMode receive, HandlerPlacement placement, Tcp.TlsServerSettings? tls, TaskCompletionSource<int> bound)
        {
            Context.System.Io().Tell(new Tcp.Bind(Self, endpoint, backlog: EchoServers.Backlog, tls: tls));
            Receive<Tcp.Bound>(b => bound.TrySetResult(((IPEndPoint)b.LocalAddress).Port));
            Receive<Tcp.CommandFailed>(f => bound.TrySetException(new InvalidOperationException($"Bind failed: {f.Cause?.Message}")));
            Receive<Tcp.Connected>(_ =>
            {
                IActorRef connection = Sender;
                Props props = Props.Create(() => new EchoHandler(connection));
                Tcp.Register register = placement switch
                {
                    HandlerPlacement.Props => new Tcp.Register(props, keepOpenOnPeerClosed: true, receiveMode: receive),
                    HandlerPlacement.DefaultDispatcher => new Tcp.Register(Context.ActorOf(props), keepOpenOnPeerClosed: true, receiveMode: receive),
                    _ => new Tcp.Register(Context.ActorOf(props.WithDispatcher(loopDispatcher).WithMailbox(CompactMailbox.ConfigPath)), keepOpenOnPeerClosed: true, receiveMode: receive),
                };
                connection.Tell(register);
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

            // Started from props the connection stops it; made by hand it stops itself.
            Receive<Tcp.ConnectionClosed>(_ => Context.Stop(Self));
            Receive<Tcp.CommandFailed>(_ => connection.Tell(Tcp.Abort.Instance));
        }
    }
}

/// <summary>Where the echo handler runs and who starts it.</summary>
internal enum HandlerPlacement
{
    /// <summary>Made by the bind actor on the selector's event loop with the compact mailbox (the tuned server).</summary>
    LoopByHand,

    /// <summary>Started by the connection from the props in its Register (the README's way).</summary>
    Props,

    /// <summary>Made by the bind actor on Akka's default dispatcher (code ported from Akka.IO).</summary>
    DefaultDispatcher,
}
