using System.Diagnostics;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Stress;

/// <summary>Writes how long a stress test took to its output when disposed, so the suite's budget can be watched.</summary>
internal sealed class StressTimer(ITestOutputHelper output, string test) : IDisposable
{
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();

    public void Dispose() => output.WriteLine($"[stress] {test}: {_stopwatch.Elapsed.TotalSeconds:F1} s");
}
