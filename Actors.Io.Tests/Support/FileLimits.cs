using System.Runtime.InteropServices;

namespace Actors.Io.Tests.Support;

/// <summary>This process's descriptor limit (RLIMIT_NOFILE), which a child process inherits.</summary>
internal static partial class FileLimits
{
    /// <summary>
    /// Makes sure this process (and so a child it starts) may open <paramref name="needed"/> descriptors: raises the soft
    /// limit up to the hard one if it must, and fails with what to do when the hard limit is too low.
    /// </summary>
    public static void Require(long needed)
    {
        int resource = OperatingSystem.IsLinux() ? 7 : 8;
        if (GetRLimit(resource, out RLimit limit) != 0) throw new InvalidOperationException($"getrlimit failed: errno {Marshal.GetLastPInvokeError()}");
        if (limit.Max < (ulong)needed)
        {
            throw new InvalidOperationException(
                $"This test needs {needed} open descriptors but the hard limit (RLIMIT_NOFILE) is {limit.Max}, soft {limit.Current}: " +
                $"raise it, e.g. `ulimit -n {needed}` (as root, or via /etc/security/limits.conf or the container's --ulimit nofile) before dotnet test.");
        }

        if (limit.Current >= (ulong)needed) return;
        var raised = new RLimit { Current = limit.Max, Max = limit.Max };
        if (SetRLimit(resource, in raised) != 0)
        {
            throw new InvalidOperationException($"Raising the soft descriptor limit from {limit.Current} to {limit.Max} failed (errno {Marshal.GetLastPInvokeError()}); run `ulimit -n {needed}` first.");
        }
    }

    [LibraryImport(Actors.Io.Native.Libc.Name, EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit);

    [LibraryImport(Actors.Io.Native.Libc.Name, EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Max;
    }
}
