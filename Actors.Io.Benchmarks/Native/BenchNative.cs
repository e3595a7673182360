using System.Runtime.InteropServices;
using Actors.Io.Native;

namespace Actors.Io.Benchmarks.Native;

/// <summary>
/// The few libc calls the benchmarks need beyond the library's native layer (<see cref="Epoll"/>, <see cref="Libc"/>,
/// <see cref="Sockets"/>): accept on a raw descriptor, socket options, resource limits, CPU affinity. Linux only.
/// </summary>
internal static unsafe partial class BenchNative
{
    public const int RLIMIT_NOFILE = 7;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int SC_CLK_TCK = 2;
    public const int PR_SET_TIMERSLACK = 29;

    [StructLayout(LayoutKind.Sequential)]
    public struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport(Libc.Name, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept4(int fd, void* addr, int* addrLen, int flags);

    [LibraryImport(Libc.Name, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, int len);

    [LibraryImport(Libc.Name, EntryPoint = "getrlimit", SetLastError = true)]
    public static partial int GetRLimit(int resource, RLimit* limit);

    [LibraryImport(Libc.Name, EntryPoint = "setrlimit", SetLastError = true)]
    public static partial int SetRLimit(int resource, RLimit* limit);

    [LibraryImport(Libc.Name, EntryPoint = "sched_setaffinity", SetLastError = true)]
    public static partial int SchedSetAffinity(int tid, nuint size, ulong* mask);

    [LibraryImport(Libc.Name, EntryPoint = "sysconf", SetLastError = true)]
    public static partial long SysConf(int name);

    [LibraryImport(Libc.Name, EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    /// <summary><c>epoll_wait</c> with a nanosecond timeout (Linux 5.11, glibc 2.35).</summary>
    [LibraryImport(Libc.Name, EntryPoint = "epoll_pwait2", SetLastError = true)]
    public static partial int EpollPwait2(SafeHandle epfd, void* events, int maxEvents, TimeSpec* timeout, void* sigmask);

    /// <summary>Sets <c>TCP_NODELAY</c> on a raw descriptor.</summary>
    public static void SetNoDelay(int fd)
    {
        int one = 1;
        _ = SetSockOpt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(int));
    }

    /// <summary>Raises the soft descriptor limit to the hard one; returns the soft limit now in force.</summary>
    public static ulong RaiseFileLimit()
    {
        RLimit limit;
        if (GetRLimit(RLIMIT_NOFILE, &limit) != 0) return 0;
        if (limit.Current < limit.Max)
        {
            limit.Current = limit.Max;
            _ = SetRLimit(RLIMIT_NOFILE, &limit);
            _ = GetRLimit(RLIMIT_NOFILE, &limit);
        }

        return limit.Current;
    }

    /// <summary>
    /// Pins every thread of this process to <paramref name="cpu"/> (threads started later inherit it from their creator).
    /// Returns null on success, or why it failed.
    /// </summary>
    public static string? PinProcess(int cpu)
    {
        ulong mask = 1UL << cpu;
        string? failure = null;
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(task), out int tid)) continue;
            if (SchedSetAffinity(tid, sizeof(ulong), &mask) != 0) failure ??= Errno.Describe(Errno.Last);
        }

        return failure;
    }

    /// <summary>Clock ticks per second of /proc/*/stat times.</summary>
    public static long ClockTicks
    {
        get
        {
            long ticks = SysConf(SC_CLK_TCK);
            return ticks > 0 ? ticks : 100;
        }
    }
}
