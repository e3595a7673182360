using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>Socket calls made directly where <see cref="System.Net.Sockets.Socket"/> would throw or allocate.</summary>
internal static unsafe partial class Sockets
{
    public const int SHUT_RD = 0;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;

    public const int AF_UNIX = 1;

    /// <summary><c>SOL_SOCKET</c>: 1 on Linux, 0xffff on the BSDs.</summary>
    public static int SolSocket => Platform.Os == OsFamily.Linux ? 1 : 0xffff;

    /// <summary><c>SO_ERROR</c>: 4 on Linux, 0x1007 on the BSDs.</summary>
    public static int SoError => Platform.Os == OsFamily.Linux ? 4 : 0x1007;

    /// <summary><c>SO_REUSEADDR</c>: 2 on Linux, 4 on the BSDs.</summary>
    public static int SoReuseAddr => Platform.Os == OsFamily.Linux ? 2 : 4;

    /// <summary><c>SO_REUSEPORT</c>: 15 on Linux, 0x200 on the BSDs.</summary>
    public static int SoReusePort => Platform.Os == OsFamily.Linux ? 15 : 0x200;

    /// <summary><c>SO_LINGER</c>: 13 on Linux, 0x80 on the BSDs.</summary>
    public static int SoLinger => Platform.Os == OsFamily.Linux ? 13 : 0x80;

    /// <summary><c>MSG_PEEK</c> is 2 everywhere.</summary>
    public const int MSG_PEEK = 2;

    /// <summary><c>SOCK_STREAM</c> is 1 everywhere.</summary>
    public const int SOCK_STREAM = 1;

    /// <summary>accept4 flags for a non-blocking, close-on-exec socket (Linux and FreeBSD values differ; macOS has no
    /// accept4, so callers there use <see cref="Accept"/> and set the flags with fcntl).</summary>
    public static int Accept4Flags => Platform.Os == OsFamily.FreeBsd
        ? 0x20000000 | 0x10000000
        : Libc.O_NONBLOCK_LINUX | Libc.O_CLOEXEC_LINUX;

    /// <summary><c>struct iovec</c>: a base pointer and a length, 16 bytes on 64-bit platforms.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [LibraryImport(Libc.Name, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(SafeHandle fd, void* addr, int* addrLen, int flags);

    [LibraryImport(Libc.Name, EntryPoint = "accept", SetLastError = true)]
    public static partial int Accept(SafeHandle fd, void* addr, int* addrLen);

    [LibraryImport(Libc.Name, EntryPoint = "writev", SetLastError = true)]
    public static partial nint Writev(SafeHandle fd, IoVec* iov, int iovcnt);

    [LibraryImport(Libc.Name, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(SafeHandle fd, int level, int name, void* value, int* len);

    [LibraryImport(Libc.Name, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(SafeHandle fd, int level, int name, void* value, int len);

    [LibraryImport(Libc.Name, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc.Name, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(SafeHandle fd, byte* address, int addressLength);

    [LibraryImport(Libc.Name, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(SafeHandle fd, byte* address, int* addressLength);

    [LibraryImport(Libc.Name, EntryPoint = "getpeername", SetLastError = true)]
    public static partial int GetPeerName(SafeHandle fd, byte* address, int* addressLength);

    [LibraryImport(Libc.Name, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(SafeHandle fd, int how);

    [LibraryImport(Libc.Name, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int SocketPair(int domain, int type, int protocol, int* fds);

    /// <summary>Sets <c>SO_LINGER</c> on with a zero timeout, so that closing resets the connection; returns errno.</summary>
    public static int SetLingerZero(SafeHandle fd)
    {
        // struct linger { int l_onoff; int l_linger; }, the same on Linux and the BSDs.
        int* linger = stackalloc int[2] { 1, 0 };
        return SetSockOpt(fd, SolSocket, SoLinger, linger, 2 * sizeof(int)) == 0 ? 0 : Errno.Last;
    }

    /// <summary>
    /// Peeks one byte without consuming it: 1 when unread data waits, 0 at end of stream, otherwise minus errno
    /// (minus EAGAIN when nothing is there yet).
    /// </summary>
    public static int PeekPending(SafeHandle fd)
    {
        byte b;
        nint n = Recv(fd, &b, 1, MSG_PEEK);
        return n >= 0 ? (int)n : -Errno.Last;
    }

    /// <summary>Reads and clears the socket's pending error (<c>SO_ERROR</c>); returns the errno of the call itself.</summary>
    public static int GetPendingError(SafeHandle fd, out int socketError)
    {
        int value = 0;
        int len = sizeof(int);
        int rc = GetSockOpt(fd, SolSocket, SoError, &value, &len);
        socketError = value;
        return rc == 0 ? 0 : Errno.Last;
    }

    /// <summary>
    /// Where a non-blocking connect stands: 0 when connected, -1 while still under way, else the errno it failed with
    /// (read from <c>SO_ERROR</c>, which this clears).
    /// </summary>
    public static int ConnectProgress(SafeHandle fd)
    {
        int rc = GetPendingError(fd, out int error);
        if (rc != 0) return rc;
        if (error != 0) return error;
        byte* address = stackalloc byte[128];
        int length = 128;
        if (GetPeerName(fd, address, &length) == 0) return 0;
        int errno = Errno.Last;
        return errno == Errno.ENOTCONN ? -1 : errno;
    }
}
