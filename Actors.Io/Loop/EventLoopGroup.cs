using Akka.Actor;
using Akka.Configuration;
using Akka.Event;

namespace Actors.Io.Loop;

/// <summary>
/// The event loops of one actor system: one per selector, each registered as a dispatcher under
/// <c>actors-io.loop-dispatcher-N</c>, all stopped when the system terminates.
/// </summary>
internal sealed class EventLoopGroup
{
    private readonly EventLoop[] _loops;

    public EventLoopGroup(ExtendedActorSystem system, ActorsIoSettings settings)
    {
        _loops = new EventLoop[settings.NrOfSelectors];
        var ids = new string[_loops.Length];
        ILoggingAdapter log = Logging.GetLogger(system, typeof(EventLoopGroup));
        for (int i = 0; i < _loops.Length; i++)
        {
            string id = DispatcherId(i);
            ids[i] = id;
            LoopStalls? stalls = settings.LoopStallWarning == TimeSpan.Zero ? null : new LoopStalls(settings.LoopStallWarning, settings.StallWarningInterval, log);
            _loops[i] = new EventLoop(id, i, e => log.Error(e, "Unhandled exception on event loop {0}", id), stalls);
            Config config = ConfigurationFactory.ParseString($"id = \"{id}\", type = Dispatcher, throughput = {settings.LoopThroughput}")
                .WithFallback(system.Dispatchers.DefaultDispatcherConfig);
            var configurator = new EventLoopDispatcherConfigurator(config, system.Dispatchers.Prerequisites, _loops[i], settings.LoopThroughput);
            if (!system.Dispatchers.RegisterConfigurator(id, configurator))
            {
                throw new InvalidOperationException($"Dispatcher {id} is already registered in actor system {system.Name}.");
            }
        }

        DispatcherIds = ids;
        system.RegisterOnTermination(Stop);
    }

    /// <summary>The dispatcher ids of the loops, by selector index.</summary>
    public IReadOnlyList<string> DispatcherIds { get; }

    public EventLoop this[int index] => _loops[index];

    public int Count => _loops.Length;

    public static string DispatcherId(int index) => $"actors-io.loop-dispatcher-{index}";

    public void Stop()
    {
        foreach (EventLoop loop in _loops) loop.Stop();
    }
}
