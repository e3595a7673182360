using Actors.Io.Channels;
using Actors.Io.Loop;
using Actors.Io.Native;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// Owns one poller and runs on its own loop, of which it uses only <see cref="ISelectorLoop"/>. Each self-sent
/// <see cref="Select"/> takes the events of the loop's idle wait (or polls without blocking when the loop was busy), turns
/// each into a cached readiness message for the registrant, and then yields the thread whatever the dispatcher's
/// throughput: the next round is queued behind the work this one produced, or, with nothing queued, left to the loop's
/// blocking wait in the poller. Registrations, releases and handler watches arrive as messages between rounds; the
/// slots and the owner index are the <see cref="RegistrationTable"/>'s, the handler watches <see cref="HandlerWatches"/>'.
/// </summary>
internal sealed class SelectorActor : UntypedActor
{
    private readonly Selector _selector;
    private readonly ISelectorLoop _loop;
    private readonly PollerBackend _backend;
    private readonly int _maxEventsPerWait;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RegistrationTable _table = new();
    private readonly HandlerWatches _watches = new();
    private readonly StageWatches _stageWatches = new();
    private IPoller? _poller;
    private IRunnable? _selectAgain;
    private Exception? _failure;

    public SelectorActor(Selector selector, PollerBackend backend, int maxEventsPerWait)
    {
        _selector = selector;
        _loop = selector.Loop;
        _backend = backend;
        _maxEventsPerWait = maxEventsPerWait;
    }

    /// <summary>Waits in the poller and dispatches one round of events.</summary>
    internal sealed class Select : INoSerializationVerificationNeeded
    {
        public static readonly Select Instance = new();

        private Select()
        {
        }
    }

    /// <summary>Frees the slot of a closed registration.</summary>
    internal sealed record ReleaseRegistration(ChannelRegistration Registration)
        : INoSerializationVerificationNeeded, IDeadLetterSuppression;

    public static Props Props(Selector selector, PollerBackend backend, int maxEventsPerWait) =>
        Akka.Actor.Props.Create(() => new SelectorActor(selector, backend, maxEventsPerWait))
            .WithDeploy(Deploy.Local.WithDispatcher(selector.Loop.Id));

    protected override void PreStart()
    {
        _poller = _selector.CreatePoller(_backend, _maxEventsPerWait);
        _loop.AttachPoller(_poller);
        _selectAgain = new SelectAgain(Self);
        Self.Tell(Select.Instance, ActorRefs.NoSender);

        // A restart during a drain stopped every connection.
        ReportIfDrained(Context.GetChildren());
    }

    protected override void PostStop()
    {
        IPoller? poller = _poller;
        _poller = null;
        for (int i = 0; i < _table.Capacity; i++)
        {
            ChannelRegistration? registration = _table.At(i);
            if (registration is null) continue;
            _table.Free(registration, out _);
            bool kept = registration.CloseBySelector(_failure);
            _selector.Removed();
            if (_failure is not null) registration.Owner.Tell(new SelectorFailed(_failure, kept), ActorRefs.NoSender);
        }

        if (poller is not null)
        {
            _loop.DetachPoller(poller);
            poller.Dispose();
        }
    }

