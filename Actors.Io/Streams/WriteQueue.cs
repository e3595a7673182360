using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Streams;

/// <summary>
/// A connection's writes that the kernel has not taken yet, in order, with their acks. The queue keeps the callers'
/// <see cref="ByteString"/> segments and leased buffers (no copy) and hands as many as fit to the kernel in one gathered <c>writev</c>.
/// It keeps its selector's queued-bytes and bytes-written counters true itself.
/// </summary>
internal sealed class WriteQueue(SelectorCounters counters)
{
    // Allocated on the first write: an idle connection holds no queue.
    private Entry[] _entries = [];
    private int _head;
    private int _count;
    private IActorRef? _resumeRequester;

    /// <summary>Bytes queued and not yet taken by the kernel.</summary>
    public long Bytes { get; private set; }

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    /// <summary>True while Write interest is armed for what the kernel did not take (until the next Writable).</summary>
    public bool Armed { get; set; }

    /// <summary>True after a NACK (with ResumeWriting in use) until the queue drains after ResumeWriting.</summary>
    public bool Suspended { get; private set; }

    /// <summary>
    /// Queues <paramref name="write"/> (every part of a compound write) unless writing is suspended or the queue already
    /// holds bytes and the write would pass <paramref name="maxPendingBytes"/>: that NACK suspends writing when
    /// <paramref name="suspendOnNack"/>.
    /// </summary>
    public WriteDecision Accept(Tcp.WriteCommand write, IActorRef commander, long maxPendingBytes, bool suspendOnNack)
    {
        WriteDecision decision = Decide(write.Length, maxPendingBytes, suspendOnNack);
        if (decision != WriteDecision.Queued) return decision;
        if (write is Tcp.Write single) Enqueue(single, commander);
        else
        {
            IReadOnlyList<Tcp.Write> parts = ((Tcp.CompoundWrite)write).Writes;
            for (int i = 0; i < parts.Count; i++) Enqueue(parts[i], commander);
        }

        return WriteDecision.Queued;
    }

    /// <summary>
    /// <see cref="Accept(Tcp.WriteCommand, IActorRef, long, bool)"/> for a lease's bytes (the caller took the lease): a
    /// queued lease goes back to its pool when written or dropped.
    /// </summary>
    public WriteDecision Accept(Tcp.LeasedWrite write, IActorRef commander, long maxPendingBytes, bool suspendOnNack)
    {
        WriteDecision decision = Decide(write.Length, maxPendingBytes, suspendOnNack);
        if (decision == WriteDecision.Queued) Add(new Entry(null, write.Lease, write.WantsAck ? write.Ack : null, commander));
        return decision;
    }

    private WriteDecision Decide(long length, long maxPendingBytes, bool suspendOnNack)
    {
        if (Suspended) return WriteDecision.Suspended;
        if (!IsEmpty && Bytes + length > maxPendingBytes)
        {
            Suspended = suspendOnNack;
            return WriteDecision.Full;
        }

        return WriteDecision.Queued;
    }

    /// <summary>
    /// ResumeWriting from <paramref name="requester"/>: true when writing can resume now; else it is told
    /// <see cref="Tcp.WritingResumed"/> once the queue drains.
    /// </summary>
    public bool Resume(IActorRef requester)
    {
        if (!Suspended || IsEmpty)
        {
            Suspended = false;
            return true;
        }

        _resumeRequester = requester;
        return false;
    }

    /// <summary>
    /// Hands the queue to the kernel until it is empty (true) or the kernel's buffer is full (Write interest is armed on
    /// <paramref name="registration"/>; false). A failed send returns false with <paramref name="error"/> set.
    /// </summary>
    public bool Flush(SafeHandle socket, int maxSegments, IChannelRegistration registration, IActorRef self, out SocketError error)
    {
        error = SocketError.Success;
        while (!IsEmpty)
        {
            long sent = Send(socket, maxSegments, self, out error, out long attempted);
            if (sent < 0) return false;
            if (IsEmpty) break;
            if (sent < attempted || error == SocketError.WouldBlock)
            {
                error = SocketError.Success;
                Armed = true;
                registration.Arm(Interest.Write);
                return false;
            }
        }

        if (_resumeRequester is { } requester)
        {
            _resumeRequester = null;
            Suspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, self);
        }

