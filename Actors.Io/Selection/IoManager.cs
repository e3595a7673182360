using Akka.Actor;

namespace Actors.Io.Selection;

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
            SelectorShared shared = _pool[i];
            shared.Selector = Context.ActorOf(
                SelectorActor.Props(shared, _settings.Backend, _settings.MaxEventsPerWait), $"selector-{i}");
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
                if (_pool.TryPlace(out SelectorShared? listenerHome))
                {
                    Context.ActorOf(Transport.TcpListener.Props(_pool, listenerHome, _settings.Tcp, Sender, bind));
                }
                else
                {
                    Sender.Tell(new Tcp.CommandFailed(bind, new ChannelLimitExceededException(_pool.Budget.MaxChannels)));
                }

                break;
            case Tcp.Connect connect:
                if (_pool.TryPlace(out SelectorShared? home))
                {
                    home.Selector.Tell(new SpawnChannel(Transport.TcpOutgoingConnection.Props(_settings.Tcp, home, Sender, connect), null, Interest.None));
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
        if (!_pool.TryPlace(out SelectorShared? home))
        {
            var limit = new ChannelLimitExceededException(_pool.Budget.MaxChannels);
            Sender.Tell(command is UdpConnected.Connect connect ? new UdpConnected.CommandFailed(connect, limit) : new Udp.CommandFailed((Udp.Command)command, limit));
            return;
        }

        Context.ActorOf(command switch
        {
            Udp.Bind bind => Transport.UdpListener.Props(_settings.Udp, home, Sender, bind),
            Udp.SimpleSender simple => Transport.UdpSender.Props(_settings.Udp, home, Sender, simple),
            _ => Transport.UdpConnection.Props(_settings.Udp, home, Sender, (UdpConnected.Connect)command),
        });
    }

    private void Place(RegisterChannel register)
    {
        if (!_pool.TryPlace(out SelectorShared? target))
        {
            register.Handle.Dispose();
            register.Owner.Tell(new RegistrationFailed(new ChannelLimitExceededException(_pool.Budget.MaxChannels)), Self);
            return;
        }

        target.Selector.Tell(register, Self);
    }
}
