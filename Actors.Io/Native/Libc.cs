using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>General libc calls: descriptors, pipes, resource limits.</summary>
internal static unsafe partial class Libc
{
    public const string Name = "libc";

    public const int O_NONBLOCK_LINUX = 0x800;
    public const int O_CLOEXEC_LINUX = 0x80000;
    public const int O_NONBLOCK_MACOS = 0x4;

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(SafeHandle fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(SafeHandle fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Name, EntryPoint = "pipe", SetLastError = true)]
    public static partial int Pipe(int* fds);

    [LibraryImport(Name, EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int cmd, int arg);

    /// <summary><c>O_NONBLOCK</c> (opens a FIFO without waiting for a writer).</summary>
    public static int ONonBlock => Platform.Os == OsFamily.Linux ? O_NONBLOCK_LINUX : 0x4;

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int F_SETFD = 2;
    public const int FD_CLOEXEC = 1;
}
