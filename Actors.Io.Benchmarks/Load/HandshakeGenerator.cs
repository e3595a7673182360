using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using Actors.Io.Native;
using HdrHistogram;

namespace Actors.Io.Benchmarks.Load;

/// <summary>
/// New TLS connections as fast as a server takes them: <see cref="Concurrency"/> slots, each connecting, completing a
/// full TLS 1.3 handshake (<see cref="TlsClient"/>: no resumption), sending one 64-byte message, checking its echo and
/// closing with a reset (no TIME_WAIT: thousands of closes a second would otherwise exhaust the ephemeral ports), then
/// starting over. One thread and one epoll set, like <see cref="LoadGenerator"/>; the connect itself is a blocking
/// loopback connect (the kernel completes it from the listener's backlog). Latency runs from the connect to the echo.
/// </summary>
internal sealed unsafe class HandshakeGenerator : IDisposable
{
    private const int MessageSize = 64;
    private const int ReadSize = 64 * 1024;
    private const int MaxEvents = 256;

    private static readonly double TicksPerMicrosecond = Stopwatch.Frequency / 1e6;

    private readonly IPEndPoint _server;
    private readonly SslClientAuthenticationOptions _options;
    private readonly Socket?[] _sockets;
    private readonly TlsClient?[] _clients;
    private readonly long[] _started;
    private readonly int[] _echoed;
    private readonly bool[] _writeArmed;
    private readonly byte[] _message = new byte[MessageSize];
    private readonly byte[] _plain = new byte[ReadSize];
    private readonly byte* _readBuffer;
    private readonly byte* _events;
    private readonly int _stride;
    private readonly int _dataOffset;
    private readonly FileDescriptorHandle _epoll;
    private readonly LongHistogram _histogram = new(1, 3_600_000_000, 3);
    private long _completed;
    private bool _recording;
    private bool _disposed;

