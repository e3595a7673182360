using Actors.Io.Loop;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace Actors.Io;

/// <summary>
/// The Actors.Io extension of an actor system: its settings, its event loops and the IoManager actor that takes
/// commands. Get it with <see cref="Get"/> or <see cref="ActorsIoSystemExtensions.Io"/>.
/// </summary>
public sealed class ActorsIo : IExtension
{
    private static readonly Lazy<Config> Reference = new(LoadReference);

    private readonly EventLoopGroup _loops;
    private readonly DrainStatus _drain = new();

    internal ActorsIo(ExtendedActorSystem system, Action<ActorsIoSettings>? adjust = null)
    {
        system.Settings.InjectTopLevelFallback(ReferenceConfig);
        Settings = ActorsIoSettings.Create(system.Settings.Config);
        adjust?.Invoke(Settings);
        Backend = PollerFactory.Resolve(Settings.Backend, Platform.Os, Platform.Describe());
        _loops = new EventLoopGroup(system, Settings);
        Pool = new SelectorPool(_loops, new ChannelBudget(Settings.MaxChannels), Settings.Pollers);
        Metrics = new IoMetrics(system.Name, Pool);
        Akka.Event.ILoggingAdapter? trace = Settings.TraceLogging ? Akka.Event.Logging.GetLogger(system, "Actors.Io.Trace") : null;
        for (int i = 0; i < Pool.Count; i++)
        {
            Pool[i].Metrics = Metrics;
            Pool[i].Trace = trace;
            Pool[i].Resolver = Settings.Resolver;
            Pool[i].ReceiveBuffers = new Buffers.ReceiveBufferPool(
                Settings.Tcp.MaxReceivedMessageSize, Settings.Tcp.LeasedReceivePoolSize, Settings.Tcp.LeasedReceiveDebugChecks);
        }

        system.RegisterOnTermination(Metrics.Dispose);
        Manager = system.SystemActorOf(IoManager.Props(Settings, Pool, _drain), "actors-io");
        if (Settings.CoordinatedShutdown.Enabled) AddShutdownTasks(system);
    }

    /// <summary>The reference configuration (<c>HOCON/actors-io.conf</c>), embedded in this assembly.</summary>
    public static Config ReferenceConfig => Reference.Value;

    /// <summary>The IoManager: send it commands.</summary>
    public IActorRef Manager { get; }

    /// <summary>
    /// True from the moment a drain begins (<see cref="DrainAsync"/>, or the <c>service-unbind</c> phase of Akka's
    /// <c>CoordinatedShutdown</c>): listeners are closed and no new one is opened. A host reports it as not ready.
    /// </summary>
    public bool IsDraining => _drain.Begun;

    /// <summary>True once a drain has ended: no connection of this actor system is left.</summary>
    public bool IsDrained => _drain.Done;

