using BenchmarkDotNet.Running;

namespace Actors.Io.Benchmarks.Micro;

/// <summary><c>micro [BenchmarkDotNet args]</c>: runs the micro benchmarks (all of them when no filter is given).</summary>
internal static class MicroBenchmarks
{
    public static int Run(string[] args)
    {
        string[] effective = args.Any(a => a is "--filter" or "-f" or "--list" or "--help" or "-h") ? args : [.. args, "--filter", "*"];
        _ = BenchmarkSwitcher.FromAssembly(typeof(MicroBenchmarks).Assembly).Run(effective, MicroConfig.Create());
        return 0;
    }
}
