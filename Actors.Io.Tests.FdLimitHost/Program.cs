using System.Net;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Io.Tests.FdLimitHost;

/// <summary>
/// An echo server for the accept back-off test (AcceptBackoffTests), run under a low <c>ulimit -n</c>. It binds
/// 127.0.0.1:0 and prints <c>FDS n</c> (descriptors open once bound) and <c>PORT n</c>, prints <c>ACCEPTED n</c> for the
/// n-th accepted connection, echoes every byte, and stops when it reads <c>exit</c> (or end of input) on stdin.
/// Akka's log goes to stdout. With <c>clients N PORT</c> it is instead the client side of the 10,000-connection test
/// (see <see cref="Clients"/>); with <c>flood N PORT</c> the client side of the kill test (see <see cref="Flood"/>); with
/// <c>unix-bind PATH</c> a process holding a socket file (see <see cref="UnixBind"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "clients") return Clients.Run(int.Parse(args[1]), int.Parse(args[2]));
        if (args.Length == 3 && args[0] == "flood") return Flood.Run(int.Parse(args[1]), int.Parse(args[2]));
        if (args.Length == 2 && args[0] == "unix-bind") return UnixBind.Run(args[1]);

        StartPoolThreads();
        Config config = ConfigurationFactory.ParseString("""
            akka.loglevel = INFO
            akka.stdout-loglevel = INFO
            actors-io.tcp.accept-backoff-min = 50ms
            """);
        using ActorSystem system = ActorSystem.Create("fd-limit-host", config);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        system.ActorOf(Props.Create(() => new Server(done)), "server");

        var input = new Thread(() =>
        {
            string? line;
            while ((line = Console.In.ReadLine()) is not null && line.Trim() != "exit")
            {
            }

            done.TrySetResult(0);
        })
        {
            IsBackground = true,
            Name = "stdin",
        };
        input.Start();

        int code = done.Task.GetAwaiter().GetResult();
        system.Terminate().Wait(TimeSpan.FromSeconds(5));
        Console.Out.WriteLine($"EXIT {code}");
        return code;
    }

    /// <summary>
    /// Starts every thread-pool thread the host may use now and caps the pool there. Starting a thread fails while the
    /// process is out of descriptors, and when the pool injects a worker then, the runtime fails fast ("Out of memory."
    /// from Thread.StartCore in PortableThreadPool.WorkerThread): that would end this test of the listener's back-off
    /// for a reason outside the library.
    /// </summary>
    private static void StartPoolThreads()
    {
        const int threads = 16;
        ThreadPool.SetMinThreads(threads, threads);
        ThreadPool.SetMaxThreads(threads, threads);
        var running = new CountdownEvent(threads);
        var release = new ManualResetEventSlim();
        for (int i = 0; i < threads; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(
                _ =>
                {
                    running.Signal();
                    release.Wait();
                },
                null);
        }

        if (!running.Wait(TimeSpan.FromSeconds(10))) Console.Out.WriteLine("WARN the thread pool did not start all its threads");
        release.Set();
    }

    private sealed class Server(TaskCompletionSource<int> done) : UntypedActor
    {
        private int _accepted;

        protected override void PreStart() =>
            Context.System.Io().Tell(new Tcp.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0)));

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Tcp.Bound bound:
                    Console.Out.WriteLine($"FDS {Directory.GetFiles("/proc/self/fd").Length}");
                    Console.Out.WriteLine($"PORT {((IPEndPoint)bound.LocalAddress).Port}");
                    break;
                case Tcp.Connected:
                    _accepted++;
                    IActorRef echo = Context.ActorOf(Props.Create(() => new Echo()));
                    Sender.Tell(new Tcp.Register(echo));
                    Console.Out.WriteLine($"ACCEPTED {_accepted}");
                    break;
                case Tcp.CommandFailed failed:
                    Console.Out.WriteLine($"FAILED {failed}");
                    done.TrySetResult(2);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case Tcp.Received received:
                    Sender.Tell(Tcp.Write.Create(received.Data));
                    break;
                case Tcp.ConnectionClosed:
                    Context.Stop(Self);
                    break;
                default:
                    Unhandled(message);
                    break;
            }
        }
    }
}
