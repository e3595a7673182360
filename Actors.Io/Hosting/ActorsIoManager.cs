namespace Actors.Io.Hosting;

/// <summary>
/// The <see cref="Akka.Hosting.ActorRegistry"/> key of the Actors.Io IoManager (<see cref="ActorsIo.Manager"/>),
/// registered by <see cref="ActorsIoHostingExtensions.WithActorsIo(Akka.Hosting.AkkaConfigurationBuilder, Action{ActorsIoOptions}?)"/>.
/// Resolve the manager with <c>IRequiredActor&lt;ActorsIoManager&gt;</c> in services, or
/// <c>registry.Get&lt;ActorsIoManager&gt;()</c> in a later <c>WithActors</c> call. It is a key only and has no instances.
/// </summary>
public sealed class ActorsIoManager
{
    private ActorsIoManager()
    {
    }
}
