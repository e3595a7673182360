using System.Diagnostics;
using Actors.Io.Loop;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// The idle timeouts of one selector's connections: the connections that have one, chained through their
/// <see cref="IdleEntry"/> (no timer per connection), and a sweep on the loop's own timer that tells each connection past a
/// deadline <see cref="IdleFired"/>. The sweep runs every eighth of the shortest timeout (100 ms to 1 s) while any entry
/// lasts and not at all without one. A connection only marks its activity (<see cref="IdleEntry.MarkRead"/>, a field
/// store, no clock read); the sweep turns a mark into the time of the sweep that saw it, which is never before the
/// activity, so a timeout never fires early, even when a sweep runs late. Loop thread only (the selector's), except the
/// marks and <see cref="IdleEntry.Closed"/>, which a connection placed off the loop writes from its own thread.
/// </summary>
internal sealed class IdleSweep
{
    private static readonly long MinResolution = Stopwatch.Frequency / 10;
    private static readonly long MaxResolution = Stopwatch.Frequency;

    private IdleEntry? _head;
    private long _due;
    private long _resolution;

    /// <summary>Entries held (closed ones go at the next sweep).</summary>
    public int Count { get; private set; }

    /// <summary>Sweeps run so far.</summary>
    public long Sweeps { get; private set; }

    /// <summary>
    /// Adds <paramref name="entry"/>, its idle periods starting now, and schedules a sweep soon enough for it: a
    /// <see cref="SweepTick"/> to <paramref name="selector"/> from <paramref name="loop"/>'s timers.
    /// </summary>
    public void Add(IdleEntry entry, ISelectorLoop loop, IActorRef selector)
    {
        long now = Stopwatch.GetTimestamp();
        entry.Start(now);
        entry.Next = _head;
        if (_head is not null) _head.Previous = entry;
        _head = entry;
        long resolution = ResolutionFor(entry.ShortestTicks);
        if (Count++ == 0 || resolution < _resolution) _resolution = resolution;
        if (now >= _due || now + resolution < _due) Schedule(loop, selector);
    }

    /// <summary>
    /// The sweep (on <see cref="SweepTick"/>): tells each connection past a deadline and drops closed entries. The tick
    /// of the latest scheduled sweep schedules the next while entries are left; an earlier tick (one scheduled before a
    /// shorter timeout joined) sweeps too but schedules nothing, so the chain never doubles.
    /// </summary>
    public void Run(ISelectorLoop loop, IActorRef selector)
    {
        long now = Stopwatch.GetTimestamp();
        Sweeps++;
        long shortest = long.MaxValue;
        for (IdleEntry? entry = _head; entry is not null;)
        {
            IdleEntry? next = entry.Next;
            if (entry.Closed) Unlink(entry);
            else
            {
                entry.Check(now);
                shortest = Math.Min(shortest, entry.ShortestTicks);
            }

            entry = next;
        }

        if (Count == 0) return;
        _resolution = ResolutionFor(shortest);
        if (now >= _due) Schedule(loop, selector);
    }

    private void Schedule(ISelectorLoop loop, IActorRef selector) =>
        _due = loop.ScheduleTellOnce(TimeSpan.FromSeconds((double)_resolution / Stopwatch.Frequency), selector, SweepTick.Instance);

    private void Unlink(IdleEntry entry)
    {
        if (entry.Previous is { } previous) previous.Next = entry.Next;
        else _head = entry.Next;
        if (entry.Next is { } next) next.Previous = entry.Previous;
        entry.Previous = entry.Next = null;
        Count--;
    }

    private static long ResolutionFor(long shortest) => Math.Clamp(shortest / 8, MinResolution, MaxResolution);

    /// <summary>The loop timer's message to the selector: sweep now.</summary>
    internal sealed class SweepTick : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly SweepTick Instance = new();

        private SweepTick()
        {
        }
    }
}

/// <summary>
/// One connection's idle timeout in its selector's <see cref="IdleSweep"/>: the deadlines, the activity marks the
/// connection sets, the time each side was last seen active, which idle period each side was last told of, and the
/// links of the sweep's list. Made at <c>Register</c> for a connection with a timeout, never per message.
/// </summary>
internal sealed class IdleEntry
{
    private const long NotTold = long.MinValue;

