using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>
/// macOS / FreeBSD backend: separate, level-triggered <c>EVFILT_READ</c> and <c>EVFILT_WRITE</c> filters enabled or
/// disabled by <see cref="Modify"/> (the <c>oneShot</c> hint is not needed here: every condition can be disabled), and an
/// <c>EVFILT_USER</c> waker.
/// While reading is not armed the read filter stays enabled with a huge <c>NOTE_LOWAT</c>, so it reports only EOF and
/// errors: a peer's close is seen even while reading is suspended.
/// </summary>
internal sealed unsafe class KqueuePoller : IPoller
{
    private const ulong WakeIdent = 0;
    private const int HangUpOnlyLowWater = int.MaxValue;

    private readonly FileDescriptorHandle _kq;
    private readonly short _evfiltUser;
    private readonly bool _wide;
    private readonly int _stride;
    private byte* _events;

    public KqueuePoller(int capacity, OsFamily os, bool freeBsd12OrLater)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");
        Capacity = capacity;
        _evfiltUser = Kqueue.EvfiltUser(os);
        _wide = os == OsFamily.FreeBsd && freeBsd12OrLater;
        _stride = _wide ? sizeof(Kqueue.KEventFreeBsd12) : sizeof(Kqueue.KEvent);

        int kq = Kqueue.Create();
        if (kq < 0) throw new IOException($"kqueue failed: {Errno.Describe(Errno.Last)}");
        _kq = new FileDescriptorHandle(kq);

        byte* change = stackalloc byte[64];
        WriteChange(change, (nuint)WakeIdent, _evfiltUser, Kqueue.EV_ADD | Kqueue.EV_CLEAR, 0, 0, IPoller.WakeToken);
        if (Kqueue.KEventCall(_kq, change, 1, null, 0, null) < 0)
        {
            int err = Errno.Last;
            _kq.Dispose();
            throw new IOException($"kevent(EVFILT_USER) failed: {Errno.Describe(err)}");
        }

        _events = (byte*)NativeMemory.AllocZeroed((nuint)(capacity * _stride));
    }

    public string Backend => "kqueue";

    public int Capacity { get; }

    public int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true) =>
        Apply(fd, token, interest, withHangUp: true, oneShot);

    public int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true) =>
        Apply(fd, token, interest, withHangUp, oneShot);

    public int Remove(SafeHandle fd)
    {
        nuint ident = (nuint)fd.DangerousGetHandle();
        byte* changes = stackalloc byte[128];
        WriteChange(changes, ident, Kqueue.EVFILT_READ, Kqueue.EV_DELETE, 0, 0, 0);
        WriteChange(changes + _stride, ident, Kqueue.EVFILT_WRITE, Kqueue.EV_DELETE, 0, 0, 0);
        return Submit(fd, changes, 2);
    }

    public int Wait(int timeoutMs)
    {
        Kqueue.TimeSpec ts;
        Kqueue.TimeSpec* timeout = null;
        if (timeoutMs >= 0)
        {
            ts.Seconds = timeoutMs / 1000;
            ts.Nanoseconds = (timeoutMs % 1000) * 1_000_000;
            timeout = &ts;
        }

        int n;
        try
        {
            n = Kqueue.KEventCall(_kq, null, 0, _events, Capacity, timeout);
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
        short filter = *(short*)(e + 8);
        ushort flags = *(ushort*)(e + 10);
        uint fflags = *(uint*)(e + 12);
        token = *(ulong*)(e + 24);
        PollEvents result = PollEvents.None;
        if (filter == Kqueue.EVFILT_READ)
        {
            long available = _wide ? *(long*)(e + 16) : *(nint*)(e + 16);
            if (available > 0 || (flags & Kqueue.EV_EOF) == 0) result |= PollEvents.Readable;
            if ((flags & Kqueue.EV_EOF) != 0)
            {
                result |= PollEvents.ReadHangUp | PollEvents.Readable;
                if (fflags != 0) result |= PollEvents.Error;
            }
        }
        else if (filter == Kqueue.EVFILT_WRITE)
        {
            result |= PollEvents.Writable;
            if ((flags & Kqueue.EV_EOF) != 0) result |= PollEvents.HangUp;
        }

        if ((flags & Kqueue.EV_ERROR) != 0) result |= PollEvents.Error;
        events = result;
    }

    public void Wake()
    {
        byte* change = stackalloc byte[64];
        WriteChange(change, (nuint)WakeIdent, _evfiltUser, 0, Kqueue.NOTE_TRIGGER, 0, IPoller.WakeToken);
        try
        {
            _ = Kqueue.KEventCall(_kq, change, 1, null, 0, null);
        }
        catch (ObjectDisposedException)
        {
            // A wake racing the poller's disposal has nothing left to wake.
        }
    }

    public void ClearWake()
    {
        // EV_CLEAR resets the user event when it is reported.
    }

    public void Dispose()
    {
        _kq.Dispose();
        if (_events != null)
        {
            NativeMemory.Free(_events);
            _events = null;
        }
    }

    private int Apply(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot)
    {
        nuint ident = (nuint)fd.DangerousGetHandle();
        byte* changes = stackalloc byte[128];
        // kqueue keeps the EV_DISPATCH flag a filter was created with, so filters stay persistent and one-shot is not
        // needed: unlike epoll's hang-up and error, everything here can be disabled, so narrowing never spins.
        _ = oneShot;
        const ushort armed = Kqueue.EV_ADD | Kqueue.EV_ENABLE;
        int n = 0;
        if ((interest & PollInterest.Read) != 0)
        {
            WriteChange(changes, ident, Kqueue.EVFILT_READ, armed, 0, 0, token);
            n++;
        }
        else if (withHangUp)
        {
            WriteChange(changes, ident, Kqueue.EVFILT_READ, armed, Kqueue.NOTE_LOWAT, HangUpOnlyLowWater, token);
            n++;
        }
        else
        {
            WriteChange(changes, ident, Kqueue.EVFILT_READ, Kqueue.EV_ADD | Kqueue.EV_DISABLE, 0, 0, token);
            n++;
        }

        ushort writeFlags = (interest & PollInterest.Write) != 0
            ? armed
            : (ushort)(Kqueue.EV_ADD | Kqueue.EV_DISABLE);
        WriteChange(changes + (n * _stride), ident, Kqueue.EVFILT_WRITE, writeFlags, 0, 0, token);
        n++;
        return Submit(fd, changes, n);
    }

    private int Submit(SafeHandle fd, byte* changes, int count)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            return Kqueue.KEventCall(_kq, changes, count, null, 0, null) < 0 ? Errno.Last : 0;
        }
        catch (ObjectDisposedException)
        {
            return Errno.EBADF;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    private void WriteChange(byte* e, nuint ident, short filter, ushort flags, uint fflags, long data, ulong token)
    {
        new Span<byte>(e, _stride).Clear();
        *(nuint*)e = ident;
        *(short*)(e + 8) = filter;
        *(ushort*)(e + 10) = flags;
        *(uint*)(e + 12) = fflags;
        if (_wide) *(long*)(e + 16) = data;
        else *(nint*)(e + 16) = (nint)data;
        *(ulong*)(e + 24) = token;
    }
}
