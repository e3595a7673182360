using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>Datagram calls: <c>recvfrom</c> / <c>sendto</c> everywhere, <c>recvmmsg</c> on Linux (several datagrams per call).</summary>
internal static unsafe partial class DatagramCalls
{
    /// <summary><c>MSG_TRUNC</c> in <see cref="MsgHdr.Flags"/>: the datagram was longer than the buffer (Linux 0x20, BSDs 0x10).</summary>
    public static int MsgTrunc => Platform.Os == OsFamily.Linux ? 0x20 : 0x10;

    /// <summary>Room for any socket address (<c>sizeof(struct sockaddr_storage)</c>).</summary>
    public const int SockAddrStorageSize = 128;

    /// <summary>True where <see cref="RecvMmsg"/> exists with the <see cref="MsgHdr"/> layout below (Linux, 64-bit).</summary>
    public static bool HasRecvMmsg => Platform.Os == OsFamily.Linux && IntPtr.Size == 8;

    /// <summary>
    /// True when <paramref name="errno"/> from <see cref="RecvMmsg"/> says the call itself is unusable here, not that the
    /// socket failed: ENOSYS, or EPERM / EINVAL from a sandbox's filter. For the last two a probe on no descriptor tells
    /// them apart: a usable call answers it with EBADF.
    /// </summary>
    public static bool RecvMmsgUnusable(int errno)
    {
        if (errno == Errno.ENOSYS) return true;
        if (errno != Errno.EPERM && errno != Errno.EINVAL) return false;
        return RecvMmsgOnNoDescriptor(-1, null, 0, 0, null) >= 0 || Errno.Last != Errno.EBADF;
    }

    /// <summary><c>struct msghdr</c> of 64-bit Linux: 56 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public byte* Name;
        public int NameLength;
        public Sockets.IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary><c>struct mmsghdr</c> of 64-bit Linux: a <see cref="MsgHdr"/> and the received length, 64 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [LibraryImport(Libc.Name, EntryPoint = "recvfrom", SetLastError = true)]
    public static partial nint RecvFrom(SafeHandle fd, byte* buffer, nuint length, int flags, byte* address, int* addressLength);

    [LibraryImport(Libc.Name, EntryPoint = "sendto", SetLastError = true)]
    public static partial nint SendTo(SafeHandle fd, byte* buffer, nuint length, int flags, byte* address, int addressLength);

    [LibraryImport(Libc.Name, EntryPoint = "recvmmsg", SetLastError = true)]
    public static partial int RecvMmsg(SafeHandle fd, MMsgHdr* messages, uint count, int flags, void* timeout);

    [LibraryImport(Libc.Name, EntryPoint = "recvmmsg", SetLastError = true)]
    private static partial int RecvMmsgOnNoDescriptor(int fd, MMsgHdr* messages, uint count, int flags, void* timeout);
}
