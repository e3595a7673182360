using System.Diagnostics;
using System.Runtime.CompilerServices;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;

namespace Actors.Io.Loop;

/// <summary>
/// The stall watch of one event loop: the loop reads the clock (<see cref="Now"/>) after each mailbox run and calls
/// <see cref="Report"/> for a run longer than <see cref="ThresholdTicks"/>. Everything that costs (finding the actor's
/// name, formatting, logging) happens there, so a normal run pays one clock read. Warnings are rate-limited per loop:
/// one per interval, carrying the count of the stalls held back since the last one. Loop thread only.
/// </summary>
/// <remarks>
/// From <see cref="CoarseFrom"/> up the clock is <see cref="Environment.TickCount64"/> (milliseconds; on Linux the
/// coarse monotonic clock, which advances once a kernel tick, 1-10 ms, and is read without touching the clock source),
/// below it <see cref="Stopwatch.GetTimestamp"/>. A fine clock read per run was about 1 % of a loop's CPU at 1,000 x
/// 64 B (perf), and on a virtual machine it may trap to the kernel; a 100 ms threshold needs no finer clock.
/// </remarks>
internal sealed class LoopStalls
{
    /// <summary>The least threshold watched with the coarse clock.</summary>
    public static readonly TimeSpan CoarseFrom = TimeSpan.FromMilliseconds(50);

    private readonly ILoggingAdapter _log;
    private readonly long _intervalTicks;
    private readonly long _ticksPerSecond;
    private long _nextWarningAt = long.MinValue;
    private int _heldBack;

    public LoopStalls(TimeSpan threshold, TimeSpan warningInterval, ILoggingAdapter log)
    {
        _log = log;
        Threshold = threshold;
        Coarse = threshold >= CoarseFrom;
        _ticksPerSecond = Coarse ? 1000 : Stopwatch.Frequency;
        ThresholdTicks = ToTicks(threshold);
        _intervalTicks = ToTicks(warningInterval);
    }

    /// <summary>True when the watch reads the coarse clock (milliseconds).</summary>
    public bool Coarse { get; }

    /// <summary>The longest run, in ticks of <see cref="Now"/>, that is not a stall.</summary>
    public long ThresholdTicks { get; }

    /// <summary>The threshold as configured.</summary>
    public TimeSpan Threshold { get; }

    /// <summary>Stalls so far (loop thread writes; readers tolerate staleness).</summary>
    public long Count { get; private set; }

    /// <summary>The watch's clock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Now() => Coarse ? Environment.TickCount64 : Stopwatch.GetTimestamp();

    /// <summary>Counts a stall of <paramref name="elapsedTicks"/> by <paramref name="run"/> and logs it unless a warning went out within the interval.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Report(string loopId, IRunnable run, long elapsedTicks, long now)
    {
        Count++;
        if (now < _nextWarningAt)
        {
            _heldBack++;
            return;
        }

        _nextWarningAt = now + _intervalTicks;
        long ms = elapsedTicks * 1000 / _ticksPerSecond;
        string heldBack = _heldBack == 0 ? string.Empty : $" ({_heldBack} more stalls since the last warning)";
        _heldBack = 0;
        _log.Warning(
            "Event loop {0} stalled for {1} ms running {2} (actors-io.loop-stall-warning = {3} ms): every connection on this loop waited meanwhile. Keep handlers that block off the loop's dispatcher.{4}",
            loopId, ms, Describe(run), (long)Threshold.TotalMilliseconds, heldBack);
    }

    /// <summary>The actor a mailbox run belongs to (its path), or the kind of work for anything else.</summary>
    internal static string Describe(IRunnable run)
    {
        if (run is Mailbox mailbox)
        {
            try
            {
                if (MailboxActor(mailbox)?.Self is { } self) return "actor " + self.Path;
            }
            catch (MissingMethodException)
            {
                // Another Akka version without Mailbox.Actor: the warning goes out without the name.
            }

            return "an actor's mailbox";
        }

        return run.GetType().FullName ?? run.GetType().Name;
    }

    private long ToTicks(TimeSpan span) => (long)((Int128)span.Ticks * _ticksPerSecond / TimeSpan.TicksPerSecond);

    // Mailbox.Actor is internal to Akka; read only when a stall is reported.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_Actor")]
    private static extern ActorCell? MailboxActor(Mailbox mailbox);
}
