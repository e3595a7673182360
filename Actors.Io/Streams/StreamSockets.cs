using System.Net;
using System.Net.Sockets;
using Actors.Io.Native;

namespace Actors.Io.Streams;

/// <summary>
/// What Unix domain sockets need beyond TCP: options checked against the address family, Linux abstract names, the
/// socket file a path-bound listener creates (and replacing a stale one), and readable causes for connect errors.
/// </summary>
internal static class StreamSockets
{
    /// <summary>
    /// A non-blocking stream socket for <paramref name="address"/>. With <paramref name="dualMode"/> an IPv6 socket also
    /// reaches IPv4 peers through IPv4-mapped addresses (<c>::ffff:a.b.c.d</c>, what a dual-mode .NET socket reports as a
    /// peer's address), as Akka.IO's sockets do; .NET otherwise makes IPv6 sockets IPv6-only.
    /// </summary>
    public static Socket NewStreamSocket(EndPoint address, bool dualMode = false)
    {
        var socket = new Socket(
            address.AddressFamily, SocketType.Stream, address.AddressFamily == AddressFamily.Unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            Blocking = false,
        };
        if (dualMode && address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = true;
        return socket;
    }

    /// <summary>True for a Linux abstract name (sun_path starts with a NUL byte; .NET prints it with a leading '@').</summary>
    public static bool IsAbstract(EndPoint address)
    {
        if (address is not UnixDomainSocketEndPoint) return false;
        SocketAddress serialized = address.Serialize();
        return serialized.Size > 2 && serialized[2] == 0;
    }

    /// <summary>The socket file of a path address; null for IP addresses and abstract names.</summary>
    public static string? FilePath(EndPoint address) =>
        address is UnixDomainSocketEndPoint && !IsAbstract(address) ? address.ToString() : null;

    /// <summary>
    /// Why a Bind (<paramref name="binding"/>) or a Connect to <paramref name="address"/> cannot be carried out as asked
    /// (an option that does not apply, an abstract name off Linux); null when it can.
    /// </summary>
    public static Exception? Refusal(EndPoint address, IReadOnlyList<Tcp.SocketOption> options, bool binding)
    {
        bool unix = address.AddressFamily == AddressFamily.Unix;
        string verb = binding ? "Bind to" : "Connect to";
        foreach (Tcp.SocketOption option in options)
        {
            if (option.Refusal(unix, binding) is { } why)
            {
                return new NotSupportedException($"{verb} {address}: Tcp.SO.{option.GetType().Name} {why}; remove it from the options.");
            }
        }

        if (IsAbstract(address) && Platform.Os != OsFamily.Linux)
        {
            return new PlatformNotSupportedException(
                $"{verb} {address}: abstract Unix socket names (a path starting with '\\0') exist only on Linux; use a file path on {Platform.Os}.");
        }

        return null;
    }

    /// <summary>
    /// Binds <paramref name="socket"/> to <paramref name="address"/>. A socket file already at the path is replaced only
    /// when <paramref name="replaceStale"/> is set and nobody listens on it; otherwise the exception says what is there.
    /// </summary>
    public static void Bind(Socket socket, EndPoint address, bool replaceStale)
    {
        try
        {
            socket.Bind(address);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && FilePath(address) is { } path)
        {
            if (!replaceStale)
            {
                throw new SocketException(
                    (int)SocketError.AddressAlreadyInUse,
                    $"the file {path} already exists: a socket file left by a process that is gone, or one a live listener uses; add Tcp.SO.ReplaceStaleSocketFile to the Bind options to replace a stale socket file");
            }

            RemoveStaleSocketFile(path, address);
            socket.Bind(address);
        }
    }

    private static void RemoveStaleSocketFile(string path, EndPoint address)
    {
        if (new FileInfo(path).LinkTarget is not null) throw InUse(path, "is a symbolic link, not a socket file; it is never deleted");
        if (!IsSocketFile(path, out string? notSocket)) throw InUse(path, notSocket!);

        using Socket probe = NewStreamSocket(address);
        int errno = Connect(probe, address);
        if (errno == 0 || errno == Errno.EAGAIN || errno == Errno.EINPROGRESS) throw InUse(path, "is in use by a live listener; it is not replaced");
        if (errno == Errno.ENOENT) return;
        if (errno != Errno.ECONNREFUSED) throw InUse(path, $"could not be probed ({Errno.Describe(errno)}); it is not replaced");
        File.Delete(path);
    }

    /// <summary>Opening a socket file fails with ENXIO (Linux) or EOPNOTSUPP (BSD); anything that opens is not one.</summary>
    private static bool IsSocketFile(string path, out string? notSocket)
    {
        int fd = Libc.Open(path, Libc.ONonBlock);
        if (fd >= 0)
        {
            _ = Libc.Close(fd);
            notSocket = "is not a socket file; it is never deleted";
            return false;
        }

        int errno = Errno.Last;
        if (errno == Errno.ENXIO || errno == Errno.EOPNOTSUPP || errno == Errno.ENOENT)
        {
            notSocket = null;
            return true;
        }

        notSocket = $"could not be checked ({Errno.Describe(errno)}); it is not replaced";
        return false;
    }

    private static SocketException InUse(string path, string what) =>
        new((int)SocketError.AddressAlreadyInUse, $"the file {path} {what}");

    /// <summary>Starts a non-blocking connect; returns 0 or the errno.</summary>
    public static unsafe int Connect(Socket socket, EndPoint address)
    {
        SocketAddress serialized = address.Serialize();
        fixed (byte* p = serialized.Buffer.Span)
        {
            return Sockets.Connect(socket.SafeHandle, p, serialized.Size) == 0 ? 0 : Errno.Last;
        }
    }

    /// <summary>A connect failure worth reading: for a Unix socket, what each errno means there.</summary>
    public static string DescribeConnectError(EndPoint address, int errno)
    {
        if (address is UnixDomainSocketEndPoint)
        {
            if (errno == Errno.ENOENT) return $"there is no socket file {address} (nothing listens there)";
            if (errno == Errno.ECONNREFUSED)
            {
                return IsAbstract(address)
                    ? $"nothing listens on the abstract name {address}"
                    : $"nothing listens on {address} (a stale socket file, or not a socket)";
            }

            if (errno == Errno.EAGAIN) return $"the listener on {address} has a full backlog (it is not accepting fast enough); try again later";
            if (errno == Errno.EACCES) return $"permission denied on {address} (connecting needs write permission on the socket file)";
        }

        return Errno.Describe(errno);
    }
}
