using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>
/// Linux backend: level-triggered <c>EPOLLONESHOT</c> registrations, <c>EPOLLRDHUP</c> for hang-up, and an eventfd waker.
/// </summary>
internal sealed unsafe class EpollPoller : IPoller
{
    private readonly FileDescriptorHandle _epoll;
    private readonly FileDescriptorHandle _eventFd;
    private readonly int _stride;
    private readonly int _dataOffset;
    private byte* _events;

    public EpollPoller(int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");
        bool packed = Epoll.UsesPackedEvent(Platform.Arch);
        _stride = packed ? sizeof(Epoll.EventPacked) : sizeof(Epoll.EventAligned);
        _dataOffset = packed ? 4 : 8;
        Capacity = capacity;

        int epfd = Epoll.Create1(Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) throw new IOException($"epoll_create1 failed: {Errno.Describe(Errno.Last)}");
        _epoll = new FileDescriptorHandle(epfd);

        int efd = Epoll.EventFd(0, Epoll.EFD_CLOEXEC | Epoll.EFD_NONBLOCK);
        if (efd < 0)
        {
            int err = Errno.Last;
            _epoll.Dispose();
            throw new IOException($"eventfd failed: {Errno.Describe(err)}");
        }

        _eventFd = new FileDescriptorHandle(efd);
        byte* ev = stackalloc byte[16];
        WriteEvent(ev, Epoll.EPOLLIN, IPoller.WakeToken);
        if (Epoll.Ctl(_epoll, Epoll.EPOLL_CTL_ADD, _eventFd, ev) != 0)
        {
            int err = Errno.Last;
            Dispose();
            throw new IOException($"epoll_ctl(ADD eventfd) failed: {Errno.Describe(err)}");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * _stride));
    }

    public string Backend => "epoll";

    public int Capacity { get; }

    public int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true) =>
        Control(Epoll.EPOLL_CTL_ADD, fd, Mask(interest, withHangUp: true, oneShot), token);

    public int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true) =>
        Control(Epoll.EPOLL_CTL_MOD, fd, Mask(interest, withHangUp, oneShot), token);

    public int Remove(SafeHandle fd)
    {
        byte* ev = stackalloc byte[16];
        WriteEvent(ev, 0, 0);
        try
        {
            return Epoll.Ctl(_epoll, Epoll.EPOLL_CTL_DEL, fd, ev) == 0 ? 0 : Errno.Last;
        }
        catch (ObjectDisposedException)
        {
            return Errno.EBADF;
        }
    }

    public int Wait(int timeoutMs)
    {
        int n;
        try
        {
            n = Epoll.Wait(_epoll, _events, Capacity, timeoutMs);
        }
        catch (ObjectDisposedException)
        {
            return -Errno.EBADF;
        }

        if (n >= 0) return n;
        int err = Errno.Last;
        return err == Errno.EINTR ? 0 : -err;
    }

    public void GetEvent(int index, out ulong token, out PollEvents events)
    {
        byte* e = _events + (index * _stride);
        uint bits = *(uint*)e;
        token = *(ulong*)(e + _dataOffset);
        PollEvents result = PollEvents.None;
        if ((bits & Epoll.EPOLLIN) != 0) result |= PollEvents.Readable;
        if ((bits & Epoll.EPOLLOUT) != 0) result |= PollEvents.Writable;
        if ((bits & Epoll.EPOLLRDHUP) != 0) result |= PollEvents.ReadHangUp;
        if ((bits & Epoll.EPOLLHUP) != 0) result |= PollEvents.HangUp;
        if ((bits & Epoll.EPOLLERR) != 0) result |= PollEvents.Error;
        events = result;
    }

    public void Wake()
    {
        ulong one = 1;
        try
        {
            _ = Libc.Write(_eventFd, (byte*)&one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // A wake racing the poller's disposal has nothing left to wake.
        }
    }

    public void ClearWake()
    {
        ulong value;
        try
        {
            _ = Libc.Read(_eventFd, (byte*)&value, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Disposed: nothing to clear.
        }
    }

    public void Dispose()
    {
        _epoll.Dispose();
        _eventFd.Dispose();
        if (_events != null)
        {
            NativeMemory.Free(_events);
            _events = null;
        }
    }

    private static uint Mask(PollInterest interest, bool withHangUp, bool oneShot)
    {
        uint mask = oneShot ? Epoll.EPOLLONESHOT : 0;
        if ((interest & PollInterest.Read) != 0) mask |= Epoll.EPOLLIN;
        if ((interest & PollInterest.Write) != 0) mask |= Epoll.EPOLLOUT;
        if (withHangUp) mask |= Epoll.EPOLLRDHUP;
        return mask;
    }

    private int Control(int op, SafeHandle fd, uint mask, ulong token)
    {
        byte* ev = stackalloc byte[16];
        WriteEvent(ev, mask, token);
        try
        {
            return Epoll.Ctl(_epoll, op, fd, ev) == 0 ? 0 : Errno.Last;
        }
        catch (ObjectDisposedException)
        {
            // The poller or the channel was closed under us: report it as the kernel would.
            return Errno.EBADF;
        }
    }

    private void WriteEvent(byte* ev, uint mask, ulong token)
    {
        *(uint*)ev = mask;
        *(ulong*)(ev + _dataOffset) = token;
    }
}
