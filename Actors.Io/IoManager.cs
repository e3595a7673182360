using Actors.Io.Selection;
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
        Akka.Actor.Props.Create(() => new IoManager(settings, pool));

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
            case RegisterChannel register:
                Place(register);
                break;
            case Tcp.Bind bind:
                if (_pool.TryPlace(out Selector? listenerSelector))
                {
                    Context.ActorOf(Streams.TcpListener.Props(_pool, listenerSelector, _settings.Tcp, Sender, bind));
                }
                else
                {
                    Sender.Tell(new Tcp.CommandFailed(bind, new ChannelLimitExceededException(_pool.Budget.MaxChannels)));
                }

                break;
            case Tcp.Connect connect:
                if (_pool.TryPlace(out Selector? selector))
                {
                    selector.Actor.Tell(new SpawnChannel(Streams.TcpOutgoingConnection.Props(_settings.Tcp, selector, Sender, connect), null, Interest.None));
                }
                else
                {
                    Sender.Tell(new Tcp.CommandFailed(connect, new ChannelLimitExceededException(_pool.Budget.MaxChannels)));
                }

                break;
            case Udp.Bind or Udp.SimpleSender or UdpConnected.Connect:
                PlaceUdp(message);
                break;
            case Udp.Command command:
                Sender.Tell(new Udp.CommandFailed(command, new NotSupportedException($"The IoManager takes Bind and SimpleSender; {command.GetType().Name} goes to the socket actor (the sender of Bound or SimpleSenderReady).")));
                break;
            case UdpConnected.Command command:
                Sender.Tell(new UdpConnected.CommandFailed(command, new NotSupportedException($"The IoManager takes Connect; {command.GetType().Name} goes to the socket actor (the sender of Connected).")));
                break;
            case Tcp.Command command:
                Sender.Tell(new Tcp.CommandFailed(command, new NotSupportedException($"The IoManager takes Bind and Connect; {command.GetType().Name} goes to a listener or a connection.")));
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>Creates the UDP socket actor on the least loaded selector's loop, or refuses past <c>max-channels</c>.</summary>
    private void PlaceUdp(object command)
    {
        if (!_pool.TryPlace(out Selector? selector))
        {
            var limit = new ChannelLimitExceededException(_pool.Budget.MaxChannels);
            Sender.Tell(command is UdpConnected.Connect connect ? new UdpConnected.CommandFailed(connect, limit) : new Udp.CommandFailed((Udp.Command)command, limit));
            return;
        }

        Context.ActorOf(command switch
        {
            Udp.Bind bind => Datagrams.UdpListener.Props(_settings.Udp, selector, Sender, bind),
            Udp.SimpleSender simple => Datagrams.UdpSender.Props(_settings.Udp, selector, Sender, simple),
            _ => Datagrams.UdpConnection.Props(_settings.Udp, selector, Sender, (UdpConnected.Connect)command),
        });
    }

    private void Place(RegisterChannel register)
    {
        if (!_pool.TryPlace(out Selector? target))
        {
            register.Handle.Dispose();
            register.Owner.Tell(new RegistrationFailed(new ChannelLimitExceededException(_pool.Budget.MaxChannels)), Self);
            return;
        }

        target.Actor.Tell(register, Self);
    }
}