    protected override bool AroundReceive(Receive receive, object message)
    {
        try
        {
            return base.AroundReceive(receive, message);
        }
        catch (Exception e) when (e is not SelectorFailedException)
        {
            // Whatever broke, the way back is a fresh poller: restart rather than stop.
            _failure = new SelectorFailedException($"Selector {_selector.Index} failed handling {message.GetType().Name}: {e.Message}", e);
            throw _failure;
        }
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Select:
                RunSelect();
                break;
            case RegisterChannel register:
                Register(register, ownerIsChild: Context.Child(register.Owner.Path.Name).Equals(register.Owner));
                break;
            case SpawnChannel spawn:
                Spawn(spawn);
                break;
            case ReleaseRegistration release:
                Release(release.Registration);
                break;
            case IdleSweep.SweepTick:
                _selector.IdleSweep.Run(_loop, Self);
                break;
            case WatchIdle watch:
                _selector.IdleSweep.Add(watch.Entry, _loop, Self);
                break;
            case WatchHandler { WithoutChannel: true } watch:
                if (_stageWatches.Add(watch.Handler, Sender) && !_watches.Watches(watch.Handler)) Context.Watch(watch.Handler);
                break;
            case WatchHandler watch:
                WatchHandlerFor(Sender, watch.Handler);
                break;
            case UnwatchHandler unwatch:
                if (_stageWatches.Remove(unwatch.Handler, Sender) && !_watches.Watches(unwatch.Handler)) Context.Unwatch(unwatch.Handler);
                break;
            case DrainChannels drain:
                BeginDrain(drain);
                break;
            case CloseDrainedChannels close:
                TellConnections(close.Abort ? DrainSignal.Abort : DrainSignal.Close);
                break;
            case Terminated terminated:
                _ = _watches.HandlerDied(terminated.ActorRef);
                _ = _stageWatches.HandlerDied(terminated.ActorRef);
                OwnerTerminated(terminated.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RunSelect()
    {
        IPoller poller = _poller!;
        ISelectorLoop loop = _loop;
        if (!loop.TryTakeWaitResult(out int n)) n = poller.Wait(0);
        if (n < 0)
        {
            int errno = -n;
            _failure = new SelectorFailedException(
                $"Selector {_selector.Index} ({poller.Backend}) failed waiting for events: {Errno.Describe(errno)}; its {_table.Live} channels are closed and a new selector takes its place.");
            throw _failure;
        }

        int dispatched = Dispatch(poller, _table, n);
        SelectorCounters.Add(ref _selector.Counters.EventsDispatched, dispatched);

        // Yield the thread whatever the throughput: poll again behind the work this round produced, or, with nothing
        // queued, let the loop block in the poller until the kernel or another thread has something.
        if (loop.HasQueuedWork) loop.ExecuteLast(_selectAgain!);
        else loop.SelectWhenIdle(_selectAgain!);
    }

    /// <summary>
    /// Turns the first <paramref name="n"/> events of the last wait into cached readiness messages for their owners;
    /// the waker's event re-arms the waker, stale tokens are dropped. Returns the events dispatched. Allocates nothing.
    /// </summary>
    internal static int Dispatch(IPoller poller, RegistrationTable table, int n)
    {
        int dispatched = 0;
        for (int i = 0; i < n; i++)
        {
            poller.GetEvent(i, out ulong token, out PollEvents events);
            if (token == IPoller.WakeToken)
            {
                poller.ClearWake();
                continue;
            }

            ChannelRegistration? registration = table.Find(token);
            if (registration is null) continue;

            Interest fired = registration.OnEvent(events, out bool hangUp);
            IActorRef owner = registration.Owner;
            if ((fired & Interest.Read) != 0 && (registration.InlineReader is not { } reader || !reader.TryReadInline()))
            {
                owner.Tell(Readable.Instance, ActorRefs.NoSender);
            }

            if ((fired & Interest.Accept) != 0) owner.Tell(Acceptable.Instance, ActorRefs.NoSender);
            if ((fired & Interest.Write) != 0) owner.Tell(Writable.Instance, ActorRefs.NoSender);
            if ((fired & Interest.Connect) != 0) owner.Tell(Connectable.Instance, ActorRefs.NoSender);
            if (hangUp) owner.Tell(HangUp.Instance, ActorRefs.NoSender);
            dispatched++;
        }

        return dispatched;
    }

    /// <summary>
    /// Channel actors are stopped when they fail, never restarted. Their end is learnt from the strategy rather than from a
    /// watch, which would cost each connection a watcher set.
    /// </summary>
    protected override SupervisorStrategy SupervisorStrategy() => new ChannelSupervision(this);

    /// <summary>Before the restart stops the children, mark their registrations so they report the selector's failure.</summary>
    protected override void PreRestart(Exception reason, object message)
    {
        for (int i = 0; i < _table.Capacity; i++) _ = _table.At(i)?.CloseBySelector(_failure ?? reason);
        base.PreRestart(reason, message);
    }

    private void Spawn(SpawnChannel spawn)
    {
        IActorRef child;
        IActorRef? front = null;
        try
        {
            Props props = spawn.Props;
            if (spawn is { Front: { } frontProps, Behind: { } behind })
            {
                front = Context.ActorOf(frontProps is ChannelProps ? frontProps : frontProps.WithDispatcher(_loop.Id));
                props = behind(front);
            }

            child = Context.ActorOf(props is ChannelProps ? props : props.WithDispatcher(_loop.Id));
        }
        catch (Exception e)
        {
            if (front is not null) Context.Stop(front);
            spawn.Handle?.Dispose();
            _selector.Removed();
            _log.Error(e, "Could not start a channel actor");
            return;
        }

        if (spawn.Handle is not null) Register(new RegisterChannel(spawn.Handle, child, spawn.InitialInterest), ownerIsChild: true);
    }

    private void Register(RegisterChannel register, bool ownerIsChild)
    {
        (int slot, uint generation) = _table.Reserve();
        var registration = new ChannelRegistration(_poller!, _selector, slot, generation, register.Handle, register.Owner)
        {
            KeepOpenOnSelectorFailure = register.KeepOpenOnSelectorFailure,
            OwnerIsChild = ownerIsChild,
        };
        int rc = register.Handle.IsClosed ? Errno.EBADF : registration.Register(register.InitialInterest);
        if (rc != 0)
        {
            _table.Unreserve(slot);
            register.Handle.Dispose();
            _selector.Removed();
            register.Owner.Tell(
                new RegistrationFailed(new IOException($"Registering the channel with {_poller!.Backend} failed: {Errno.Describe(rc)}")),
                ActorRefs.NoSender);
            return;
        }

        if (_table.Fill(registration) && !ownerIsChild) Context.Watch(register.Owner);

        _selector.Trace?.Debug("Registered channel {0} for {1} on selector {2} (slot {3}, interest {4})", register.Handle.DangerousGetHandle(), register.Owner.Path, _selector.Index, slot, register.InitialInterest);
        register.Owner.Tell(new ChannelRegistered(registration), ActorRefs.NoSender);
    }

    private void Release(ChannelRegistration registration)
    {
        if (!_table.Free(registration, out bool lastOfOwner)) return;
        _selector.Removed();
        StopWatching(registration);
        if (lastOfOwner && !registration.OwnerIsChild) Context.Unwatch(registration.Owner);
    }

    private void WatchHandlerFor(IActorRef owner, IActorRef handler)
    {
        if (_table.FirstOf(owner) is not { } registration || !_watches.TryAdd(registration, handler, out bool newHandler))
        {
            owner.Tell(HandlerWatchRefused.Instance, ActorRefs.NoSender);
            return;
        }

        if (newHandler && !_stageWatches.Watches(handler)) Context.Watch(handler);
    }

    private void StopWatching(ChannelRegistration registration)
    {
        if (_watches.Remove(registration, out IActorRef? handler) && !_stageWatches.Watches(handler)) Context.Unwatch(handler);
    }

    private void OwnerTerminated(IActorRef owner)
    {
        while (_table.FirstOf(owner) is { } registration)
        {
            _ = _table.Free(registration, out _);
            _ = registration.CloseBySelector(null);
            _selector.Removed();
            StopWatching(registration);
        }
    }

    /// <summary>
    /// The drain's notice: the connections are this selector's children (accepted and outgoing alike), so the drain
    /// walks them once here and costs nothing per connection before it.
    /// </summary>
    private void BeginDrain(DrainChannels drain)
    {
        if (_selector.Draining is null)
        {
            _selector.Draining = drain.Notice;
            _selector.DrainReport = drain.ReportTo;
            TellConnections(DrainSignal.Notify);
        }

        ReportIfDrained(Context.GetChildren());
    }

    private void TellConnections(DrainSignal signal)
    {
        foreach (IActorRef child in Context.GetChildren()) child.Tell(signal, ActorRefs.NoSender);
    }

    private void ReportIfDrained(IEnumerable<IActorRef> children, IActorRef? gone = null)
    {
        if (_selector.DrainReport is not { } reportTo || children.Any(c => !c.Equals(gone))) return;
        _selector.DrainReport = null;
        reportTo.Tell(new ChannelsDrained(_selector.Index), ActorRefs.NoSender);
    }

    private sealed class ChannelSupervision(SelectorActor selector) : OneForOneStrategy(Akka.Actor.Decider.From(Directive.Stop))
    {
        public override void HandleChildTerminated(IActorContext actorContext, IActorRef child, IEnumerable<IInternalActorRef> children)
        {
            selector.OwnerTerminated(child);
            selector.ReportIfDrained(children, child);
        }
    }

    private sealed class SelectAgain(IActorRef self) : IRunnable
    {
        public void Run() => self.Tell(Select.Instance, ActorRefs.NoSender);

        public void Execute() => Run();
    }
}
