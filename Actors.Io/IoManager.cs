using Actors.Io.Channels;
using Actors.Io.Datagrams;
using Actors.Io.Selection;
using Actors.Io.Streams;
using Akka.Actor;

namespace Actors.Io;

/// <summary>
/// One per actor system: creates the selectors, places each channel on the least loaded one and enforces
/// <c>max-channels</c>. A selector whose poller fails is restarted in place with a new poller (its channels are closed
/// and their owners told); any other failed child is stopped, never restarted.
/// </summary>
internal sealed class IoManager : UntypedActor
{
    private readonly ActorsIoSettings _settings;
    private readonly SelectorPool _pool;

    public IoManager(ActorsIoSettings settings, SelectorPool pool)
    {
        _settings = settings;
        _pool = pool;
    }

    public static Props Props(ActorsIoSettings settings, SelectorPool pool) =>
        Akka.Actor.Props.Create(() => new IoManager(settings, pool)).WithDeploy(Deploy.Local);

    /// <summary>A selector whose poller failed restarts (same ref, new poller); any other failed child stops.</summary>
    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(e => e is SelectorFailedException ? Directive.Restart : Directive.Stop));

    protected override void PreStart()
    {
        for (int i = 0; i < _pool.Count; i++)
        {
            Selector selector = _pool[i];
            selector.Actor = Context.ActorOf(
                SelectorActor.Props(selector, _settings.Backend, _settings.MaxEventsPerWait), $"selector-{i}");
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Bind or Tcp.Connect or Udp.Bind or Udp.SimpleSender or UdpConnected.Connect:
                Open((IProtocolCommand)message);
                break;
            case IProtocolCommand command:
                Sender.Tell(command.FailureMessage(new NotSupportedException(
                    $"The IoManager opens channels (Tcp.Bind, Tcp.Connect, Udp.Bind, Udp.SimpleSender, UdpConnected.Connect); {command.GetType().Name} goes to the listener, connection or socket actor, the sender of Bound, Connected or SimpleSenderReady.")));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// Places the channel that <paramref name="command"/> opens on the least loaded selector and starts its actor, or
    /// answers the command's own failure past <c>max-channels</c>.
    /// </summary>
    private void Open(IProtocolCommand command)
    {
        if (!_pool.TryPlace(out Selector? selector))
        {
            Sender.Tell(command.FailureMessage(new ChannelLimitExceededException(_pool.Budget.MaxChannels)));
            return;
        }

        switch (command)
        {
            case Tcp.Bind bind:
                Context.ActorOf(TcpListener.Props(_pool, selector, _settings.Tcp, Sender, bind));
                break;
            case Tcp.Connect connect:
                // A child of its selector, as the connections a listener accepts are.
                selector.Actor.Tell(connect.Tls is { } tls
                    ? new SpawnChannel(TcpOutgoingConnection.Props(_settings.Tcp, selector, Sender, connect), null, Interest.None)
                    {
                        Front = Tls.TlsStage.Props(_settings.Tcp, selector, null, tls, Sender, connect, connect.PullMode),
                        // The stage reads for the handshake and holds reading back itself: the plain connection never pulls.
                        Behind = stage => TcpOutgoingConnection.Props(
                            _settings.Tcp, selector, stage, new Tcp.Connect(connect.RemoteAddress, connect.LocalAddress, connect.Options, connect.Timeout)),
                    }
                    : new SpawnChannel(TcpOutgoingConnection.Props(_settings.Tcp, selector, Sender, connect), null, Interest.None));
                break;
            case Udp.Bind bind:
                Context.ActorOf(UdpListener.Props(_settings.Udp, selector, Sender, bind));
                break;
            case Udp.SimpleSender simple:
                Context.ActorOf(UdpSender.Props(_settings.Udp, selector, Sender, simple));
                break;
            case UdpConnected.Connect connect:
                Context.ActorOf(UdpConnection.Props(_settings.Udp, selector, Sender, connect));
                break;
        }
    }
}
