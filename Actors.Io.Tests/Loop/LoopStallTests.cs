using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;

namespace Actors.Io.Tests.Loop;

/// <summary>
/// A handler on an event loop that blocks stalls every other actor of that loop; the loop reports such a run once, by
/// the actor's name and how long it took, and counts it in <c>actors-io.loop.stalls</c>.
/// </summary>
public sealed class LoopStallTests()
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.loop-stall-warning = 200ms"), "loop-stall-" + Guid.NewGuid().ToString("N"))
{
    private static readonly TimeSpan Blocked = TimeSpan.FromMilliseconds(400);

    [Fact]
    public void A_handler_that_blocks_its_loop_is_reported_once_by_name_and_counted()
    {
        using var meter = new MeterRecorder(Sys.Name);
        using var gate = new ManualResetEventSlim();
        TestProbe log = LogProbe();
        (IActorRef blocker, IActorRef neighbour) = OnTheLoop(gate, "blocking-handler");
        long before = Stalls(meter);

        TimeSpan held = Stall(gate, blocker, neighbour);

        string warning = log.ExpectMsg<Warning>(TestWaits.Expect).Message.ToString()!;
        Assert.Contains($"akka://{Sys.Name}/user/blocking-handler", warning);
        Assert.Contains("Event loop actors-io.loop-dispatcher-0 stalled for ", warning);
        Assert.Contains("actors-io.loop-stall-warning = 200 ms", warning);
        int ms = int.Parse(warning.Split("stalled for ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        // The run began before the test saw "blocking" and ended after the release: at least as long as the test held
        // it, less the coarse clock's step (a 200 ms threshold is watched with it; one kernel tick, at most 10 ms).
        Assert.True(ms >= (int)held.TotalMilliseconds - 11, $"reported {ms} ms for a run the test held for {held.TotalMilliseconds:F0} ms");
        Assert.Equal(before + 1, Stalls(meter));
        log.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void A_second_stall_within_the_warning_interval_is_counted_but_not_logged()
    {
        using var meter = new MeterRecorder(Sys.Name);
        TestProbe log = LogProbe();
        long before = Stalls(meter);
        for (int i = 0; i < 2; i++)
        {
            using var gate = new ManualResetEventSlim();
            (IActorRef blocker, IActorRef neighbour) = OnTheLoop(gate, "blocking-handler-" + i);
            _ = Stall(gate, blocker, neighbour);
        }

        Assert.Contains("blocking-handler-0", log.ExpectMsg<Warning>(TestWaits.Expect).Message.ToString());
        log.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(before + 2, Stalls(meter));
    }

    [Fact]
    public void Fast_runs_are_not_stalls()
    {
        using var meter = new MeterRecorder(Sys.Name);
        using var gate = new ManualResetEventSlim();
        TestProbe log = LogProbe();
        (_, IActorRef neighbour) = OnTheLoop(gate, "idle-handler");
        long before = Stalls(meter);
        for (int i = 0; i < 1_000; i++)
        {
            neighbour.Tell("ping");
            ExpectMsg("ping");
        }

        log.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(before, Stalls(meter));
    }

    /// <summary>Blocks the loop with <paramref name="blocker"/> until the neighbour has shown it waits, then releases it.</summary>
    private TimeSpan Stall(ManualResetEventSlim gate, IActorRef blocker, IActorRef neighbour)
    {
        blocker.Tell("block");
        ExpectMsg("blocking");
        var held = System.Diagnostics.Stopwatch.StartNew();
        neighbour.Tell("ping");
        // The neighbour shares the loop: it cannot answer while the handler blocks.
        ExpectNoMsg(Blocked);
        TimeSpan elapsed = held.Elapsed;
        gate.Set();
        ExpectMsg("released");
        ExpectMsg("ping");
        return elapsed;
    }

    /// <summary>The stalls counted so far on this system's loops (starting Actors.Io if need be).</summary>
    private long Stalls(MeterRecorder meter)
    {
        _ = ActorsIo.Get(Sys);
        return meter.Observe()["actors-io.loop.stalls"];
    }

    /// <summary>A probe for the warnings logged in this actor system.</summary>
    private TestProbe LogProbe()
    {
        TestProbe probe = CreateTestProbe();
        Sys.EventStream.Subscribe(probe, typeof(Warning));
        return probe;
    }

    /// <summary>A handler on loop 0 that blocks on <paramref name="gate"/> when told, and a neighbour on the same loop that echoes.</summary>
    private (IActorRef Blocker, IActorRef Neighbour) OnTheLoop(ManualResetEventSlim gate, string name)
    {
        string loop = ActorsIo.Get(Sys).LoopDispatcherIds[0];
        IActorRef blocker = Sys.ActorOf(Props.Create(() => new BlockingHandler(gate)).WithDispatcher(loop), name);
        IActorRef neighbour = Sys.ActorOf(Props.Create(() => new Echo()).WithDispatcher(loop), name + "-neighbour");
        neighbour.Tell("ping");
        ExpectMsg("ping");
        return (blocker, neighbour);
    }

    private sealed class BlockingHandler(ManualResetEventSlim gate) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            Sender.Tell("blocking");
            // What a synchronous call in a handler does: the loop's thread waits. Bounded, released by the test.
            Sender.Tell(gate.Wait(TestWaits.Expect) ? "released" : "not released");
        }
    }

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message);
    }
}
