using System.Runtime.InteropServices;
using Actors.Io.Selection;
using Akka.Actor;

namespace Actors.Io.Tests.Support;

/// <summary>Registers a raw descriptor the way a channel actor does: a place on the least loaded selector, then that selector.</summary>
internal static class Placement
{
    /// <summary>Places <paramref name="handle"/> for <paramref name="owner"/>, which is told ChannelRegistered or RegistrationFailed.</summary>
    public static void Register(ActorSystem system, SafeHandle handle, IActorRef owner, Interest interest)
    {
        ActorsIo io = ActorsIo.Get(system);

        // The manager creates the selectors as it starts; once it answers, every Selector.Actor is set.
        _ = io.Manager.Ask<ActorIdentity>(new Identify(null), TestWaits.Expect).GetAwaiter().GetResult();
        SelectorPool pool = io.Pool;
        Assert.True(pool.TryPlace(out Selector? selector), $"actors-io.max-channels = {pool.Budget.MaxChannels} reached");
        selector.Actor.Tell(new RegisterChannel(handle, owner, interest));
    }
}
