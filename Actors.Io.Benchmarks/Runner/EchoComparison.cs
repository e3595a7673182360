using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Actors.Io.Benchmarks.Load;
using Actors.Io.Benchmarks.Native;
using Actors.Io.Benchmarks.Servers;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>
/// <c>echo</c>: every server side by side. Each round starts each server in a fresh process pinned to CPU 0 (the order
/// rotates from round to round so no server always runs first or last), warms it up, and runs every workload against it
/// from the load generator in this process, pinned to CPU 1: a warm-up window, then a measured window with the server's
/// CPU time read from /proc around it. A fixed-rate pass then offers every server the same load (a fraction of the
/// slowest server's throughput) to compare latency, and an idle pass measures resident memory per connection. Tables
/// show medians over the rounds; ratios are medians of the per-round ratios.
/// </summary>
internal static class EchoComparison
{
    private const string Reference = EchoServers.AkkaIo;

    public static int Run(string[] args)
    {
        EchoOptions options;
        try
        {
            options = EchoOptions.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(EchoOptions.Usage);
            return 2;
        }

        if (!OperatingSystem.IsLinux())
        {
            Console.Error.WriteLine("echo needs Linux (epoll, /proc).");
            return 2;
        }

        var clock = Stopwatch.StartNew();
        var report = new StringBuilder();
        int? serverCpu = SetUpPinning(options, report);
        ulong fileLimit = BenchNative.RaiseFileLimit();
        report.AppendLine(CultureInfo.InvariantCulture, $"- descriptors: generator soft limit {fileLimit}; each server runs under `ulimit -n $(ulimit -Hn)`");
        report.AppendLine(CultureInfo.InvariantCulture, $"- load average at start: {LoadAverage()}; CPU pressure (/proc/pressure/cpu): {SchedStat.CpuPressure()}");
        report.AppendLine(CultureInfo.InvariantCulture, $"- closed loop: {options.Rounds} rounds x {options.Servers.Count} servers, warm-up {options.Warmup} s + {options.Seconds} s measured per workload; fixed rate: {options.LatencyRounds} rounds, {options.LatencyWarmup} s + {options.LatencySeconds} s at {options.RateFraction:0.##} x the slowest server's median; idle: {options.IdleRounds} rounds of {options.IdleConnections:N0} connections");
        Console.Write(report);

        try
        {
            var closed = new Measurements();
            for (int round = 0; round < options.Rounds; round++)
            {
                foreach (string kind in Rotate(options.Servers, round))
                {
                    RunServer(kind, round, options.Rounds, serverCpu, options, closed, options.Loads, options.Warmup, options.Seconds);
                }
            }

            if (options.Rounds > 0)
            {
                report.AppendLine();
                report.AppendLine("### CPU per message (closed loop; server CPU time per echoed message, median ratio to the bare loop's)");
                report.AppendLine();
                report.Append(CpuTable(options, closed));
                report.AppendLine();
                report.AppendLine("### Closed loop (each connection keeps `depth` messages in flight)");
                report.AppendLine();
                report.Append(ThroughputTable(options, closed));
            }

            var open = new Measurements();
            if (options.Rounds > 0 && options.LatencyRounds > 0 && options.Servers.Count > 0)
            {
                List<LoadSpec> rated = [];
                foreach (LoadSpec load in options.Loads)
                {
                    double slowest = options.Servers.Min(s => Median(closed.Get(load.Name, s).Select(m => m.Result.MessagesPerSecond)));
                    rated.Add(load.AtRate(Math.Max(100, Math.Round(slowest * options.RateFraction / 100) * 100)));
                }

                for (int round = 0; round < options.LatencyRounds; round++)
                {
                    foreach (string kind in Rotate(options.Servers, round))
                    {
                        RunServer(kind, round, options.LatencyRounds, serverCpu, options, open, rated, options.LatencyWarmup, options.LatencySeconds);
                    }
                }

                report.AppendLine();
                report.AppendLine(CultureInfo.InvariantCulture, $"### Fixed rate ({options.RateFraction:0.##} x the slowest server's closed-loop median; latency from the intended send time)");
                report.AppendLine();
                report.Append(LatencyTable(options, open, rated));
            }

            var idle = new Dictionary<string, List<IdleResult>>();
            for (int round = 0; round < options.IdleRounds; round++)
            {
                foreach (string kind in Rotate(options.Servers, round))
                {
                    IdleResult result = RunIdle(kind, round, options, serverCpu);
                    if (!idle.TryGetValue(kind, out List<IdleResult>? list)) idle[kind] = list = [];
                    list.Add(result);
                }
            }

            TlsPasses.Handshakes(options, serverCpu, report);

            if (options.IdleRounds > 0)
            {
                report.AppendLine();
                report.AppendLine(CultureInfo.InvariantCulture, $"### {options.IdleConnections:N0} idle connections (server VmRSS after a full GC, before and after opening them)");
                report.AppendLine();
                report.Append(IdleTable(options, idle));
            }

            TlsPasses.Describe(report);
            report.Append(TlsTargetTable(options, closed, open, idle));
            report.AppendLine();
            report.AppendLine("### Actors.Io against its targets (issues 6, 18 and 20)");
            report.AppendLine();
            report.Append(TargetTable(options, closed, open, idle));
            report.AppendLine();
            report.AppendLine(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()}; CPU pressure {SchedStat.CpuPressure()}; wall time {clock.Elapsed.TotalSeconds:F0} s.");
        }
        catch (Exception e) when (e is LoadFailedException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"FAILED: {e.GetType().Name}: {e.Message}");
            return 1;
        }

