using System.Runtime.InteropServices;
using Actors.Io.Buffers;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Streams;

/// <summary>
/// The read routines of stream connections (copied and leased receive), for the actor's own reads and the selector's
/// inline ones.
/// </summary>
internal static class StreamReads
{
    [ThreadStatic]
    private static byte[]? _threadBuffer;

    /// <summary>
    /// Reads chunks of at most <paramref name="chunk"/> bytes into the loop thread's buffer and delivers each to
    /// <paramref name="handler"/> as a <see cref="Tcp.Received"/> (the one copy a read makes), until the kernel has less
    /// than asked (drained), <paramref name="budget"/> bytes are read, one chunk in pull mode, the peer's EOF, or an error
    /// (<paramref name="errno"/>). Allocates only the payload and its message.
    /// </summary>
    public static ReadEnd ReadAvailable(
        SafeHandle socket, int chunk, int budget, bool pullMode, IActorRef handler, IActorRef self, SelectorCounters counters, out int errno)
    {
        byte[] buffer = ThreadBuffer(chunk);
        while (true)
        {
            int want = Math.Min(chunk, budget);
            int n = Receive(socket, buffer, want, out errno);
            if (n < 0)
            {
                if (errno == Errno.EAGAIN) return ReadEnd.Drained;
                if (errno == Errno.EINTR) continue;
                return ReadEnd.Failed;
            }

            if (n == 0) return ReadEnd.PeerClosed;
            byte[] copy = GC.AllocateUninitializedArray<byte>(n);
            buffer.AsSpan(0, n).CopyTo(copy);
            handler.Tell(new Tcp.Received(ByteString.FromBytes(copy)), self);
            SelectorCounters.Add(ref counters.BytesRead, n);
            SelectorCounters.Add(ref counters.ReceivedMessages, 1);
            if (pullMode) return ReadEnd.Pulled;
            budget -= n;
            if (n < want) return ReadEnd.Drained;
            if (budget <= 0) return ReadEnd.BudgetSpent;
        }
    }

    /// <summary>
    /// <see cref="ReadAvailable"/> for leased receive: each read lands in a buffer rented from <paramref name="pool"/>
    /// (no copy, no allocation) and is lent to <paramref name="handler"/> as the <see cref="Tcp.LeasedReceived"/> itself.
    /// <paramref name="sizeClass"/> is the connection's guess of the next read's size, adapted after each read; a read
    /// that gets nothing gives its buffer straight back, so an idle connection holds none.
    /// </summary>
    public static ReadEnd ReadLeased(
        SafeHandle socket, ReceiveBufferPool pool, ref int sizeClass, int budget, bool pullMode, IActorRef handler, IActorRef self, SelectorCounters counters, out int errno, ILeaseReceiver? receiver = null)
    {
        while (true)
        {
            // The receiver's own buffer when it offers one (the TLS stage: SslStream's), else a lease.
            Tcp.LeasedReceived? lease = null;
            if (receiver is null || !receiver.TryGetReadTarget(out Memory<byte> target))
            {
                lease = pool.Rent(sizeClass);
                target = lease.Buffer;
            }

            int want = Math.Min(target.Length, budget);
            int n = Receive(socket, target.Span[..want], out errno);
            if (n <= 0)
            {
                // A target with nothing read waits for the next event (a spurious wake-up).
                if (lease is not null) pool.ReturnUnused(lease);
                if (n == 0) return ReadEnd.PeerClosed;
                if (errno == Errno.EAGAIN) return ReadEnd.Drained;
                if (errno == Errno.EINTR) continue;
                return ReadEnd.Failed;
            }

            if (lease is null)
            {
                receiver!.Filled(n);
            }
            else
            {
                sizeClass = pool.NextClass(sizeClass, n);
                lease.Lend(n);
                if (receiver is null || !receiver.TryTake(lease)) handler.Tell(lease, self);
            }

            SelectorCounters.Add(ref counters.BytesRead, n);
            SelectorCounters.Add(ref counters.ReceivedMessages, 1);
            if (pullMode) return ReadEnd.Pulled;
            budget -= n;
            if (n < want) return ReadEnd.Drained;
            if (budget <= 0) return ReadEnd.BudgetSpent;
        }
    }

