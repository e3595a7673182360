using Actors.Io.Benchmarks.Native;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// <c>server KIND [--port N]</c>: starts one echo server, prints <c>PORT n</c>, then serves until standard input closes
/// or says <c>exit</c>. <c>gc</c> on standard input runs a full blocking compacting collection and answers
/// <c>GC-DONE</c>, the managed heap's live bytes and the GC's committed bytes (the runner uses it before reading the resident set size);
/// <c>probe</c> answers <c>PROBE</c>, the methods compiled, the JIT's milliseconds, the GC's total pause milliseconds and
/// the collections so far (the runner reads it around every window);
/// <c>stats</c> prints thread-pool work items, thread count, collections and allocated bytes so far (for diagnosis);
/// <c>gcinfo</c> describes the last gen0/gen1 collection, and <c>gctrace</c> then <c>gcpauses</c> split each pause into
/// suspension, collection and restart (<see cref="GcPauseListener"/>).
/// </summary>
internal static class ServerHost
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine($"usage: server <{string.Join("|", EchoServers.Known)}> [--port N]");
            return 2;
        }

        string kind = args[0];
        int port = 0;
        for (int i = 1; i < args.Length; i++)
        {
            if (args[i] == "--port" && i + 1 < args.Length) port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
        }

        _ = BenchNative.RaiseFileLimit();
        using IEchoServer server = EchoServers.Create(kind);
        int bound = server.Start(port);
        Console.WriteLine($"PORT {bound}");
        Console.Out.Flush();
        GcPauseListener? gcPauses = null;
        while (Console.In.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line == "exit") break;
            if (line == "stats")
            {
                Console.WriteLine($"STATS threadpool-items {ThreadPool.CompletedWorkItemCount} threads {ThreadPool.ThreadCount} gen0 {GC.CollectionCount(0)} gen1 {GC.CollectionCount(1)} gen2 {GC.CollectionCount(2)} allocated {GC.GetTotalAllocatedBytes()} gc-pause-ms {GC.GetTotalPauseDuration().TotalMilliseconds:F1} jit-methods {System.Runtime.JitInfo.GetCompiledMethodCount()} jit-ms {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0}");
                Console.Out.Flush();
                continue;
            }

            if (line == "gctrace")
            {
                gcPauses ??= new GcPauseListener();
                gcPauses.Enable();
                continue;
            }

            if (line == "gcpauses")
            {
                Console.Write(gcPauses?.Drain() ?? "");
                Console.Out.Flush();
                continue;
            }

            if (line == "gcinfo")
            {
                GCMemoryInfo e = GC.GetGCMemoryInfo(GCKind.Ephemeral);
                Console.WriteLine($"GCINFO last-ephemeral gen {e.Generation} index {e.Index} promoted {e.PromotedBytes} pause-us {e.PauseDurations[0].TotalMicroseconds:F0} heap {e.HeapSizeBytes} gen0-size-after {e.GenerationInfo[0].SizeAfterBytes} gen1-size-after {e.GenerationInfo[1].SizeAfterBytes} gen0-budget-hint {GC.GetGCMemoryInfo().GenerationInfo[0].SizeBeforeBytes}");
                Console.Out.Flush();
                continue;
            }

            if (line == "probe")
            {
                Console.WriteLine($"PROBE {System.Runtime.JitInfo.GetCompiledMethodCount()} {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F1} {GC.GetTotalPauseDuration().TotalMilliseconds:F2} {GC.CollectionCount(0)}");
                Console.Out.Flush();
                continue;
            }

            if (line == "gc")
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                Console.WriteLine($"GC-DONE {GC.GetTotalMemory(forceFullCollection: false)} committed {GC.GetGCMemoryInfo().TotalCommittedBytes}");
                Console.Out.Flush();
            }
        }

        return 0;
    }
}
