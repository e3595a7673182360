using Akka.Actor;

namespace Actors.Io.Tests.Support;

/// <summary>Starts Actors.Io on a system with adjusted internal settings (those without a configuration key).</summary>
internal static class AdjustedIo
{
    /// <summary>Starts the extension of <paramref name="system"/>, letting <paramref name="adjust"/> change its settings
    /// first; fails when the extension had already started.</summary>
    public static ActorsIo Start(ActorSystem system, Action<ActorsIoSettings> adjust)
    {
        bool adjusted = false;
        var io = (ActorsIo)((ExtendedActorSystem)system).RegisterExtension(new ActorsIoProvider(settings =>
        {
            adjust(settings);
            adjusted = true;
        }));
        if (!adjusted) throw new InvalidOperationException("Actors.Io had already started on this system: adjust its settings before first use.");
        return io;
    }
}
