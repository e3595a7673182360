using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Actors.Io.Native;

namespace Actors.Io.Tests.Native;

public sealed unsafe class NativeLayoutTests
{
    /// <summary>The offsets <see cref="KqueuePoller"/> reads and writes as literals (GetEvent / WriteChange).</summary>
    public static TheoryData<string, int> KqueuePollerOffsets => new()
    {
        { "Ident", 0 },
        { "Filter", 8 },
        { "Flags", 10 },
        { "FFlags", 12 },
        { "Data", 16 },
        { "UData", 24 },
    };

    [Fact]
    public void EpollEventPacked_Is12BytesWithDataAt4()
    {
        Assert.Equal(12, Unsafe.SizeOf<Epoll.EventPacked>());
        Assert.Equal(12, sizeof(Epoll.EventPacked));
        Assert.Equal(0, Offset<Epoll.EventPacked>(nameof(Epoll.EventPacked.Events)));
        Assert.Equal(4, Offset<Epoll.EventPacked>(nameof(Epoll.EventPacked.Data)));

        Epoll.EventPacked e = default;
        Assert.Equal(4, (byte*)&e.Data - (byte*)&e);
    }

    [Fact]
    public void EpollEventAligned_Is16BytesWithDataAt8()
    {
        Assert.Equal(16, Unsafe.SizeOf<Epoll.EventAligned>());
        Assert.Equal(16, sizeof(Epoll.EventAligned));
        Assert.Equal(0, Offset<Epoll.EventAligned>(nameof(Epoll.EventAligned.Events)));
        Assert.Equal(8, Offset<Epoll.EventAligned>(nameof(Epoll.EventAligned.Data)));

        Epoll.EventAligned e = default;
        Assert.Equal(8, (byte*)&e.Data - (byte*)&e);
    }

    [Fact]
    public void EpollEvent_IsPackedOnlyOnX86Family()
    {
        Assert.True(Epoll.UsesPackedEvent(Architecture.X64));
        Assert.True(Epoll.UsesPackedEvent(Architecture.X86));
        Assert.False(Epoll.UsesPackedEvent(Architecture.Arm64));
    }

    [Fact]
    public void EpollPoller_StackBuffersHoldEitherEventLayout()
    {
        // EpollPoller builds epoll_ctl arguments in `stackalloc byte[16]`.
        Assert.True(sizeof(Epoll.EventPacked) <= 16);
        Assert.True(sizeof(Epoll.EventAligned) <= 16);
    }

