using Actors.Io.Loop;
using Actors.Io.Native;

namespace Actors.Io.Selection;

/// <summary>The selectors of one actor system and the channel budget: places channels on the least loaded selector.</summary>
internal sealed class SelectorPool
{
    private readonly Selector[] _selectors;

    public SelectorPool(EventLoopGroup loops, ChannelBudget budget, PollerSource? pollers = null)
    {
        Budget = budget;
        _selectors = new Selector[loops.Count];
        for (int i = 0; i < _selectors.Length; i++) _selectors[i] = new Selector(i, loops[i], budget, pollers);
    }

    public ChannelBudget Budget { get; }

    public int Count => _selectors.Length;

    public Selector this[int index] => _selectors[index];

    /// <summary>
    /// Takes one channel from the budget and counts it on the least loaded selector; false when <c>max-channels</c> is
    /// reached. The channel gives both back when its registration is released (or when it never registers).
    /// </summary>
    public bool TryPlace([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Selector? selector)
    {
        if (!Budget.TryTake())
        {
            selector = null;
            return false;
        }

        Selector target = _selectors[0];
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
