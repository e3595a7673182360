using System.Runtime.InteropServices;

namespace Actors.Io.Native;

/// <summary>
/// <c>recvmmsg</c> as the datagram receivers call it, with the switch that turns it off for every receiver sharing this
/// instance once the call itself proves unusable (seccomp, an old kernel). <see cref="Process"/> is the instance of
/// <see cref="UdpSettings.RecvMmsg"/>, so in production one refusal moves the whole process to <c>recvfrom</c>.
/// </summary>
internal unsafe class RecvMmsgCalls
{
    private int _off;

    /// <summary>The process's: every receiver's unless the settings name another.</summary>
    public static RecvMmsgCalls Process { get; } = new();

    /// <summary>True while receives use <c>recvmmsg</c>: where it exists (<see cref="DatagramCalls.HasRecvMmsg"/>), until
    /// it is turned off.</summary>
    public bool InUse => DatagramCalls.HasRecvMmsg && Volatile.Read(ref _off) == 0;

    /// <summary>Turns <c>recvmmsg</c> off; true for the one caller that turned it off (it logs).</summary>
    public bool TurnOff() => Interlocked.Exchange(ref _off, 1) == 0;

    /// <summary>Reads up to <paramref name="count"/> datagrams; returns how many, or -1 with <paramref name="errno"/> set.</summary>
    public virtual int Receive(SafeHandle fd, DatagramCalls.MMsgHdr* messages, uint count, out int errno)
    {
        int n = DatagramCalls.RecvMmsg(fd, messages, count, 0, null);
        errno = n < 0 ? Errno.Last : 0;
        return n;
    }

    /// <inheritdoc cref="DatagramCalls.RecvMmsgUnusable"/>
    public virtual bool Unusable(int errno) => DatagramCalls.RecvMmsgUnusable(errno);
}
