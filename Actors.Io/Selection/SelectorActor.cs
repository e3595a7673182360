using Actors.Io.Native;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// Owns one poller and runs on its own loop (see <see cref="EventLoop"/>). Each self-sent <see cref="Select"/> waits in
/// the poller (blocking only while the loop has no other work), turns each ready event into a cached readiness message
/// for the registrant, and then queues the next <see cref="Select"/> behind the work it produced, so it yields the thread
/// after every round whatever the dispatcher's throughput. Registrations and releases arrive as messages between rounds.
/// </summary>
internal sealed class SelectorActor : UntypedActor
{
    private readonly SelectorShared _shared;
    private readonly PollerBackend _backend;
    private readonly int _maxEventsPerWait;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IActorRef, ChannelRegistration> _byOwner = [];
    private readonly Stack<int> _freeSlots = new();
    private ChannelRegistration?[] _slots = new ChannelRegistration?[64];
    private uint[] _generations = new uint[64];
    private int _slotCount;
    private IPoller? _poller;
    private IRunnable? _selectAgain;
    private Exception? _failure;

    public SelectorActor(SelectorShared shared, PollerBackend backend, int maxEventsPerWait)
    {
        _shared = shared;
        _backend = backend;
        _maxEventsPerWait = maxEventsPerWait;
    }

    /// <summary>Events dispatched to registrants since start (selector thread writes; readers tolerate staleness).</summary>
    internal long EventsDispatched { get; private set; }

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

    /// <summary>Test hook: makes the next wait fail as a broken poller would.</summary>
    internal sealed class BreakPoller : INoSerializationVerificationNeeded
    {
        public static readonly BreakPoller Instance = new();

        private BreakPoller()
        {
        }
    }

    public static Props Props(SelectorShared shared, PollerBackend backend, int maxEventsPerWait) =>
        Akka.Actor.Props.Create(() => new SelectorActor(shared, backend, maxEventsPerWait))
            .WithDispatcher(shared.Loop.Id);

    protected override void PreStart()
    {
        _poller = PollerFactory.Create(_backend, _maxEventsPerWait);
        _shared.Selector = Self;
        _shared.Loop.AttachPoller(_poller);
        _selectAgain = new SelectAgain(Self);
        Self.Tell(Select.Instance, ActorRefs.NoSender);
    }

