using Akka.Actor;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>An actor reference that only counts what it is told: the cheapest possible receiver, so a benchmark
/// measures the sender's path and not a mailbox. A lent receive buffer is given back at once, as a handler done with it.</summary>
internal sealed class CountingActorRef(string name) : MinimalActorRef
{
    public long Count;

    public override ActorPath Path { get; } = new RootActorPath(new Address("akka", "bench")) / name;

    public override IActorRefProvider Provider => null!;

    protected override void TellInternal(object message, IActorRef sender)
    {
        Count++;
        if (message is Tcp.LeasedReceived lease) lease.Return();
    }
}
