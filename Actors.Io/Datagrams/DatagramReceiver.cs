using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Actors.Io.Native;

namespace Actors.Io.Datagrams;

/// <summary>
/// Receives for one socket into the calling thread's receive slots (<see cref="ReceiveSlots"/>): per slot a
/// <c>mmsghdr</c>, an <c>iovec</c>, a <c>sockaddr_storage</c> and <c>max-datagram-size</c> bytes. Reads up to a batch of
/// datagrams with one <c>recvmmsg</c> on Linux, one <c>recvfrom</c> elsewhere (and on Linux once <c>recvmmsg</c> proved unusable); the datagrams of one
/// <see cref="Receive"/> are read out (<see cref="Data"/>, <see cref="Sender"/>) before the thread receives again. The
/// sender's <see cref="EndPoint"/> is made only when its address differs from the previous datagram's, so a steady peer
/// costs no allocation.
/// </summary>
internal sealed unsafe class DatagramReceiver
{
    private readonly int _slots;
    private readonly int _slotSize;
    private readonly IPEndPoint _template;
    private readonly RecvMmsgCalls _recvMmsg;
    private readonly byte[] _lastName = new byte[DatagramCalls.SockAddrStorageSize];
    private int _lastNameLength = -1;
    private IPEndPoint? _lastSender;
    private EndPointSnapshot _lastSnapshot;
    private ReceiveSlots? _current;

    /// <param name="slots">Datagrams one <c>recvmmsg</c> reads at most.</param>
    /// <param name="slotSize">Bytes per datagram (<c>max-datagram-size</c>).</param>
    /// <param name="family">The socket's address family.</param>
    /// <param name="recvMmsg">The <c>recvmmsg</c> call and its switch (<see cref="UdpSettings.RecvMmsg"/>).</param>
    public DatagramReceiver(int slots, int slotSize, AddressFamily family, RecvMmsgCalls recvMmsg)
    {
        _slots = DatagramCalls.HasRecvMmsg ? slots : 1;
        _slotSize = slotSize;
        _recvMmsg = recvMmsg;
        _template = new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
    }

    /// <summary>Datagrams one <see cref="Receive"/> reads at most (1 once the process uses <c>recvfrom</c>).</summary>
    public int Slots => _recvMmsg.InUse ? _slots : 1;

    /// <summary>
    /// The errno with which <c>recvmmsg</c> proved unusable when this receiver switched it off (for the process, unless the
    /// settings name another switch)
    /// (the caller logs it once and sets it back to 0); 0 otherwise.
    /// </summary>
    public int SwitchedToRecvFrom { get; set; }

    /// <summary>
    /// Reads up to <paramref name="max"/> datagrams (at most <see cref="Slots"/>) without blocking. Returns how many, or -1
    /// with <paramref name="errno"/> set (EAGAIN when there are none).
    /// </summary>
    public int Receive(SafeHandle fd, int max, bool wantSender, out int errno)
    {
        ReceiveSlots slots = _current = ReceiveSlots.ForCurrentThread(_slots, _slotSize);
        errno = 0;
        if (_recvMmsg.InUse)
        {
            int count = Math.Min(max, _slots);
            for (int i = 0; i < count; i++)
            {
                ref DatagramCalls.MsgHdr header = ref slots.Headers[i].Header;
                header.Name = wantSender ? slots.Names + (i * DatagramCalls.SockAddrStorageSize) : null;
                header.NameLength = wantSender ? DatagramCalls.SockAddrStorageSize : 0;
                header.Flags = 0;
            }

            int n = _recvMmsg.Receive(fd, slots.Headers, (uint)count, out errno);
            if (n >= 0) return n;
            if (!_recvMmsg.Unusable(errno)) return -1;

            // Refused as a call (seccomp, an old kernel): recvfrom from now on, for every socket; this read retries with it.
            if (_recvMmsg.TurnOff()) SwitchedToRecvFrom = errno;
            errno = 0;
        }

        // A slot and one byte more: a longer datagram shows as cut short without MSG_TRUNC, which the BSDs' recvfrom lacks.
        int nameLength = DatagramCalls.SockAddrStorageSize;
        nint read = DatagramCalls.RecvFrom(fd, slots.Data, (nuint)_slotSize + 1, 0, wantSender ? slots.Names : null, wantSender ? &nameLength : null);
        if (read < 0)
        {
            errno = Errno.Last;
            return -1;
        }

        slots.Headers[0].Length = (uint)read;
        slots.Headers[0].Header.NameLength = nameLength;
        slots.Headers[0].Header.Flags = read > _slotSize ? DatagramCalls.MsgTrunc : 0;
        return 1;
    }

