using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>Linux epoll and eventfd.</summary>
internal static unsafe partial class Epoll
{
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLONESHOT = 1u << 30;
    public const uint EPOLLET = 1u << 31;

    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    /// <summary>
    /// <c>struct epoll_event</c> on x86-64: the kernel declares it packed, so <c>data</c> sits at offset 4 and the
    /// struct is 12 bytes.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EventPacked
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary><c>struct epoll_event</c> on every other 64-bit architecture (arm64): natural alignment, 16 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct EventAligned
    {
        public uint Events;
        public ulong Data;
    }

    /// <summary>True where the kernel's epoll_event is the packed 12-byte form.</summary>
    public static bool UsesPackedEvent(Architecture arch) => arch is Architecture.X64 or Architecture.X86;

    [LibraryImport(Libc.Name, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int Create1(int flags);

    [LibraryImport(Libc.Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int Ctl(SafeHandle epfd, int op, SafeHandle fd, void* ev);

    [LibraryImport(Libc.Name, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int Ctl(SafeHandle epfd, int op, int fd, void* ev);

    [LibraryImport(Libc.Name, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int Wait(SafeHandle epfd, void* events, int maxEvents, int timeoutMs);

    [LibraryImport(Libc.Name, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initval, int flags);
}
