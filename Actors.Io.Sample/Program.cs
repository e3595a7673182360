using System.Net;
using Actors.Io;
using Actors.Io.Sample;
using Akka.Actor;

// dotnet run --project Actors.Io.Sample [-- echo [--port P] [--host H]]
// Starts an actor system with Actors.Io and serves a TCP echo server (every byte comes back in order).
SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(SampleOptions.Usage);
    return 2;
}

using ActorSystem system = ActorSystem.Create("actors-io-sample", "akka.loglevel = INFO");
ActorsIo io = ActorsIo.Get(system);
var endpoint = new IPEndPoint(options.Host, options.Port);
IActorRef server = system.ActorOf(Props.Create(() => new EchoServer(endpoint)), "echo");
Tcp.Event bound = await server.Ask<Tcp.Event>(EchoServer.GetBinding.Instance, TimeSpan.FromSeconds(10));
if (bound is Tcp.CommandFailed failed)
{
    Console.Error.WriteLine($"Could not listen on {endpoint}: {failed.Cause?.Message}");
    await system.Terminate();
    return 1;
}

Console.WriteLine($"Echo server on {((Tcp.Bound)bound).LocalAddress} ({io.Backend.ToString().ToLowerInvariant()}, {io.Settings.NrOfSelectors} selector(s)).");
Console.WriteLine($"Try: nc {options.Host} {((IPEndPoint)((Tcp.Bound)bound).LocalAddress).Port}   (Ctrl-C stops the server)");

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
    Console.WriteLine("Stopping.");
}

await system.Terminate();
return 0;
