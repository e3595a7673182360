using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>The global channel count checked against <c>max-channels</c>; shared by the manager and its selectors.</summary>
internal sealed class ChannelBudget(int maxChannels)
{
    private int _open;

    public int MaxChannels { get; } = maxChannels;

    public int Open => Volatile.Read(ref _open);

    public bool TryTake()
    {
        while (true)
        {
            int open = Volatile.Read(ref _open);
            if (open >= MaxChannels) return false;
            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open) return true;
        }
    }

    public void Return() => Interlocked.Decrement(ref _open);

    /// <summary>Counts a channel that is already open (one registering again after a selector failure).</summary>
    public void TakeUnchecked() => Interlocked.Increment(ref _open);
}

/// <summary>
/// What the manager, the channel actors and a selector's registrations share about one selector: its loop, its actor
/// (the same ref across restarts) and its load.
/// </summary>
internal sealed class SelectorShared(int index, EventLoop loop, ChannelBudget budget)
{
    private int _load;
    private IActorRef _selector = ActorRefs.Nobody;

    public int Index { get; } = index;

    public EventLoop Loop { get; } = loop;

    public ChannelBudget Budget { get; } = budget;

    /// <summary>This selector's metrics.</summary>
    public SelectorCounters Counters { get; } = new();

    /// <summary>The metrics of the whole system (set once at start).</summary>
    public IoMetrics? Metrics { get; set; }

    /// <summary>Trace logger; null unless <c>actors-io.trace-logging = on</c>.</summary>
    public Akka.Event.ILoggingAdapter? Trace { get; set; }

    /// <summary>Channels placed on this selector and not yet released.</summary>
    public int Load => Volatile.Read(ref _load);

    public IActorRef Selector
    {
        get => Volatile.Read(ref _selector);
        set => Volatile.Write(ref _selector, value);
    }

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
        Selector.Tell(new SelectorActor.ReleaseRegistration(registration), ActorRefs.NoSender);
}

/// <summary>The selectors of one actor system and the channel budget: places channels on the least loaded selector.</summary>
internal sealed class SelectorPool
{
    private readonly SelectorShared[] _selectors;

    public SelectorPool(EventLoopGroup loops, ChannelBudget budget)
    {
        Budget = budget;
        _selectors = new SelectorShared[loops.Count];
        for (int i = 0; i < _selectors.Length; i++) _selectors[i] = new SelectorShared(i, loops[i], budget);
    }

    public ChannelBudget Budget { get; }

    public int Count => _selectors.Length;

    public SelectorShared this[int index] => _selectors[index];

    /// <summary>
    /// Takes one channel from the budget and counts it on the least loaded selector; false when <c>max-channels</c> is
    /// reached. The channel gives both back when its registration is released (or when it never registers).
    /// </summary>
    public bool TryPlace([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SelectorShared? selector)
    {
        if (!Budget.TryTake())
        {
            selector = null;
            return false;
        }

        SelectorShared target = _selectors[0];
        for (int i = 1; i < _selectors.Length; i++)
        {
            if (_selectors[i].Load < target.Load) target = _selectors[i];
        }

        target.Placed();
        selector = target;
        return true;
    }

    public int[] Loads() => Array.ConvertAll(_selectors, s => s.Load);
}
