using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Datagrams;

/// <summary>
/// The send side shared by the UDP socket actors: checks a send (size, target), hands it to the kernel with
/// <c>sendto</c>, and when the kernel's buffer is full keeps it (bounded by <c>max-queued-sends</c>) until
/// <see cref="Flush"/> on the next <see cref="Writable"/>. Acks go to the sender of each send once the kernel took it;
/// failures are answered with the command's own failure message. The last target's socket address is kept, so repeated
/// sends to one peer serialize nothing.
/// </summary>
internal sealed unsafe class DatagramSendQueue
{
    private readonly UdpSettings _settings;
    private readonly Selector _selector;
    private Entry[] _entries;
    private readonly byte[] _address = GC.AllocateArray<byte>(DatagramCalls.SockAddrStorageSize, pinned: true);
    private int _addressLength;
    private EndPointSnapshot _addressOf;
    private int _head;
    private int _count;

    /// <summary>Creates the queue.</summary>
    public DatagramSendQueue(UdpSettings settings, Selector selector)
    {
        _settings = settings;
        _selector = selector;
        _entries = new Entry[Math.Min(settings.MaxQueuedSends, 64)];
    }

    /// <summary>Datagrams waiting for the kernel.</summary>
    public int Count => _count;

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="target"/> (null on a connected socket), or queues it.
    /// Returns true when the caller must arm <see cref="Interest.Write"/> (the kernel's buffer is full).
    /// </summary>
    public bool Send(Socket socket, IProtocolCommand command, ByteString payload, EndPoint? target, object? ack, IActorRef commander, IActorRef self)
    {
        if (payload.Count > _settings.MaxDatagramSize)
        {
            Fail(commander, self, command, new SocketException(
                (int)SocketError.MessageSize,
                $"The datagram of {payload.Count} bytes is larger than actors-io.udp.max-datagram-size = {_settings.MaxDatagramSize} bytes; it was not sent."));
            return false;
        }

        if (target is not null && Check(socket, target) is { } bad)
        {
            Fail(commander, self, command, bad);
            return false;
        }

        if (_count > 0)
        {
            if (_count >= _settings.MaxQueuedSends)
            {
                Fail(commander, self, command, new InvalidOperationException(
                    $"{_count} datagrams already wait for the kernel's send buffer (actors-io.udp.max-queued-sends = {_settings.MaxQueuedSends}); the send was dropped."));
                return false;
            }

            Enqueue(new Entry(command, payload, target, ack, commander));
            return false;
        }

        int errno = SendNow(socket, payload, target);
        if (errno == 0)
        {
            if (ack is not null) commander.Tell(ack, self);
            return false;
        }

        if (Errno.IsWouldBlock(errno))
        {
            Enqueue(new Entry(command, payload, target, ack, commander));
            return true;
        }

        Fail(commander, self, command, SendError(errno, payload.Count, target ?? socket.RemoteEndPoint));
        return false;
    }

    /// <summary>Sends what is queued, in order, until the kernel is full again (returns true: arm Writable) or the queue is empty.</summary>
    public bool Flush(Socket socket, IActorRef self)
    {
        while (_count > 0)
        {
            ref Entry entry = ref _entries[_head];
            int errno = SendNow(socket, entry.Payload, entry.Target);
            if (Errno.IsWouldBlock(errno)) return true;
            if (errno == 0)
            {
                if (entry.Ack is not null) entry.Commander.Tell(entry.Ack, self);
            }
            else
            {
                Fail(entry.Commander, self, entry.Command, SendError(errno, entry.Payload.Count, entry.Target ?? socket.RemoteEndPoint));
            }

            entry = default;
            _head = (_head + 1) % _entries.Length;
            _count--;
        }

        return false;
    }

    /// <summary>Answers every queued send with a failure (the socket is closing).</summary>
    public void FailAll(IActorRef self, string reason)
    {
        while (_count > 0)
        {
            ref Entry entry = ref _entries[_head];
            Fail(entry.Commander, self, entry.Command, new InvalidOperationException(reason));
            entry = default;
            _head = (_head + 1) % _entries.Length;
            _count--;
        }
    }

    private int SendNow(Socket socket, ByteString payload, EndPoint? target)
    {
        byte* address = null;
        int addressLength = 0;
        if (target is not null)
        {
            Resolve(socket, target);
            addressLength = _addressLength;
        }

        ReadOnlySpan<byte> data = payload.ToReadOnlySpan();
        while (true)
        {
            nint sent;
            fixed (byte* p = data)
            fixed (byte* a = _address)
            {
                if (target is not null) address = a;
                sent = DatagramCalls.SendTo(socket.SafeHandle, p, (nuint)data.Length, 0, address, addressLength);
            }

            if (sent >= 0)
            {
                SelectorCounters.Add(ref _selector.Counters.BytesWritten, sent);
                return 0;
            }

            int errno = Errno.Last;
            if (errno != Errno.EINTR) return errno;
        }
    }

