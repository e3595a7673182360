using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using Actors.Io.Benchmarks.Native;
using Actors.Io.Native;
using HdrHistogram;

namespace Actors.Io.Benchmarks.Load;

/// <summary>Raised when the load generator sees something an echo server must never do (a wrong byte, a close).</summary>
internal sealed class LoadFailedException(string message) : Exception(message);

/// <summary>
/// The load generator: one thread, one level-triggered epoll set over raw descriptors (the library's native layer), no
/// allocation per message. Each connection sends a stream of bytes that is a slice of one shared pseudo-random pattern
/// starting at a phase of its own, so every echoed byte is checked against what that connection sent (a memcmp of the
/// read against the pattern), and a byte from another connection or out of order fails the run. Messages completed by a
/// read are replaced with one write per connection (closed loop), or sent when their time comes (fixed rate: the
/// latency of a message counts from its intended send time, so a slow server cannot hide its stalls by slowing the
/// generator down; coordinated omission is avoided). Latencies go into an HdrHistogram in microseconds.
/// With TLS each connection first completes a handshake (<see cref="TlsClient"/>, on the same thread), then sends the
/// same stream encrypted and checks the decrypted echo the same way.
/// </summary>
internal sealed unsafe class LoadGenerator : IDisposable
{
    private const int Period = 65521; // prime: the pattern repeats every Period bytes of a connection's stream
    private const int ReadSize = 64 * 1024;
    private const int MaxBacklog = 256; // fixed rate: messages a connection may owe before the run counts as saturated
    private const int MaxEvents = 1024;
    private const int ConnectBatch = 200;

    private static readonly double TicksPerMicrosecond = Stopwatch.Frequency / 1e6;

    private readonly LoadSpec _spec;
    private readonly int _n;
    private readonly int _size;
    private readonly int _ringMask;
    private readonly int _ringShift;
    private readonly Socket[] _sockets;
    private readonly int[] _fd;
    private readonly int[] _phase;
    private readonly long[] _queued; // bytes of each stream scheduled for sending
    private readonly long[] _sent; // bytes the kernel took
    private readonly long[] _received; // bytes echoed back and checked
    private readonly int[] _backlog; // fixed rate: messages due but not yet sent (depth reached)
    private readonly bool[] _writeArmed;
    private readonly long[] _sendTimes; // per connection a ring of each in-flight message's (intended) send time
    private readonly byte* _pattern;
    private readonly byte* _readBuffer;
    private readonly byte* _events;
    private readonly int _stride;
    private readonly int _dataOffset;
    private readonly FileDescriptorHandle _epoll;
    private readonly LongHistogram _histogram = new(1, 3_600_000_000, 3);
    private readonly bool _hasPwait2;
    private int _open;
    private long _outstanding;
    private bool _recording;
    private long _completed;
    private bool _started;
    private double _intervalTicks;
    private long _rateStart;
    private long _scheduled;
    private long _nextDue;
    private long _dropped;
    private bool _disposed;
    private readonly TlsClient?[]? _tls;
    private readonly SslClientAuthenticationOptions? _tlsOptions;
    private readonly byte[]? _plain;
    private int _handshaking;

