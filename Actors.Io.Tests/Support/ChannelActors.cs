using Akka.Actor;

namespace Actors.Io.Tests.Support;

/// <summary>The library's own channel actors (listeners and connections, the selectors' children), counted from outside.</summary>
internal static class ChannelActors
{
    /// <summary>Channel actors of <paramref name="system"/> not yet terminated, over all selectors.</summary>
    public static Task<int> Count(ActorSystem system)
    {
        ActorsIo io = ActorsIo.Get(system);
        int total = 0;

        // A local actor's children container is immutable and swapped atomically, so reading it here is safe.
        for (int i = 0; i < io.Pool.Count; i++) total += ((ActorRefWithCell)io.Selector(i).Actor).Children.Count();
        return Task.FromResult(total);
    }
}