    public HandshakeGenerator(IPEndPoint server, int concurrency, SslClientAuthenticationOptions options)
    {
        _options = options;
        _server = server;
        Concurrency = concurrency;
        _sockets = new Socket?[concurrency];
        _clients = new TlsClient?[concurrency];
        _started = new long[concurrency];
        _echoed = new int[concurrency];
        _writeArmed = new bool[concurrency];
        new Random(20261206).NextBytes(_message);
        bool packed = Epoll.UsesPackedEvent(RuntimeInformation.ProcessArchitecture);
        _stride = packed ? 12 : 16;
        _dataOffset = packed ? 4 : 8;
        _readBuffer = (byte*)NativeMemory.Alloc(ReadSize);
        _events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * _stride));
        int epfd = Epoll.Create1(Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) throw new IOException($"epoll_create1 failed: {Errno.Describe(Errno.Last)}");
        _epoll = new FileDescriptorHandle(epfd);
    }

    public int Concurrency { get; }

    /// <summary>The protocol and cipher suite of the first completed handshake.</summary>
    public string? TlsDescription { get; private set; }

    /// <summary>Runs for <paramref name="duration"/>; with <paramref name="record"/> completions and latencies count.</summary>
    public HandshakeResult Run(TimeSpan duration, bool record)
    {
        for (int s = 0; s < Concurrency; s++)
        {
            if (_sockets[s] is null) Open(s);
        }

        _histogram.Reset();
        _completed = 0;
        _recording = record;
        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        long start = Stopwatch.GetTimestamp();
        long until = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= until) break;
            int ms = (int)Math.Max(1, (until - now) * 1000 / Stopwatch.Frequency);
            int n = Epoll.Wait(_epoll, _events, MaxEvents, ms);
            if (n < 0)
            {
                if (Errno.Last == Errno.EINTR) continue;
                throw new IOException($"epoll_wait failed: {Errno.Describe(Errno.Last)}");
            }

            for (int i = 0; i < n; i++)
            {
                byte* e = _events + (i * _stride);
                int slot = (int)*(ulong*)(e + _dataOffset);
                if (_sockets[slot] is not null) OnEvent(slot);
            }
        }

        long end = Stopwatch.GetTimestamp();
        TimeSpan cpu1 = Environment.CpuUsage.TotalTime;
        _recording = false;
        return new HandshakeResult(
            _completed,
            (end - start) / (double)Stopwatch.Frequency,
            _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(50),
            _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(99),
            (cpu1 - cpu0).TotalSeconds);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int s = 0; s < Concurrency; s++) Close(s);
        _epoll.Dispose();
        NativeMemory.Free(_readBuffer);
        NativeMemory.Free(_events);
    }

    private void Open(int slot)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _started[slot] = Stopwatch.GetTimestamp();
        try
        {
            socket.Connect(_server);
            socket.Blocking = false;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _sockets[slot] = socket;
        _echoed[slot] = 0;
        _writeArmed[slot] = false;
        if (Control(Epoll.EPOLL_CTL_ADD, slot, Epoll.EPOLLIN) != 0) throw new IOException($"epoll_ctl(ADD) failed: {Errno.Describe(Errno.Last)}");
        _clients[slot] = new TlsClient(_options);
        Flush(slot);
    }

    private void Close(int slot)
    {
        if (_sockets[slot] is not { } socket) return;
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already broken: dispose anyway.
        }

        socket.Dispose(); // the last reference: the kernel drops it from the epoll set
        _clients[slot]?.Dispose();
        _sockets[slot] = null;
        _clients[slot] = null;
    }

    private void OnEvent(int slot)
    {
        if (_writeArmed[slot] && !Flush(slot)) return;
        int fd = (int)_sockets[slot]!.SafeHandle.DangerousGetHandle();
        TlsClient client = _clients[slot]!;
        while (true)
        {
            nint r = Libc.Read(fd, _readBuffer, ReadSize);
            if (r < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EAGAIN) return;
                if (errno == Errno.EINTR) continue;
                throw new LoadFailedException($"handshake slot {slot}: read failed: {Errno.Describe(errno)}");
            }

            if (r == 0) throw new LoadFailedException($"handshake slot {slot}: the server closed the connection {(client.Open ? "before the echo" : "during the handshake")}");
            client.Feed(new ReadOnlySpan<byte>(_readBuffer, (int)r));
            if (AfterFeed(slot, client)) return;
        }
    }

    /// <summary>True when the slot's connection completed (and the slot started a new one).</summary>
    private bool AfterFeed(int slot, TlsClient client)
    {
        if (!client.Open)
        {
            if (!client.Handshake.IsCompleted)
            {
                Flush(slot);
                return false;
            }

            if (!client.Handshake.IsCompletedSuccessfully)
            {
                throw new LoadFailedException($"handshake slot {slot}: the TLS handshake failed: {client.Handshake.Exception?.GetBaseException().Message}");
            }

            client.Open = true;
            TlsDescription ??= $"{client.Ssl.SslProtocol}, {client.Ssl.NegotiatedCipherSuite}";
            client.Ssl.Write(_message);
            Flush(slot);
        }

        while (true)
        {
            int n;
            try
            {
                n = client.TryRead(_plain);
            }
            catch (Exception e) when (e is IOException or AuthenticationException)
            {
                throw new LoadFailedException($"handshake slot {slot}: reading TLS failed: {e.GetBaseException().Message}");
            }

            if (n < 0) return false;
            if (n == 0 || _echoed[slot] + n > MessageSize || !_plain.AsSpan(0, n).SequenceEqual(_message.AsSpan(_echoed[slot], n)))
            {
                throw new LoadFailedException($"handshake slot {slot}: the echo did not match the message");
            }

            _echoed[slot] += n;
            if (_echoed[slot] < MessageSize) continue;
            if (_recording)
            {
                _completed++;
                _histogram.RecordValue((long)(((Stopwatch.GetTimestamp() - _started[slot]) / TicksPerMicrosecond) + 0.5));
            }

            Close(slot);
            Open(slot);
            return true;
        }
    }

    /// <summary>Writes the slot's pending ciphertext; false (EPOLLOUT armed) when the kernel did not take it all.</summary>
    private bool Flush(int slot)
    {
        TlsClient client = _clients[slot]!;
        int fd = (int)_sockets[slot]!.SafeHandle.DangerousGetHandle();
        while (client.Pending.Length > 0)
        {
            nint w;
            fixed (byte* p = client.Pending) w = Libc.Write(fd, p, client.Pending.Length);
            if (w < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR) continue;
                if (errno != Errno.EAGAIN) throw new LoadFailedException($"handshake slot {slot}: write failed: {Errno.Describe(errno)}");
                if (!_writeArmed[slot])
                {
                    _writeArmed[slot] = true;
                    _ = Control(Epoll.EPOLL_CTL_MOD, slot, Epoll.EPOLLIN | Epoll.EPOLLOUT);
                }

                return false;
            }

            client.Consumed((int)w);
        }

        if (_writeArmed[slot])
        {
            _writeArmed[slot] = false;
            _ = Control(Epoll.EPOLL_CTL_MOD, slot, Epoll.EPOLLIN);
        }

        return true;
    }

    private int Control(int op, int slot, uint mask)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = mask;
        *(ulong*)(ev + _dataOffset) = (ulong)slot;
        return Epoll.Ctl(_epoll, op, (int)_sockets[slot]!.SafeHandle.DangerousGetHandle(), ev);
    }
}

/// <summary>What one handshake window produced.</summary>
/// <param name="Handshakes">Connections that completed a handshake and their echo inside the window.</param>
/// <param name="Seconds">The window's length.</param>
/// <param name="P50">Median time from connect to echo, microseconds.</param>
/// <param name="P99">99th percentile of the same.</param>
/// <param name="GeneratorCpuSeconds">CPU time the generator's process used in the window.</param>
internal sealed record HandshakeResult(long Handshakes, double Seconds, double P50, double P99, double GeneratorCpuSeconds)
{
    public double PerSecond => Handshakes / Seconds;
}
