using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>
/// A small in-process job with the memory diagnoser: 3 warm-up and 8 measured iterations of about 100 ms each, so a
/// benchmark takes a few seconds; the median and the minimum are shown next to the mean because other work on a
/// shared machine inflates the mean. In-process, because the benchmarks use the library's internals and real
/// descriptors, and because a generated project would not build under this repository's central package management.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create() => DefaultConfig.Instance
        .AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(8)
            .WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithId("Small-InProcess"))
        .AddColumn(StatisticColumn.Median, StatisticColumn.Min)
        .AddDiagnoser(MemoryDiagnoser.Default);
}