    protected override void PostStop()
    {
        IPoller? poller = _poller;
        _poller = null;
        for (int i = 0; i < _slotCount; i++)
        {
            ChannelRegistration? registration = _slots[i];
            if (registration is null) continue;
            _slots[i] = null;
            registration.CloseBySelector();
            _shared.Removed();
            if (_failure is not null) registration.Owner.Tell(new SelectorFailed(_failure), ActorRefs.NoSender);
        }

        if (poller is not null)
        {
            _shared.Loop.DetachPoller(poller);
            poller.Dispose();
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
                Register(register);
                break;
            case ReleaseRegistration release:
                Release(release.Registration);
                break;
            case Terminated terminated:
                OwnerTerminated(terminated.ActorRef);
                break;
            case BreakPoller when _poller is EpollPoller epoll:
                epoll.Handle.Dispose();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void RunSelect()
    {
        IPoller poller = _poller!;
        EventLoop loop = _shared.Loop;
        bool block = loop.TryBeginPollerSleep();
        int n = poller.Wait(block ? -1 : 0);
        if (block) loop.EndPollerSleep();

        if (n < 0)
        {
            int errno = -n;
            _failure = new SelectorFailedException(
                $"Selector {_shared.Index} ({poller.Backend}) failed waiting for events: {Errno.Describe(errno)}; its {CountLive()} channels are closed and a new selector takes its place.");
            throw _failure;
        }

        ChannelRegistration?[] slots = _slots;
        uint[] generations = _generations;
        for (int i = 0; i < n; i++)
        {
            poller.GetEvent(i, out ulong token, out PollEvents events);
            if (token == IPoller.WakeToken)
            {
                poller.ClearWake();
                continue;
            }

            int slot = (int)(uint)token;
            if ((uint)slot >= (uint)_slotCount || generations[slot] != (uint)(token >> 32)) continue;
            ChannelRegistration? registration = slots[slot];
            if (registration is null) continue;

            Interest fired = registration.OnEvent(events, out bool hangUp);
            IActorRef owner = registration.Owner;
            if ((fired & Interest.Read) != 0) owner.Tell(Readable.Instance, ActorRefs.NoSender);
            if ((fired & Interest.Accept) != 0) owner.Tell(Acceptable.Instance, ActorRefs.NoSender);
            if ((fired & Interest.Write) != 0) owner.Tell(Writable.Instance, ActorRefs.NoSender);
            if ((fired & Interest.Connect) != 0) owner.Tell(Connectable.Instance, ActorRefs.NoSender);
            if (hangUp) owner.Tell(HangUp.Instance, ActorRefs.NoSender);
            EventsDispatched++;
        }

        // Queue the next round behind everything this round produced: the thread is yielded, whatever the throughput.
        loop.Execute(_selectAgain!);
    }

    private void Register(RegisterChannel register)
    {
        int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : NewSlot();
        uint generation = ++_generations[slot];
        if (generation == uint.MaxValue) generation = _generations[slot] = 1;
        var registration = new ChannelRegistration(_poller!, _shared, slot, generation, register.Handle, register.Owner);
        int rc = register.Handle.IsClosed ? Errno.EBADF : registration.Register(register.InitialInterest);
        if (rc != 0)
        {
            _freeSlots.Push(slot);
            register.Handle.Dispose();
            _shared.Removed();
            register.Owner.Tell(
                new RegistrationFailed(new IOException($"Registering the channel with {_poller!.Backend} failed: {Errno.Describe(rc)}")),
                ActorRefs.NoSender);
            return;
        }

        _slots[slot] = registration;
        if (_byOwner.TryGetValue(register.Owner, out ChannelRegistration? first))
        {
            registration.NextOfOwner = first.NextOfOwner;
            first.NextOfOwner = registration;
        }
        else
        {
            _byOwner[register.Owner] = registration;
            Context.Watch(register.Owner);
        }

        register.Owner.Tell(new ChannelRegistered(registration), ActorRefs.NoSender);
    }

    private int NewSlot()
    {
        if (_slotCount == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
            Array.Resize(ref _generations, _generations.Length * 2);
        }

        return _slotCount++;
    }

    private void Release(ChannelRegistration registration)
    {
        int slot = registration.Slot;
        if (_slots[slot] != registration) return;
        _slots[slot] = null;
        _generations[slot]++;
        _freeSlots.Push(slot);
        _shared.Removed();
        UnlinkOwner(registration);
    }

    private void UnlinkOwner(ChannelRegistration registration)
    {
        IActorRef owner = registration.Owner;
        if (!_byOwner.TryGetValue(owner, out ChannelRegistration? first)) return;
        if (first == registration)
        {
            if (registration.NextOfOwner is { } next) _byOwner[owner] = next;
            else
            {
                _byOwner.Remove(owner);
                Context.Unwatch(owner);
            }

            return;
        }

        for (ChannelRegistration? r = first; r is not null; r = r.NextOfOwner)
        {
            if (r.NextOfOwner == registration)
            {
                r.NextOfOwner = registration.NextOfOwner;
                return;
            }
        }
    }

    private void OwnerTerminated(IActorRef owner)
    {
        if (!_byOwner.Remove(owner, out ChannelRegistration? registration)) return;
        for (ChannelRegistration? r = registration; r is not null;)
        {
            ChannelRegistration? next = r.NextOfOwner;
            r.NextOfOwner = null;
            if (_slots[r.Slot] == r)
            {
                _slots[r.Slot] = null;
                _generations[r.Slot]++;
                _freeSlots.Push(r.Slot);
                r.CloseBySelector();
                _shared.Removed();
            }

            r = next;
        }
    }

    private int CountLive()
    {
        int live = 0;
        for (int i = 0; i < _slotCount; i++)
        {
            if (_slots[i] is not null) live++;
        }

        return live;
    }

    private sealed class SelectAgain(IActorRef self) : IRunnable
    {
        public void Run() => self.Tell(Select.Instance, ActorRefs.NoSender);

        public void Execute() => Run();
    }
}
