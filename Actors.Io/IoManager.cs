using Actors.Io.Channels;
using Actors.Io.Datagrams;
using Actors.Io.Selection;
using Actors.Io.Streams;
using Akka;
using Akka.Actor;

namespace Actors.Io;

/// <summary>
/// One per actor system: creates the selectors, places each channel on the least loaded one and enforces
/// <c>max-channels</c>. A selector whose poller fails is restarted in place with a new poller (its channels are closed
/// and their owners told); any other failed child is stopped, never restarted. It also runs the drain, in three steps
/// (<see cref="Unbind"/>, <see cref="Drain"/>, <see cref="CloseRest"/>), each answered with <see cref="Done"/>.
/// </summary>
internal sealed class IoManager : UntypedActor, IWithTimers
{
    private readonly ActorsIoSettings _settings;
    private readonly SelectorPool _pool;
    private readonly DrainStatus _status;
    private readonly HashSet<IActorRef> _listeners = [];
    private DrainState? _drain;

    public ITimerScheduler Timers { get; set; } = null!;

    public IoManager(ActorsIoSettings settings, SelectorPool pool, DrainStatus status)
    {
        _settings = settings;
        _pool = pool;
        _status = status;
    }

    public static Props Props(ActorsIoSettings settings, SelectorPool pool, DrainStatus status) =>
        Akka.Actor.Props.Create(() => new IoManager(settings, pool, status)).WithDeploy(Deploy.Local);

    /// <summary>The drain's first step: close every TCP and Unix listener; answered when they are all gone.</summary>
    internal sealed class Unbind : INoSerializationVerificationNeeded
    {
        public static readonly Unbind Instance = new();

        private Unbind()
        {
        }
    }

    /// <summary>
    /// The second step (after the first, which it runs if needed): tell every connection's handler
    /// <see cref="Tcp.Draining"/>; answered when no connection is left or <paramref name="Timeout"/> has passed. A later
    /// call joins the drain under way, whatever its timeout.
    /// </summary>
    internal sealed record Drain(TimeSpan Timeout) : INoSerializationVerificationNeeded;

    /// <summary>The last step: close or abort (<c>on-timeout</c>) the connections still open; answered when none is left.</summary>
    internal sealed class CloseRest : INoSerializationVerificationNeeded
    {
        public static readonly CloseRest Instance = new();

        private CloseRest()
        {
        }
    }

    /// <summary>The drain's deadline, from the manager's own timer.</summary>
    private sealed class DeadlinePassed : INoSerializationVerificationNeeded
    {
        public static readonly DeadlinePassed Instance = new();
    }

    /// <summary>A selector whose poller failed restarts (same ref, new poller); any other failed child stops.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new ManagerSupervision(this);

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
            case Tcp.Bind when _drain is not null:
            case Tcp.Connect when _drain is { Notice: not null }:
                Sender.Tell(((IProtocolCommand)message).FailureMessage(new InvalidOperationException(
                    $"Actors.Io is draining: it opens no {(message is Tcp.Bind ? "listener" : "TCP connection")} any more.")));
                break;
            case Tcp.Bind or Tcp.Connect or Udp.Bind or Udp.SimpleSender or UdpConnected.Connect:
                Open((IProtocolCommand)message);
                break;
            case Unbind:
                BeginUnbind().UnbindWaiters.Add(Sender);
                AnswerDone();
                break;
            case Drain drain:
                BeginDrain(drain.Timeout).DrainWaiters.Add(Sender);
                AnswerDone();
                break;
            case CloseRest:
                BeginCloseRest().CloseWaiters.Add(Sender);
                AnswerDone();
                break;
            case ChannelsDrained drained when _drain is { Notice: not null } state && !state.Drained[drained.Index]:
                state.Drained[drained.Index] = true;
                state.SelectorsLeft--;
                AnswerDone();
                break;
            case DeadlinePassed when _drain is { } state:
                state.DeadlinePassed = true;
                AnswerDone();
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
                // Built here, once per settings, not by the first handshake on the loop (where it stalled every
                // connection of that loop for about 130 ms: the chain, and the platform's TLS library loading).
                _ = bind.Tls?.CertificateContext;
                _listeners.Add(Context.ActorOf(TcpListener.Props(_pool, selector, _settings.Tcp, Sender, bind)));
                break;
            case Tcp.Connect connect:
                if (connect.Tls is not null) Tls.TlsWarmUp.Once();

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

