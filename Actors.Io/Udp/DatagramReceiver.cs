using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;

namespace Actors.Io.Transport;

/// <summary>
/// One socket's receive slots in native memory (allocated once, freed by <see cref="Dispose"/>): per slot a
/// <c>mmsghdr</c>, an <c>iovec</c>, a <c>sockaddr_storage</c> and <c>max-datagram-size</c> bytes. Reads up to a batch of
/// datagrams with one <c>recvmmsg</c> on Linux, one <c>recvfrom</c> elsewhere. The sender's <see cref="EndPoint"/> is
/// made only when its address differs from the previous datagram's, so a steady peer costs no allocation.
/// </summary>
internal sealed unsafe class DatagramReceiver : IDisposable
{
    private readonly int _slots;
    private readonly int _slotSize;
    private readonly IPEndPoint _template;
    private readonly AddressFamily _family;
    private readonly byte[] _lastName = new byte[Datagrams.SockAddrStorageSize];
    private int _lastNameLength = -1;
    private EndPoint? _lastSender;
    private byte* _block;
    private Datagrams.MMsgHdr* _headers;
    private byte* _names;
    private byte* _data;

    public DatagramReceiver(int slots, int slotSize, AddressFamily family)
    {
        _slots = Datagrams.HasRecvMmsg ? slots : 1;
        _slotSize = slotSize;
        _family = family;
        _template = new IPEndPoint(family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        nuint headers = (nuint)(_slots * sizeof(Datagrams.MMsgHdr));
        nuint iovecs = (nuint)(_slots * sizeof(Sockets.IoVec));
        nuint names = (nuint)(_slots * Datagrams.SockAddrStorageSize);
        _block = (byte*)NativeMemory.AlignedAlloc(headers + iovecs + names + (nuint)(_slots * slotSize), 64);
        _headers = (Datagrams.MMsgHdr*)_block;
        var iov = (Sockets.IoVec*)(_block + headers);
        _names = _block + headers + iovecs;
        _data = _names + names;
        for (int i = 0; i < _slots; i++)
        {
            iov[i].Base = _data + (i * slotSize);
            iov[i].Length = (nuint)slotSize;
            _headers[i] = default;
            _headers[i].Header.Iov = &iov[i];
            _headers[i].Header.IovLength = 1;
        }
    }

    /// <summary>Datagrams one <see cref="Receive"/> reads at most.</summary>
    public int Slots => _slots;

    /// <summary>
    /// Reads up to <paramref name="max"/> datagrams (at most <see cref="Slots"/>) without blocking. Returns how many, or -1
    /// with <paramref name="errno"/> set (EAGAIN when there are none).
    /// </summary>
    public int Receive(SafeHandle fd, int max, bool wantSender, out int errno)
    {
        errno = 0;
        int count = Math.Min(max, _slots);
        if (Datagrams.HasRecvMmsg)
        {
            for (int i = 0; i < count; i++)
            {
                ref Datagrams.MsgHdr header = ref _headers[i].Header;
                header.Name = wantSender ? _names + (i * Datagrams.SockAddrStorageSize) : null;
                header.NameLength = wantSender ? Datagrams.SockAddrStorageSize : 0;
                header.Flags = 0;
            }

            int n = Datagrams.RecvMmsg(fd, _headers, (uint)count, 0, null);
            if (n < 0) errno = Errno.Last;
            return n;
        }

        int nameLength = Datagrams.SockAddrStorageSize;
        nint read = Datagrams.RecvFrom(fd, _data, (nuint)_slotSize, Platform.Os == OsFamily.Linux ? Datagrams.MsgTrunc : 0, wantSender ? _names : null, wantSender ? &nameLength : null);
        if (read < 0)
        {
            errno = Errno.Last;
            return -1;
        }

        // With MSG_TRUNC (Linux) recvfrom returns the datagram's real length, so a longer one is seen as cut short.
        _headers[0].Length = (uint)Math.Min(read, int.MaxValue);
        _headers[0].Header.NameLength = nameLength;
        _headers[0].Header.Flags = read > _slotSize ? Datagrams.MsgTrunc : 0;
        return 1;
    }

    /// <summary>True when datagram <paramref name="i"/> was longer than a slot (only its first bytes are held).</summary>
    public bool Truncated(int i) => (_headers[i].Header.Flags & Datagrams.MsgTrunc) != 0;

    /// <summary>The bytes of datagram <paramref name="i"/> of the last <see cref="Receive"/>.</summary>
    public Span<byte> Data(int i) => new(_data + (i * _slotSize), (int)Math.Min(_headers[i].Length, (uint)_slotSize));

    /// <summary>The sender of datagram <paramref name="i"/>; the previous instance when the address is the same.</summary>
    public EndPoint Sender(int i)
    {
        int length = _headers[i].Header.NameLength;
        var name = new ReadOnlySpan<byte>(_names + (i * Datagrams.SockAddrStorageSize), Math.Min(length, Datagrams.SockAddrStorageSize));
        if (_lastSender is not null && length == _lastNameLength && name.SequenceEqual(_lastName.AsSpan(0, length))) return _lastSender;
        var address = new SocketAddress(_family, name.Length);
        name.CopyTo(address.Buffer.Span);
        _lastSender = _template.Create(address);
        name.CopyTo(_lastName);
        _lastNameLength = length;
        return _lastSender;
    }

    public void Dispose()
    {
        if (_block is null) return;
        NativeMemory.AlignedFree(_block);
        _block = null;
        _headers = null;
        _names = null;
        _data = null;
    }
}
