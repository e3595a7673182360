using Actors.Io.Loop;
using Actors.Io.Native;
using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>
/// What the manager, the channel actors and a selector's registrations share about one selector: its loop, its actor
/// (the same ref across restarts), its load and where its pollers come from.
/// </summary>
internal sealed class Selector(int index, EventLoop loop, ChannelBudget budget, PollerSource? pollers = null)
{
    private readonly PollerSource _pollers = pollers ?? PollerFactory.Native;

    private int _load;
    private IActorRef _actor = ActorRefs.Nobody;

    public int Index { get; } = index;

    public EventLoop Loop { get; } = loop;

    public ChannelBudget Budget { get; } = budget;

    /// <summary>This selector's metrics.</summary>
    public SelectorCounters Counters { get; } = new();

    /// <summary>The metrics of the whole system (set once at start).</summary>
    public IoMetrics? Metrics { get; set; }

    /// <summary>Receive buffers for leased receive (set at start from the settings; tests get the defaults).</summary>
    public Buffers.ReceiveBufferPool ReceiveBuffers { get; set; } = new(64 << 10, 4 << 20, debugChecks: false);

    /// <summary>Resolves host names for this selector's channels (set at start from the settings; tests get the system's).</summary>
    public Func<string, CancellationToken, Task<System.Net.IPAddress[]>> Resolver { get; set; } = System.Net.Dns.GetHostAddressesAsync;

    /// <summary>The idle timeouts of this selector's connections (loop thread; survives the selector actor's restarts).</summary>
    public IdleSweep IdleSweep { get; } = new();

    /// <summary>Trace logger; null unless <c>actors-io.trace-logging = on</c>.</summary>
    public Akka.Event.ILoggingAdapter? Trace { get; set; }

    /// <summary>
    /// The drain's notice once a drain has begun, else null: a connection registered after it was told tells its handler
    /// on <see cref="Tcp.Register"/>. Set on the selector's loop; kept across the selector's restarts.
    /// </summary>
    public Tcp.Draining? Draining { get; set; }

    /// <summary>Who hears <see cref="ChannelsDrained"/> when this selector has no connection left; null once told.</summary>
    public IActorRef? DrainReport { get; set; }

    /// <summary>Channels placed on this selector and not yet released.</summary>
    public int Load => Volatile.Read(ref _load);

    public IActorRef Actor
    {
        get => Volatile.Read(ref _actor);
        set => Volatile.Write(ref _actor, value);
    }

    /// <summary>Makes a poller for this selector's actor (at start and at each restart).</summary>
    public IPoller CreatePoller(PollerBackend backend, int capacity) => _pollers(Index, backend, capacity);

    /// <summary>Counts a channel placed here (the budget was taken by <see cref="SelectorPool.TryPlace"/>).</summary>
    public void Placed() => Interlocked.Increment(ref _load);

    /// <summary>Uncounts a channel that is gone (refused or released).</summary>
    public void Removed()
    {
        Interlocked.Decrement(ref _load);
        Budget.Return();
    }

    /// <summary>Called by a registration's <see cref="ChannelRegistration.Close"/>: the selector frees its slot.</summary>
    public void Release(ChannelRegistration registration) =>
        Actor.Tell(new SelectorActor.ReleaseRegistration(registration), ActorRefs.NoSender);
}
