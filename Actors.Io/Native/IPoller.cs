using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>What a registration asks the poller to report.</summary>
[Flags]
internal enum PollInterest : byte
{
    /// <summary>Only hang-up and errors.</summary>
    None = 0,

    /// <summary>Data (or a pending connection) can be read.</summary>
    Read = 1,

    /// <summary>The kernel send buffer has room (or a connect finished).</summary>
    Write = 2,
}

/// <summary>What the poller saw on a descriptor.</summary>
[Flags]
internal enum PollEvents : byte
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Readable.</summary>
    Readable = 1,

    /// <summary>Writable.</summary>
    Writable = 2,

    /// <summary>The peer shut down its sending side (EOF is or will be readable).</summary>
    ReadHangUp = 4,

    /// <summary>Both directions are down.</summary>
    HangUp = 8,

    /// <summary>The descriptor has a pending error (read it with SO_ERROR).</summary>
    Error = 16,
}

/// <summary>
/// One readiness poller (an epoll or kqueue instance). Contract, shared by both backends:
/// <list type="bullet">
/// <item>Registrations are keyed by a caller-chosen 64-bit token, never by the descriptor.</item>
/// <item>Level-triggered. With <c>oneShot</c> (the default) each <see cref="Add"/> / <see cref="Modify"/> arms one
/// report: once an event for the descriptor is returned the interest that fired is disarmed until the next
/// <see cref="Modify"/> (on epoll the whole registration, on kqueue the filter that fired). Without it the interest
/// stays armed and reports again at every wait while the condition holds. kqueue treats every registration as
/// persistent (a caller that narrows never spins there, since every condition can be disabled); epoll needs one-shot to
/// stop an unmaskable hang-up or error from repeating. Callers filter events by what they armed.</item>
/// <item>Hang-up and errors are reported even when neither read nor write is armed.</item>
/// <item>Spurious events can happen; the reader drains until it would block.</item>
/// <item><see cref="Add"/>, <see cref="Modify"/>, <see cref="Remove"/> and <see cref="Wake"/> are safe from any
/// thread; <see cref="Wait"/>, <see cref="GetEvent"/>, <see cref="ClearWake"/> and <see cref="IDisposable.Dispose"/>
/// belong to the thread that waits (disposing under a blocked wait would free its event buffer).</item>
/// </list>
/// Every method returns errno as a value (0 on success); none throws on the hot path.
/// </summary>
internal interface IPoller : IDisposable
{
    /// <summary>The token the poller's own waker reports with; never a registration's token.</summary>
    const ulong WakeToken = ulong.MaxValue;

    /// <summary>"epoll" or "kqueue".</summary>
    string Backend { get; }

    /// <summary>The most events one <see cref="Wait"/> returns.</summary>
    int Capacity { get; }

    /// <summary>Registers <paramref name="fd"/> and arms <paramref name="interest"/> (plus hang-up and error).</summary>
    int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true);

    /// <summary>Re-arms <paramref name="fd"/> with exactly <paramref name="interest"/> (plus hang-up and error unless
    /// <paramref name="withHangUp"/> is false, which a caller passes once it has been told of the hang-up).</summary>
    int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true);

    /// <summary>Removes <paramref name="fd"/>; call it before the descriptor is closed.</summary>
    int Remove(SafeHandle fd);

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1: forever, 0: poll) and returns the number of events,
    /// or minus errno. EINTR is returned as 0 events.</summary>
    int Wait(int timeoutMs);

    /// <summary>Reads event <paramref name="index"/> of the last <see cref="Wait"/>.</summary>
    void GetEvent(int index, out ulong token, out PollEvents events);

    /// <summary>Makes a blocked (or the next) <see cref="Wait"/> return at once. Safe from any thread.</summary>
    void Wake();

    /// <summary>Re-arms the waker after its event was seen.</summary>
    void ClearWake();
}
