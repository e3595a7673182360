using Actors.Io.Loop;
using Actors.Io.Tests.Support;
using Akka.Dispatch;
using Akka.Event;

namespace Actors.Io.Tests.Loop;

/// <summary>The stall watch reads the clock once per mailbox run and allocates nothing on the loop's thread.</summary>
public sealed class LoopStallAllocationTests
{
    private const int Warmup = 10_000;
    private const int Measured = 100_000;

    [Fact]
    public void Watching_every_run_allocates_nothing()
    {
        var stalls = new LoopStalls(TimeSpan.FromHours(1), TimeSpan.FromSeconds(10), NoLogger.Instance);
        var loop = new EventLoop("stall-allocation-test-loop", 0, _ => { }, stalls);
        try
        {
            var run = new Rerun(loop);
            loop.Execute(run);
            Assert.True(run.Done.Wait(TestWaits.Expect * 4), $"only {run.Runs} of {Warmup + Measured} runs happened");
            Assert.Equal(0, run.Allocated);
            Assert.Equal(0, loop.Stalls);
        }
        finally
        {
            loop.Stop();
        }
    }

    /// <summary>Runs itself again from the loop (hand-off, then the queue) and measures the loop thread's allocations.</summary>
    private sealed class Rerun(EventLoop loop) : IRunnable
    {
        private long _start;

        public ManualResetEventSlim Done { get; } = new();

        public int Runs { get; private set; }

        public long Allocated { get; private set; }

        public void Run()
        {
            Runs++;
            if (Runs == Warmup) _start = GC.GetAllocatedBytesForCurrentThread();
            if (Runs < Warmup + Measured)
            {
                loop.Execute(this);
                return;
            }

            Allocated = GC.GetAllocatedBytesForCurrentThread() - _start;
            Done.Set();
        }

        public void Execute() => Run();
    }
}
