using System.Globalization;
using System.Net;
using Actors.Io.Benchmarks.Load;
using Actors.Io.Benchmarks.Micro;
using Actors.Io.Benchmarks.Native;
using Actors.Io.Benchmarks.Runner;
using Actors.Io.Benchmarks.Servers;

// dotnet run -c Release --project Actors.Io.Benchmarks -- <command>
//   echo [--quick] [options]          the side-by-side comparison of every echo server (docs/benchmarks.md)
//   server <kind> [--port N]          one echo server: actors-io | actors-io-leased | akka-io | sockets | epoll | actors-io-tls | actors-io-tls-leased | actors-io-tls-readme | sockets-tls
//   load --port N [options]           the load generator alone against a running server
//   micro [BenchmarkDotNet args]      the micro benchmarks of the hot paths
//   idle-cpu [options]                CPU time of idle connections with an idle timeout
const string Usage = """
    usage: Actors.Io.Benchmarks <command>
      echo [--quick] [options]       compare actors-io, akka-io, sockets and epoll echo servers (echo --help)
      server <kind> [--port N]       run one echo server (actors-io | actors-io-leased | akka-io | sockets | epoll | actors-io-tls | actors-io-tls-leased | actors-io-tls-readme | sockets-tls)
      load --port N [--connections N] [--size B] [--depth D] [--rate MSG_PER_S] [--seconds S] [--warmup S] [--percentiles] [--tls]
      micro [BenchmarkDotNet args]   micro benchmarks of the selector, read and write paths
      idle-cpu [--connections N] [--seconds S] [--timeout DURATION|off]   CPU of idle connections with an idle timeout
    """;

if (args.Length == 0)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

string[] rest = args[1..];
switch (args[0])
{
    case "echo" when rest.Contains("--help"):
        Console.WriteLine(EchoOptions.Usage);
        return 0;
    case "echo":
        return EchoComparison.Run(rest);
    case "server":
        return ServerHost.Run(rest);
    case "load":
        return RunLoad(rest);
    case "micro":
        return MicroBenchmarks.Run(rest);
    case "idle-cpu":
        return IdleCpu.Run(rest);
    case "idle-clients":
        return IdleCpu.RunClients(rest);
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}

static int RunLoad(string[] args)
{
    int port = 0, connections = 100, size = 64, depth = 1;
    double rate = 0, seconds = 5, warmup = 1;
    bool percentiles = args.Contains("--percentiles");
    bool tls = args.Contains("--tls");
    args = [.. args.Where(a => a is not ("--percentiles" or "--tls"))];
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        string value = args[i + 1];
        switch (args[i])
        {
            case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--connections": connections = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--depth": depth = int.Parse(value, CultureInfo.InvariantCulture); break;
            case "--rate": rate = double.Parse(value, CultureInfo.InvariantCulture); break;
            case "--seconds": seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
            case "--warmup": warmup = double.Parse(value, CultureInfo.InvariantCulture); break;
            default:
                Console.Error.WriteLine($"unknown option {args[i]}");
                return 2;
        }
    }

    if (port <= 0)
    {
        Console.Error.WriteLine("load needs --port of a running echo server on 127.0.0.1");
        return 2;
    }

    _ = BenchNative.RaiseFileLimit();
    var spec = new LoadSpec("manual", connections, size, depth, rate);
    try
    {
        using var generator = new LoadGenerator(new IPEndPoint(IPAddress.Loopback, port), spec, tls: tls ? TlsClient.Options("localhost", trusted: null) : null);
        if (warmup > 0) _ = generator.Run(TimeSpan.FromSeconds(warmup), record: false);
        LoadResult r = generator.Run(TimeSpan.FromSeconds(seconds), record: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{spec}: {r.MessagesPerSecond:N0} msg/s, {r.MegabytesPerSecond:N1} MB/s, p50 {r.P50:N0} us, p99 {r.P99:N0} us, p99.9 {r.P999:N0} us, max {r.Max:N0} us, generator CPU {r.GeneratorCpuSeconds / r.Seconds:P0}, behind {r.Behind:N0}"));
        if (percentiles) Console.Write(generator.DescribePercentiles());
        return 0;
    }
    catch (LoadFailedException e)
    {
        Console.Error.WriteLine($"FAILED: {e.Message}");
        return 1;
    }
}
