using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Channels;

/// <summary>
/// The handler a connection starts itself from a <see cref="Tcp.Register"/>'s props: its child, on the connection's
/// event loop unless the props name a dispatcher, with <see cref="CompactMailbox"/> unless they name a mailbox. After the
/// connection's final event the child is told <see cref="PoisonPill"/>, so it reads that event and then stops; the
/// connection stops only once the child has (a parent that stops first stops its children before they read their
/// mailboxes, and the handler would miss how its connection ended). The connection hears that the child stopped from
/// its <see cref="Supervision"/> strategy (<see cref="Stopped"/>), not from a watch: watching makes Akka give both actors
/// their death-watch collections, about 600 bytes per connection.
/// </summary>
internal struct OwnedHandler
{
    /// <summary>The child's name, the same under every connection.</summary>
    public const string Name = "handler";

    private IActorRef? _child;
    private bool _released;

    /// <summary>True once the connection started its handler.</summary>
    public readonly bool Owned => _child is not null;

    /// <summary>True when <paramref name="actor"/> is the started handler.</summary>
    public readonly bool Is(IActorRef actor) => _child is not null && _child.Equals(actor);

    /// <summary>True while the connection's stop waits for the child's.</summary>
    public bool StopPending { get; private set; }

    /// <summary>The props placed as described above.</summary>
    public static Props Place(Props props, string loopDispatcher)
    {
        if (props.Deploy.Dispatcher == Deploy.NoDispatcherGiven) props = props.WithDispatcher(loopDispatcher);
        if (props.Deploy.Mailbox == Deploy.NoMailboxGiven) props = props.WithMailbox(CompactMailbox.ConfigPath);
        return props;
    }

    /// <summary>
    /// Starts the handler of <paramref name="register"/> and returns the registration naming it, or answers the
    /// registrant with <see cref="Tcp.CommandFailed"/> and returns null when it cannot be started.
    /// </summary>
    public Tcp.Register? Start(IUntypedActorContext context, Tcp.Register register, string loopDispatcher)
    {
        IActorRef child;
        try
        {
            child = context.ActorOf(Place(register.HandlerProps!, loopDispatcher), Name);
        }
        catch (Exception e)
        {
            context.Sender.Tell(new Tcp.CommandFailed(register, new InvalidOperationException($"The connection could not start its handler: {e.Message}", e)), context.Self);
            return null;
        }

        _child = child;
        return register.Started(child);
    }

    /// <summary>Tells the child to stop after what it has been sent so far (once).</summary>
    public void Release(IActorRef self)
    {
        if (_child is null || _released) return;
        _released = true;
        _child.Tell(PoisonPill.Instance, self);
    }

    /// <summary>
    /// True when the connection must not stop yet: it owns a child that has not stopped (told to stop now), and stops
    /// when it hears the child has.
    /// </summary>
    public bool DeferStop(bool handlerStopped, IActorRef self)
    {
        if (_child is null || handlerStopped) return false;
        Release(self);
        StopPending = true;
        return true;
    }

    /// <summary>Told to the connection, by its own <see cref="Supervision"/>, once its started handler has stopped.</summary>
    internal sealed class Stopped : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly Stopped Instance = new();

        private Stopped()
        {
        }
    }

    /// <summary>
    /// The supervisor strategy of an actor that starts a handler: Akka's default (an exception restarts the handler),
    /// and <see cref="Stopped"/> told to the actor when its child has stopped, after what the child sent it before.
    /// </summary>
    internal sealed class Supervision : OneForOneStrategy
    {
        public static readonly Supervision Instance = new();

        private Supervision()
            : base(DefaultDecider)
        {
        }

        public override void HandleChildTerminated(IActorContext actorContext, IActorRef child, IEnumerable<IInternalActorRef> children) =>
            actorContext.Self.Tell(Stopped.Instance, ActorRefs.NoSender);
    }
}
