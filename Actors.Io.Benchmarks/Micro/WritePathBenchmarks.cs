using System.Net;
using System.Net.Sockets;
using Actors.Io.Native;
using Actors.Io.Streams;
using Akka.Actor;
using Akka.IO;
using BenchmarkDotNet.Attributes;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>
/// The write path: writes queued on a connection handed to the kernel in one gathered <c>writev</c>. Every operation
/// ends by draining the peer with one read, so the socket never fills. <c>WriteQueue16</c> is the library's
/// <see cref="WriteQueue"/> alone (16 writes of 64 B queued, one <c>Send</c>); <c>ConnectionCompound16</c> the
/// connection actor handling a <see cref="Tcp.CompoundWrite"/> of the same 16 writes; <c>ConnectionWrite1</c> the echo
/// case, one <see cref="Tcp.Write"/> of 64 B. <c>RawWritev16</c> and <c>RawWrite1</c> are the bare system calls.
/// </summary>
public unsafe class WritePathBenchmarks
{
    private const int Size = 64;
    private const int Parts = 16;
    private ConnectionHarness? _harness;
    private Socket? _listener;
    private Socket? _client;
    private Socket? _server;
    private WriteQueue? _queue;
    private Tcp.Write[] _writes = [];
    private Tcp.CompoundWrite? _compound;
    private byte[][] _segments = [];
    private byte[] _drain = [];
    private CountingActorRef? _commander;

    [GlobalSetup]
    public void Setup()
    {
        _harness = new ConnectionHarness();
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        _client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _client.Connect(_listener.LocalEndPoint!);
        _server = _listener.Accept();
        _server.NoDelay = true;
        _server.Blocking = false;
        _client.Blocking = false;
        _queue = new WriteQueue(new Actors.Io.Selection.SelectorCounters());
        _segments = new byte[Parts][];
        _writes = new Tcp.Write[Parts];
        for (int i = 0; i < Parts; i++)
        {
            _segments[i] = new byte[Size];
            _writes[i] = Tcp.Write.Create(ByteString.FromBytes(_segments[i]));
        }

        _compound = new Tcp.CompoundWrite(_writes);
        _drain = new byte[64 * 1024];
        _commander = new CountingActorRef("writer");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _harness?.Dispose();
        _client?.Dispose();
        _server?.Dispose();
        _listener?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public long RawWritev16()
    {
        Sockets.IoVec* iov = stackalloc Sockets.IoVec[Parts];
        long written = PinAndWritev(iov, 0);
        return written + Drain(_client!);
    }

    [Benchmark]
    public long WriteQueue16()
    {
        for (int i = 0; i < Parts; i++) _queue!.Enqueue(_writes[i], _commander!);
        long sent = _queue!.Send(_server!.SafeHandle, 64, ActorRefs.Nobody, out SocketError error, out _);
        if (error != SocketError.Success || !_queue.IsEmpty) throw new InvalidOperationException($"send: {error}, {_queue.Count} left");
        return sent + Drain(_client!);
    }

    [Benchmark]
    public long ConnectionCompound16()
    {
        _harness!.Invoke(_compound!, _commander);
        return DrainHarness();
    }

    [Benchmark]
    public long RawWrite1()
    {
        fixed (byte* p = _segments[0])
        {
            _ = Libc.Write((int)_server!.SafeHandle.DangerousGetHandle(), p, Size);
        }

        return Drain(_client!);
    }

    [Benchmark]
    public long ConnectionWrite1()
    {
        _harness!.Invoke(_writes[0], _commander);
        return DrainHarness();
    }

    private long PinAndWritev(Sockets.IoVec* iov, int index)
    {
        if (index == Parts) return Sockets.Writev(_server!.SafeHandle, iov, Parts);
        fixed (byte* p = _segments[index])
        {
            iov[index].Base = p;
            iov[index].Length = Size;
            return PinAndWritev(iov, index + 1);
        }
    }

    private long Drain(Socket socket)
    {
        fixed (byte* b = _drain)
        {
            return Libc.Read((int)socket.SafeHandle.DangerousGetHandle(), b, _drain.Length);
        }
    }

    private long DrainHarness()
    {
        fixed (byte* b = _drain)
        {
            return Libc.Read(_harness!.ClientFd, b, _drain.Length);
        }
    }
}