        return true;
    }

    public void Enqueue(Tcp.Write write, IActorRef commander)
    {
        ByteString data = write.Data.IsCompact ? write.Data : write.Data.Compact();
        Add(new Entry(data, null, write.WantsAck ? write.Ack : null, commander));
    }

    private void Add(Entry entry)
    {
        if (_count == _entries.Length)
        {
            var grown = new Entry[Math.Max(4, _entries.Length * 2)];
            for (int i = 0; i < _count; i++) grown[i] = _entries[(_head + i) % _entries.Length];
            _entries = grown;
            _head = 0;
        }

        _entries[(_head + _count) % _entries.Length] = entry;
        _count++;
        Bytes += entry.Length;
        SelectorCounters.Add(ref counters.QueuedWriteBytes, entry.Length);
    }

    /// <summary>Drops everything (abort, or the connection stopped); nothing is acked.</summary>
    public void Clear()
    {
        if (Bytes != 0) SelectorCounters.Add(ref counters.QueuedWriteBytes, -Bytes);
        for (int i = 0; i < _count; i++) _entries[(_head + i) % _entries.Length].Lease?.ReturnFromWrite();
        Array.Clear(_entries);
        _head = 0;
        _count = 0;
        Bytes = 0;
    }

    /// <summary>
    /// Acks the writes at the head that are complete (empty writes included), then hands up to
    /// <paramref name="maxSegments"/> queued writes to the kernel in one call. Returns the bytes the kernel took (and acks
    /// the writes it completed), 0 when it took nothing (<paramref name="error"/> is then WouldBlock), or -1 with
    /// <paramref name="error"/> set. <paramref name="attempted"/> is what was offered.
    /// </summary>
    public unsafe long Send(SafeHandle socket, int maxSegments, IActorRef self, out SocketError error, out long attempted)
    {
        AckCompleted(self);
        error = SocketError.Success;
        attempted = 0;
        if (_count == 0) return 0;

        long sent;
        if (_count == 1 || maxSegments == 1)
        {
            // One write: a plain send.
            ref Entry first = ref _entries[_head];
            ReadOnlySpan<byte> span = first.Unsent;
            attempted = span.Length;
            fixed (byte* p = span)
            {
                sent = Libc.Write(socket, p, span.Length);
            }

            if (sent < 0)
            {
                error = Errno.ToSocketError(Errno.Last);
                sent = 0;
            }
        }
        else
        {
            int segments = Math.Min(Math.Min(_count, maxSegments), MaxGather);
            Sockets.IoVec* iov = stackalloc Sockets.IoVec[segments];
            sent = PinAndWrite(socket, iov, 0, segments, ref attempted, out error);
        }

        if (error != SocketError.Success) return error == SocketError.WouldBlock ? 0 : -1;
        Consume(sent, self);
        return sent;
    }

    /// <summary>Acks the writes at the head that have nothing left to send (empty writes, finished writes).</summary>
    public void AckCompleted(IActorRef self)
    {
        while (_count > 0)
        {
            ref Entry entry = ref _entries[_head];
            if (entry.Offset < entry.Length) return;
            Complete(ref entry, self);
        }
    }

    // Each queued write is one contiguous span (non-compact data is compacted when queued); one stack frame pins one
    // span, so the kernel sees them all pinned at once.
    private const int MaxGather = 64;

    private unsafe long PinAndWrite(SafeHandle fd, Sockets.IoVec* iov, int index, int segments, ref long attempted, out SocketError error)
    {
        if (index == segments)
        {
            nint written = Sockets.Writev(fd, iov, segments);
            if (written >= 0)
            {
                error = SocketError.Success;
                return written;
            }

            error = Errno.ToSocketError(Errno.Last);
            return 0;
        }

        ref Entry entry = ref _entries[(_head + index) % _entries.Length];
        ReadOnlySpan<byte> span = entry.Unsent;
        fixed (byte* p = span)
        {
            iov[index].Base = p;
            iov[index].Length = (nuint)span.Length;
            attempted += span.Length;
            return PinAndWrite(fd, iov, index + 1, segments, ref attempted, out error);
        }
    }

    private void Consume(long bytes, IActorRef self)
    {
        Bytes -= bytes;
        if (bytes > 0)
        {
            SelectorCounters.Add(ref counters.BytesWritten, bytes);
            SelectorCounters.Add(ref counters.QueuedWriteBytes, -bytes);
        }

        while (bytes > 0 && _count > 0)
        {
            ref Entry entry = ref _entries[_head];
            long left = entry.Length - entry.Offset;
            if (bytes < left)
            {
                entry.Offset += (int)bytes;
                return;
            }

            bytes -= left;
            entry.Offset = entry.Length;
            Complete(ref entry, self);
        }

        AckCompleted(self);
    }

    private void Complete(ref Entry entry, IActorRef self)
    {
        if (entry.Ack is IWriteCompletion completion) completion.Written();
        else if (entry.Ack is not null) entry.Commander.Tell(entry.Ack, self);
        entry.Lease?.ReturnFromWrite();
        entry = default;
        _head = (_head + 1) % _entries.Length;
        _count--;
    }

    /// <summary>One queued write: a compact <see cref="ByteString"/>, or a lease's buffer.</summary>
    private struct Entry(ByteString? data, Tcp.LeasedReceived? lease, Tcp.Event? ack, IActorRef commander)
    {
        public readonly ByteString? Data = data;
        public readonly Tcp.LeasedReceived? Lease = lease;
        public readonly Tcp.Event? Ack = ack;
        public readonly IActorRef Commander = commander;
        public readonly int Length = lease?.Count ?? data!.Count;
        public int Offset;

        public readonly ReadOnlySpan<byte> Unsent =>
            Lease is { } l ? l.Buffer.AsSpan(Offset, Length - Offset) : Data!.ToReadOnlySpan()[Offset..];
    }
}

/// <summary>What <see cref="WriteQueue.Accept(Tcp.WriteCommand, IActorRef, long, bool)"/> did with a write.</summary>
internal enum WriteDecision
{
    /// <summary>Queued (and, where the kernel takes it, about to be sent).</summary>
    Queued,

    /// <summary>Refused: writing is suspended after an earlier NACK.</summary>
    Suspended,

    /// <summary>Refused (a NACK): the queue would pass <c>max-pending-write-bytes</c>.</summary>
    Full,
}

/// <summary>
/// An ack the connection completes by a call instead of a message: the TLS stage's, whose bookkeeping for a written
/// ciphertext batch (the pooled buffer back, the bytes in flight, the user acks it completes) then costs no run of the
/// stage. Called on the connection's turn, on the loop the stage shares with it; it must not throw.
/// </summary>
internal interface IWriteCompletion
{
    /// <summary>The write this ack came with is wholly in the kernel.</summary>
    void Written();
}
