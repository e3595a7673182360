using System.Net;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using AkkaTcp = Akka.IO.Tcp;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// Akka.NET's own Akka.IO TCP (<c>Context.System.Tcp()</c>; its <c>Tcp</c> is aliased <c>AkkaTcp</c> because inside
/// <c>Actors.Io.*</c> the name <c>Tcp</c> means the library's protocol) with the same handler shape as <see cref="ActorsIoEchoServer"/>,
/// on Akka's default settings (handler on the default dispatcher; Akka.IO's 512-byte receive buffers and 8 KiB socket
/// buffers).
/// </summary>
internal sealed class AkkaIoEchoServer : IEchoServer
{
    private ActorSystem? _system;

    public int Start(int port)
    {
        _system = ActorSystem.Create("akka-io-echo", EchoServers.ExtraConfig().WithFallback(ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            akka.log-dead-letters = off
            akka.log-dead-letters-during-shutdown = off
            """)));
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _system.ActorOf(Props.Create(() => new Listener(new IPEndPoint(IPAddress.Loopback, port), bound)), "echo");
        return bound.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
    }

    public void Dispose() => _system?.Terminate().Wait(TimeSpan.FromSeconds(10));

    private sealed class Listener : ReceiveActor
    {
        public Listener(EndPoint endpoint, TaskCompletionSource<int> bound)
        {
            Context.System.Tcp().Tell(new AkkaTcp.Bind(Self, endpoint, backlog: EchoServers.Backlog));
            Receive<AkkaTcp.Bound>(b => bound.TrySetResult(((IPEndPoint)b.LocalAddress).Port));
            Receive<AkkaTcp.CommandFailed>(f => bound.TrySetException(new InvalidOperationException($"Bind failed: {f}")));
            Receive<AkkaTcp.Connected>(_ =>
            {
                IActorRef connection = Sender;
                IActorRef handler = Context.ActorOf(Props.Create(() => new EchoHandler(connection)));
                connection.Tell(new AkkaTcp.Register(handler, keepOpenOnPeerClosed: true));
            });
        }
    }

    private sealed class EchoHandler : ReceiveActor
    {
        public EchoHandler(IActorRef connection)
        {
            Receive<AkkaTcp.Received>(received => connection.Tell(AkkaTcp.Write.Create(received.Data)));
            Receive<AkkaTcp.PeerClosed>(_ => connection.Tell(AkkaTcp.Close.Instance));
            Receive<AkkaTcp.ConnectionClosed>(_ => Context.Stop(Self));
            Receive<AkkaTcp.CommandFailed>(_ => connection.Tell(AkkaTcp.Abort.Instance));
        }
    }
}
