using System.Buffers;
using System.Threading.Tasks.Sources;

namespace Actors.Io.Tls;

/// <summary>
/// The stream an <see cref="System.Net.Security.SslStream"/> reads ciphertext from and writes it to, on behalf of a
/// <see cref="TlsStage"/>. Reads take what the connection delivered (<c>Feed</c>); with nothing buffered a read
/// waits, and the next <c>Feed</c> or <see cref="End"/> completes it on the caller's thread (the stage's), so the
/// decryption that follows runs there too. A zero-byte read waits the same way and completes with 0 when ciphertext
/// arrives (keeping it), which lets <see cref="System.Net.Security.SslStream"/> wait for a record without holding a
/// buffer. Writes hand the ciphertext to the stage at once; they never wait. Ciphertext kept for a later read waits in a
/// pooled buffer, given back once it is read out, so a drained transport holds none.
/// </summary>
internal sealed class TlsTransport(TlsTransport.ISink sink) : Stream, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _pending = new() { RunContinuationsAsynchronously = false };
    private Memory<byte> _pendingBuffer;
    private bool _readPending;
    private byte[] _buffer = [];
    private ArraySegment<byte> _borrowed;
    private Tcp.LeasedReceived? _borrowedFrom;
    private int _start;
    private int _count;

    /// <summary>Where ciphertext goes.</summary>
    internal interface ISink
    {
        void Send(ReadOnlySpan<byte> ciphertext);
    }

    /// <summary>The connection's end of stream was fed (the peer closed its side, with or without close_notify).</summary>
    public bool Ended { get; private set; }

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Ciphertext from the connection: completes a waiting read, the rest is kept (copied) for the next.</summary>
    public void Feed(ReadOnlySpan<byte> ciphertext)
    {
        KeepBorrowed();
        if (_readPending)
        {
            if (_pendingBuffer.IsEmpty)
            {
                Keep(ciphertext);
                Complete(0);
                return;
            }

            int n = Math.Min(ciphertext.Length, _pendingBuffer.Length);
            ciphertext[..n].CopyTo(_pendingBuffer.Span);
            Keep(ciphertext[n..]);
            Complete(n);
            return;
        }

        Keep(ciphertext);
    }

    /// <summary>
    /// Ciphertext in an array no one writes to again until it is given back (a connection's leased read):
    /// what a waiting read does not take is read from it later, not copied, unless older ciphertext is still kept or
    /// more comes first. <paramref name="lease"/>, the read's buffer, goes back to its pool once nothing is read from it.
    /// </summary>
    public void Feed(ArraySegment<byte> ciphertext, Tcp.LeasedReceived? lease = null)
    {
        KeepBorrowed();
        if (_count > 0)
        {
            // Older ciphertext is still kept, so no read waits: this goes behind it.
            Keep(ciphertext);
            lease?.Return();
            return;
        }

        if (!_readPending)
        {
            Borrow(ciphertext, lease);
            return;
        }

        // A zero-byte read takes nothing and is told that ciphertext came.
        int n = Math.Min(ciphertext.Count, _pendingBuffer.Length);
        ciphertext.AsSpan(0, n).CopyTo(_pendingBuffer.Span);
        Borrow(ciphertext[n..], lease);
        Complete(n);
    }

    /// <summary>
    /// The memory the stream waits to have ciphertext read into, when nothing is kept here: a zero-byte read is completed
    /// first (the stream, continuing inline, rents its buffer and asks with its free space).
    /// </summary>
    public bool TryGetReadTarget(out Memory<byte> target)
    {
        target = default;
        if (!_readPending || Buffered > 0 || Ended) return false;
        if (_pendingBuffer.IsEmpty) Complete(0);
        if (!_readPending || _pendingBuffer.IsEmpty) return false;
        target = _pendingBuffer;
        return true;
    }

    /// <summary>Ciphertext of <paramref name="n"/> bytes was read into the target: the stream's read completes with it.</summary>
    public void Filled(int n) => Complete(n);

    /// <summary>Gives back the lease borrowed ciphertext is read from, if any (its stage stopped).</summary>
    public void ReleaseBorrowed()
    {
        _borrowed = default;
        EndBorrow();
    }

    /// <summary>The connection's end of stream: a waiting read, and every later one once the buffer is empty, gets 0.</summary>
    public void End()
    {
        Ended = true;
        if (_readPending && Buffered == 0) Complete(0);
    }

    private int Buffered => _count + _borrowed.Count;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readPending) throw new InvalidOperationException("One read at a time.");
        if (Buffered > 0) return new ValueTask<int>(Take(buffer.Span));
        if (Ended) return new ValueTask<int>(0);
        _pendingBuffer = buffer;
        _readPending = true;
        _pending.Reset();
        return new ValueTask<int>(this, _pending.Version);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        Buffered > 0 || Ended ? Take(buffer.AsSpan(offset, count)) : throw new InvalidOperationException("The TLS transport reads asynchronously only.");

    public override void Write(ReadOnlySpan<byte> buffer) => sink.Send(buffer);

    public override void Write(byte[] buffer, int offset, int count) => sink.Send(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        sink.Send(buffer.Span);
        return default;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        sink.Send(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    int IValueTaskSource<int>.GetResult(short token) => _pending.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _pending.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _pending.OnCompleted(continuation, state, token, flags);

    private void Complete(int n)
    {
        _readPending = false;
        _pendingBuffer = default;
        _pending.SetResult(n);
    }

    private int Take(Span<byte> into)
    {
        if (_count == 0)
        {
            // Only borrowed ciphertext: read from where the connection left it.
            int b = Math.Min(into.Length, _borrowed.Count);
            _borrowed.AsSpan(0, b).CopyTo(into);
            if (_borrowed.Count == b)
            {
                _borrowed = default;
                EndBorrow();
            }
            else
            {
                _borrowed = _borrowed[b..];
            }

            return b;
        }

        int n = Math.Min(into.Length, _count);
        _buffer.AsSpan(_start, n).CopyTo(into);
        _start += n;
        _count -= n;
        if (_count == 0) ReleaseBuffer();
        return n;
    }

    /// <summary>
    /// Copies what is left of borrowed ciphertext behind the kept and gives its lease back: before newer ciphertext is
    /// kept, and when the stage will not read for now (a lease is the pool's, not a place to wait in).
    /// </summary>
    public void KeepBorrowed()
    {
        if (_borrowed.Count == 0) return;
        ArraySegment<byte> rest = _borrowed;
        _borrowed = default;
        Keep(rest);
        EndBorrow();
    }

    private void Borrow(ArraySegment<byte> rest, Tcp.LeasedReceived? lease)
    {
        if (rest.Count == 0)
        {
            lease?.Return();
            return;
        }

        _borrowed = rest;
        _borrowedFrom = lease;
    }

    private void EndBorrow()
    {
        Tcp.LeasedReceived? lease = _borrowedFrom;
        _borrowedFrom = null;
        lease?.Return();
    }

    private void Keep(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty) return;
        if (_start + _count + rest.Length > _buffer.Length)
        {
            if (_count + rest.Length <= _buffer.Length)
            {
                _buffer.AsSpan(_start, _count).CopyTo(_buffer);
            }
            else
            {
                byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(_count + rest.Length, _buffer.Length * 2));
                _buffer.AsSpan(_start, _count).CopyTo(grown);
                if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = grown;
            }

            _start = 0;
        }

        rest.CopyTo(_buffer.AsSpan(_start + _count));
        _count += rest.Length;
    }

    private void ReleaseBuffer()
    {
        _start = 0;
        if (_buffer.Length == 0) return;
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