    /// <summary>
    /// Serializes <paramref name="target"/> into the address buffer unless its value is the one already there. Compared
    /// with a snapshot, not by reference: the caller may have changed an <see cref="IPEndPoint"/> it sent to before.
    /// </summary>
    private void Resolve(Socket socket, EndPoint target)
    {
        if (_addressOf.Matches(target)) return;
        var ip = (IPEndPoint)target;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && ip.AddressFamily == AddressFamily.InterNetwork)
        {
            ip = new IPEndPoint(ip.Address.MapToIPv6(), ip.Port);
        }

        SocketAddress serialized = ip.Serialize();
        serialized.Buffer.Span[..serialized.Size].CopyTo(_address);
        _addressLength = serialized.Size;
        _addressOf = EndPointSnapshot.Of((IPEndPoint)target);
    }

    /// <summary>Why <paramref name="target"/> cannot be sent to from <paramref name="socket"/>, or null.</summary>
    private static Exception? Check(Socket socket, EndPoint target)
    {
        if (target is not IPEndPoint ip)
        {
            return new NotSupportedException(
                $"Sending to {target} ({target.GetType().Name}) is not supported; send to an IPEndPoint (resolve a DnsEndPoint with System.Net.Dns first).");
        }

        if (ip.AddressFamily == socket.AddressFamily) return null;
        if (socket.AddressFamily == AddressFamily.InterNetworkV6 && ip.AddressFamily == AddressFamily.InterNetwork && socket.DualMode) return null;
        return new SocketException(
            (int)SocketError.AddressFamilyNotSupported,
            $"The target {ip} is {ip.AddressFamily}; this socket is {socket.AddressFamily}{(socket.AddressFamily == AddressFamily.InterNetworkV6 ? " without IPv4 mapping" : string.Empty)}.");
    }

    private static SocketException SendError(int errno, int length, EndPoint? target) =>
        new((int)Errno.ToSocketError(errno), $"Sending {length} bytes to {target?.ToString() ?? "the peer"} failed: {Errno.Describe(errno)}");

    private void Fail(IActorRef commander, IActorRef self, IProtocolCommand command, Exception cause) =>
        commander.Tell(command.FailureMessage(cause), self);

    private void Enqueue(Entry entry)
    {
        if (_count == _entries.Length) Grow();
        _entries[(_head + _count) % _entries.Length] = entry;
        _count++;
    }

    private void Grow()
    {
        var bigger = new Entry[_entries.Length * 2];
        for (int i = 0; i < _count; i++) bigger[i] = _entries[(_head + i) % _entries.Length];
        _head = 0;
        _entries = bigger;
    }

    private readonly record struct Entry(IProtocolCommand Command, ByteString Payload, EndPoint? Target, object? Ack, IActorRef Commander);
}

/// <summary>
/// The value of an <see cref="IPEndPoint"/> at one moment, held without allocating, to tell later whether a caller's
/// endpoint (mutable: its <c>Port</c> and <c>Address</c> can be set) still has that value.
/// </summary>
internal struct EndPointSnapshot
{
    private Address16 _address;
    private int _addressLength;
    private int _port;
    private long _scopeId;
    private bool _taken;

    /// <summary>The value of <paramref name="endPoint"/> now.</summary>
    public static EndPointSnapshot Of(IPEndPoint endPoint)
    {
        var snapshot = new EndPointSnapshot { _port = endPoint.Port, _scopeId = ScopeOf(endPoint.Address), _taken = true };
        endPoint.Address.TryWriteBytes(snapshot._address, out snapshot._addressLength);
        return snapshot;
    }

    /// <summary>True when <paramref name="endPoint"/> is an <see cref="IPEndPoint"/> with the value this snapshot holds.</summary>
    public readonly bool Matches(EndPoint? endPoint)
    {
        if (!_taken || endPoint is not IPEndPoint ip || ip.Port != _port || ScopeOf(ip.Address) != _scopeId) return false;
        Span<byte> bytes = stackalloc byte[16];
        return ip.Address.TryWriteBytes(bytes, out int length)
            && length == _addressLength
            && bytes[..length].SequenceEqual(((ReadOnlySpan<byte>)_address)[..length]);
    }

    private static long ScopeOf(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6 ? address.ScopeId : 0;

    [InlineArray(16)]
    private struct Address16
    {
        private byte _first;
    }
}
