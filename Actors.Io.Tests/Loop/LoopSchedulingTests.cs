using System.Collections.Concurrent;
using Actors.Io.Loop;
using Actors.Io.Tests.Support;
using Akka.Dispatch;

namespace Actors.Io.Tests.Loop;

/// <summary>
/// The loop runs work scheduled from the loop next (a message passed on is handled before unrelated queued work, so a
/// request travels reader, handler, writer in one go), but never for long: a ping-pong cannot keep queued work waiting.
/// </summary>
public sealed class LoopSchedulingTests : IDisposable
{
    private readonly EventLoop _loop = new("scheduling-test-loop", 0, _ => { });
    private readonly BlockingCollection<string> _order = [];

    public void Dispose() => _loop.Stop();

    [Fact]
    public void Work_passed_on_from_the_loop_runs_before_work_already_queued()
    {
        _loop.Execute(Run("reader", () =>
        {
            _loop.ExecuteLast(Run("other connection"));
            _loop.Execute(Run("handler", () => _loop.Execute(Run("writer"))));
        }));

        Assert.Equal(["reader", "handler", "writer", "other connection"], Take(4));
    }

    [Fact]
    public void A_ping_pong_on_the_loop_lets_queued_work_run_within_a_bounded_number_of_turns()
    {
        int hops = 0;
        Action bounce = null!;
        bounce = () =>
        {
            if (++hops < 1_000) _loop.Execute(Run("hop", bounce));
        };
        _loop.Execute(Run("serve", () =>
        {
            _loop.ExecuteLast(Run("queued"));
            _loop.Execute(Run("hop", bounce));
        }));

        List<string> order = Take(1_001 + 1);
        int queuedAt = order.IndexOf("queued");
        Assert.InRange(queuedAt, 2, 1 + EventLoop.MaxHandOffsInARow + 1);
        Assert.Equal(1_000, hops);
    }

    private List<string> Take(int count)
    {
        var taken = new List<string>();
        for (int i = 0; i < count; i++)
        {
            Assert.True(_order.TryTake(out string? name, TestWaits.Expect), $"only {taken.Count} of {count} runs happened");
            taken.Add(name!);
        }

        return taken;
    }

    private Runnable Run(string name, Action? then = null) => new(() =>
    {
        _order.Add(name);
        then?.Invoke();
    });

    private sealed class Runnable(Action action) : IRunnable
    {
        public void Run() => action();

        public void Execute() => action();
    }
}
