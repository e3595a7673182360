using Actors.Io.Selection;
using Akka.Actor;
using Akka.TestKit;

namespace Actors.Io.Tests.Selection;

/// <summary>The selector's handler watches without the selector: one entry per handler, chained channels, one notice per owner.</summary>
public sealed class HandlerWatchesTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly DetachedRegistrations _registrations = new();
    private readonly HandlerWatches _watches = new();

    [Fact]
    public void Several_channels_watching_one_handler_need_one_watch()
    {
        IActorRef handler = CreateTestProbe().Ref;
        ChannelRegistration[] channels = Channels(3, out _);

        Assert.True(_watches.TryAdd(channels[0], handler, out bool newHandler));
        Assert.True(newHandler);
        for (int i = 1; i < channels.Length; i++)
        {
            Assert.True(_watches.TryAdd(channels[i], handler, out newHandler));
            Assert.False(newHandler);
        }

        Assert.All(channels, c => Assert.Same(handler, c.HandlerLink.Handler));
        Assert.Equal(3, _watches.HandlerDied(handler));
    }

    [Fact]
    public void A_channel_watches_one_handler_at_most()
    {
        ChannelRegistration channel = _registrations.Make(CreateTestProbe().Ref);
        IActorRef first = CreateTestProbe().Ref;
        Assert.True(_watches.TryAdd(channel, first, out _));

        Assert.False(_watches.TryAdd(channel, CreateTestProbe().Ref, out bool newHandler));
        Assert.False(newHandler);
        Assert.Same(first, channel.HandlerLink.Handler);
        Assert.Equal(1, _watches.HandlerDied(first));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Unlinking_the_first_middle_or_last_channel_keeps_the_others_watching(int removed)
    {
        IActorRef handler = CreateTestProbe().Ref;
        ChannelRegistration[] channels = Channels(3, out TestProbe[] owners);
        foreach (ChannelRegistration channel in channels) Assert.True(_watches.TryAdd(channel, handler, out _));

        Assert.False(_watches.Remove(channels[removed], out IActorRef? unwatch));
        Assert.Null(unwatch);
        Assert.Null(channels[removed].HandlerLink.Handler);

        Assert.Equal(2, _watches.HandlerDied(handler));
        for (int i = 0; i < owners.Length; i++)
        {
            if (i == removed) owners[i].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
            else owners[i].ExpectMsg<HandlerTerminated>();
        }
    }

    [Fact]
    public void Handler_death_tells_every_owner_once_and_forgets_the_handler()
    {
        IActorRef handler = CreateTestProbe().Ref;
        IActorRef other = CreateTestProbe().Ref;
        ChannelRegistration[] channels = Channels(4, out TestProbe[] owners);
        for (int i = 0; i < 3; i++) Assert.True(_watches.TryAdd(channels[i], handler, out _));
        Assert.True(_watches.TryAdd(channels[3], other, out _));

        Assert.Equal(3, _watches.HandlerDied(handler));
        Assert.Equal(0, _watches.HandlerDied(handler));
        for (int i = 0; i < 3; i++)
        {
            owners[i].ExpectMsg<HandlerTerminated>();
            owners[i].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
            Assert.Equal(default, channels[i].HandlerLink);
        }

        owners[3].ExpectNoMsg(TimeSpan.FromMilliseconds(50));
        Assert.Same(other, channels[3].HandlerLink.Handler);

        // The channels are free to watch again, and the dead handler's next watch is a new one.
        Assert.True(_watches.TryAdd(channels[0], CreateTestProbe().Ref, out bool newHandler));
        Assert.True(newHandler);
    }

    [Fact]
    public void The_last_channel_going_asks_for_the_unwatch()
    {
        IActorRef handler = CreateTestProbe().Ref;
        ChannelRegistration[] channels = Channels(3, out _);
        foreach (ChannelRegistration channel in channels) Assert.True(_watches.TryAdd(channel, handler, out _));

        Assert.False(_watches.Remove(channels[1], out _));
        Assert.False(_watches.Remove(channels[0], out _));
        Assert.True(_watches.Remove(channels[2], out IActorRef? unwatch));
        Assert.Same(handler, unwatch);
        Assert.Equal(0, _watches.HandlerDied(handler));

        // A channel without a handler has nothing to remove.
        Assert.False(_watches.Remove(channels[2], out unwatch));
        Assert.Null(unwatch);
    }

    protected override void AfterAll()
    {
        _registrations.Dispose();
        base.AfterAll();
    }

    private ChannelRegistration[] Channels(int count, out TestProbe[] owners)
    {
        owners = new TestProbe[count];
        var channels = new ChannelRegistration[count];
        for (int i = 0; i < count; i++)
        {
            owners[i] = CreateTestProbe();
            channels[i] = _registrations.Make(owners[i].Ref);
        }

        return channels;
    }
}
