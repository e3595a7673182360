using Actors.Io.Selection;
using Akka.Actor;
using Akka.TestKit;

namespace Actors.Io.Tests.Selection;

/// <summary>The handlers a selector watches for TLS stages: one watch per handler, one notice per stage.</summary>
public sealed class StageWatchesTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly StageWatches _watches = new();

    [Fact]
    public void Several_stages_of_one_handler_need_one_watch_and_each_is_told_of_its_death()
    {
        IActorRef handler = CreateTestProbe().Ref;
        TestProbe[] stages = [CreateTestProbe(), CreateTestProbe(), CreateTestProbe()];

        Assert.True(_watches.Add(handler, stages[0].Ref));
        Assert.False(_watches.Add(handler, stages[1].Ref));
        Assert.False(_watches.Add(handler, stages[2].Ref));
        Assert.True(_watches.Watches(handler));

        Assert.Equal(3, _watches.HandlerDied(handler));
        foreach (TestProbe stage in stages) stage.ExpectMsg<HandlerTerminated>();
        Assert.False(_watches.Watches(handler));
        Assert.Equal(0, _watches.HandlerDied(handler));
    }

    [Fact]
    public void The_handler_is_unwatched_when_its_last_stage_goes()
    {
        IActorRef handler = CreateTestProbe().Ref;
        IActorRef first = CreateTestProbe().Ref, second = CreateTestProbe().Ref;
        Assert.True(_watches.Add(handler, first));
        Assert.False(_watches.Add(handler, second));

        Assert.False(_watches.Remove(handler, first));
        Assert.False(_watches.Remove(handler, first));
        Assert.True(_watches.Remove(handler, second));
        Assert.False(_watches.Watches(handler));
    }

    [Fact]
    public void A_stage_that_asks_twice_is_one_stage()
    {
        IActorRef handler = CreateTestProbe().Ref;
        TestProbe stage = CreateTestProbe();
        Assert.True(_watches.Add(handler, stage.Ref));
        Assert.False(_watches.Add(handler, stage.Ref));

        Assert.Equal(1, _watches.HandlerDied(handler));
        stage.ExpectMsg<HandlerTerminated>();
        stage.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Removing_what_is_not_watched_changes_nothing()
    {
        IActorRef handler = CreateTestProbe().Ref;
        IActorRef stage = CreateTestProbe().Ref;
        Assert.False(_watches.Remove(handler, stage));
        Assert.True(_watches.Add(handler, stage));
        Assert.False(_watches.Remove(handler, CreateTestProbe().Ref));
        Assert.True(_watches.Watches(handler));
    }
}
