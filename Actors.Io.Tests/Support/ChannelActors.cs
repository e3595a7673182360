using Actors.Io.Selection;
using Akka.Actor;

namespace Actors.Io.Tests.Support;

/// <summary>The library's own channel actors (listeners and connections, the selectors' children), counted by asking each selector.</summary>
internal static class ChannelActors
{
    /// <summary>Channel actors of <paramref name="system"/> not yet terminated, over all selectors.</summary>
    public static async Task<int> Count(ActorSystem system)
    {
        ActorsIo io = ActorsIo.Get(system);
        int total = 0;
        for (int i = 0; i < io.Pool.Count; i++)
        {
            total += await io.Selector(i).Actor.Ask<int>(SelectorActor.CountChannelActors.Instance, TestWaits.Expect);
        }

        return total;
    }
}
