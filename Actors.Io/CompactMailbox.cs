using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Actors.Io;

/// <summary>
/// An unbounded mailbox for the many mostly idle actors a server holds, one or two per connection. Akka's default
/// mailbox preallocates a 32-slot queue segment (about 1 KiB) per actor; this one starts with no storage, takes a
/// 4-slot ring on its first message, doubles it when a burst needs more, and gives a grown ring back once it drains.
/// A short lock guards each enqueue and dequeue; nothing is allocated per message once the ring exists.
/// Actors.Io's connection actors use it. Give it to your own per-connection handlers with
/// <c>props.WithMailbox(CompactMailbox.ConfigPath)</c>.
/// </summary>
public sealed class CompactMailbox : MailboxType, IProducesMessageQueue<CompactMessageQueue>
{
    /// <summary>The configuration path that selects this mailbox (defined in Actors.Io's reference configuration).</summary>
    public const string ConfigPath = "actors-io.compact-mailbox";

    /// <summary>Called by Akka when an actor asks for <see cref="ConfigPath"/>.</summary>
    /// <param name="settings">The actor system's settings.</param>
    /// <param name="config">This mailbox's configuration section.</param>
    public CompactMailbox(Settings settings, Config config)
        : base(settings, config)
    {
    }

    /// <summary>Creates the queue of one actor.</summary>
    /// <param name="owner">The actor that owns the queue.</param>
    /// <param name="system">The actor system.</param>
    /// <returns>An empty queue that holds no storage yet.</returns>
    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CompactMessageQueue();
}

/// <summary>
/// The queue of <see cref="CompactMailbox"/>: a lock-guarded ring of envelopes, allocated on the first message and
/// released after a drained burst grew it past <see cref="RetainedCapacity"/> slots.
/// </summary>
public sealed class CompactMessageQueue : IMessageQueue, IUnboundedMessageQueueSemantics
{
    /// <summary>Slots taken on the first message.</summary>
    public const int InitialCapacity = 4;

    /// <summary>The largest ring kept once the queue drains; a larger one is dropped and re-taken small.</summary>
    public const int RetainedCapacity = 64;

    private Envelope[]? _ring;
    private int _head;
    private int _count;

    /// <inheritdoc />
    public bool HasMessages => Volatile.Read(ref _count) != 0;

    /// <inheritdoc />
    public int Count => Volatile.Read(ref _count);

    /// <summary>Slots the queue holds now (0 before the first message); for tests and diagnostics.</summary>
    public int Capacity
    {
        get
        {
            lock (this) return _ring?.Length ?? 0;
        }
    }

    /// <inheritdoc />
    public void Enqueue(IActorRef receiver, Envelope envelope)
    {
        lock (this)
        {
            Envelope[] ring = _ring ??= new Envelope[InitialCapacity];
            int count = _count;
            if (count == ring.Length) ring = Grow(ring);
            ring[(_head + count) & (ring.Length - 1)] = envelope;
            Volatile.Write(ref _count, count + 1);
        }
    }

    /// <inheritdoc />
    public bool TryDequeue(out Envelope envelope)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            envelope = default;
            return false;
        }

        lock (this)
        {
            int count = _count;
            Envelope[]? ring = _ring;
            if (count == 0 || ring is null)
            {
                envelope = default;
                return false;
            }

            envelope = ring[_head];
            ring[_head] = default;
            _head = (_head + 1) & (ring.Length - 1);
            Volatile.Write(ref _count, count - 1);
            if (count == 1 && ring.Length > RetainedCapacity)
            {
                _ring = null;
                _head = 0;
            }

            return true;
        }
    }

    /// <inheritdoc />
    public void CleanUp(IActorRef owner, IMessageQueue deadletters)
    {
        while (TryDequeue(out Envelope envelope)) deadletters.Enqueue(owner, envelope);
    }

    private Envelope[] Grow(Envelope[] ring)
    {
        var larger = new Envelope[ring.Length * 2];
        int firstPart = ring.Length - _head;
        Array.Copy(ring, _head, larger, 0, firstPart);
        Array.Copy(ring, 0, larger, firstPart, _head);
        _ring = larger;
        _head = 0;
        return larger;
    }
}