    /// <summary>
    /// The drain in the three steps that Akka's <c>CoordinatedShutdown</c> otherwise runs in its phases: closes every TCP
    /// and Unix listener (each bind commander is told <see cref="Tcp.Unbound"/>; a <see cref="Tcp.Bind"/> from now on
    /// fails), tells every connection's handler <see cref="Tcp.Draining"/> and gives the connections
    /// <paramref name="timeout"/> to close (a <see cref="Tcp.Connect"/> from now on fails), then closes or aborts the
    /// rest (<c>actors-io.coordinated-shutdown.on-timeout</c>). UDP sockets are not touched. Calling it again, or while
    /// <c>CoordinatedShutdown</c> drains, joins the drain under way.
    /// </summary>
    /// <param name="timeout">How long connections get to close by themselves; <c>drain-timeout</c> when null.</param>
    /// <param name="cancellationToken">Stops waiting; the drain goes on.</param>
    /// <returns>A task that completes when no listener and no connection is left.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is negative.</exception>
    public async Task DrainAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        TimeSpan wait = timeout ?? Settings.CoordinatedShutdown.DrainTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(wait, TimeSpan.Zero, nameof(timeout));
        await StepAsync(IoManager.Unbind.Instance, cancellationToken).ConfigureAwait(false);
        await StepAsync(new IoManager.Drain(wait), cancellationToken).ConfigureAwait(false);
        await StepAsync(IoManager.CloseRest.Instance, cancellationToken).ConfigureAwait(false);
    }

    private Task<Done> StepAsync(object step, CancellationToken cancellationToken) =>
        Manager.Ask<Done>(step, Timeout.InfiniteTimeSpan, cancellationToken);

    /// <summary>
    /// The drain's steps as tasks of the phases service-unbind, service-requests-done and service-stop. The middle one
    /// waits at most the phase's own timeout less a margin, so the phase does not time out and service-stop closes
    /// the rest.
    /// </summary>
    private void AddShutdownTasks(ExtendedActorSystem system)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        TimeSpan drainTimeout = Settings.CoordinatedShutdown.DrainTimeout;
        TimeSpan phase = shutdown.Timeout(CoordinatedShutdown.PhaseServiceRequestsDone);
        TimeSpan fits = phase - TimeSpan.FromTicks(Math.Min(TimeSpan.TicksPerSecond / 2, phase.Ticks / 10));
        if (drainTimeout > fits)
        {
            Akka.Event.Logging.GetLogger(system, "Actors.Io").Warning(
                "actors-io.coordinated-shutdown.drain-timeout = {0} does not fit in akka.coordinated-shutdown.phases.service-requests-done.timeout = {1}; the drain waits {2}. Set the phase timeout above the drain timeout.",
                drainTimeout, phase, fits);
            drainTimeout = fits;
        }

        // A plain Terminate() resets at once unless drain-on-terminate: tests and tools terminate systems all the time.
        bool skip() => shutdown.ShutdownReason is CoordinatedShutdown.ActorSystemTerminateReason && !Settings.CoordinatedShutdown.DrainOnTerminate;
        Task<Done> done = Task.FromResult(Done.Instance);
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "actors-io-unbind", () => skip() ? done : StepAsync(IoManager.Unbind.Instance, CancellationToken.None));
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "actors-io-drain", () => skip() ? done : StepAsync(new IoManager.Drain(drainTimeout), CancellationToken.None));
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "actors-io-close", () => skip() ? done : StepAsync(IoManager.CloseRest.Instance, CancellationToken.None));
    }

    /// <summary>The readiness backend in use (<c>actors-io.backend = auto</c> resolved for this platform).</summary>
    public PollerBackend Backend { get; }

    /// <summary>The settings read at start.</summary>
    public ActorsIoSettings Settings { get; }

    /// <summary>
    /// The dispatcher id of each selector's event loop, by selector index. An actor created with
    /// <c>Props.WithDispatcher(id)</c> runs on that loop's thread, next to the selector and its channels.
    /// </summary>
    public IReadOnlyList<string> LoopDispatcherIds => _loops.DispatcherIds;

    internal SelectorPool Pool { get; }

    internal IoMetrics Metrics { get; }

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> Actors.Io reports to
    /// (<c>dotnet-counters monitor --counters Actors.Io</c>).</summary>
    public const string MeterName = IoMetrics.MeterName;

    internal ChannelBudget Budget => Pool.Budget;

    /// <summary>Channels currently placed on each selector, by index.</summary>
    internal int[] SelectorLoads() => Pool.Loads();

    internal EventLoopGroup Loops => _loops;

    internal Selector Selector(int index) => Pool[index];

    /// <summary>Returns the extension of <paramref name="system"/>, starting it on first use.</summary>
    /// <exception cref="ActorsIoConfigurationException">The configuration holds a bad value.</exception>
    /// <exception cref="PlatformNotSupportedException">The platform or the configured backend is not supported.</exception>
    public static ActorsIo Get(ActorSystem system) => system.WithExtension<ActorsIo, ActorsIoProvider>();

    private static Config LoadReference()
    {
        using Stream stream = typeof(ActorsIo).Assembly.GetManifestResourceStream("Actors.Io.actors-io.conf")
            ?? throw new InvalidOperationException("The embedded reference configuration actors-io.conf is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}

/// <summary>Creates the <see cref="ActorsIo"/> extension.</summary>
public sealed class ActorsIoProvider : ExtensionIdProvider<ActorsIo>
{
    private readonly Action<ActorsIoSettings>? _adjust;

    /// <summary>Creates the provider that <see cref="ActorsIo.Get"/> uses.</summary>
    public ActorsIoProvider()
    {
    }

    /// <summary>
    /// Creates a provider whose extension passes the settings it read to <paramref name="adjust"/> before anything uses
    /// them: the way to set the internal settings that have no configuration key (register it before first use).
    /// </summary>
    internal ActorsIoProvider(Action<ActorsIoSettings> adjust) => _adjust = adjust;

    /// <inheritdoc />
    public override ActorsIo CreateExtension(ExtendedActorSystem system) => new(system, _adjust);
}

/// <summary>Shortcuts on <see cref="ActorSystem"/>.</summary>
public static class ActorsIoSystemExtensions
{
    /// <summary>The IoManager of <paramref name="system"/> (the Actors.Io counterpart of <c>system.Tcp()</c>).</summary>
    public static IActorRef Io(this ActorSystem system) => ActorsIo.Get(system).Manager;
}
