using System.Net;
using Akka.Event;

namespace Actors.Io.Tls;

/// <summary>
/// The warning for a server-side handshake that failed, at most one a second for the whole process (a scan or a flood
/// of bad clients would fill the log); the next one says how many were held back. Each is also logged at debug.
/// </summary>
internal static class HandshakeWarnings
{
    private static long _nextAt;
    private static long _heldBack;

    public static void Report(ILoggingAdapter log, EndPoint? peer, Exception cause)
    {
        log.Debug("TLS handshake with {0} failed: {1}", peer, cause);
        long now = Environment.TickCount64;
        long next = Interlocked.Read(ref _nextAt);
        if (now < next || Interlocked.CompareExchange(ref _nextAt, now + 1000, next) != next)
        {
            Interlocked.Increment(ref _heldBack);
            return;
        }

        long held = Interlocked.Exchange(ref _heldBack, 0);
        log.Warning(
            "TLS handshake with {0} failed, connection closed: {1}{2}",
            peer,
            cause.GetBaseException().Message,
            held > 0 ? $" ({held} more failed handshakes in the last second were not logged)" : string.Empty);
    }
}
