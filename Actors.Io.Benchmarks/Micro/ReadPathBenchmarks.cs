using Actors.Io.Native;
using Actors.Io.Selection;
using BenchmarkDotNet.Attributes;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>
/// The read path of a connection actor: on <see cref="Readable"/>, <c>recv</c> into the loop's buffer, copy the bytes
/// into a <see cref="Tcp.Received"/> for the handler, re-arm reading (<c>epoll_ctl</c>). Each operation first writes 64
/// bytes from the client end (so the socket has data) and lets the registration record the event as the selector does
/// (<see cref="ChannelRegistration.OnEvent"/>). <c>Raw</c> is the same system calls with nothing else: write, read,
/// re-arm. <c>LeasedConnectionActor</c> is the actor's path in leased receive: the read lands in a pooled buffer lent
/// to the handler (which gives it back at once), no copy and no allocation.
/// </summary>
public unsafe class ReadPathBenchmarks
{
    private const int Size = 64;
    private ConnectionHarness? _harness;
    private byte[] _message = [];
    private byte[] _buffer = [];

    [GlobalSetup(Targets = [nameof(Raw), nameof(ConnectionActor)])]
    public void Setup() => Setup(Tcp.ReceiveMode.Copied);

    [GlobalSetup(Target = nameof(LeasedConnectionActor))]
    public void SetupLeased() => Setup(Tcp.ReceiveMode.Leased);

    private void Setup(Tcp.ReceiveMode receive)
    {
        _harness = new ConnectionHarness(receive);
        _message = new byte[Size];
        _buffer = new byte[64 * 1024];
    }

    [GlobalCleanup(Target = nameof(Raw))]
    public void Cleanup() => _harness?.Dispose();

    [GlobalCleanup(Targets = [nameof(ConnectionActor), nameof(LeasedConnectionActor)])]
    public void CleanupConnectionActor()
    {
        long received = _harness!.Handler.Count;
        _harness.Dispose();
        if (received == 0) throw new InvalidOperationException("the handler received nothing");
    }

    [Benchmark(Baseline = true)]
    public long Raw()
    {
        fixed (byte* m = _message)
        fixed (byte* b = _buffer)
        {
            _ = Libc.Write(_harness!.ClientFd, m, Size);
            long n = Libc.Read(_harness.ServerFd, b, _buffer.Length);
            _ = _harness.Registration.Arm(Interest.Read);
            _ = _harness.Registration.OnEvent(PollEvents.Readable, out _); // keep the one-shot state as the library path sees it
            return n;
        }
    }

    [Benchmark]
    public long ConnectionActor()
    {
        fixed (byte* m = _message)
        {
            _ = Libc.Write(_harness!.ClientFd, m, Size);
        }

        _ = _harness.Registration.OnEvent(PollEvents.Readable, out _);
        _harness.Invoke(Readable.Instance);
        return _harness.Handler.Count;
    }

    [Benchmark]
    public long LeasedConnectionActor() => ConnectionActor();
}