        Console.WriteLine();
        string tables = report.ToString();
        Console.Write(tables[tables.IndexOf("### ", StringComparison.Ordinal)..]);
        if (options.Markdown is { } path) File.WriteAllText(path, tables);
        return 0;
    }

    private static void NoteTls(string kind, LoadGenerator generator) => TlsPasses.Note(kind, generator.TlsDescription);

    private static int? SetUpPinning(EchoOptions options, StringBuilder report)
    {
        report.AppendLine(CultureInfo.InvariantCulture, $"- machine: {Environment.ProcessorCount} CPUs, {CpuModel()}, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
        if (!options.Pin)
        {
            report.AppendLine("- pinning: off (--no-pin)");
            return null;
        }

        if (Environment.ProcessorCount < 2)
        {
            report.AppendLine("- pinning: skipped, fewer than 2 CPUs");
            return null;
        }

        if (!File.Exists("/usr/bin/taskset") && !File.Exists("/bin/taskset"))
        {
            report.AppendLine("- pinning: skipped, taskset is not installed (apt-get install util-linux); server and generator share the CPUs");
            return null;
        }

        string? failure = BenchNative.PinProcess(1);
        report.AppendLine(failure is null
            ? "- pinning: each server `taskset -c 0`, the load generator (this process) on CPU 1"
            : $"- pinning: servers `taskset -c 0`; pinning the generator to CPU 1 failed ({failure})");
        return 0;
    }

    private static void RunServer(string kind, int round, int rounds, int? cpu, EchoOptions options, Measurements into, IReadOnlyList<LoadSpec> loads, double warmup, double seconds)
    {
        using ServerProcess server = ServerProcess.Start(kind, cpu);
        WarmUp(server, options, loads);
        foreach (LoadSpec load in loads)
        {
            using var generator = new LoadGenerator(server.EndPoint, load, tls: server.ClientTls);
            NoteTls(kind, generator);
            if (warmup > 0) _ = generator.Run(TimeSpan.FromSeconds(warmup), record: false);
            SettleNewConnections(server, generator, options.Quick ? 0.1 : 0.25);
            ServerProbe probe0 = server.Probe();
            double cpu0 = server.CpuSeconds();
            Dictionary<int, long> wait0 = server.RunQueueWaits();
            double genWait0 = SchedStat.ThreadWaitSeconds();
            LoadResult result = generator.Run(TimeSpan.FromSeconds(seconds), record: true);
            double cpu1 = server.CpuSeconds();
            Dictionary<int, long> wait1 = server.RunQueueWaits();
            double genWait1 = SchedStat.ThreadWaitSeconds();
            ServerProbe probe1 = server.Probe();
            if (server.HasExited) throw new LoadFailedException($"server {kind} exited during {load}");
            var m = new Measurement(round, result, cpu1 - cpu0, SchedStat.WaitSecondsSince(wait0, wait1) / result.Seconds, (genWait1 - genWait0) / result.Seconds, probe1.JitMethods - probe0.JitMethods, probe1.JitMilliseconds - probe0.JitMilliseconds, probe1.GcPauseMilliseconds - probe0.GcPauseMilliseconds);
            into.Add(load.Name, kind, m);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  round {round + 1}/{rounds}  {kind,-16}  {load,-40} {result.MessagesPerSecond,10:N0} msg/s  p50 {result.P50,6:N0} us  p99 {result.P99,7:N0} us  server CPU {m.ServerCpu,5:F2} s (waited {m.ServerWait,4:P0}, JIT {m.JitMethods} methods {m.JitMilliseconds:F0} ms, GC paused {m.GcPauseMilliseconds:F1} ms)  generator CPU {result.GeneratorCpuSeconds / result.Seconds,4:P0} (waited {m.GeneratorWait,4:P0}){(result.Behind > 0 ? $"  BEHIND {result.Behind:N0}" : string.Empty)}"));
        }
    }

    /// <summary>
    /// Ends a workload's warm-up with one full collection in the server (every server alike; the bare loop has nothing
    /// to collect), then a short run of the load (0.25 s, quick 0.1 s) so its allocation resumes. The collections that follow a burst of new
    /// connections promote all of their state, and at 1,000 connections the Akka-based servers pause 13-18 ms for each
    /// of the first two or three of them (see docs/benchmarks.md, "Findings that still hold"): a one-off cost of connecting, like
    /// the JIT's, that would otherwise land in the measured window or not depending on the allocation rate. Collections
    /// of steady-state garbage still fall in the window as they come.
    /// </summary>
    private static void SettleNewConnections(ServerProcess server, LoadGenerator generator, double seconds)
    {
        _ = server.CollectGarbage();
        _ = generator.Run(TimeSpan.FromSeconds(seconds), record: false);
    }

    /// <summary>
    /// Brings a fresh server to its steady state: short runs of every workload about to be measured, each with new
    /// connections (so accepting and closing warm up too), until the server's JIT has spent less than 1 % of the last
    /// <see cref="EchoOptions.JitQuietSeconds"/> compiling, or <see cref="EchoOptions.ProcessWarmup"/> has passed.
    /// Otherwise tiered compilation recompiles hot methods inside the measured windows (see <see cref="ServerProcess"/>).
    /// </summary>
    private static void WarmUp(ServerProcess server, EchoOptions options, IReadOnlyList<LoadSpec> loads)
    {
        if (options.ProcessWarmup <= 0) return;
        var clock = Stopwatch.StartNew();
        var samples = new List<(double At, double JitMs)> { (0, server.Probe().JitMilliseconds) };
        for (int i = 0; clock.Elapsed.TotalSeconds < options.ProcessWarmup; i++)
        {
            LoadSpec load = loads[i % loads.Count];
            using (var warm = new LoadGenerator(server.EndPoint, load with { Name = "warm-up" }, tls: server.ClientTls))
            {
                _ = warm.Run(TimeSpan.FromSeconds(0.4), record: false);
            }

            double now = clock.Elapsed.TotalSeconds;
            samples.Add((now, server.Probe().JitMilliseconds));
            int from = samples.FindLastIndex(x => now - x.At >= options.JitQuietSeconds);
            if (from >= 0 && samples[^1].JitMs - samples[from].JitMs < 10 * (now - samples[from].At)) return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  note: {server.Kind}'s JIT was still compiling after the {options.ProcessWarmup:0.#} s warm-up limit ({samples[^1].JitMs:F0} ms in all)"));
    }

    /// <summary>
    /// Echo traffic until the server's GC has collected a few times, so its heap is that of a server that has served
    /// traffic: a fresh process's first allocations commit the GC's allocation budget (about 18 MiB here), a one-off cost
    /// that the old baseline divided among the idle connections. A server that never collects stops at the time limit.
    /// </summary>
    private static void WarmUpHeap(ServerProcess server, EchoOptions options)
    {
        var clock = Stopwatch.StartNew();
        double limit = options.Quick ? 0.5 : 3.0;
        long start = server.Probe().Gen0Collections;
        do
        {
            using var warm = new LoadGenerator(server.EndPoint, new LoadSpec("warm-up", 100, 64, 4), tls: server.ClientTls);
            _ = warm.Run(TimeSpan.FromSeconds(0.25), record: false);
        }
        while (server.Probe().Gen0Collections - start < 3 && clock.Elapsed.TotalSeconds < limit);
    }

    private static IdleResult RunIdle(string kind, int round, EchoOptions options, int? cpu)
    {
        using ServerProcess server = ServerProcess.Start(kind, cpu);
        WarmUpHeap(server, options);

        Thread.Sleep(200);
        long heapBefore = server.CollectGarbage();
        long before = server.RssKiB();
        using var idle = new LoadGenerator(server.EndPoint, new LoadSpec("idle", options.IdleConnections, 16, 1), TimeSpan.FromSeconds(120), server.ClientTls);
        NoteTls(kind, idle);
        Thread.Sleep(500);
        long heapAfter = server.CollectGarbage();
        long after = server.RssKiB();
        if (server.HasExited) throw new LoadFailedException($"server {kind} exited while holding idle connections");
        var result = new IdleResult(before, after, heapBefore, heapAfter);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  round {round + 1}/{options.IdleRounds}  {kind,-16}  {options.IdleConnections:N0} idle connections: VmRSS {before / 1024.0:F1} -> {after / 1024.0:F1} MiB, {result.RssKiBPer(options.IdleConnections):F2} KiB per connection (managed heap {result.HeapKiBPer(options.IdleConnections):F2} KiB)"));
        return result;
    }

    /// <summary>
    /// CPU per message first: where the load generator's core is full, msg/s measures the generator and only the server's
    /// CPU per message tells servers apart. Each cell is the median per-round ratio to the bare loop and the median
    /// microseconds; the last column says how busy the generator was against the bare loop.
    /// </summary>
    private static string CpuTable(EchoOptions options, Measurements closed)
    {
        List<string> servers = [.. options.Servers.Where(k => k != EchoServers.Epoll)];
        var table = new MarkdownTable([.. new[] { "workload" }.Concat(servers), "epoll us/msg", "generator busy (epoll run)"]);
        foreach (LoadSpec load in options.Loads)
        {
            List<string> row = [load.ToString()];
            foreach (string kind in servers)
            {
                List<Measurement> ms = closed.Get(load.Name, kind);
                double? ratio = RatioValue(closed, load.Name, kind, EchoServers.Epoll, m => m.ServerCpu / Math.Max(1, m.Result.Messages));
                row.Add(ms.Count == 0 ? "-" : $"{(ratio is { } r ? $"{r:F2}x" : "-")} ({F(Median(ms.Select(m => m.ServerCpu * 1e6 / Math.Max(1, m.Result.Messages))), "F2")} us)");
            }

            List<Measurement> bare = closed.Get(load.Name, EchoServers.Epoll);
            row.Add(bare.Count == 0 ? "-" : F(Median(bare.Select(m => m.ServerCpu * 1e6 / Math.Max(1, m.Result.Messages))), "F2"));
            row.Add(bare.Count == 0 ? "-" : F(Median(bare.Select(m => m.Result.GeneratorCpuSeconds / m.Result.Seconds)), "P0"));
            table.Add([.. row]);
        }

        return table.ToString();
    }

    private static string ThroughputTable(EchoOptions options, Measurements closed)
    {
        var table = new MarkdownTable("workload", "server", "msg/s", "MB/s", "p50 us", "p99 us", "p99.9 us", "server CPU s", "CPU us/msg", "CPU/msg x epoll", "gen CPU", "gen CPU us/msg", "x akka-io", "x sockets", "x epoll", "spread", "CPU wait srv/gen", "server JIT ms", "server GC pause ms");
        foreach (LoadSpec load in options.Loads)
        {
            foreach (string kind in options.Servers)
            {
                List<Measurement> ms = closed.Get(load.Name, kind);
                if (ms.Count == 0) continue;
                double rate = Median(ms.Select(m => m.Result.MessagesPerSecond));
                double spread = (ms.Max(m => m.Result.MessagesPerSecond) - ms.Min(m => m.Result.MessagesPerSecond)) / rate;
                table.Add(
                    load.ToString(),
                    kind,
                    F(rate, "N0"),
                    F(Median(ms.Select(m => m.Result.MegabytesPerSecond)), "N1"),
                    F(Median(ms.Select(m => m.Result.P50)), "N0"),
                    F(Median(ms.Select(m => m.Result.P99)), "N0"),
                    F(Median(ms.Select(m => m.Result.P999)), "N0"),
                    F(Median(ms.Select(m => m.ServerCpu)), "F2"),
                    F(Median(ms.Select(m => m.ServerCpu * 1e6 / Math.Max(1, m.Result.Messages))), "F2"),
                    Ratio(closed, load.Name, kind, EchoServers.Epoll, m => m.ServerCpu / Math.Max(1, m.Result.Messages)),
                    F(Median(ms.Select(m => m.Result.GeneratorCpuSeconds / m.Result.Seconds)), "P0"),
                    F(Median(ms.Select(m => m.Result.GeneratorCpuSeconds * 1e6 / Math.Max(1, m.Result.Messages))), "F2"),
                    Ratio(closed, load.Name, kind, EchoServers.AkkaIo, m => m.Result.MessagesPerSecond),
                    Ratio(closed, load.Name, kind, EchoServers.Sockets, m => m.Result.MessagesPerSecond),
                    Ratio(closed, load.Name, kind, EchoServers.Epoll, m => m.Result.MessagesPerSecond),
                    ms.Count > 1 ? F(spread, "P0") : "-",
                    $"{F(Median(ms.Select(m => m.ServerWait)), "P0")} / {F(Median(ms.Select(m => m.GeneratorWait)), "P0")}",
                    F(Median(ms.Select(m => m.JitMilliseconds)), "F0"),
                    F(Median(ms.Select(m => m.GcPauseMilliseconds)), "F1"));
            }
        }

        return table + "\nRatios are medians of per-round throughput ratios (higher is faster); spread is (max - min) / median over the rounds; MB/s counts the echoed payload one way; CPU us/msg is server CPU time per echoed message (CPU/msg x epoll: its median per-round ratio to the bare loop's, lower is leaner); gen CPU is the load generator's share of its own core and gen CPU us/msg its CPU time per message; CPU wait is the time the server's threads (summed: a multi-threaded server on one core also waits for itself) and the generator's thread spent runnable but waiting for a CPU, per second of the window; the generator's figure is other work on the machine taking its core; server JIT ms is the time the server's JIT spent compiling during the window (each server is first warmed up until its JIT is quiet, so this should be near 0); server GC pause ms is the time the server's garbage collector paused it during the window.\n";
    }

    private static string LatencyTable(EchoOptions options, Measurements open, IReadOnlyList<LoadSpec> rated)
    {
        var table = new MarkdownTable("workload", "server", "msg/s", "p50 us", "p99 us", "p99.9 us", "max us", "server CPU s", "p99 x akka-io", "p99 x sockets", "p99 x epoll", "behind", "CPU wait srv/gen", "server JIT ms", "server GC pause ms");
        foreach (LoadSpec load in rated)
        {
            foreach (string kind in options.Servers)
            {
                List<Measurement> ms = open.Get(load.Name, kind);
                if (ms.Count == 0) continue;
                table.Add(
                    load.ToString(),
                    kind,
                    F(Median(ms.Select(m => m.Result.MessagesPerSecond)), "N0"),
                    F(Median(ms.Select(m => m.Result.P50)), "N0"),
                    F(Median(ms.Select(m => m.Result.P99)), "N0"),
                    F(Median(ms.Select(m => m.Result.P999)), "N0"),
                    F(Median(ms.Select(m => m.Result.Max)), "N0"),
                    F(Median(ms.Select(m => m.ServerCpu)), "F2"),
                    Ratio(open, load.Name, kind, EchoServers.AkkaIo, m => m.Result.P99),
                    Ratio(open, load.Name, kind, EchoServers.Sockets, m => m.Result.P99),
                    Ratio(open, load.Name, kind, EchoServers.Epoll, m => m.Result.P99),
                    F(Median(ms.Select(m => (double)m.Result.Behind)), "N0"),
                    $"{F(Median(ms.Select(m => m.ServerWait)), "P0")} / {F(Median(ms.Select(m => m.GeneratorWait)), "P0")}",
                    F(Median(ms.Select(m => m.JitMilliseconds)), "F0"),
                    F(Median(ms.Select(m => m.GcPauseMilliseconds)), "F1"));
            }
        }

        return table + "\nRatios are medians of per-round p99 ratios (lower is better); behind counts messages still owed at the end of the window because the server fell behind the rate (0: the rate was held); server JIT ms and GC pause ms as in the closed-loop table.\n";
    }

    private static string IdleTable(EchoOptions options, Dictionary<string, List<IdleResult>> idle)
    {
        double PerConnection(string kind) => Median(idle[kind].Select(x => x.RssKiBPer(options.IdleConnections)));
        var table = new MarkdownTable("connections", "server", "VmRSS before MiB", "VmRSS after MiB", "KiB per connection", "managed heap KiB per connection", "x akka-io", "x sockets", "x epoll");
        foreach (string kind in options.Servers)
        {
            if (!idle.TryGetValue(kind, out List<IdleResult>? list)) continue;
            double per = PerConnection(kind);
            string Vs(string other) => idle.ContainsKey(other) && PerConnection(other) > 0 ? F(per / PerConnection(other), "F2") : "-";
            table.Add(
                options.IdleConnections.ToString("N0", CultureInfo.InvariantCulture),
                kind,
                F(Median(list.Select(x => x.RssBeforeKiB / 1024.0)), "F1"),
                F(Median(list.Select(x => x.RssAfterKiB / 1024.0)), "F1"),
                F(per, "F2"),
                F(Median(list.Select(x => x.HeapKiBPer(options.IdleConnections))), "F2"),
                Vs(EchoServers.AkkaIo),
                Vs(EchoServers.Sockets),
                Vs(EchoServers.Epoll));
        }

        return table + "\nVmRSS growth divided by the connections, after a full blocking GC in the server (its live managed heap growth is shown alongside); kernel socket buffers are not in a process's RSS.\n";
    }

    private static string TargetTable(EchoOptions options, Measurements closed, Measurements open, Dictionary<string, List<IdleResult>> idle)
    {
        const string Us = EchoServers.ActorsIo;
        var table = new MarkdownTable("target", "workload", "measured", "result");
        foreach (LoadSpec load in options.Servers.Contains(Us) ? options.Loads : [])
        {
            double goal = load.Name switch
            {
                "100x64x16" => 0.85,
                "50x4Kx4" => 0.95,
                _ => 0.70,
            };
            double? vsEpoll = RatioValue(closed, load.Name, Us, EchoServers.Epoll, m => m.Result.MessagesPerSecond);
            table.Add($">= {goal:F2} x epoll msg/s", load.ToString(), vsEpoll is { } v ? $"{v:F2} x" : "-", Verdict(vsEpoll, r => r >= goal));
        }

        foreach (LoadSpec load in options.Servers.Contains(Us) ? options.Loads : [])
        {
            Measurements source = open.Get(load.Name, Us).Count > 0 ? open : closed;
            string how = ReferenceEquals(source, open) ? "fixed rate" : "closed loop";
            double? vsAkka = RatioValue(source, load.Name, Us, Reference, m => m.Result.P99);
            double? vsEpoll = RatioValue(source, load.Name, Us, EchoServers.Epoll, m => m.Result.P99);
            // When even the bare loop is left behind, the generator could not pace the rate: the row measures the generator.
            bool paced = ReferenceEquals(source, closed) || open.Get(load.Name, EchoServers.Epoll).All(m => m.Result.Behind == 0);
            const string Unpaced = "n/a: generator-bound (the bare loop fell behind too)";
            table.Add("p99 <= 0.5 x akka-io", $"{load} ({how})", vsAkka is { } a ? $"{a:F2} x" : "-", paced ? Verdict(vsAkka, r => r <= 0.5) : Unpaced);
            table.Add("p99 <= 1.5 x epoll", $"{load} ({how})", vsEpoll is { } e ? $"{e:F2} x" : "-", paced ? Verdict(vsEpoll, r => r <= 1.5) : Unpaced);
        }

        const string Leased = EchoServers.ActorsIoLeased;
        if (options.Servers.Contains(Leased) && options.Loads.FirstOrDefault(l => l.Name == "50x4Kx4") is { } big)
        {
            // Leased receive's own targets (the zero-copy issue), at the load where the copies cost most.
            double? rate = RatioValue(closed, big.Name, Leased, EchoServers.Epoll, m => m.Result.MessagesPerSecond);
            double? cpu = RatioValue(closed, big.Name, Leased, EchoServers.Epoll, m => m.ServerCpu / Math.Max(1, m.Result.Messages));
            Measurements source = open.Get(big.Name, Leased).Count > 0 ? open : closed;
            double? p99 = RatioValue(source, big.Name, Leased, EchoServers.Epoll, m => m.Result.P99);
            string how = ReferenceEquals(source, open) ? "fixed rate" : "closed loop";
            table.Add("leased: >= 0.95 x epoll msg/s", big.ToString(), rate is { } r ? $"{r:F2} x" : "-", Verdict(rate, x => x >= 0.95));
            table.Add("leased: p99 <= 1.5 x epoll", $"{big} ({how})", p99 is { } p ? $"{p:F2} x" : "-", Verdict(p99, x => x <= 1.5));
            table.Add("leased: CPU/msg <= 1.15 x epoll", big.ToString(), cpu is { } c ? $"{c:F2} x" : "-", Verdict(cpu, x => x <= 1.15));
        }

        const string Readme = EchoServers.ActorsIoReadme;
        if (options.Servers.Contains(Readme))
        {
            // Fast by default (issue #20): the server the README tells a user to write.
            foreach (LoadSpec load in options.Loads)
            {
                double cpuGoal = load.Name switch
                {
                    "1000x64x1" => 1.4,
                    "50x4Kx4" => 1.6,
                    _ => 1.3,
                };
                double? cpu = RatioValue(closed, load.Name, Readme, EchoServers.Epoll, m => m.ServerCpu / Math.Max(1, m.Result.Messages));
                table.Add($"readme: CPU/msg <= {cpuGoal:F1} x epoll", load.ToString(), cpu is { } c ? $"{c:F2} x" : "-", Verdict(cpu, x => x <= cpuGoal));
            }

            foreach (LoadSpec load in options.Loads.Where(l => l.Name is "100x64x16" or "100x64x1"))
            {
                double goal = load.Name == "100x64x16" ? 0.85 : 0.70;
                double? rate = RatioValue(closed, load.Name, Readme, EchoServers.Epoll, m => m.Result.MessagesPerSecond);
                table.Add($"readme: >= {goal:F2} x epoll msg/s", load.ToString(), rate is { } r ? $"{r:F2} x" : "-", Verdict(rate, x => x >= goal));
            }
        }

        if (idle.TryGetValue(Us, out List<IdleResult>? list))
        {
            // The zero-copy issue's revised targets; the whole server (library and handler) is held to the library's bound.
            double kib = Median(list.Select(x => x.RssKiBPer(options.IdleConnections)));
            table.Add("<= 1.5 KiB per idle connection", $"{options.IdleConnections:N0} idle", $"{kib:F2} KiB", kib <= 1.5 ? "met" : "MISSED");
            double? vsAkka = idle.TryGetValue(Reference, out List<IdleResult>? akka) && Median(akka.Select(x => x.RssKiBPer(options.IdleConnections))) is > 0 and var theirs
                ? kib / theirs
                : null;
            table.Add("<= 0.3 x akka-io per idle connection", $"{options.IdleConnections:N0} idle", vsAkka is { } v ? $"{v:F2} x" : "-", Verdict(vsAkka, x => x <= 0.3));
        }

        return table.ToString();
    }

    /// <summary>Issue 15's targets for actors-io-tls against sockets-tls, when both ran.</summary>
    private static string TlsTargetTable(EchoOptions options, Measurements closed, Measurements open, Dictionary<string, List<IdleResult>> idle)
    {
        const string Us = EchoServers.ActorsIoTls, Them = EchoServers.SocketsTls;
        if (!options.Servers.Contains(Us) || !options.Servers.Contains(Them)) return string.Empty;
        var table = new MarkdownTable("target", "workload", "measured", "result");
        foreach (LoadSpec load in options.Loads.Where(l => l.Name is "100x64x16" or "50x4Kx4"))
        {
            double? rate = RatioValue(closed, load.Name, Us, Them, m => m.Result.MessagesPerSecond);
            table.Add(">= 1.0 x sockets-tls msg/s", load.ToString(), rate is { } r ? $"{r:F2} x" : "-", Verdict(rate, x => x >= 1.0));
            foreach ((string kind, string how) in (ReadOnlySpan<(string, string)>)[(EchoServers.ActorsIoTlsReadme, "README's way"), (EchoServers.ActorsIoTlsLeased, "leased receive")])
            {
                if (!options.Servers.Contains(kind)) continue;
                double? other = RatioValue(closed, load.Name, kind, Them, m => m.Result.MessagesPerSecond);
                table.Add($">= 1.0 x sockets-tls msg/s, {how} ({kind})", load.ToString(), other is { } o ? $"{o:F2} x" : "-", Verdict(other, x => x >= 1.0));
            }
        }

        foreach (LoadSpec load in options.Loads)
        {
            double? p99 = RatioValue(open, load.Name, Us, Them, m => m.Result.P99);
            if (p99 is not null) table.Add("p99 <= 1.0 x sockets-tls", $"{load} (fixed rate)", $"{p99:F2} x", Verdict(p99, x => x <= 1.0));
        }

        if (TlsPasses.HandshakeRatios() is { } handshakes)
        {
            table.Add(">= 1.0 x sockets-tls handshakes/s", "new connections", $"{handshakes.Rate:F2} x", Verdict(handshakes.Rate, x => x >= 1.0));
            table.Add("CPU/handshake <= 1.0 x sockets-tls", "new connections", $"{handshakes.Cpu:F2} x", Verdict(handshakes.Cpu, x => x <= 1.0));
        }

        if (idle.TryGetValue(Us, out List<IdleResult>? ours) && idle.TryGetValue(Them, out List<IdleResult>? theirs))
        {
            double vs = Median(ours.Select(x => x.RssKiBPer(options.IdleConnections))) / Median(theirs.Select(x => x.RssKiBPer(options.IdleConnections)));
            table.Add("idle RSS <= 1.0 x sockets-tls", $"{options.IdleConnections:N0} idle", $"{vs:F2} x", Verdict(vs, x => x <= 1.0));
        }

        return $"\n### actors-io-tls against the targets of issue 15\n\n{table}";
    }

    private static string Verdict(double? value, Func<double, bool> met) => value is { } v ? met(v) ? "met" : "MISSED" : "-";

    private static string Ratio(Measurements ms, string load, string kind, string reference, Func<Measurement, double> metric) =>
        RatioValue(ms, load, kind, reference, metric) is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "-";

    private static double? RatioValue(Measurements ms, string load, string kind, string reference, Func<Measurement, double> metric)
    {
        List<Measurement> mine = ms.Get(load, kind);
        List<Measurement> theirs = ms.Get(load, reference);
        List<double> ratios = [];
        foreach (Measurement m in mine)
        {
            Measurement? other = theirs.FirstOrDefault(t => t.Round == m.Round);
            if (other is not null && metric(other) > 0) ratios.Add(metric(m) / metric(other));
        }

        return ratios.Count == 0 ? null : Median(ratios);
    }

    private static IEnumerable<string> Rotate(IReadOnlyList<string> items, int by)
    {
        for (int i = 0; i < items.Count; i++) yield return items[(i + by) % items.Count];
    }

    internal static double Median(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        if (sorted.Length == 0) return double.NaN;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim() ?? "unknown CPU";
        }
        catch (IOException)
        {
            return "unknown CPU";
        }
    }

    /// <param name="Round">The round it belongs to.</param>
    /// <param name="Result">What the load generator measured.</param>
    /// <param name="ServerCpu">The server's CPU seconds (user + system) in the window.</param>
    /// <param name="ServerWait">Run-queue wait of the server's threads (summed) per second of the window.</param>
    /// <param name="GeneratorWait">Run-queue wait of the generator's thread per second of the window.</param>
    /// <param name="JitMethods">Methods the server's JIT compiled in the window.</param>
    /// <param name="JitMilliseconds">The server's JIT time in the window.</param>
    /// <param name="GcPauseMilliseconds">Time the server's GC paused it in the window.</param>
    private sealed record Measurement(int Round, LoadResult Result, double ServerCpu, double ServerWait, double GeneratorWait, long JitMethods, double JitMilliseconds, double GcPauseMilliseconds);

    private sealed record IdleResult(long RssBeforeKiB, long RssAfterKiB, long HeapBefore, long HeapAfter)
    {
        public double RssKiBPer(int connections) => (RssAfterKiB - RssBeforeKiB) / (double)connections;

        public double HeapKiBPer(int connections) => (HeapAfter - HeapBefore) / 1024.0 / connections;
    }

    private sealed class Measurements
    {
        private readonly Dictionary<(string Load, string Kind), List<Measurement>> _all = [];

        public void Add(string load, string kind, Measurement m)
        {
            if (!_all.TryGetValue((load, kind), out List<Measurement>? list)) _all[(load, kind)] = list = [];
            list.Add(m);
        }

        public List<Measurement> Get(string load, string kind) => _all.TryGetValue((load, kind), out List<Measurement>? list) ? list : [];
    }
}
