using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Actors.Io.Native;
using Akka.Actor;
using Akka.Dispatch;

namespace Actors.Io.Loop;

/// <summary>
/// One thread, a queue of mailbox runs, and the selector's poller as its idle wait: the executor behind one loop
/// dispatcher. When the queue is empty and the selector has asked to be run on idle (<see cref="SelectWhenIdle"/>),
/// the thread blocks in the poller, keeps what it returned for the selector, and runs the selector's request, which
/// sends it <c>Select</c>. The wait happens here rather than inside the selector's message handler because Akka does not
/// schedule a mailbox that is running: a message or stop request for a selector blocked in its handler would not wake
/// it. Work queued from another thread wakes whichever wait the thread is in (the poller, or a semaphore while no
/// selector is attached), at most once per sleep. The loop also keeps its own one-shot timers (register and connect
/// timeouts), bounding its waits by the nearest one: Akka's scheduler, once started, ticks a thread-pool work item every
/// 10 ms for good, which on a busy server pinned to one core costs the loop its core in context switches.
/// With a stall watch (<see cref="LoopStalls"/>) the loop reads the clock after each run and reports a run that took
/// longer than its threshold: while one run blocks, nothing else on the loop runs.
/// </summary>
internal sealed class EventLoop : ExecutorService, ISelectorLoop
{
    private const int Running = 0;
    private const int SleepingInPoller = 1;
    private const int SleepingIdle = 2;
    private const int WakeSignalled = 3;
    private const int NoPendingEvents = int.MinValue;

    /// <summary>Hand-off runs (see <see cref="Execute"/>) before a run from the queue.</summary>
    public const int MaxHandOffsInARow = 32;

    private readonly ConcurrentQueue<IRunnable> _queue = new();
    private readonly SemaphoreSlim _idle = new(0);
    private readonly Thread _thread;
    private readonly Action<Exception> _onUnhandled;
    private readonly PriorityQueue<(IActorRef Target, object Message), long> _timers = new();
    private readonly LoopStalls? _stalls;
    private IRunnable? _handOff;
    private int _handOffsInARow;
    private IPoller? _poller;
    private IRunnable? _onIdle;
    private int _pendingEvents = NoPendingEvents;
    private int _state;
    private volatile bool _stopped;

    public EventLoop(string id, int index, Action<Exception> onUnhandled, LoopStalls? stalls = null)
        : base(id)
    {
        Index = index;
        _onUnhandled = onUnhandled;
        _stalls = stalls;
        _thread = new Thread(RunLoop) { IsBackground = true, Name = id };
        ManagedThreadId = _thread.ManagedThreadId;
        _thread.Start();
    }

    /// <summary>This loop's position in its group.</summary>
    public int Index { get; }

    /// <summary>The managed id of the loop's thread.</summary>
    public int ManagedThreadId { get; }

    /// <summary>True when called on this loop's thread.</summary>
    public bool InLoop => Environment.CurrentManagedThreadId == ManagedThreadId;

    /// <summary>Returns from a blocking wait (loop thread writes; readers tolerate staleness).</summary>
    public long WakeUps { get; private set; }

    /// <summary>Runs longer than <c>actors-io.loop-stall-warning</c> so far; 0 when the watch is off.</summary>
    public long Stalls => _stalls?.Count ?? 0;

    /// <summary>True when mailbox runs are waiting (loop thread).</summary>
    public bool HasQueuedWork => _handOff is not null || !_queue.IsEmpty;

    /// <summary>
    /// Runs <paramref name="run"/> on the loop. Work scheduled from the loop itself goes to a one-place hand-off that runs
    /// next (the run it displaces joins the queue): a message handed from actor to actor (connection, handler, connection)
    /// travels the whole way before the loop turns to the next connection, so a burst of readiness events is answered
    /// connection by connection, not read in full before anything is written. After <see cref="MaxHandOffsInARow"/>
    /// hand-off runs in a row the queue gets its turn, so two actors passing messages back and forth cannot starve it.
    /// </summary>
    public override void Execute(IRunnable run)
    {
        if (_stopped)
        {
            // After the system stopped its loops, late work (a dead letter, a final system message) still runs.
            ThreadPool.UnsafeQueueUserWorkItem(static r => r.Run(), run, preferLocal: false);
            return;
        }

        if (InLoop)
        {
            IRunnable? displaced = _handOff;
            _handOff = run;
            if (displaced is not null) _queue.Enqueue(displaced);
            return;
        }

        _queue.Enqueue(run);
        WakeIfSleeping();
    }

    /// <summary>Queues <paramref name="run"/> behind all the work waiting now (loop thread): the selector's next round.</summary>
    public void ExecuteLast(IRunnable run) => _queue.Enqueue(run);

    /// <summary>The dispatcher may ask to shut the executor down when it has no actors; the group owns the thread, so
    /// the loop stays until <see cref="Stop"/>.</summary>
    public override void Shutdown()
    {
    }

    /// <summary>Installs the poller that wakes this loop while its selector waits.</summary>
    public void AttachPoller(IPoller poller) => Volatile.Write(ref _poller, poller);

