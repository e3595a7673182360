using System.Net;
using System.Runtime.InteropServices;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Channels;

/// <summary>
/// The lifecycle every channel actor shares (TCP listener, TCP connection, UDP sockets): its place on a selector, the
/// registration of its descriptor, the close that deregisters and gives the place back, timers, and name resolution.
/// <para>
/// A channel starts placed: whoever created it took one unit of <c>max-channels</c> and counted it on
/// <see cref="Selector"/>. The channel holds that place until it hands its descriptor to the selector
/// (<see cref="RegisterChannel(SafeHandle, Interest, bool)"/>), after which the registration owns it; a channel that never
/// registers gives it back in <see cref="ReleaseChannel"/>. Subclasses pass the lifecycle messages to
/// <see cref="OnLifecycleMessage"/> from their receive, after their own hot messages.
/// </para>
/// </summary>
internal abstract class ChannelActor : UntypedActor
{
    private ICancelable? _schedulerTimer;
    private CancellationTokenSource? _resolving;
    private ILoggingAdapter? _log;

    /// <param name="selector">The selector this channel is placed on.</param>
    /// <param name="placementHeld">True when this actor holds the place itself (it registers its descriptor later); false
    /// when the selector registered the descriptor as it created the actor.</param>
    protected ChannelActor(Selector selector, bool placementHeld)
    {
        Selector = selector;
        PlacementHeld = placementHeld;
    }

    /// <summary>The selector (and event loop) this channel is placed on.</summary>
    protected Selector Selector { get; }

    /// <summary>The registration, once the selector has taken the descriptor.</summary>
    protected IChannelRegistration? Registration { get; private set; }

    /// <summary>True while this actor holds its place on <see cref="Selector"/> without having handed a descriptor over.</summary>
    protected bool PlacementHeld { get; private set; }

    /// <summary>The logger, made on first use: an idle channel does not keep one.</summary>
    protected ILoggingAdapter Log => _log ??= Context.GetLogger();

    /// <summary>Hands <paramref name="handle"/> to the selector; the answer is <see cref="OnRegistered"/> or
    /// <see cref="OnRegistrationFailed"/>. The registration owns the descriptor and the place from now on.</summary>
    protected void RegisterChannel(SafeHandle handle, Interest initial, bool keepOpenOnSelectorFailure = false)
    {
        PlacementHeld = false;
        Selector.Actor.Tell(new RegisterChannel(handle, Self, initial, keepOpenOnSelectorFailure));
    }

    /// <summary>
    /// Takes <paramref name="registration"/>, the answer to a <see cref="RegisterChannel(SafeHandle, Interest, bool)"/> the
    /// subclass handled itself, as this channel's registration (an outgoing connection's winning attempt); the
    /// subclass then calls <see cref="OnRegistered"/>.
    /// </summary>
    protected void Adopt(IChannelRegistration registration)
    {
        PlacementHeld = false;
        Registration = registration;
    }

    /// <summary>
    /// Registers a descriptor again after its selector failed and kept it open (<see cref="SelectorFailed.HandleKept"/>):
    /// the failed registration gave the place back, so it is taken again, over the limit if need be (the channel is open).
    /// </summary>
    protected void RegisterAgain(SafeHandle handle, Interest initial)
    {
        Registration = null;
        Selector.Placed();
        Selector.Budget.TakeUnchecked();
        RegisterChannel(handle, initial, keepOpenOnSelectorFailure: true);
    }

    /// <summary>
    /// Deregisters and closes the descriptor by disposing <paramref name="resource"/> (a socket, or the handle itself), or
    /// gives the place back when nothing was registered. Idempotent; the descriptor is closed when this returns.
    /// </summary>
    protected void ReleaseChannel(IDisposable? resource)
    {
        if (Registration is not null) Registration.Close(resource);
        else if (PlacementHeld)
        {
            PlacementHeld = false;
            Selector.Removed();
        }

        resource?.Dispose();
    }

    /// <summary>
    /// Tells this actor <paramref name="message"/> after <paramref name="delay"/>: from its event loop's own timers when it
    /// runs there (the usual case), else from Akka's scheduler (one such timer at a time). Not cancellable: the receiver
    /// ignores a message it no longer waits for.
    /// </summary>
    protected void ScheduleTellSelf(TimeSpan delay, object message)
    {
        if (Selector.Loop.InLoop)
        {
            _ = Selector.Loop.ScheduleTellOnce(delay, Self, message);
            return;
        }

        _schedulerTimer?.Cancel();
        _schedulerTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, message, ActorRefs.NoSender);
    }

    /// <summary>
    /// Resolves <paramref name="name"/> without blocking a thread; the answer is <see cref="OnResolved"/>. A lookup still
    /// under way when the actor stops is cancelled.
    /// </summary>
    protected void Resolve(DnsEndPoint name)
    {
        _resolving ??= new CancellationTokenSource();
        NameResolution.Resolve(name, Self, Selector.Resolver, _resolving.Token);
    }

    /// <summary>Handles the messages of the lifecycle; false when <paramref name="message"/> is not one.</summary>
    protected bool OnLifecycleMessage(object message)
    {
        switch (message)
        {
            case ChannelRegistered registered:
                Registration = registered.Registration;
                OnRegistered();
                return true;
            case RegistrationFailed failed:
                // The selector (or the manager) closed the descriptor and gave the place back.
                PlacementHeld = false;
                OnRegistrationFailed(failed.Cause);
                return true;
            case SelectorFailed failed:
                OnSelectorFailed(failed);
                return true;
            case HangUp:
                OnHangUp();
                return true;
            case NameResolution.Resolved resolved:
                OnResolved(resolved);
                return true;
            default:
                return false;
        }
    }

    /// <summary>The selector took the descriptor; <see cref="Registration"/> is set.</summary>
    protected abstract void OnRegistered();

    /// <summary>The descriptor could not be registered; it is closed and the place given back.</summary>
    protected abstract void OnRegistrationFailed(Exception cause);

    /// <summary>The selector holding the channel failed (see <see cref="SelectorFailed"/>).</summary>
    protected abstract void OnSelectorFailed(SelectorFailed failed);

    /// <summary>A hang-up or error that no armed interest covered. Ignored unless overridden.</summary>
    protected virtual void OnHangUp()
    {
    }

    /// <summary>The answer to <see cref="Resolve"/>.</summary>
    protected virtual void OnResolved(NameResolution.Resolved resolved) => Unhandled(resolved);

    protected override void PostStop()
    {
        _schedulerTimer?.Cancel();
        _resolving?.Cancel();
        _resolving?.Dispose();
    }
}
