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
}

/// <summary>
/// What the manager and a selector's registrations share about one selector: its loop, its actor and its load.
/// A new <see cref="SelectorShared"/> is made for each incarnation of a selector.
/// </summary>
internal sealed class SelectorShared(int index, EventLoop loop, ChannelBudget budget)
{
    private int _load;
    private IActorRef _selector = ActorRefs.Nobody;

    public int Index { get; } = index;

    public EventLoop Loop { get; } = loop;

    public ChannelBudget Budget { get; } = budget;

    /// <summary>Channels placed on this selector and not yet released.</summary>
    public int Load => Volatile.Read(ref _load);

    public IActorRef Selector
    {
        get => Volatile.Read(ref _selector);
        set => Volatile.Write(ref _selector, value);
    }

    /// <summary>Counts a channel placed here (manager side).</summary>
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
