using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Stress;

/// <summary>
/// Mixed traffic against an Actors.Io echo server: 500 connections with messages from 1 B to 256 KiB, clients that pause
/// reading (a tenth of them for hundreds of milliseconds behind a small receive buffer, so the server's 64 KiB write
/// queue fills and its NACK / ResumeWriting path runs), abort mid-transfer, half-close, and bursts of connects and
/// disconnects. Every byte of every surviving connection is verified, and afterwards descriptors, heap and actors
/// return to their baseline.
/// Longer runs: <c>ACTORS_IO_STRESS_SECONDS=600 dotnet test --filter Category=Stress</c> repeats rounds until then.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait("Category", "Stress")]
public sealed class MixedTrafficStressTests : Akka.TestKit.Xunit2.TestKit
{
    private const int MaxMessage = 256 * 1024;
    private const int SlowReceiveBuffer = 8 * 1024;
    private const int FdSlack = 8;
    private static readonly TcpMsg.SocketOption[] ServerOptions = [new TcpMsg.SO.SendBufferSize(32 * 1024)];
    private readonly ITestOutputHelper _output;

    public MixedTrafficStressTests(ITestOutputHelper output)
        : base(TestConfigs.With("actors-io.tcp.max-pending-write-bytes = 64 KiB\n" + TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public async Task Mixed_traffic_loses_no_byte_and_leaks_nothing()
    {
        using var timer = new StressTimer(_output, nameof(Mixed_traffic_loses_no_byte_and_leaks_nothing));
        // A fixed send buffer: on loopback the kernel's autotuned one (megabytes) would absorb every echo by itself.
        IActorRef server = Sys.ActorOf(Props.Create(() => new StressEchoServer(TestActor, ServerOptions)));
        var endpoint = (IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress;
        await RunClient(endpoint, new Random(1), ClientKind.Normal, 0);
        await AwaitQuiet(server);
        Collect();
        int baselineFds = Descriptors.OpenSocketsAndPollers();
        int baselineAllFds = Descriptors.OpenCount();
        int baselineActors = await ChannelActors.Count(Sys);
        Dictionary<string, string> before = Descriptors.Describe();
        long baselineHeap = GC.GetTotalMemory(forceFullCollection: true);

        // By default rounds with new seeds for 10 s, which keeps the Stress category within about a minute.
        int seconds = int.TryParse(Environment.GetEnvironmentVariable("ACTORS_IO_STRESS_SECONDS"), out int s) ? s : 10;
        var total = Stopwatch.StartNew();
        int rounds = 0;
        long bytes = 0;
        do
        {
            bytes += await RunRound(endpoint, seed: rounds);
            rounds++;
        }
        while (total.Elapsed < TimeSpan.FromSeconds(seconds));

        _output.WriteLine($"{rounds} round(s), {bytes / (1 << 20)} MiB echoed and verified in {total.Elapsed.TotalSeconds:F1} s");

        // A fresh connection still works: the server stayed up.
        Assert.Equal(1, await RunClient(endpoint, new Random(99), ClientKind.Normal, 99) > 0 ? 1 : 0);

        await AwaitQuiet(server);
        var stats = await server.Ask<StressEchoServer.Stats>(StressEchoServer.GetStats.Instance, TestWaits.Expect);
        _output.WriteLine($"{stats.Nacks} NACKs; ends: {string.Join(", ", stats.Closes.Select(c => $"{c.Key} x{c.Value}"))}");
        Assert.True(stats.Nacks > 0, "the slow readers never filled a write queue: back-pressure was not exercised");
        ActorsIo io = ActorsIo.Get(Sys);
        Assert.Equal(1, io.SelectorLoads().Sum());
        await AwaitAssertAsync(async () => Assert.Equal(baselineActors, await ChannelActors.Count(Sys)), TimeSpan.FromSeconds(10));
        await AwaitAssertAsync(
            () => Assert.True(
                Descriptors.OpenSocketsAndPollers() <= baselineFds,
                $"{Descriptors.OpenSocketsAndPollers()} sockets and pollers open, {baselineFds} before; new: {string.Join(", ", Descriptors.Describe().Where(d => !before.TryGetValue(d.Key, out string? t) || t != d.Value).Select(d => $"{d.Key}->{d.Value}"))}"),
            TimeSpan.FromSeconds(10));

        // Every descriptor, not only sockets and pollers: the runtime's own (assemblies mapped, pipes) may differ a little.
        await AwaitAssertAsync(
            () => Assert.True(Descriptors.OpenCount() <= baselineAllFds + FdSlack, $"{Descriptors.OpenCount()} descriptors open, {baselineAllFds} before"),
            TimeSpan.FromSeconds(10));
        Collect();
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        _output.WriteLine($"heap {baselineHeap / 1024} KiB before, {heap / 1024} KiB after");
        Assert.True(heap < baselineHeap + (8 << 20), $"heap grew from {baselineHeap} to {heap} bytes");
    }

    private static async Task<long> RunRound(IPEndPoint endpoint, int seed)
    {
        var random = new Random(seed);
        var clients = new List<Task<long>>();
        for (int i = 0; i < 500; i++)
        {
            ClientKind kind = (i % 10) switch
            {
                < 6 => ClientKind.Normal,
                6 => ClientKind.SlowReader,
                7 or 8 => ClientKind.HalfClose,
                _ => ClientKind.Abort,
            };
            int clientSeed = random.Next();
            clients.Add(Task.Run(() => RunClient(endpoint, new Random(clientSeed), kind, clientSeed)));
        }

        // Bursts of connects and disconnects alongside (some graceful, some resets).
        for (int burst = 0; burst < 4; burst++)
        {
            var sockets = new List<Socket>();
            for (int i = 0; i < 50; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(endpoint);
                sockets.Add(socket);
            }

            for (int i = 0; i < sockets.Count; i++)
            {
                if (i % 2 == 0) sockets[i].LingerState = new LingerOption(true, 0);
                sockets[i].Dispose();
            }
        }

        long[] echoed = await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(90));
        return echoed.Sum();
    }

    /// <summary>Runs one client; returns the bytes it verified.</summary>
    private static async Task<long> RunClient(IPEndPoint endpoint, Random random, ClientKind kind, int seed)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        bool slow = kind == ClientKind.SlowReader;

        // Set before connecting, so the window stays small: the echo backs up into the server's write queue.
        if (slow) socket.ReceiveBufferSize = SlowReceiveBuffer;
        await socket.ConnectAsync(endpoint);
        int messages = 1 + random.Next(3);
        var sizes = new int[messages];
        for (int i = 0; i < messages; i++) sizes[i] = (int)Math.Exp(random.NextDouble() * Math.Log(MaxMessage));

        // The largest size, exactly, at least once a round (the log-uniform draw never reaches it).
        if (slow) sizes[0] = MaxMessage;
        long expected = sizes.Sum(x => (long)x);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        if (kind == ClientKind.Abort)
        {
            byte[] some = Pattern(seed, 0, Math.Max(1, sizes[0] / 2));
            await socket.SendAsync(some, SocketFlags.None, cancel.Token);
            if (random.Next(2) == 0) await socket.ReceiveAsync(new byte[1024], SocketFlags.None, cancel.Token);
            socket.LingerState = new LingerOption(true, 0);
            return 0;
        }

        Task<long> receiving = ReceiveAndVerify(socket, seed, expected, random.Next(), kind == ClientKind.HalfClose, slow, cancel.Token);
        long offset = 0;
        foreach (int size in sizes)
        {
            await socket.SendAsync(Pattern(seed, offset, size), SocketFlags.None, cancel.Token);
            offset += size;
            if (random.Next(4) == 0) await Task.Delay(random.Next(5), cancel.Token);
        }

        if (kind == ClientKind.HalfClose) socket.Shutdown(SocketShutdown.Send);
        long verified = await receiving;
        Assert.Equal(expected, verified);
        return verified;
    }

    private static async Task<long> ReceiveAndVerify(Socket socket, int seed, long expected, int pauseSeed, bool untilEof, bool slow, CancellationToken cancel)
    {
        var random = new Random(pauseSeed);
        byte[] buffer = new byte[64 * 1024];
        long got = 0;
        bool pausedMidway = false;
        while (got < expected || untilEof)
        {
            // A slow reader stops for 200-400 ms before reading and again halfway; the others for up to 20 ms now and then.
            if (slow && (got == 0 || (!pausedMidway && got >= expected / 2)))
            {
                pausedMidway = got > 0;
                await Task.Delay(200 + random.Next(200), cancel);
            }
            else if (random.Next(8) == 0)
            {
                await Task.Delay(random.Next(20), cancel);
            }

            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel);
            if (n == 0)
            {
                Assert.True(untilEof, $"EOF after {got} of {expected} bytes");
                break;
            }

            for (int i = 0; i < n; i++)
            {
                if (buffer[i] != PatternByte(seed, got + i)) Assert.Fail($"byte {got + i} of connection {seed} differs");
            }

            got += n;
            Assert.True(got <= expected, $"{got} bytes echoed, only {expected} sent");
        }

        return got;
    }

    private static byte[] Pattern(int seed, long offset, int count)
    {
        byte[] data = new byte[count];
        for (int i = 0; i < count; i++) data[i] = PatternByte(seed, offset + i);
        return data;
    }

    private static byte PatternByte(int seed, long position) => (byte)((position * 131) ^ (position >> 8) ^ seed);

    private async Task AwaitQuiet(IActorRef server) =>
        await AwaitAssertAsync(
            async () => Assert.Equal(0, await server.Ask<int>(StressEchoServer.CountHandlers.Instance, TestWaits.Expect)),
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private enum ClientKind
    {
        Normal,
        SlowReader,
        HalfClose,
        Abort,
    }
}
