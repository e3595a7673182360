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
