using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>macOS and FreeBSD kqueue.</summary>
internal static unsafe partial class Kqueue
{
    public const short EVFILT_READ = -1;
    public const short EVFILT_WRITE = -2;

    /// <summary><c>EVFILT_USER</c> is -10 on macOS and -11 on FreeBSD.</summary>
    public static short EvfiltUser(OsFamily os) => os == OsFamily.MacOs ? (short)-10 : (short)-11;

    public const ushort EV_ADD = 0x0001;
    public const ushort EV_DELETE = 0x0002;
    public const ushort EV_ENABLE = 0x0004;
    public const ushort EV_DISABLE = 0x0008;
    public const ushort EV_ONESHOT = 0x0010;
    public const ushort EV_CLEAR = 0x0020;
    public const ushort EV_RECEIPT = 0x0040;
    public const ushort EV_DISPATCH = 0x0080;
    public const ushort EV_ERROR = 0x4000;
    public const ushort EV_EOF = 0x8000;

    /// <summary><c>NOTE_TRIGGER</c> fires an <c>EVFILT_USER</c> event.</summary>
    public const uint NOTE_TRIGGER = 0x01000000;

    /// <summary><c>NOTE_LOWAT</c>: the read filter fires only once this many bytes are buffered (EOF still fires).</summary>
    public const uint NOTE_LOWAT = 0x0001;

    /// <summary><c>struct kevent</c> on macOS and FreeBSD before 12 (64-bit): 32 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct KEvent
    {
        public nuint Ident;
        public short Filter;
        public ushort Flags;
        public uint FFlags;
        public nint Data;
        public nint UData;
    }

    /// <summary><c>struct kevent</c> on FreeBSD 12 and later (64-bit): 64-bit data and four extension words, 64 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct KEventFreeBsd12
    {
        public nuint Ident;
        public short Filter;
        public ushort Flags;
        public uint FFlags;
        public long Data;
        public nint UData;
        public ulong Ext0;
        public ulong Ext1;
        public ulong Ext2;
        public ulong Ext3;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [LibraryImport(Libc.Name, EntryPoint = "kqueue", SetLastError = true)]
    public static partial int Create();

    /// <summary><c>kevent(kq, changelist, nchanges, eventlist, nevents, timeout)</c>; the event structs are raw memory.</summary>
    [LibraryImport(Libc.Name, EntryPoint = "kevent", SetLastError = true)]
    public static partial int KEventCall(SafeHandle kq, void* changes, int nchanges, void* events, int nevents, TimeSpec* timeout);
}
