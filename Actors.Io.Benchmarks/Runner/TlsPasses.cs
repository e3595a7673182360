using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Actors.Io.Benchmarks.Load;
using Actors.Io.Benchmarks.Servers;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>
/// What <c>echo</c> adds for the TLS servers: the protocol and cipher suite each one negotiated with the generator
/// (printed, so a comparison on unequal terms shows), and the handshake-rate pass: each TLS server in a fresh process on
/// CPU 0, the <see cref="HandshakeGenerator"/> on CPU 1, a short warm-up, then a measured window of new connections
/// (connect, full handshake, one echo, reset) with the server's CPU time read around it.
/// </summary>
internal static class TlsPasses
{
    private static readonly ConcurrentDictionary<string, string> Negotiated = new();
    private static (double Rate, double Cpu)? _handshakeRatios;

    /// <summary>actors-io-tls against sockets-tls in the handshake pass (medians of per-round ratios), if both ran.</summary>
    public static (double Rate, double Cpu)? HandshakeRatios() => _handshakeRatios;

    /// <summary>Keeps the first negotiated protocol and suite seen for <paramref name="kind"/>, and prints it once.</summary>
    public static void Note(string kind, string? description)
    {
        if (description is null || !Negotiated.TryAdd(kind, description)) return;
        Console.WriteLine($"  {kind}: TLS negotiated {description}");
    }

    /// <summary>The negotiated TLS of every TLS server run, and a warning when they differ.</summary>
    public static void Describe(StringBuilder report)
    {
        if (Negotiated.IsEmpty) return;
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"TLS negotiated: {string.Join("; ", Negotiated.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}{(Negotiated.Values.Distinct().Count() > 1 ? " (NOT THE SAME: the comparison is unfair)" : string.Empty)}.");
    }

    public static void Handshakes(EchoOptions options, int? serverCpu, StringBuilder report)
    {
        List<string> servers = [.. options.Servers.Where(EchoServers.IsTls)];
        if (options.HandshakeRounds == 0 || servers.Count == 0) return;
        var results = new Dictionary<string, List<(HandshakeResult Result, double ServerCpu)>>();
        for (int round = 0; round < options.HandshakeRounds; round++)
        {
            for (int i = 0; i < servers.Count; i++)
            {
                string kind = servers[(i + round) % servers.Count];
                using ServerProcess server = ServerProcess.Start(kind, serverCpu);
                using var generator = new HandshakeGenerator(server.EndPoint, options.HandshakeConcurrency, server.ClientTls!);
                _ = generator.Run(TimeSpan.FromSeconds(options.Quick ? 0.5 : 2), record: false);
                double cpu0 = server.CpuSeconds();
                HandshakeResult result = generator.Run(TimeSpan.FromSeconds(options.HandshakeSeconds), record: true);
                double cpu = server.CpuSeconds() - cpu0;
                if (server.HasExited) throw new LoadFailedException($"server {kind} exited during the handshake pass");
                Note(kind, generator.TlsDescription);
                if (!results.TryGetValue(kind, out var list)) results[kind] = list = [];
                list.Add((result, cpu));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round + 1}/{options.HandshakeRounds}  {kind,-13}  {options.HandshakeConcurrency} at once: {result.PerSecond,8:N0} handshakes/s  p50 {result.P50,6:N0} us  p99 {result.P99,7:N0} us  server CPU {cpu,5:F2} s ({cpu * 1e6 / Math.Max(1, result.Handshakes):F0} us/handshake)  generator CPU {result.GeneratorCpuSeconds / result.Seconds,4:P0}"));
            }
        }

        var table = new MarkdownTable("server", "handshakes/s", "x sockets-tls", "p50 us", "p99 us", "server CPU us/handshake", "CPU/handshake x sockets-tls", "one core's worth /s", "gen CPU", "gen CPU us/handshake");
        foreach (string kind in servers)
        {
            List<(HandshakeResult Result, double ServerCpu)> list = results[kind];
            string vs = "-", cpuVs = "-";
            if (kind != EchoServers.SocketsTls && results.TryGetValue(EchoServers.SocketsTls, out var baseline))
            {
                // Rounds pair up by index: each round ran every server once.
                vs = F(EchoComparison.Median(list.Zip(baseline, (a, b) => a.Result.PerSecond / b.Result.PerSecond)), "F2");
                cpuVs = F(EchoComparison.Median(list.Zip(baseline, (a, b) => CpuPer(a) / CpuPer(b))), "F2");
                if (kind == EchoServers.ActorsIoTls)
                {
                    _handshakeRatios = (
                        EchoComparison.Median(list.Zip(baseline, (a, b) => a.Result.PerSecond / b.Result.PerSecond)),
                        EchoComparison.Median(list.Zip(baseline, (a, b) => CpuPer(a) / CpuPer(b))));
                }
            }

            double cpuPer = EchoComparison.Median(list.Select(CpuPer));

            table.Add(
                kind,
                F(EchoComparison.Median(list.Select(x => x.Result.PerSecond)), "N0"),
                vs,
                F(EchoComparison.Median(list.Select(x => x.Result.P50)), "N0"),
                F(EchoComparison.Median(list.Select(x => x.Result.P99)), "N0"),
                F(cpuPer, "F0"),
                cpuVs,
                F(1e6 / cpuPer, "N0"),
                F(EchoComparison.Median(list.Select(x => x.Result.GeneratorCpuSeconds / x.Result.Seconds)), "P0"),
                F(EchoComparison.Median(list.Select(x => x.Result.GeneratorCpuSeconds * 1e6 / Math.Max(1, x.Result.Handshakes))), "F0"));
        }

        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"### New TLS connections per second ({options.HandshakeConcurrency} at once: connect, full TLS 1.3 handshake, one 64 B echo, reset)");
        report.AppendLine();
        report.Append(table);
        report.AppendLine();
        report.AppendLine("Medians over the rounds (x sockets-tls: median of the per-round ratios); latency from the connect to the echo. A client's full handshake (certificate chain and signature checks) costs about as much CPU as a server's, so one generator core may not saturate a server core: gen CPU near 100 % means the generator set the pace, and then server CPU per handshake (one core's worth: 1 s divided by it) is the figure to compare.");
    }

    private static double CpuPer((HandshakeResult Result, double ServerCpu) x) => x.ServerCpu * 1e6 / Math.Max(1, x.Result.Handshakes);

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
