using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Support;

/// <summary>
/// Measures what an echo on a selector's loop allocates per round trip: a handler on the loop calls
/// <see cref="Meter.Count"/> for each message, which reads the loop thread's allocation counter after the warm-up and
/// tells the probe the bytes allocated over the measured round trips.
/// </summary>
internal static class LoopAllocations
{
    public const int Warmup = 2_000;
    public const int Measured = 5_000;

    /// <summary>Round trips to drive: warm-up, measured, and the one that reports.</summary>
    public const int RoundTrips = Warmup + Measured + 1;

    /// <summary>What <paramref name="make"/> (the user-visible objects of one round trip) allocates, on average.</summary>
    public static double BytesPerCall(Func<object> make)
    {
        object? keep = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) keep = make();
        GC.KeepAlive(keep);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / 1000.0;
    }

    /// <summary>Asserts that the loop allocated no more than the payload (and 8 B of slack) per round trip.</summary>
    public static void AssertOnlyThePayload(long loopBytes, double payload, ITestOutputHelper output, string payloadIs)
    {
        double perRoundTrip = (double)loopBytes / Measured;
        output.WriteLine($"loop thread: {perRoundTrip:F1} B per round trip; the payload alone ({payloadIs}): {payload:F1} B");
        Assert.True(perRoundTrip <= payload + 8, $"{perRoundTrip:F1} B per round trip, the payload accounts for {payload:F1} B");
    }

    /// <summary>Counts a handler's messages and reports the loop thread's allocations over the measured ones.</summary>
    public sealed class Meter(IActorRef probe)
    {
        private int _count;
        private long _start;

        public void Count()
        {
            _count++;
            if (_count == Warmup + 1) _start = GC.GetAllocatedBytesForCurrentThread();
            if (_count == RoundTrips) probe.Tell(GC.GetAllocatedBytesForCurrentThread() - _start);
        }
    }
}
