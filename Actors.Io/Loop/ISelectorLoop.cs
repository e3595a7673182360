using Actors.Io.Native;
using Akka.Actor;
using Akka.Dispatch;

namespace Actors.Io.Loop;

/// <summary>
/// What a selector needs of its event loop, and nothing else. Every member is called on the loop's own thread, from the
/// selector's handlers. The selector attaches its poller when it starts (<see cref="AttachPoller"/>) and detaches it when
/// it stops (<see cref="DetachPoller"/>). Each round starts with <see cref="TryTakeWaitResult"/> (the events of the
/// loop's idle wait, if any; otherwise the selector polls without blocking) and ends by handing its next round to the
/// loop: <see cref="ExecuteLast"/> when <see cref="HasQueuedWork"/>, else <see cref="SelectWhenIdle"/>, after which the
/// loop blocks in the poller once its queue is empty and keeps the result for the next <see cref="TryTakeWaitResult"/>.
/// </summary>
internal interface ISelectorLoop
{
    /// <summary>The id of the loop's dispatcher: actors created with it run on the loop's thread.</summary>
    string Id { get; }

    /// <summary>True when mailbox runs are waiting.</summary>
    bool HasQueuedWork { get; }

    /// <summary>Installs the poller the loop waits in while idle and wakes when work arrives from another thread.</summary>
    void AttachPoller(IPoller poller);

    /// <summary>Removes <paramref name="poller"/> if it is still attached, with any wait result not yet taken.</summary>
    void DetachPoller(IPoller poller);

    /// <summary>Once the queue is empty, waits in the poller and then runs <paramref name="select"/>.</summary>
    void SelectWhenIdle(IRunnable select);

    /// <summary>Takes the result of the last idle wait (an event count, or minus errno); false when there is none.</summary>
    bool TryTakeWaitResult(out int result);

    /// <summary>Queues <paramref name="run"/> behind all the work waiting now.</summary>
    void ExecuteLast(IRunnable run);

    /// <summary>Tells <paramref name="target"/> <paramref name="message"/> after <paramref name="delay"/>, from the loop's own
    /// timers (the idle sweep's tick). Returns the <see cref="System.Diagnostics.Stopwatch"/> timestamp it is due at: it is
    /// told no earlier.</summary>
    long ScheduleTellOnce(TimeSpan delay, IActorRef target, object message);
}
