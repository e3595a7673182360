namespace Actors.Io.Benchmarks.Load;

/// <summary>One workload: <see cref="Connections"/> connections, each keeping up to <see cref="Depth"/> messages of
/// <see cref="Size"/> bytes in flight. <see cref="Rate"/> &gt; 0 switches to the fixed-rate (open-loop) mode: that many
/// messages per second in total, spread round-robin over the connections, each timed from its intended send time.</summary>
internal sealed record LoadSpec(string Name, int Connections, int Size, int Depth, double Rate = 0)
{
    public bool FixedRate => Rate > 0;

    public LoadSpec AtRate(double rate) => this with { Rate = rate };

    public static string FormatSize(int bytes) => bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} B";

    public override string ToString() =>
        $"{Connections:N0} x {FormatSize(Size)} x depth {Depth}{(FixedRate ? $" @ {Rate:N0} msg/s" : string.Empty)}";
}

/// <summary>What one measured window produced.</summary>
/// <param name="Messages">Messages whose echo completed inside the window.</param>
/// <param name="Seconds">The window's length.</param>
/// <param name="P50">Median latency in microseconds.</param>
/// <param name="P99">99th percentile latency in microseconds.</param>
/// <param name="P999">99.9th percentile latency in microseconds.</param>
/// <param name="Max">Highest latency in microseconds.</param>
/// <param name="GeneratorCpuSeconds">CPU time the load generator's process used in the window.</param>
/// <param name="Behind">Fixed rate only: messages still waiting to be sent at the end of the window because the server
/// could not keep up (0 when the rate was held).</param>
/// <param name="Size">Bytes per message.</param>
internal sealed record LoadResult(
    long Messages,
    double Seconds,
    double P50,
    double P99,
    double P999,
    double Max,
    double GeneratorCpuSeconds,
    long Behind,
    int Size)
{
    public double MessagesPerSecond => Messages / Seconds;

    public double MegabytesPerSecond => Messages * (double)Size / Seconds / 1e6;
}