    /// <summary>
    /// Reads into the loop thread's buffer and drops what it read (a lingering close): until the kernel has less than
    /// asked, <paramref name="budget"/> bytes, the peer's EOF or an error. Adds the bytes to <paramref name="discarded"/>;
    /// allocates nothing.
    /// </summary>
    public static ReadEnd Discard(SafeHandle socket, int chunk, int budget, ref long discarded, out int errno)
    {
        byte[] buffer = ThreadBuffer(chunk);
        for (int left = budget; ;)
        {
            int want = Math.Min(chunk, left);
            int n = Receive(socket, buffer, want, out errno);
            if (n < 0 && errno == Errno.EINTR) continue;
            if (n <= 0) return n == 0 ? ReadEnd.PeerClosed : errno == Errno.EAGAIN ? ReadEnd.Drained : ReadEnd.Failed;
            discarded += n;
            left -= n;
            if (n < want) return ReadEnd.Drained;
            if (left <= 0) return ReadEnd.BudgetSpent;
        }
    }

    private static byte[] ThreadBuffer(int size) => _threadBuffer is { } b && b.Length >= size ? b : _threadBuffer = new byte[size];

    private static unsafe int Receive(SafeHandle socket, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            int n = (int)Libc.Read(socket, p, buffer.Length);
            errno = n < 0 ? Errno.Last : 0;
            return n;
        }
    }

    private static int Receive(SafeHandle socket, byte[] buffer, int count, out int errno) => Receive(socket, buffer.AsSpan(0, count), out errno);
}

/// <summary>How <see cref="StreamReads.ReadAvailable"/> ended.</summary>
internal enum ReadEnd
{
    /// <summary>The kernel had less than asked (or nothing): most likely empty.</summary>
    Drained,

    /// <summary>The budget is spent with data perhaps left: yield to other channels, the next round reads on.</summary>
    BudgetSpent,

    /// <summary>Pull mode: one chunk was delivered.</summary>
    Pulled,

    /// <summary>The peer's EOF.</summary>
    PeerClosed,

    /// <summary>An error other than EAGAIN or EINTR.</summary>
    Failed,
}

/// <summary>
/// A handler a connection may give its leases to by a call: the TLS stage, on the same loop. Called on the selector's
/// turn (an inline read); takes the lease and returns true, or returns false for the connection to send it as a message.
/// Never throws.
/// </summary>
internal interface ILeaseReceiver
{
    /// <summary>Takes <paramref name="lease"/> now, or returns false (its mailbox is not empty, or it is not open).</summary>
    bool TryTake(Tcp.LeasedReceived lease);

    /// <summary>
    /// Memory to read the socket into directly, or false (then a lease as usual). After a read into it, exactly one
    /// <see cref="Filled"/> with the count (more than 0) follows.
    /// </summary>
    bool TryGetReadTarget(out Memory<byte> target);

    /// <summary><paramref name="n"/> bytes were read into the target.</summary>
    void Filled(int n);

    /// <summary>The connection registered with it, which it may write to directly (<see cref="IDirectWriter"/>).</summary>
    void Attach(IDirectWriter writer);
}

/// <summary>
/// A connection that takes bytes by a call when nothing of its own is waiting to be written: the TLS stage's ciphertext
/// goes to the kernel from <c>SslStream</c>'s buffer, with no copy and no run of the connection. Loop thread only.
/// </summary>
internal interface IDirectWriter
{
    /// <summary>
    /// Writes what the kernel takes of <paramref name="data"/> now and returns the count: 0 when the connection is not
    /// open, has writes or messages waiting, or the kernel takes nothing (an error included: the connection's own next
    /// write meets it). The caller sends the rest the usual way.
    /// </summary>
    int TryWrite(ReadOnlySpan<byte> data);
}
