using Akka.Configuration;
using Akka.Hosting;

namespace Actors.Io.Hosting;

/// <summary>Akka.Hosting support for Actors.Io: <c>services.AddAkka(name, builder =&gt; builder.WithActorsIo(...))</c>.</summary>
public static class ActorsIoHostingExtensions
{
    /// <summary>
    /// Adds Actors.Io to the actor system: the set properties of the options override the rest of the configuration
    /// (<see cref="HoconAddMode.Prepend"/>), the reference configuration (<see cref="ActorsIo.ReferenceConfig"/>) is
    /// added as the fallback, and at startup the extension starts and its IoManager is registered in the
    /// <see cref="ActorRegistry"/> under <see cref="ActorsIoManager"/>.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="configure">Sets the options; null keeps every configured or reference value.</param>
    /// <returns>The same <paramref name="builder"/>.</returns>
    /// <remarks>
    /// A bad value fails the start of the hosted actor system with an <see cref="ActorsIoConfigurationException"/>
    /// naming the key.
    /// </remarks>
    public static AkkaConfigurationBuilder WithActorsIo(this AkkaConfigurationBuilder builder, Action<ActorsIoOptions>? configure = null)
    {
        var options = new ActorsIoOptions();
        configure?.Invoke(options);
        return builder.WithActorsIo(options);
    }

    /// <summary>
    /// Adds Actors.Io to the actor system with the given options, as
    /// <see cref="WithActorsIo(AkkaConfigurationBuilder, Action{ActorsIoOptions}?)"/> does.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="options">The options; their set properties override the rest of the configuration.</param>
    /// <returns>The same <paramref name="builder"/>.</returns>
    public static AkkaConfigurationBuilder WithActorsIo(this AkkaConfigurationBuilder builder, ActorsIoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return builder.WithActorsIoConfig(options.ToHocon());
    }

    /// <summary>
    /// Adds Actors.Io to the actor system with raw HOCON, written with full paths as in <c>HOCON/actors-io.conf</c>
    /// (<c>actors-io.nr-of-selectors = 2</c> or <c>actors-io { tcp { register-timeout = 750ms } }</c>). It overrides
    /// the rest of the configuration (<see cref="HoconAddMode.Prepend"/>); otherwise this is
    /// <see cref="WithActorsIo(AkkaConfigurationBuilder, Action{ActorsIoOptions}?)"/>.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="hocon">The HOCON; it is added whole, so keep it to the <c>actors-io</c> section.</param>
    /// <returns>The same <paramref name="builder"/>.</returns>
    public static AkkaConfigurationBuilder WithActorsIo(this AkkaConfigurationBuilder builder, string hocon)
    {
        ArgumentNullException.ThrowIfNull(hocon);
        return builder.WithActorsIoConfig(hocon);
    }

    private static AkkaConfigurationBuilder WithActorsIoConfig(this AkkaConfigurationBuilder builder, string hocon)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (!string.IsNullOrWhiteSpace(hocon)) builder.AddHocon(ConfigurationFactory.ParseString(hocon), HoconAddMode.Prepend);
        builder.AddHocon(ActorsIo.ReferenceConfig, HoconAddMode.Append);

        // Starting the extension reads and checks the settings: a bad value throws here and fails the start.
        // TryRegister: calling WithActorsIo twice registers the one manager once.
        return builder.WithActors((system, registry) => registry.TryRegister<ActorsIoManager>(ActorsIo.Get(system).Manager));
    }
}