    /// <summary>True when datagram <paramref name="i"/> was longer than a slot (only its first bytes are held).</summary>
    public bool Truncated(int i) => (_current!.Headers[i].Header.Flags & DatagramCalls.MsgTrunc) != 0;

    /// <summary>The bytes of datagram <paramref name="i"/> of the last <see cref="Receive"/>.</summary>
    public Span<byte> Data(int i) => new(_current!.Data + (i * _slotSize), (int)Math.Min(_current.Headers[i].Length, (uint)_slotSize));

    /// <summary>
    /// The sender of datagram <paramref name="i"/>; the previous instance when the address is the same and that instance
    /// still holds it. <see cref="IPEndPoint"/> is mutable: one a handler changed no longer matches the snapshot taken
    /// when it was made, and is never handed out again.
    /// </summary>
    public EndPoint Sender(int i)
    {
        ReceiveSlots slots = _current!;
        int length = slots.Headers[i].Header.NameLength;
        var name = new ReadOnlySpan<byte>(slots.Names + (i * DatagramCalls.SockAddrStorageSize), Math.Min(length, DatagramCalls.SockAddrStorageSize));
        if (_lastSender is not null && length == _lastNameLength && name.SequenceEqual(_lastName.AsSpan(0, length)) && _lastSnapshot.Matches(_lastSender))
        {
            return _lastSender;
        }

        var address = new SocketAddress(_template.AddressFamily, name.Length);
        name.CopyTo(address.Buffer.Span);
        _lastSender = (IPEndPoint)_template.Create(address);
        _lastSnapshot = EndPointSnapshot.Of(_lastSender);
        name.CopyTo(_lastName);
        _lastNameLength = length;
        return _lastSender;
    }
}

/// <summary>
/// One thread's receive slots, shared by every UDP socket whose actor runs on that thread (an event loop runs one actor
/// at a time, and each copies its datagrams out before it returns), like TCP's per-thread read buffer: a socket holds no
/// receive memory of its own. A pinned array, so it goes with its thread.
/// </summary>
internal sealed unsafe class ReceiveSlots
{
    [ThreadStatic]
    private static ReceiveSlots? _forThread;

    private readonly byte[] _block;

    private ReceiveSlots(int slots, int slotSize)
    {
        SlotCount = slots;
        SlotSize = slotSize;
        int headers = slots * sizeof(DatagramCalls.MMsgHdr);
        int iovecs = slots * sizeof(Sockets.IoVec);
        int names = slots * DatagramCalls.SockAddrStorageSize;
        // One spare byte after the last slot, for recvfrom's extra byte.
        _block = GC.AllocateUninitializedArray<byte>(headers + iovecs + names + (slots * slotSize) + 1, pinned: true);
        byte* block = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_block));
        Headers = (DatagramCalls.MMsgHdr*)block;
        var iov = (Sockets.IoVec*)(block + headers);
        Names = block + headers + iovecs;
        Data = Names + names;
        for (int i = 0; i < slots; i++)
        {
            iov[i].Base = Data + (i * slotSize);
            iov[i].Length = (nuint)slotSize;
            Headers[i] = default;
            Headers[i].Header.Iov = &iov[i];
            Headers[i].Header.IovLength = 1;
        }
    }

    public int SlotCount { get; }

    public int SlotSize { get; }

    public DatagramCalls.MMsgHdr* Headers { get; }

    public byte* Names { get; }

    public byte* Data { get; }

    /// <summary>The calling thread's slots, made (or remade larger) when they do not fit.</summary>
    public static ReceiveSlots ForCurrentThread(int slots, int slotSize)
    {
        ReceiveSlots? current = _forThread;
        if (current is not null && current.SlotCount >= slots && current.SlotSize == slotSize) return current;
        return _forThread = new ReceiveSlots(Math.Max(slots, current?.SlotSize == slotSize ? current.SlotCount : 0), slotSize);
    }
}
