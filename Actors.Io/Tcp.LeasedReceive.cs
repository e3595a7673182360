using Actors.Io.Buffers;
using Akka.IO;

namespace Actors.Io;

public static partial class Tcp
{
    /// <summary>How a connection hands what it reads to its handler; chosen at <see cref="Register"/>.</summary>
    public enum ReceiveMode
    {
        /// <summary>
        /// Each read is copied once into an immutable <see cref="ByteString"/> and delivered as <see cref="Received"/>, as
        /// Akka.IO does. Nothing to give back; the copies are garbage once the handler drops them.
        /// </summary>
        Copied,

        /// <summary>
        /// Each read lands in a pooled buffer that is lent to the handler as <see cref="LeasedReceived"/>, with no copy and
        /// no allocation. The handler gives the buffer back with <see cref="LeasedReceived.Return"/> or by writing it
        /// (<see cref="LeasedReceived.Write"/>). On a TLS connection the plaintext is decrypted straight into the buffer.
        /// </summary>
        Leased,
    }

    /// <summary>
    /// Bytes read from a connection registered with <see cref="ReceiveMode.Leased"/>, in a buffer the handler owns until it
    /// gives it back: <see cref="Return"/> when done with the bytes, or <see cref="Write"/> to send them on a connection
    /// (which gives the buffer back once the write completes). Copy what you keep before giving the buffer back: the
    /// library reuses it, and this object too, for a later read.
    /// <para>
    /// A buffer that is never given back is collected like any object; the pool replaces it with an allocation. With
    /// <c>actors-io.tcp.leased-receive.debug-checks = on</c> a returned buffer is overwritten and this object is never
    /// reused, so a use after giving it back throws <see cref="InvalidOperationException"/> every time; without it a
    /// late use may see another read's bytes.
    /// </para>
    /// </summary>
    public sealed class LeasedReceived : Event
    {
        private const int Pooled = 0;
        private const int Lent = 1;
        private const int Writing = 2;

        private readonly ReceiveBufferPool _pool;
        private int _count;
        private int _state;
        private LeasedWrite? _write;

        internal LeasedReceived(ReceiveBufferPool pool, int sizeClass, byte[] buffer)
        {
            _pool = pool;
            SizeClass = sizeClass;
            Buffer = buffer;
        }

        /// <summary>The bytes read. Valid until the buffer is given back.</summary>
        /// <exception cref="InvalidOperationException">The buffer was given back, or handed to a write.</exception>
        public ReadOnlyMemory<byte> Data
        {
            get
            {
                int state = Volatile.Read(ref _state);
                if (state != Lent) throw Misuse(state, "read");
                return new ReadOnlyMemory<byte>(Buffer, 0, _count);
            }
        }

        /// <summary>How many bytes were read.</summary>
        public int Count => _count;

        internal int SizeClass { get; }

        internal byte[] Buffer { get; }

        /// <summary>Gives the buffer back to the pool. The bytes and this object must not be used afterwards.</summary>
        /// <exception cref="InvalidOperationException">The buffer was already given back, or handed to a write.</exception>
        public void Return()
        {
            int state = Interlocked.CompareExchange(ref _state, Pooled, Lent);
            if (state != Lent) throw Misuse(state, "return");
            _pool.Return(this);
        }

        /// <summary>
        /// A write of these bytes, to send to a connection (any connection, in either receive mode). The connection takes
        /// the buffer when the write arrives and gives it back to the pool once the write completes (sent, or dropped by a
        /// close); <paramref name="ack"/> is sent as for <see cref="Tcp.Write"/>. When the write is refused
        /// (<see cref="CommandFailed"/>: a NACK, or the connection closing) the buffer is the handler's again: send the
        /// same <see cref="LeasedWrite"/> again later, or <see cref="Return"/> it. Allocates nothing (the write is reused).
        /// </summary>
        /// <param name="ack">The event sent back once every byte is in the kernel; null or a <see cref="NoAck"/> for none.</param>
        /// <exception cref="InvalidOperationException">The buffer was given back, or handed to a write already.</exception>
        public LeasedWrite Write(Event? ack = null)
        {
            int state = Volatile.Read(ref _state);
            if (state != Lent) throw Misuse(state, "write");
            LeasedWrite write = _write ??= new LeasedWrite(this);
            write.Ack = ack ?? NoAck.Instance;
            return write;
        }

        /// <summary>A copy of the bytes as an immutable <see cref="ByteString"/> (for code written for <see cref="Received"/>).</summary>
        public ByteString ToByteString()
        {
            _ = Data;
            return ByteString.CopyFrom(Buffer, 0, _count);
        }

        /// <inheritdoc />
        public override string ToString() => $"LeasedReceived({_count} bytes)";

        /// <summary>Taken from the pool by a read that got <paramref name="count"/> bytes: now the handler's.</summary>
        internal void Lend(int count)
        {
            _count = count;
            Volatile.Write(ref _state, Lent);
        }

        /// <summary>A connection takes the buffer for a write; false when it is not the handler's to give.</summary>
        internal bool TakeForWrite() => Interlocked.CompareExchange(ref _state, Writing, Lent) == Lent;

        /// <summary>The write was refused: the buffer is the handler's again.</summary>
        internal void GiveBackToHandler() => Volatile.Write(ref _state, Lent);

        /// <summary>The write completed or was dropped: the buffer goes back to the pool.</summary>
        internal void ReturnFromWrite()
        {
            Volatile.Write(ref _state, Pooled);
            _pool.Return(this);
        }

        /// <summary>Why a write of this lease cannot be taken, for its <see cref="CommandFailed"/>.</summary>
        internal InvalidOperationException NotTakenCause() => Misuse(Volatile.Read(ref _state), "write");

        private static InvalidOperationException Misuse(int state, string use) => new(state switch
        {
            Writing => $"Cannot {use} a LeasedReceived that was handed to a write: the connection owns its buffer until the write completes (or gives it back with a CommandFailed).",
            _ => $"Cannot {use} a LeasedReceived after its buffer was given back (by Return or a completed write): the buffer may already hold another read. Copy what you keep before giving it back.",
        });
    }

    /// <summary>
    /// A write of a <see cref="LeasedReceived"/>'s bytes (made by <see cref="LeasedReceived.Write"/>). The connection takes
    /// the buffer and gives it back to the pool once written; refused, it answers <see cref="CommandFailed"/> with this
    /// write and the buffer stays the handler's.
    /// </summary>
    public sealed class LeasedWrite : Command
    {
        internal LeasedWrite(LeasedReceived lease)
        {
            Lease = lease;
        }

        /// <summary>The lease whose bytes are written.</summary>
        public LeasedReceived Lease { get; }

        /// <summary>The event sent back once every byte is in the kernel; a <see cref="NoAck"/> for none.</summary>
        public Event Ack { get; internal set; } = NoAck.Instance;

        /// <summary>True when <see cref="Ack"/> is a real ack.</summary>
        public bool WantsAck => Ack is not NoAck;

        /// <summary>The number of bytes.</summary>
        public long Length => Lease.Count;

        /// <inheritdoc />
        public override string ToString() => $"LeasedWrite({Lease.Count} bytes, ack {Ack})";
    }
}