    private int _readSeen;
    private int _writeSeen;
    private bool _closed;
    private long _lastRead;
    private long _lastWrite;
    private long _readerTold = NotTold;
    private long _writerTold = NotTold;
    private long _bothTold = NotTold;

    public IdleEntry(IActorRef owner, Tcp.IdleTimeout timeout)
    {
        Owner = owner;
        Timeout = timeout;
        ReaderTicks = Ticks(timeout.Reader);
        WriterTicks = Ticks(timeout.Writer);
        BothTicks = Ticks(timeout.Both);
        ShortestTicks = Math.Min(Math.Min(Positive(ReaderTicks), Positive(WriterTicks)), Positive(BothTicks));
    }

    /// <summary>The connection told when a side passes its timeout.</summary>
    public IActorRef Owner { get; }

    /// <summary>The timeout as registered (its action is the connection's to take).</summary>
    public Tcp.IdleTimeout Timeout { get; }

    public long ReaderTicks { get; }

    public long WriterTicks { get; }

    public long BothTicks { get; }

    /// <summary>The shortest timeout that is on.</summary>
    public long ShortestTicks { get; }

    /// <summary>Set by the connection when it closes; the sweep then drops the entry.</summary>
    public bool Closed
    {
        get => Volatile.Read(ref _closed);
        set => Volatile.Write(ref _closed, value);
    }

    internal IdleEntry? Previous { get; set; }

    internal IdleEntry? Next { get; set; }

    /// <summary>The connection read bytes (the connection's thread).</summary>
    public void MarkRead() => Volatile.Write(ref _readSeen, 1);

    /// <summary>The connection wrote bytes (the connection's thread).</summary>
    public void MarkWritten() => Volatile.Write(ref _writeSeen, 1);

    /// <summary>Starts every idle period at <paramref name="now"/>.</summary>
    public void Start(long now)
    {
        _lastRead = _lastWrite = now;
        _readerTold = _writerTold = _bothTold = NotTold;
    }

    /// <summary>
    /// Takes the activity marked since the last sweep as activity at <paramref name="now"/> (never earlier than it
    /// happened), then tells the owner of each side idle for its timeout, once per idle period.
    /// </summary>
    public void Check(long now)
    {
        if (Volatile.Read(ref _readSeen) != 0 && Interlocked.Exchange(ref _readSeen, 0) != 0) _lastRead = now;
        if (Volatile.Read(ref _writeSeen) != 0 && Interlocked.Exchange(ref _writeSeen, 0) != 0) _lastWrite = now;
        if (Passed(ReaderTicks, _lastRead, ref _readerTold, now)) Owner.Tell(IdleFired.Reader, ActorRefs.NoSender);
        if (Passed(WriterTicks, _lastWrite, ref _writerTold, now)) Owner.Tell(IdleFired.Writer, ActorRefs.NoSender);
        if (Passed(BothTicks, Math.Max(_lastRead, _lastWrite), ref _bothTold, now)) Owner.Tell(IdleFired.Both, ActorRefs.NoSender);
    }

    private static bool Passed(long timeout, long last, ref long told, long now)
    {
        if (timeout == 0 || told == last || now - last < timeout) return false;
        told = last;
        return true;
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static long Positive(long ticks) => ticks == 0 ? long.MaxValue : ticks;
}

/// <summary>From the idle sweep to a connection: <see cref="Side"/> passed its idle timeout. One instance per side.</summary>
internal sealed class IdleFired : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly IdleFired Reader = new(Tcp.IdleSide.Reader);
    public static readonly IdleFired Writer = new(Tcp.IdleSide.Writer);
    public static readonly IdleFired Both = new(Tcp.IdleSide.Both);

    private IdleFired(Tcp.IdleSide side) => Side = side;

    public Tcp.IdleSide Side { get; }
}

/// <summary>From a connection to its selector: add this entry to the idle sweep.</summary>
internal sealed record WatchIdle(IdleEntry Entry) : INoSerializationVerificationNeeded;