    [Fact]
    public void KEvent_Is32BytesWithKernelOffsets()
    {
        Assert.Equal(32, Unsafe.SizeOf<Kqueue.KEvent>());
        Assert.Equal(0, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.Ident)));
        Assert.Equal(8, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.Filter)));
        Assert.Equal(10, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.Flags)));
        Assert.Equal(12, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.FFlags)));
        Assert.Equal(16, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.Data)));
        Assert.Equal(24, Offset<Kqueue.KEvent>(nameof(Kqueue.KEvent.UData)));
    }

    [Fact]
    public void KEventFreeBsd12_Is64BytesWithKernelOffsets()
    {
        Assert.Equal(64, Unsafe.SizeOf<Kqueue.KEventFreeBsd12>());
        Assert.Equal(0, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Ident)));
        Assert.Equal(8, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Filter)));
        Assert.Equal(10, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Flags)));
        Assert.Equal(12, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.FFlags)));
        Assert.Equal(16, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Data)));
        Assert.Equal(8, sizeof(long));
        Assert.Equal(24, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.UData)));
        Assert.Equal(32, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Ext0)));
        Assert.Equal(40, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Ext1)));
        Assert.Equal(48, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Ext2)));
        Assert.Equal(56, Offset<Kqueue.KEventFreeBsd12>(nameof(Kqueue.KEventFreeBsd12.Ext3)));
    }

    [Theory]
    [MemberData(nameof(KqueuePollerOffsets))]
    public void KqueuePollerHardCodedOffsets_MatchBothKEventLayouts(string field, int offset)
    {
        Assert.Equal(offset, Offset<Kqueue.KEvent>(field));
        Assert.Equal(offset, Offset<Kqueue.KEventFreeBsd12>(field));
    }

    [Fact]
    public void KqueuePoller_StackBuffersHoldTheWideLayout()
    {
        // KqueuePoller writes one change into `stackalloc byte[64]` and two into `stackalloc byte[128]`.
        Assert.True(sizeof(Kqueue.KEventFreeBsd12) <= 64);
        Assert.True(2 * sizeof(Kqueue.KEventFreeBsd12) <= 128);
    }

    [Fact]
    public void TimeSpec_Is16Bytes()
    {
        Assert.Equal(16, Unsafe.SizeOf<Kqueue.TimeSpec>());
        Assert.Equal(0, Offset<Kqueue.TimeSpec>(nameof(Kqueue.TimeSpec.Seconds)));
        Assert.Equal(8, Offset<Kqueue.TimeSpec>(nameof(Kqueue.TimeSpec.Nanoseconds)));
    }

    [Fact]
    public void IoVec_Is16BytesWithBaseThenLength()
    {
        Assert.Equal(16, Unsafe.SizeOf<Sockets.IoVec>());
        Assert.Equal(0, Offset<Sockets.IoVec>(nameof(Sockets.IoVec.Base)));
        Assert.Equal(8, Offset<Sockets.IoVec>(nameof(Sockets.IoVec.Length)));
    }

    [Fact]
    public void MsgHdr_Is56BytesWithTheLinux64BitOffsets()
    {
        Assert.Equal(56, Unsafe.SizeOf<DatagramCalls.MsgHdr>());
        Assert.Equal(0, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.Name)));
        Assert.Equal(8, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.NameLength)));
        Assert.Equal(16, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.Iov)));
        Assert.Equal(24, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.IovLength)));
        Assert.Equal(32, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.Control)));
        Assert.Equal(40, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.ControlLength)));
        Assert.Equal(48, Offset<DatagramCalls.MsgHdr>(nameof(DatagramCalls.MsgHdr.Flags)));
    }

    [Fact]
    public void MMsgHdr_Is64BytesWithTheLengthAfterTheHeader()
    {
        Assert.Equal(64, Unsafe.SizeOf<DatagramCalls.MMsgHdr>());
        Assert.Equal(0, Offset<DatagramCalls.MMsgHdr>(nameof(DatagramCalls.MMsgHdr.Header)));
        Assert.Equal(56, Offset<DatagramCalls.MMsgHdr>(nameof(DatagramCalls.MMsgHdr.Length)));
    }

    [Fact]
    public void EvfiltUser_DiffersBetweenMacOsAndFreeBsd()
    {
        Assert.Equal(-10, Kqueue.EvfiltUser(OsFamily.MacOs));
        Assert.Equal(-11, Kqueue.EvfiltUser(OsFamily.FreeBsd));
    }

    [Fact]
    public void EpollConstants_MatchLinuxHeaders()
    {
        Assert.Equal(0x001u, Epoll.EPOLLIN);
        Assert.Equal(0x004u, Epoll.EPOLLOUT);
        Assert.Equal(0x008u, Epoll.EPOLLERR);
        Assert.Equal(0x010u, Epoll.EPOLLHUP);
        Assert.Equal(0x2000u, Epoll.EPOLLRDHUP);
        Assert.Equal(1u << 30, Epoll.EPOLLONESHOT);
        Assert.Equal(1u << 31, Epoll.EPOLLET);
        Assert.Equal(1, Epoll.EPOLL_CTL_ADD);
        Assert.Equal(2, Epoll.EPOLL_CTL_DEL);
        Assert.Equal(3, Epoll.EPOLL_CTL_MOD);
        Assert.Equal(0x80000, Epoll.EPOLL_CLOEXEC);
        Assert.Equal(0x80000, Epoll.EFD_CLOEXEC);
        Assert.Equal(0x800, Epoll.EFD_NONBLOCK);
    }

    [Fact]
    public void KqueueConstants_MatchBsdHeaders()
    {
        Assert.Equal(-1, Kqueue.EVFILT_READ);
        Assert.Equal(-2, Kqueue.EVFILT_WRITE);
        Assert.Equal(0x0001, Kqueue.EV_ADD);
        Assert.Equal(0x0002, Kqueue.EV_DELETE);
        Assert.Equal(0x0004, Kqueue.EV_ENABLE);
        Assert.Equal(0x0008, Kqueue.EV_DISABLE);
        Assert.Equal(0x0010, Kqueue.EV_ONESHOT);
        Assert.Equal(0x0020, Kqueue.EV_CLEAR);
        Assert.Equal(0x0040, Kqueue.EV_RECEIPT);
        Assert.Equal(0x0080, Kqueue.EV_DISPATCH);
        Assert.Equal(0x4000, Kqueue.EV_ERROR);
        Assert.Equal(0x8000, Kqueue.EV_EOF);
        Assert.Equal(0x01000000u, Kqueue.NOTE_TRIGGER);
        Assert.Equal(0x0001u, Kqueue.NOTE_LOWAT);
    }

    [Fact]
    public void SocketAndLibcConstants_MatchLinuxHeaders()
    {
        Assert.Equal(0, Sockets.SHUT_RD);
        Assert.Equal(1, Sockets.SHUT_WR);
        Assert.Equal(2, Sockets.SHUT_RDWR);
        Assert.Equal(1, Sockets.AF_UNIX);
        Assert.Equal(1, Sockets.SOCK_STREAM);
        Assert.Equal(0x800, Libc.O_NONBLOCK_LINUX);
        Assert.Equal(0x80000, Libc.O_CLOEXEC_LINUX);
        Assert.Equal(3, Libc.F_GETFL);
        Assert.Equal(4, Libc.F_SETFL);
        Assert.Equal(2, Libc.F_SETFD);
        Assert.Equal(1, Libc.FD_CLOEXEC);
    }

    [Fact]
    public void PlatformDependentSocketConstants_OnLinux()
    {
        Assert.Equal(OsFamily.Linux, Platform.Os);
        Assert.Equal(1, Sockets.SolSocket);
        Assert.Equal(4, Sockets.SoError);
        Assert.Equal(0x800 | 0x80000, Sockets.Accept4Flags);
    }

    private static int Offset<T>(string field) => (int)Marshal.OffsetOf<T>(field);
}