    private DrainState BeginUnbind()
    {
        if (_drain is { } state) return state;
        _drain = state = new DrainState(_pool.Count);
        _status.Begun = true;
        foreach (IActorRef listener in _listeners) listener.Tell(StopAccepting.Instance, Self);
        return state;
    }

    private DrainState BeginDrain(TimeSpan timeout)
    {
        DrainState state = BeginUnbind();
        if (state.Notice is not null) return state;
        state.Notice = new Tcp.Draining(DateTimeOffset.UtcNow + timeout, timeout);
        for (int i = 0; i < _pool.Count; i++) _pool[i].Actor.Tell(new DrainChannels(state.Notice, Self), Self);
        if (timeout > TimeSpan.Zero) Timers.StartSingleTimer(DeadlinePassed.Instance, DeadlinePassed.Instance, timeout);
        else state.DeadlinePassed = true;
        return state;
    }

    private DrainState BeginCloseRest()
    {
        DrainState state = BeginDrain(TimeSpan.Zero);
        if (state.Closing) return state;
        state.Closing = true;
        bool abort = _settings.CoordinatedShutdown.OnTimeout == DrainTimeoutAction.Abort;
        for (int i = 0; i < _pool.Count; i++)
        {
            if (!state.Drained[i]) _pool[i].Actor.Tell(new CloseDrainedChannels(abort), Self);
        }

        return state;
    }

    /// <summary>Answers every step that is over.</summary>
    private void AnswerDone()
    {
        if (_drain is not { } state) return;
        if (_listeners.Count == 0) Answer(state.UnbindWaiters);
        if (state.SelectorsLeft == 0 || state.DeadlinePassed) Answer(state.DrainWaiters);
        if (state.SelectorsLeft == 0)
        {
            Answer(state.CloseWaiters);
            _status.Done = true;
        }
    }

    private static void Answer(List<IActorRef> waiters)
    {
        foreach (IActorRef waiter in waiters) waiter.Tell(Done.Instance);
        waiters.Clear();
    }

    /// <summary>Where the drain is; made when it begins, so a manager that never drains holds nothing for it.</summary>
    private sealed class DrainState(int selectors)
    {
        public List<IActorRef> UnbindWaiters { get; } = [];

        public List<IActorRef> DrainWaiters { get; } = [];

        public List<IActorRef> CloseWaiters { get; } = [];

        public Tcp.Draining? Notice { get; set; }

        public bool[] Drained { get; } = new bool[selectors];

        public int SelectorsLeft { get; set; } = selectors;

        public bool DeadlinePassed { get; set; }

        public bool Closing { get; set; }
    }

    /// <summary>The supervision, which also learns of each listener's end (no watch needed: they are children).</summary>
    private sealed class ManagerSupervision(IoManager manager)
        : OneForOneStrategy(Akka.Actor.Decider.From(e => e is SelectorFailedException ? Directive.Restart : Directive.Stop))
    {
        public override void HandleChildTerminated(IActorContext actorContext, IActorRef child, IEnumerable<IInternalActorRef> children)
        {
            if (manager._listeners.Remove(child)) manager.AnswerDone();
        }
    }
}

/// <summary>What the manager tells the extension of a drain (<see cref="ActorsIo.IsDraining"/>).</summary>
internal sealed class DrainStatus
{
    private volatile bool _begun;
    private volatile bool _done;

    public bool Begun
    {
        get => _begun;
        set => _begun = value;
    }

    public bool Done
    {
        get => _done;
        set => _done = value;
    }
}
