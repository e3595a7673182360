using Actors.Io.Loop;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Loop;

/// <summary>The event loop's own timers: they fire in deadline order and wake a loop that sleeps in its poller.</summary>
public sealed class LoopTimerTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.Quiet, output)
{
    [Fact]
    public void Timers_set_on_the_loop_fire_in_deadline_order_and_wake_a_sleeping_loop()
    {
        Selector selector = ActorsIo.Get(Sys).Selector(0);
        long wakeUps = selector.Loop.WakeUps;
        IActorRef setter = Sys.ActorOf(Props.Create(() => new TimerSetter(selector.Loop, TestActor)).WithDispatcher(selector.Loop.Id));
        setter.Tell("set");
        ExpectMsg("set-on-loop", TestWaits.Expect);

        // Nothing else happens on the loop: only the timers can wake it from the poller.
        ExpectMsg("first", TestWaits.Expect);
        ExpectMsg("second", TestWaits.Expect);
        ExpectMsg("third", TestWaits.Expect);
        Assert.True(selector.Loop.WakeUps > wakeUps);
        AwaitCondition(() => selector.Loop.PendingTimers == 0, TestWaits.Expect);
    }

    private sealed class TimerSetter(EventLoop loop, IActorRef probe) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            probe.Tell(loop.InLoop ? "set-on-loop" : "set-elsewhere");
            loop.ScheduleTellOnce(TimeSpan.FromMilliseconds(300), probe, "third");
            loop.ScheduleTellOnce(TimeSpan.FromMilliseconds(100), probe, "first");
            loop.ScheduleTellOnce(TimeSpan.FromMilliseconds(200), probe, "second");
        }
    }
}
