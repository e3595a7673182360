using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Benchmarks.Native;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>
/// What idle connections with an idle timeout cost while idle: a child process (this program's <c>idle-clients</c>)
/// opens N loopback connections to a server in this process, which registers each with a reader idle timeout (or none);
/// then they sit for a while and the server process's CPU time, its loop's wake-ups and its idle sweeps over that window
/// are reported. The clients live in their own process so that each process holds only N descriptors and the server's
/// CPU time is its own. Run it once with and once without the timeout to compare.
/// </summary>
internal static class IdleCpu
{
    public const string Usage = "idle-cpu [--connections N] [--seconds S] [--timeout DURATION|off]   CPU of N idle connections with an idle timeout";

    public static int Run(string[] args)
    {
        int connections = 10_000;
        double seconds = 10;
        TimeSpan timeout = TimeSpan.FromMinutes(30);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--connections": connections = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--timeout": timeout = value == "off" ? TimeSpan.Zero : TimeSpan.Parse(value, CultureInfo.InvariantCulture); break;
                default:
                    Console.Error.WriteLine($"unknown option {args[i]}\nusage: {Usage}");
                    return 2;
            }
        }

        _ = BenchNative.RaiseFileLimit();
        using ActorSystem system = ActorSystem.Create("idle-cpu", ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.stdout-loglevel = WARNING
            actors-io.nr-of-selectors = 1
            """));
        var idle = timeout == TimeSpan.Zero ? Tcp.IdleTimeout.Off : new Tcp.IdleTimeout(reader: timeout);
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registered = new CountdownEvent(connections);
        system.ActorOf(Props.Create(() => new Server(idle, bound, registered)), "server");
        int port = bound.Task.WaitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();

        using Process clients = StartClients(port, connections);
        try
        {
            if (!registered.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"{registered.CurrentCount} connections not registered");

            ActorsIo io = ActorsIo.Get(system);
            Selection.Selector selector = io.Selector(0);
            GC.Collect();
            Thread.Sleep(1000); // settle: the last registrations' work and the GC's
            long wakeupsBefore = selector.Loop.WakeUps, sweepsBefore = selector.IdleSweep.Sweeps;
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var window = Stopwatch.StartNew();
            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
            double elapsed = window.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{connections} idle connections, idle timeout {(idle.IsOff ? "off" : timeout.ToString())}, {elapsed:F1} s: process CPU {cpu.TotalMilliseconds:F0} ms ({cpu.TotalMilliseconds / elapsed:F2} ms/s, {cpu.TotalSeconds / elapsed * 100:F3} % of a core), loop wake-ups {selector.Loop.WakeUps - wakeupsBefore}, idle sweeps {selector.IdleSweep.Sweeps - sweepsBefore} over {selector.IdleSweep.Count} entries"));
            return 0;
        }
        finally
        {
            clients.StandardInput.Close();
            if (!clients.WaitForExit(10_000)) clients.Kill();
            system.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The child's side: connects <c>--connections</c> sockets to <c>--port</c> and holds them until its input closes.</summary>
    public static int RunClients(string[] args)
    {
        int port = int.Parse(args[Array.IndexOf(args, "--port") + 1], CultureInfo.InvariantCulture);
        int connections = int.Parse(args[Array.IndexOf(args, "--connections") + 1], CultureInfo.InvariantCulture);
        _ = BenchNative.RaiseFileLimit();
        var clients = new List<Socket>(connections);
        try
        {
            for (int i = 0; i < connections; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                client.Connect(IPAddress.Loopback, port);
            }

            Console.WriteLine("connected");
            _ = Console.In.ReadToEnd();
            return 0;
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
    }

    private static Process StartClients(int port, int connections)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(IdleCpu).Assembly.Location);
        foreach (string arg in new[] { "idle-clients", "--port", port.ToString(CultureInfo.InvariantCulture), "--connections", connections.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("could not start the client process");
    }

    private sealed class Server : ReceiveActor
    {
        public Server(Tcp.IdleTimeout idle, TaskCompletionSource<int> bound, CountdownEvent registered)
        {
            Context.System.Io().Tell(new Tcp.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0), backlog: 4096));
            Receive<Tcp.Bound>(b => bound.TrySetResult(((IPEndPoint)b.LocalAddress).Port));
            Receive<Tcp.CommandFailed>(f => bound.TrySetException(new InvalidOperationException($"Bind failed: {f.Cause?.Message}")));
            Receive<Tcp.Connected>(_ =>
            {
                Sender.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true, idleTimeout: idle));
                registered.Signal();
            });
            Receive<Tcp.Event>(_ => { });
        }
    }
}
