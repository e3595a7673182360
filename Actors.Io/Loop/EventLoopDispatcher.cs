using Akka.Dispatch;

namespace Actors.Io.Loop;

/// <summary>Hands the dispatcher its loop.</summary>
internal sealed class EventLoopExecutorFactory(EventLoop loop) : ExecutorServiceFactory
{
    public override ExecutorService Produce(string id) => loop;
}

/// <summary>A dispatcher whose single executor is one <see cref="EventLoop"/>, registered under the loop's id.</summary>
internal sealed class EventLoopDispatcherConfigurator : MessageDispatcherConfigurator
{
    private readonly Dispatcher _dispatcher;

    public EventLoopDispatcherConfigurator(
        Akka.Configuration.Config config, IDispatcherPrerequisites prerequisites, EventLoop loop, int throughput)
        : base(config, prerequisites) =>
        _dispatcher = new Dispatcher(this, loop.Id, throughput, null, new EventLoopExecutorFactory(loop), TimeSpan.FromSeconds(1));

    public override MessageDispatcher Dispatcher() => _dispatcher;
}
