using Actors.Io;
using Akka.Actor;

// Starts an actor system with Actors.Io and reports what it runs on. The chat service and the echo server
// arrive with the TCP layer.
using ActorSystem system = ActorSystem.Create("actors-io-sample", "akka.loglevel = INFO");
ActorsIo io = ActorsIo.Get(system);
Console.WriteLine($"Actors.Io started: backend {io.Settings.Backend}, {io.Settings.NrOfSelectors} selector(s) on dispatchers {string.Join(", ", io.LoopDispatcherIds)}.");
Console.WriteLine("Press Ctrl-C to stop.");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

try
{
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException)
{
}

await system.Terminate();