    /// <summary>
    /// Opens <paramref name="spec"/>'s connections to <paramref name="server"/> (over TLS with <paramref name="tls"/>) and
    /// checks each with one message.
    /// </summary>
    public LoadGenerator(IPEndPoint server, LoadSpec spec, TimeSpan? setupTimeout = null, SslClientAuthenticationOptions? tls = null)
    {
        _tlsOptions = tls;
        if (tls is not null)
        {
            _tls = new TlsClient?[spec.Connections];
            _plain = new byte[ReadSize];
        }

        _spec = spec;
        _n = spec.Connections;
        _size = spec.Size;
        int ring = 1;
        while (ring < spec.Depth + (spec.FixedRate ? MaxBacklog : 0)) ring <<= 1;
        _ringMask = ring - 1;
        _ringShift = System.Numerics.BitOperations.Log2((uint)ring);
        _sockets = new Socket[_n];
        _fd = new int[_n];
        _phase = new int[_n];
        _queued = new long[_n];
        _sent = new long[_n];
        _received = new long[_n];
        _backlog = new int[_n];
        _writeArmed = new bool[_n];
        _sendTimes = new long[(long)_n << _ringShift];
        bool packed = Epoll.UsesPackedEvent(RuntimeInformation.ProcessArchitecture);
        _stride = packed ? 12 : 16;
        _dataOffset = packed ? 4 : 8;

        _pattern = (byte*)NativeMemory.Alloc(Period + ReadSize);
        var random = new Random(20261126);
        random.NextBytes(new Span<byte>(_pattern, Period));
        new Span<byte>(_pattern, ReadSize).CopyTo(new Span<byte>(_pattern + Period, ReadSize));
        _readBuffer = (byte*)NativeMemory.Alloc(ReadSize);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * _stride));

        int epfd = Epoll.Create1(Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) throw new IOException($"epoll_create1 failed: {Errno.Describe(Errno.Last)}");
        _epoll = new FileDescriptorHandle(epfd);
        _hasPwait2 = ProbePwait2();
        // Timers on this thread fire within a microsecond of when they are asked for (the default slack is 50 us).
        _ = BenchNative.Prctl(BenchNative.PR_SET_TIMERSLACK, 1000, 0, 0, 0);

        try
        {
            Connect(server, setupTimeout ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public LoadSpec Spec => _spec;

    /// <summary>With TLS: the protocol and cipher suite the first connection negotiated; otherwise null.</summary>
    public string? TlsDescription { get; private set; }

    /// <summary>
    /// Runs the load for <paramref name="duration"/>; with <paramref name="record"/> the window's messages and latencies
    /// are counted (a warm-up passes false). The load goes on seamlessly from one call to the next.
    /// </summary>
    public LoadResult Run(TimeSpan duration, bool record)
    {
        long now = Stopwatch.GetTimestamp();
        if (!_started)
        {
            _started = true;
            if (_spec.FixedRate)
            {
                _intervalTicks = Stopwatch.Frequency / _spec.Rate;
                _rateStart = now;
                _nextDue = now;
            }
            else
            {
                for (int c = 0; c < _n; c++) Queue(c, _spec.Depth, now);
            }
        }

        _histogram.Reset();
        _completed = 0;
        _recording = record;
        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        Pump(start + (long)(duration.TotalSeconds * Stopwatch.Frequency), untilSettled: false);
        long end = Stopwatch.GetTimestamp();
        TimeSpan cpu1 = Environment.CpuUsage.TotalTime;
        _recording = false;
        long behind = _dropped;
        for (int c = 0; c < _n; c++) behind += _backlog[c];
        return new LoadResult(
            _completed,
            (end - start) / (double)Stopwatch.Frequency,
            Percentile(50),
            Percentile(99),
            Percentile(99.9),
            _histogram.TotalCount == 0 ? 0 : _histogram.GetMaxValue(),
            (cpu1 - cpu0).TotalSeconds,
            behind,
            _size);
    }

    /// <summary>The latency distribution of the last recorded run, one percentile per line (for <c>load --percentiles</c>).</summary>
    public string DescribePercentiles()
    {
        var text = new System.Text.StringBuilder();
        foreach (double p in (ReadOnlySpan<double>)[50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 99.99])
            text.Append(CultureInfo.InvariantCulture, $"  p{p,-6} {Percentile(p),10:N0} us\n");
        return text.ToString();
    }

    private double Percentile(double p) => _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(p);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int c = 0; c < _open; c++)
        {
            try
            {
                // Reset rather than close: no TIME_WAIT left behind, and the server sees its peer go at once.
                _sockets[c].LingerState = new LingerOption(true, 0);
            }
            catch (SocketException)
            {
                // Already broken: dispose anyway.
            }

            _sockets[c].Dispose();
            _tls?[c]?.Dispose();
        }

        _epoll.Dispose();
        NativeMemory.Free(_pattern);
        NativeMemory.Free(_readBuffer);
        NativeMemory.Free(_events);
    }

    private void Connect(IPEndPoint server, TimeSpan timeout)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (_open < _n)
        {
            int batchEnd = Math.Min(_n, _open + ConnectBatch);
            for (int c = _open; c < batchEnd; c++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Connect(server);
                    socket.Blocking = false;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }

                _sockets[c] = socket;
                _fd[c] = (int)socket.SafeHandle.DangerousGetHandle();
                _phase[c] = (int)((c * 131L) % Period);
                _open = c + 1;
                if (Control(Epoll.EPOLL_CTL_ADD, c, Epoll.EPOLLIN) != 0)
                {
                    throw new IOException($"epoll_ctl(ADD) failed: {Errno.Describe(Errno.Last)}");
                }

                if (_tls is not null)
                {
                    // The first message follows the handshake (AfterFeed).
                    _tls[c] = new TlsClient(_tlsOptions!);
                    _handshaking++;
                    WritePending(c);
                    continue;
                }

                // The first message proves the server accepted the connection and echoes on it.
                Queue(c, 1, Stopwatch.GetTimestamp());
            }

            Pump(deadline, untilSettled: true);
            if (_handshaking != 0)
            {
                throw new LoadFailedException($"the TLS handshake did not complete on {_handshaking} of {_open} connections within {timeout.TotalSeconds:F0} s");
            }

            if (_outstanding != 0)
            {
                throw new LoadFailedException($"the server did not echo the first message on {_outstanding} of {_open} connections within {timeout.TotalSeconds:F0} s");
            }
        }
    }

    /// <summary>The event loop: until <paramref name="until"/> (Stopwatch ticks), or until nothing is in flight.</summary>
    private void Pump(long until, bool untilSettled)
    {
        bool fixedRate = _spec.FixedRate && _started;
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (fixedRate) ScheduleDue(now);
            if (untilSettled && _outstanding == 0 && _handshaking == 0) return;
            if (now >= until) return;

            long wakeAt = fixedRate ? Math.Min(until, _nextDue) : until;
            int n = Wait(wakeAt - now);
            if (n < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR) continue;
                throw new IOException($"epoll_wait failed: {Errno.Describe(errno)}");
            }

            for (int i = 0; i < n; i++)
            {
                byte* e = _events + (i * _stride);
                uint bits = *(uint*)e;
                int c = (int)*(ulong*)(e + _dataOffset);
                if ((bits & Epoll.EPOLLOUT) != 0) WritePending(c);
                if ((bits & (Epoll.EPOLLIN | Epoll.EPOLLERR | Epoll.EPOLLHUP | Epoll.EPOLLRDHUP)) != 0) Read(c);
            }
        }
    }

    private int Wait(long ticks)
    {
        if (ticks < 0) ticks = 0;
        if (_hasPwait2)
        {
            long ns = (long)(ticks * (1e9 / Stopwatch.Frequency));
            BenchNative.TimeSpec ts;
            ts.Seconds = ns / 1_000_000_000;
            ts.Nanoseconds = ns % 1_000_000_000;
            return BenchNative.EpollPwait2(_epoll, _events, MaxEvents, &ts, null);
        }

        int ms = (int)Math.Min(int.MaxValue, (ticks * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
        return Epoll.Wait(_epoll, _events, MaxEvents, ms);
    }

    private void Read(int c)
    {
        int fd = _fd[c];
        while (true)
        {
            nint r = Libc.Read(fd, _readBuffer, ReadSize);
            if (r < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EAGAIN) return;
                if (errno == Errno.EINTR) continue;
                throw new LoadFailedException($"connection {c}: read failed: {Errno.Describe(errno)}");
            }

            if (r == 0) throw new LoadFailedException($"connection {c}: the server closed the connection after echoing {_received[c]} bytes");

            if (_tls?[c] is { } tls)
            {
                tls.Feed(new ReadOnlySpan<byte>(_readBuffer, (int)r));
                AfterFeed(c, tls);
            }
            else
            {
                Echoed(c, new ReadOnlySpan<byte>(_readBuffer, (int)r));
            }

            if (r < ReadSize) return;
        }
    }

    /// <summary>TLS: the handshake's end, then every plaintext chunk the fed ciphertext completed.</summary>
    private void AfterFeed(int c, TlsClient tls)
    {
        if (!tls.Open)
        {
            if (!tls.Handshake.IsCompleted)
            {
                WritePending(c);
                return;
            }

            if (!tls.Handshake.IsCompletedSuccessfully)
            {
                throw new LoadFailedException($"connection {c}: the TLS handshake failed: {tls.Handshake.Exception?.GetBaseException().Message}");
            }

            tls.Open = true;
            _handshaking--;
            TlsDescription ??= $"{tls.Ssl.SslProtocol}, {tls.Ssl.NegotiatedCipherSuite}";
            Queue(c, 1, Stopwatch.GetTimestamp());
        }

        while (true)
        {
            int n;
            try
            {
                n = tls.TryRead(_plain!);
            }
            catch (Exception e) when (e is IOException or AuthenticationException)
            {
                throw new LoadFailedException($"connection {c}: reading TLS failed: {e.GetBaseException().Message}");
            }

            if (n < 0) break;
            if (n == 0) throw new LoadFailedException($"connection {c}: the server ended the TLS stream after echoing {_received[c]} bytes");
            Echoed(c, _plain!.AsSpan(0, n));
        }

        WritePending(c);
    }

    /// <summary>Checks echoed bytes against what connection <paramref name="c"/> sent and completes its messages.</summary>
    private void Echoed(int c, ReadOnlySpan<byte> got)
    {
        int r = got.Length;
        long now = Stopwatch.GetTimestamp();
        long before = _received[c];
        long after = before + r;
        if (after > _sent[c]) throw new LoadFailedException($"connection {c}: {after} bytes came back but only {_sent[c]} were sent");
        var expected = new ReadOnlySpan<byte>(_pattern + ((_phase[c] + before) % Period), r);
        if (!got.SequenceEqual(expected))
        {
            int at = got.CommonPrefixLength(expected);
            throw new LoadFailedException($"connection {c}: byte {before + at} of the echoed stream is 0x{got[at]:x2}, sent 0x{expected[at]:x2}");
        }

        _received[c] = after;
        long first = before / _size;
        long done = (after / _size) - first;
        if (done > 0)
        {
            long ringBase = (long)c << _ringShift;
            for (long m = first; m < first + done; m++)
            {
                long latency = now - _sendTimes[ringBase + (m & _ringMask)];
                if (_recording) _histogram.RecordValue((long)((latency / TicksPerMicrosecond) + 0.5));
            }

            if (_recording) _completed += done;
            _outstanding -= done;
            if (_started)
            {
                // Setup sends one message per connection and nothing after it.
                if (_spec.FixedRate) SendBacklog(c);
                else Queue(c, (int)done, now);
            }
        }
    }

    /// <summary>Queues <paramref name="count"/> messages stamped <paramref name="stamp"/> and writes them (one write).</summary>
    private void Queue(int c, int count, long stamp)
    {
        long next = _queued[c] / _size;
        long ringBase = (long)c << _ringShift;
        for (int i = 0; i < count; i++) _sendTimes[ringBase + ((next + i) & _ringMask)] = stamp;
        _queued[c] += (long)count * _size;
        _outstanding += count;
        if (!_writeArmed[c]) WritePending(c);
    }

    /// <summary>Fixed rate: every message whose time has come goes to the next connection in turn, or waits there.</summary>
    private void ScheduleDue(long now)
    {
        while (_nextDue <= now)
        {
            int c = (int)(_scheduled % _n);
            long due = _nextDue;
            _scheduled++;
            _nextDue = _rateStart + (long)(_scheduled * _intervalTicks);
            long inFlight = (_queued[c] / _size) - (_received[c] / _size);
            if (_backlog[c] == 0 && inFlight < _spec.Depth)
            {
                Queue(c, 1, due);
            }
            else if (_backlog[c] < MaxBacklog)
            {
                // Stamped now with its intended time; sent when an echo makes room.
                long index = (_queued[c] / _size) + _backlog[c];
                _sendTimes[((long)c << _ringShift) + (index & _ringMask)] = due;
                _backlog[c]++;
            }
            else
            {
                _dropped++;
            }
        }
    }

    private void SendBacklog(int c)
    {
        int owed = _backlog[c];
        if (owed == 0) return;
        long inFlight = (_queued[c] / _size) - (_received[c] / _size);
        int k = (int)Math.Min(owed, _spec.Depth - inFlight);
        if (k <= 0) return;
        _backlog[c] = owed - k;
        _queued[c] += (long)k * _size; // their stamps are already in the ring
        _outstanding += k;
        if (!_writeArmed[c]) WritePending(c);
    }

    private void WritePending(int c)
    {
        if (_tls?[c] is { } tls)
        {
            WriteTls(c, tls);
            return;
        }

        int fd = _fd[c];
        while (_sent[c] < _queued[c])
        {
            int length = (int)Math.Min(_queued[c] - _sent[c], ReadSize);
            nint w = Libc.Write(fd, _pattern + ((_phase[c] + _sent[c]) % Period), length);
            if (w < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR) continue;
                if (errno != Errno.EAGAIN) throw new LoadFailedException($"connection {c}: write failed: {Errno.Describe(errno)}");
                w = 0;
            }

            _sent[c] += w;
            if (w < length)
            {
                if (!_writeArmed[c])
                {
                    _writeArmed[c] = true;
                    _ = Control(Epoll.EPOLL_CTL_MOD, c, Epoll.EPOLLIN | Epoll.EPOLLOUT);
                }

                return;
            }
        }

        if (_writeArmed[c])
        {
            _writeArmed[c] = false;
            _ = Control(Epoll.EPOLL_CTL_MOD, c, Epoll.EPOLLIN);
        }
    }

    /// <summary>
    /// TLS: sends the ciphertext still pending, then encrypts and sends what is queued, one record of up to 16 KiB per
    /// chunk; plaintext counts as sent once encrypted. What the kernel does not take waits for EPOLLOUT.
    /// </summary>
    private void WriteTls(int c, TlsClient tls)
    {
        while (true)
        {
            if (!FlushCipher(c, tls)) return;
            if (_sent[c] >= _queued[c] || !tls.Open) break;
            int length = (int)Math.Min(_queued[c] - _sent[c], 16 * 1024);
            tls.Ssl.Write(new ReadOnlySpan<byte>(_pattern + ((_phase[c] + _sent[c]) % Period), length));
            _sent[c] += length;
        }

        if (_writeArmed[c])
        {
            _writeArmed[c] = false;
            _ = Control(Epoll.EPOLL_CTL_MOD, c, Epoll.EPOLLIN);
        }
    }

    /// <summary>Writes the connection's pending ciphertext; false (EPOLLOUT armed) when the kernel did not take it all.</summary>
    private bool FlushCipher(int c, TlsClient tls)
    {
        while (tls.Pending.Length > 0)
        {
            nint w;
            fixed (byte* p = tls.Pending) w = Libc.Write(_fd[c], p, tls.Pending.Length);
            if (w < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR) continue;
                if (errno != Errno.EAGAIN) throw new LoadFailedException($"connection {c}: write failed: {Errno.Describe(errno)}");
                w = 0;
            }

            tls.Consumed((int)w);
            if (tls.Pending.Length > 0)
            {
                if (!_writeArmed[c])
                {
                    _writeArmed[c] = true;
                    _ = Control(Epoll.EPOLL_CTL_MOD, c, Epoll.EPOLLIN | Epoll.EPOLLOUT);
                }

                return false;
            }
        }

        return true;
    }

    private int Control(int op, int c, uint mask)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = mask;
        *(ulong*)(ev + _dataOffset) = (ulong)c;
        return Epoll.Ctl(_epoll, op, _fd[c], ev);
    }

    private bool ProbePwait2()
    {
        try
        {
            BenchNative.TimeSpec ts = default;
            return BenchNative.EpollPwait2(_epoll, _events, MaxEvents, &ts, null) >= 0;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
