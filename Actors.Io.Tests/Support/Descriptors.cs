using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;

namespace Actors.Io.Tests.Support;

/// <summary>Real descriptors for tests: socketpairs, eventfds, and a count of the process's open descriptors.</summary>
internal static unsafe class Descriptors
{
    /// <summary><c>SOCK_DGRAM</c>, for <see cref="SocketPair"/>.</summary>
    public const int SockDgram = 2;

    /// <summary>
    /// The test suite's one socketpair maker: a connected AF_UNIX pair of <paramref name="type"/> (a stream by default),
    /// close-on-exec, non-blocking unless <paramref name="nonBlocking"/> is false.
    /// </summary>
    public static (FileDescriptorHandle Local, FileDescriptorHandle Peer) SocketPair(int type = Sockets.SOCK_STREAM, bool nonBlocking = true)
    {
        int* fds = stackalloc int[2];
        if (Sockets.SocketPair(Sockets.AF_UNIX, type | SockCloexec, 0, fds) != 0)
        {
            throw new IOException($"socketpair failed: {Errno.Describe(Errno.Last)}");
        }

        for (int i = 0; i < 2; i++)
        {
            CloseOnExec(fds[i]);
            if (nonBlocking) SetNonBlocking(fds[i]);
        }

        return (new FileDescriptorHandle(fds[0]), new FileDescriptorHandle(fds[1]));
    }

    /// <summary>A <see cref="Socket"/> that takes over <paramref name="fd"/>: it closes the descriptor, the handle no longer does.</summary>
    public static Socket ToSocket(FileDescriptorHandle fd)
    {
        var socket = new Socket(new SafeSocketHandle(fd.DangerousGetHandle(), ownsHandle: true));
        fd.SetHandleAsInvalid();
        return socket;
    }

    /// <summary>
    /// <c>SOCK_CLOEXEC</c> for <c>socketpair</c>'s type where the kernel takes it (Linux), else 0 and <see cref="CloseOnExec"/>
    /// follows. Tests start child processes while others run: a descriptor a child inherits stays open in it, so its
    /// peer never sees it close.
    /// </summary>
    public static int SockCloexec => OperatingSystem.IsLinux() ? 0x80000 : 0;

    /// <summary>Sets <c>FD_CLOEXEC</c> on <paramref name="fd"/> (see <see cref="SockCloexec"/>).</summary>
    public static void CloseOnExec(int fd) => _ = Libc.Fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);

    /// <summary>A non-blocking eventfd: one descriptor, writable at once.</summary>
    public static FileDescriptorHandle EventFd()
    {
        int fd = Epoll.EventFd(0, Epoll.EFD_CLOEXEC | Epoll.EFD_NONBLOCK);
        if (fd < 0) throw new IOException($"eventfd failed: {Errno.Describe(Errno.Last)}");
        return new FileDescriptorHandle(fd);
    }

    public static int Write(SafeHandle fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            return (int)Libc.Write(fd, p, data.Length);
        }
    }

    public static int Read(SafeHandle fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return (int)Libc.Read(fd, p, buffer.Length);
        }
    }

    /// <summary>What each open descriptor is (its /proc/self/fd link target), for leak reports.</summary>
    public static Dictionary<string, string> Describe()
    {
        var result = new Dictionary<string, string>();
        foreach (string path in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                result[Path.GetFileName(path)] = new FileInfo(path).LinkTarget ?? "?";
            }
            catch (IOException)
            {
                // Closed while listing.
            }
        }

        return result;
    }

    /// <summary>Open sockets, epoll instances and eventfds of this process: the kinds of descriptor Actors.Io opens
    /// (the runtime's own, such as mapped assemblies and its pipes, come and go on their own).</summary>
    public static int OpenSocketsAndPollers() =>
        Describe().Values.Count(t => t.StartsWith("socket:", StringComparison.Ordinal) || t.StartsWith("anon_inode:", StringComparison.Ordinal));

    /// <summary>Open descriptors of this process (Linux: entries of /proc/self/fd).</summary>
    public static int OpenCount() => Directory.GetFiles("/proc/self/fd").Length;

    private static void SetNonBlocking(int fd)
    {
        int flags = Libc.Fcntl(fd, Libc.F_GETFL, 0);
        _ = Libc.Fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK_LINUX);
    }
}

/// <summary>Tests that count process-wide resources (descriptors, threads) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial";
}
