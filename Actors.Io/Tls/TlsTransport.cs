using System.Threading.Tasks.Sources;

namespace Actors.Io.Tls;

/// <summary>
/// The stream an <see cref="System.Net.Security.SslStream"/> reads ciphertext from and writes it to, on behalf of a
/// <see cref="TlsStage"/>. Reads take what the connection delivered (<see cref="Feed"/>); with nothing buffered a read
/// waits, and the next <see cref="Feed"/> or <see cref="End"/> completes it on the caller's thread (the stage's), so the
/// decryption that follows runs there too. A zero-byte read waits the same way and completes with 0 when ciphertext
/// arrives (keeping it), which lets <see cref="System.Net.Security.SslStream"/> wait for a record without holding a
/// buffer. Writes hand the ciphertext to the stage at once; they never wait.
/// </summary>
internal sealed class TlsTransport(TlsTransport.ISink sink) : Stream, IValueTaskSource<int>
{
    private ManualResetValueTaskSourceCore<int> _pending = new() { RunContinuationsAsynchronously = false };
    private Memory<byte> _pendingBuffer;
    private bool _readPending;
    private byte[] _buffer = [];
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

    /// <summary>Ciphertext from the connection: completes a waiting read, the rest is kept for the next.</summary>
    public void Feed(ReadOnlySpan<byte> ciphertext)
    {
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

    /// <summary>The connection's end of stream: a waiting read, and every later one once the buffer is empty, gets 0.</summary>
    public void End()
    {
        Ended = true;
        if (_readPending && _count == 0) Complete(0);
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_readPending) throw new InvalidOperationException("One read at a time.");
        if (_count > 0) return new ValueTask<int>(Take(buffer.Span));
        if (Ended) return new ValueTask<int>(0);
        _pendingBuffer = buffer;
        _readPending = true;
        _pending.Reset();
        return new ValueTask<int>(this, _pending.Version);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) =>
        _count > 0 || Ended ? Take(buffer.AsSpan(offset, count)) : throw new InvalidOperationException("The TLS transport reads asynchronously only.");

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
        int n = Math.Min(into.Length, _count);
        _buffer.AsSpan(_start, n).CopyTo(into);
        _start += n;
        _count -= n;
        if (_count == 0) _start = 0;
        return n;
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
                var grown = new byte[Math.Max(_count + rest.Length, _buffer.Length * 2)];
                _buffer.AsSpan(_start, _count).CopyTo(grown);
                _buffer = grown;
            }

            _start = 0;
        }

        rest.CopyTo(_buffer.AsSpan(_start + _count));
        _count += rest.Length;
    }
}