    /// <summary>Removes <paramref name="poller"/> (if still attached); the loop then sleeps on its semaphore.
    /// Called on this thread, so no wait is in progress.</summary>
    public void DetachPoller(IPoller poller)
    {
        if (Interlocked.CompareExchange(ref _poller, null, poller) != poller) return;
        _onIdle = null;
        _pendingEvents = NoPendingEvents;
    }

    /// <summary>
    /// Called by the selector (on this thread) after a round: once the queue is empty the loop waits in the poller and
    /// then runs <paramref name="select"/>. If other work is queued the loop runs it first, then polls without blocking.
    /// </summary>
    public void SelectWhenIdle(IRunnable select) => _onIdle = select;

    /// <summary>
    /// The result of the loop's last idle wait, if the selector has not taken it yet: an event count, or minus errno.
    /// Returns false when the selector must poll itself.
    /// </summary>
    public bool TryTakeWaitResult(out int result)
    {
        result = _pendingEvents;
        _pendingEvents = NoPendingEvents;
        return result != NoPendingEvents;
    }

    /// <summary>Timers waiting to fire (loop thread only).</summary>
    public int PendingTimers => _timers.Count;

    /// <summary>
    /// Tells <paramref name="target"/> <paramref name="message"/> after <paramref name="delay"/>, from this loop. Loop
    /// thread only (see <see cref="InLoop"/>); there is no cancelling, so the target must ignore a message it no longer
    /// waits for. Returns the <see cref="Stopwatch"/> timestamp it is due at.
    /// </summary>
    public long ScheduleTellOnce(TimeSpan delay, IActorRef target, object message)
    {
        Debug.Assert(InLoop, "loop timers are for the loop's own thread");
        long due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        _timers.Enqueue((target, message), due);
        return due;
    }

    /// <summary>Stops the thread after the work queued so far; later work runs on the thread pool.</summary>
    public void Stop()
    {
        _stopped = true;
        WakeIfSleeping();
        if (!InLoop) _thread.Join(TimeSpan.FromSeconds(5));
    }

    private void WakeIfSleeping()
    {
        int state = Volatile.Read(ref _state);
        if ((state != SleepingInPoller && state != SleepingIdle)
            || Interlocked.CompareExchange(ref _state, WakeSignalled, state) != state)
        {
            return;
        }

        if (state == SleepingIdle) _idle.Release();
        else Volatile.Read(ref _poller)?.Wake();
    }

    /// <summary>Fires the due timers; returns the milliseconds to the next one, or -1 when none is left.</summary>
    private int FireDueTimers()
    {
        while (_timers.TryPeek(out (IActorRef Target, object Message) timer, out long due))
        {
            long left = due - Stopwatch.GetTimestamp();
            if (left > 0) return (int)Math.Min(int.MaxValue, (left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
            _ = _timers.Dequeue();
            timer.Target.Tell(timer.Message, ActorRefs.NoSender);
        }

        return -1;
    }

    private bool TryTakeNext([NotNullWhen(true)] out IRunnable? run)
    {
        if (_handOff is { } next)
        {
            _handOff = null;
            if (_handOffsInARow < MaxHandOffsInARow)
            {
                _handOffsInARow++;
                run = next;
                return true;
            }

            _queue.Enqueue(next);
        }

        _handOffsInARow = 0;
        return _queue.TryDequeue(out run);
    }

    private void RunLoop()
    {
        while (true)
        {
            if (_timers.Count != 0) _ = FireDueTimers();
            LoopStalls? stalls = _stalls;
            long stallTicks = stalls?.ThresholdTicks ?? 0;
            long started = stallTicks == 0 ? 0 : stalls!.Now();
            while (TryTakeNext(out IRunnable? run))
            {
                try
                {
                    run.Run();
                }
                catch (Exception e)
                {
                    _onUnhandled(e);
                }

                if (stallTicks == 0) continue;

                // One clock read per run: this run's end is the next one's start.
                long ended = stalls!.Now();
                if (ended - started > stallTicks) stalls.Report(Id, run, ended - started, ended);
                started = ended;
            }

            if (_stopped) break;
            IRunnable? select = _onIdle;
            IPoller? poller = _poller;
            if (select is not null && poller is not null)
            {
                _onIdle = null;
                int timeout = _timers.Count == 0 ? -1 : FireDueTimers();
                Interlocked.Exchange(ref _state, SleepingInPoller);
                if (_handOff is null && _queue.IsEmpty && !_stopped)
                {
                    _pendingEvents = poller.Wait(timeout);
                    WakeUps++;
                }

                Interlocked.Exchange(ref _state, Running);
                select.Run();
                continue;
            }

            int idleTimeout = _timers.Count == 0 ? -1 : FireDueTimers();
            Interlocked.Exchange(ref _state, SleepingIdle);
            if (_handOff is null && _queue.IsEmpty && !_stopped) _ = _idle.Wait(idleTimeout);
            Interlocked.Exchange(ref _state, Running);
        }

        // Anything that raced with the stop still runs.
        if (_handOff is { } last) _queue.Enqueue(last);
        _handOff = null;
        while (_queue.TryDequeue(out IRunnable? run)) ThreadPool.UnsafeQueueUserWorkItem(static r => r.Run(), run, preferLocal: false);
    }
}
