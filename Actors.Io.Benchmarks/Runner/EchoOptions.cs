using System.Globalization;
using Actors.Io.Benchmarks.Load;
using Actors.Io.Benchmarks.Servers;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>The options of <c>echo</c>.</summary>
internal sealed class EchoOptions
{
    public static readonly IReadOnlyList<LoadSpec> Workloads =
    [
        new("100x64x1", 100, 64, 1),
        new("100x64x16", 100, 64, 16),
        new("1000x64x1", 1000, 64, 1),
        new("50x4Kx4", 50, 4096, 4),
    ];

    public const string Usage = """
        usage: echo [--quick] [options]
          --quick                 short windows and fewer rounds (finishes in under two minutes)
          --rounds N              closed-loop rounds (each runs every server once, order rotated; default 5, quick 2;
                                  0 skips the closed-loop and fixed-rate passes)
          --seconds S             measured window per workload (default 4, quick 0.8)
          --warmup S              warm-up before each measured window (default 1.5, quick 0.3), ended by one full
                                  collection in the server and 0.25 s (quick 0.1 s) more of the load
          --process-warmup S      longest warm-up of each fresh server process, ended once its JIT has spent under
                                  1 % of the last 2 s compiling (default 20, quick 2)
          --latency-rounds N      fixed-rate rounds (default 5, quick 1; 0 skips the fixed-rate pass)
          --rate-fraction F       fixed rate = F x the slowest server's closed-loop median (default 0.5)
          --idle-rounds N         idle-connection rounds (default 3, quick 1; 0 skips)
          --idle-connections N    idle connections (default 10000)
          --handshake-rounds N    TLS servers only: rounds of new connections per second (connect, full handshake,
                                  one 64 B echo, reset; default 3, quick 1; 0 skips)
          --handshake-seconds S   measured window of each handshake round (default 3, quick 0.8)
          --handshake-concurrency N  connections the generator keeps handshaking at once (default 32)
          --servers a,b           subset of: actors-io, actors-io-leased, actors-io-readme, actors-io-ported, akka-io,
                                  sockets, epoll (the default: all seven), or the TLS servers actors-io-tls,
                                  actors-io-tls-leased, actors-io-tls-readme, sockets-tls (named only)
          --workloads a,b         subset of: 100x64x1, 100x64x16, 1000x64x1, 50x4Kx4
          --markdown FILE         also write the tables to FILE
          --no-pin                do not pin (server on CPU 0 with taskset, generator on CPU 1)
        """;

    public bool Quick { get; private set; }

    public int Rounds { get; private set; } = 5;

    public double Seconds { get; private set; } = 4;

    public double Warmup { get; private set; } = 1.5;

    /// <summary>Longest warm-up of a fresh server process: it ends earlier once the server's JIT has spent under 1 % of
    /// the last <see cref="JitQuietSeconds"/> compiling.</summary>
    public double ProcessWarmup { get; private set; } = 20;

    /// <summary>The window over which a warm-up's JIT time must stay under 1 % for the server to count as warm.</summary>
    public double JitQuietSeconds { get; private set; } = 2;

    public int LatencyRounds { get; private set; } = 5;

    public double LatencySeconds { get; private set; } = 3;

    public double LatencyWarmup { get; private set; } = 1;

    public double RateFraction { get; private set; } = 0.5;

    public int IdleRounds { get; private set; } = 3;

    public int IdleConnections { get; private set; } = 10_000;

    /// <summary>Rounds of the handshake-rate pass (TLS servers only).</summary>
    public int HandshakeRounds { get; private set; } = 3;

    public double HandshakeSeconds { get; private set; } = 3;

    public int HandshakeConcurrency { get; private set; } = 32;

    public IReadOnlyList<string> Servers { get; private set; } = EchoServers.All;

    public IReadOnlyList<LoadSpec> Loads { get; private set; } = Workloads;

    public string? Markdown { get; private set; }

    public bool Pin { get; private set; } = true;

    public static EchoOptions Parse(string[] args)
    {
        var o = new EchoOptions();
        if (args.Contains("--quick"))
        {
            o.Quick = true;
            o.Rounds = 2;
            o.Seconds = 0.8;
            o.Warmup = 0.3;
            o.ProcessWarmup = 2;
            o.LatencyRounds = 1;
            o.LatencySeconds = 0.6;
            o.LatencyWarmup = 0.2;
            o.IdleRounds = 1;
            o.HandshakeRounds = 1;
            o.HandshakeSeconds = 0.8;
        }

        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--quick":
                    break;
                case "--rounds":
                    o.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--seconds":
                    o.Seconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    o.Warmup = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--process-warmup":
                    o.ProcessWarmup = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--latency-rounds":
                    o.LatencyRounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--rate-fraction":
                    o.RateFraction = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--idle-rounds":
                    o.IdleRounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--idle-connections":
                    o.IdleConnections = Positive(int.Parse(Next(), CultureInfo.InvariantCulture), "--idle-connections");
                    break;
                case "--handshake-rounds":
                    o.HandshakeRounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--handshake-seconds":
                    o.HandshakeSeconds = double.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--handshake-concurrency":
                    o.HandshakeConcurrency = Positive(int.Parse(Next(), CultureInfo.InvariantCulture), "--handshake-concurrency");
                    break;
                case "--servers":
                    o.Servers = Next().Split(',', StringSplitOptions.RemoveEmptyEntries);
                    foreach (string s in o.Servers)
                    {
                        if (!EchoServers.Known.Contains(s)) throw new ArgumentException($"unknown server '{s}'");
                    }

                    break;
                case "--workloads":
                    string[] names = Next().Split(',', StringSplitOptions.RemoveEmptyEntries);
                    o.Loads = [.. names.Select(n => Workloads.FirstOrDefault(w => w.Name == n) ?? throw new ArgumentException($"unknown workload '{n}'"))];
                    break;
                case "--markdown":
                    o.Markdown = Next();
                    break;
                case "--no-pin":
                    o.Pin = false;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{args[i]}'");
            }
        }

        if (o.HandshakeSeconds <= 0) throw new ArgumentException("--handshake-seconds must be positive");
        if (o.Rounds < 0 || o.LatencyRounds < 0 || o.IdleRounds < 0 || o.HandshakeRounds < 0) throw new ArgumentException("round counts must not be negative");
        if (o.Seconds <= 0 || o.Warmup < 0 || o.ProcessWarmup < 0) throw new ArgumentException("--seconds must be positive, --warmup and --process-warmup not negative");
        if (o.RateFraction <= 0 || o.RateFraction > 1) throw new ArgumentException("--rate-fraction must be in (0, 1]");
        return o;
    }

    private static int Positive(int value, string name) => value > 0 ? value : throw new ArgumentException($"{name} must be positive");
}
