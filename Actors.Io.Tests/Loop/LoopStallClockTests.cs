using System.Diagnostics;
using Actors.Io.Loop;
using Actors.Io.Tests.Support;
using Akka.Dispatch;
using Akka.Event;

namespace Actors.Io.Tests.Loop;

/// <summary>The stall watch's clock: coarse (milliseconds) from 50 ms up, the fine one below; both see a stall.</summary>
public sealed class LoopStallClockTests
{
    [Theory]
    [InlineData(1, false)]
    [InlineData(49, false)]
    [InlineData(50, true)]
    [InlineData(100, true)]
    [InlineData(3_600_000, true)]
    public void The_watch_reads_the_coarse_clock_from_50ms(int thresholdMs, bool coarse)
    {
        var stalls = new LoopStalls(TimeSpan.FromMilliseconds(thresholdMs), TimeSpan.FromSeconds(10), NoLogger.Instance);
        Assert.Equal(coarse, stalls.Coarse);
        long perSecond = coarse ? 1000 : Stopwatch.Frequency;
        Assert.Equal((long)((Int128)thresholdMs * perSecond / 1000), stalls.ThresholdTicks);
    }

    [Theory]
    [InlineData(20)]
    [InlineData(60)]
    public void A_run_three_times_the_threshold_is_a_stall(int thresholdMs)
    {
        var stalls = new LoopStalls(TimeSpan.FromMilliseconds(thresholdMs), TimeSpan.FromSeconds(10), NoLogger.Instance);
        var loop = new EventLoop("stall-clock-test-loop", 0, _ => { }, stalls);
        try
        {
            var slow = new Blocking(TimeSpan.FromMilliseconds(3 * thresholdMs));
            loop.Execute(slow);
            Assert.True(slow.Done.Wait(TestWaits.Expect), "the blocking run did not finish");

            // The stall is counted right after its run, before the loop runs the next one.
            var next = new Blocking(TimeSpan.Zero);
            loop.Execute(next);
            Assert.True(next.Done.Wait(TestWaits.Expect), "the loop did not run on");
            Assert.True(stalls.Count >= 1, $"no stall counted for a run of {3 * thresholdMs} ms over a threshold of {thresholdMs} ms");
        }
        finally
        {
            loop.Stop();
        }
    }

    /// <summary>Holds the loop's thread for <paramref name="hold"/> (a wait nobody ends), then says it is done.</summary>
    private sealed class Blocking(TimeSpan hold) : IRunnable
    {
        private readonly ManualResetEventSlim _never = new();

        public ManualResetEventSlim Done { get; } = new();

        public void Run()
        {
            if (hold > TimeSpan.Zero) _never.Wait(hold);
            Done.Set();
        }

        public void Execute() => Run();
    }
}
