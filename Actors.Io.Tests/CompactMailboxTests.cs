using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;

namespace Actors.Io.Tests;

/// <summary>The compact mailbox: FIFO through growth and wrap-around, storage released after a burst, and in use by connections.</summary>
public sealed class CompactMailboxTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public void An_empty_queue_holds_no_storage_and_the_first_message_takes_the_small_ring()
    {
        var queue = new CompactMessageQueue();
        Assert.Equal(0, queue.Capacity);
        Assert.False(queue.HasMessages);

        queue.Enqueue(ActorRefs.Nobody, new Envelope("a", ActorRefs.NoSender));
        Assert.Equal(CompactMessageQueue.InitialCapacity, queue.Capacity);
        Assert.True(queue.HasMessages);
        Assert.Equal(1, queue.Count);
        Assert.True(queue.TryDequeue(out Envelope envelope));
        Assert.Equal("a", envelope.Message);
        Assert.False(queue.TryDequeue(out _));

        // The small ring stays: a ping-pong actor allocates nothing per message.
        Assert.Equal(CompactMessageQueue.InitialCapacity, queue.Capacity);
    }

    [Fact]
    public void Messages_come_out_in_order_through_growth_and_wrap_around_and_a_drained_burst_gives_its_ring_back()
    {
        var queue = new CompactMessageQueue();
        int next = 0, expected = 0;

        // Interleave so the head wraps while the ring grows.
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 7; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender));
            for (int i = 0; i < 5; i++)
            {
                Assert.True(queue.TryDequeue(out Envelope e));
                Assert.Equal(expected++, e.Message);
            }
        }

        Assert.Equal(100, queue.Count);
        Assert.True(queue.Capacity > CompactMessageQueue.RetainedCapacity);
        while (queue.TryDequeue(out Envelope e)) Assert.Equal(expected++, e.Message);
        Assert.Equal(next, expected);
        Assert.Equal(0, queue.Count);
        Assert.Equal(0, queue.Capacity);
    }

    [Fact]
    public async Task Concurrent_producers_lose_nothing_and_keep_each_producers_order()
    {
        var queue = new CompactMessageQueue();
        const int Producers = 4, PerProducer = 20_000;
        var last = new int[Producers];
        Array.Fill(last, -1);
        int taken = 0;
        Task[] producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (int i = 0; i < PerProducer; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((p, i), ActorRefs.NoSender));
        })).ToArray();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (taken < Producers * PerProducer && DateTime.UtcNow < deadline)
        {
            if (!queue.TryDequeue(out Envelope e))
            {
                Thread.Yield();
                continue;
            }

            (int p, int i) = ((int, int))e.Message;
            Assert.Equal(last[p] + 1, i);
            last[p] = i;
            taken++;
        }

        await Task.WhenAll(producers);
        Assert.Equal(Producers * PerProducer, taken);
        Assert.False(queue.HasMessages);
    }

    [Fact]
    public void CleanUp_hands_what_is_left_to_dead_letters()
    {
        var queue = new CompactMessageQueue();
        var deadLetters = new CompactMessageQueue();
        queue.Enqueue(ActorRefs.Nobody, new Envelope("x", ActorRefs.NoSender));
        queue.Enqueue(ActorRefs.Nobody, new Envelope("y", ActorRefs.NoSender));
        queue.CleanUp(ActorRefs.Nobody, deadLetters);
        Assert.Equal(0, queue.Count);
        Assert.Equal(2, deadLetters.Count);
    }

    [Fact]
    public void Connection_actors_use_it_and_a_handler_can_ask_for_it()
    {
        IPEndPoint server = Bind();
        (_, IActorRef connection) = AcceptUnregistered(server);
        Assert.IsType<CompactMessageQueue>(QueueOf(connection));

        IActorRef handler = Sys.ActorOf(Props.Create(() => new Echo()).WithMailbox(CompactMailbox.ConfigPath));
        handler.Tell("ping", TestActor);
        ExpectMsg("ping", TestWaits.Expect);
        Assert.IsType<CompactMessageQueue>(QueueOf(handler));
    }

    private static object? QueueOf(IActorRef actor) => ((ActorCell)((ActorRefWithCell)actor).Underlying).Mailbox?.MessageQueue;

    private sealed class Echo : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(message);
    }
}
