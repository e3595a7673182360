using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>
/// errno values of the running platform (Linux and the BSDs number them differently), and their mapping to
/// <see cref="SocketError"/>. Native calls return errno as a value; nothing here throws on the hot path.
/// </summary>
internal static class Errno
{
    private static readonly bool Bsd = Platform.Os is OsFamily.MacOs or OsFamily.FreeBsd;

    public const int EPERM = 1;
    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int ENXIO = 6;
    public const int EBADF = 9;
    public const int ENOMEM = 12;
    public const int EACCES = 13;
    public const int EEXIST = 17;
    public const int EINVAL = 22;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;

    public static readonly int ENOSYS = Bsd ? 78 : 38;
    public static readonly int EAGAIN = Bsd ? 35 : 11;
    public static readonly int EINPROGRESS = Bsd ? 36 : 115;
    public static readonly int EALREADY = Bsd ? 37 : 114;
    public static readonly int ENOTSOCK = Bsd ? 38 : 88;
    public static readonly int EMSGSIZE = Bsd ? 40 : 90;
    public static readonly int EAFNOSUPPORT = Bsd ? 47 : 97;
    public static readonly int EADDRINUSE = Bsd ? 48 : 98;
    public static readonly int EADDRNOTAVAIL = Bsd ? 49 : 99;
    public static readonly int ENETUNREACH = Bsd ? 51 : 101;
    public static readonly int ECONNABORTED = Bsd ? 53 : 103;
    public static readonly int ECONNRESET = Bsd ? 54 : 104;
    public static readonly int ENOBUFS = Bsd ? 55 : 105;
    public static readonly int EISCONN = Bsd ? 56 : 106;
    public static readonly int ENOTCONN = Bsd ? 57 : 107;
    public static readonly int ESHUTDOWN = Bsd ? 58 : 108;
    public static readonly int ETIMEDOUT = Bsd ? 60 : 110;
    public static readonly int ECONNREFUSED = Bsd ? 61 : 111;
    public static readonly int EHOSTUNREACH = Bsd ? 65 : 113;
    public static readonly int EOPNOTSUPP = Platform.Os == OsFamily.MacOs ? 102 : Bsd ? 45 : 95;

    /// <summary>The errno of the last <c>SetLastError = true</c> native call on this thread.</summary>
    public static int Last => Marshal.GetLastPInvokeError();

    /// <summary>True for the "try again later" results (EAGAIN / EWOULDBLOCK).</summary>
    public static bool IsWouldBlock(int errno) => errno == EAGAIN;

    /// <summary>Maps an errno to the closest <see cref="SocketError"/> (mostly what .NET reports; EBADF, ESHUTDOWN,
    /// EPERM and ENOMEM are mapped to the more telling value).</summary>
    public static SocketError ToSocketError(int errno)
    {
        if (errno == 0) return SocketError.Success;
        if (errno == EINTR) return SocketError.Interrupted;
        if (errno == EAGAIN) return SocketError.WouldBlock;
        if (errno == EINPROGRESS) return SocketError.InProgress;
        if (errno == EALREADY) return SocketError.AlreadyInProgress;
        if (errno == EBADF || errno == ENOTSOCK) return SocketError.NotSocket;
        if (errno == EACCES || errno == EPERM) return SocketError.AccessDenied;
        if (errno == EINVAL) return SocketError.InvalidArgument;
        if (errno == EMFILE || errno == ENFILE) return SocketError.TooManyOpenSockets;
        if (errno == ENOBUFS || errno == ENOMEM) return SocketError.NoBufferSpaceAvailable;
        if (errno == EPIPE || errno == ESHUTDOWN) return SocketError.Shutdown;
        if (errno == EMSGSIZE) return SocketError.MessageSize;
        if (errno == EAFNOSUPPORT) return SocketError.AddressFamilyNotSupported;
        if (errno == EADDRINUSE) return SocketError.AddressAlreadyInUse;
        if (errno == EADDRNOTAVAIL) return SocketError.AddressNotAvailable;
        if (errno == ENETUNREACH) return SocketError.NetworkUnreachable;
        if (errno == ECONNABORTED) return SocketError.ConnectionAborted;
        if (errno == ECONNRESET) return SocketError.ConnectionReset;
        if (errno == EISCONN) return SocketError.IsConnected;
        if (errno == ENOTCONN) return SocketError.NotConnected;
        if (errno == ETIMEDOUT) return SocketError.TimedOut;
        if (errno == ECONNREFUSED) return SocketError.ConnectionRefused;
        if (errno == EHOSTUNREACH) return SocketError.HostUnreachable;
        if (errno == EOPNOTSUPP) return SocketError.OperationNotSupported;
        return SocketError.SocketError;
    }

    /// <summary>A readable description of an errno, for exception messages (allocates; not for hot paths).</summary>
    public static string Describe(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";
}
