using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Many connections echoing many bytes at once, in both receive modes: every byte comes back, in order.</summary>
[Collection(ConnectionLoadCollection.Name)]
public sealed class EchoIntegrityTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    /// <summary>A prime period, so no write or read size lines the pattern up with itself.</summary>
    private const int Period = 65521;

    private readonly ITestOutputHelper _output = output;

    [Fact]
    public Task Two_hundred_connections_each_echo_2_MiB_of_random_size_writes_byte_exact() =>
        EchoAll(TcpMsg.ReceiveMode.Copied, 200, 2 << 20);

    [Fact]
    public Task Five_hundred_leased_connections_each_echo_256_KiB_of_random_size_writes_byte_exact() =>
        EchoAll(TcpMsg.ReceiveMode.Leased, 500, 256 << 10);

    private async Task EchoAll(TcpMsg.ReceiveMode mode, int connections, int bytesPerConnection)
    {
        var stats = new EchoStats();
        IActorRef acceptor = Sys.ActorOf(Props.Create(() => new Acceptor(stats, mode)));
        IPEndPoint server = Bind(acceptor);

        var table = new byte[3 * Period];
        new Random(1234).NextBytes(table.AsSpan(0, Period));
        table.AsSpan(0, Period).CopyTo(table.AsSpan(Period));
        table.AsSpan(0, Period).CopyTo(table.AsSpan(2 * Period));

        var clock = Stopwatch.StartNew();
        Task[] clients = [.. Enumerable.Range(0, connections).Select(c => Task.Run(() => RunClient(server, c, table, bytesPerConnection)))];
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();
        _output.WriteLine($"{connections} x {bytesPerConnection >> 10} KiB echoed ({mode}) in {clock.Elapsed.TotalSeconds:F2} s");

        // Every connection closed as the peer did, without a refused write or an error.
        AwaitTrue(() => stats.Closed == connections);
        Assert.Equal(0, stats.Failures);
        Assert.Equal((long)connections * bytesPerConnection, stats.Echoed);
        Assert.Equal(connections, stats.Connected);
        if (mode == TcpMsg.ReceiveMode.Leased)
        {
            // Every lease went back to its pool with its write.
            ActorsIo io = ActorsIo.Get(Sys);
            AwaitTrue(() => Enumerable.Range(0, io.Pool.Count).Sum(i => io.Pool[i].ReceiveBuffers.Outstanding) == 0, "every lease is given back");
        }
    }

    private static async Task RunClient(IPEndPoint server, int index, byte[] table, int bytesPerConnection)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        int start = (index * 7919) % Period;
        Task sending = Task.Run(async () =>
        {
            var random = new Random(index);
            long sent = 0;
            while (sent < bytesPerConnection)
            {
                int n = (int)Math.Min(random.Next(1, (64 * 1024) + 1), bytesPerConnection - sent);
                int at = (int)((start + sent) % Period);
                sent += await socket.SendAsync(table.AsMemory(at, n));
                if (random.Next(8) == 0) await Task.Delay(random.Next(1, 3));
            }
        });

        var buffer = new byte[64 * 1024];
        long received = 0;
        while (received < bytesPerConnection)
        {
            int n = await socket.ReceiveAsync(buffer);
            if (n == 0) throw new EndOfStreamException($"connection {index}: EOF after {received} bytes");
            int at = (int)((start + received) % Period);
            int same = buffer.AsSpan(0, n).CommonPrefixLength(table.AsSpan(at, n));
            if (same != n) throw new InvalidDataException($"connection {index}: wrong byte at offset {received + same}");
            received += n;
        }

        await sending;
        socket.Shutdown(SocketShutdown.Both);
    }

    private sealed class EchoStats
    {
        private int _connected;
        private int _closed;
        private int _failures;
        private long _echoed;

        public int Connected => Volatile.Read(ref _connected);

        public int Closed => Volatile.Read(ref _closed);

        public int Failures => Volatile.Read(ref _failures);

        public long Echoed => Interlocked.Read(ref _echoed);

        public void OnConnected() => Interlocked.Increment(ref _connected);

        public void OnClosed() => Interlocked.Increment(ref _closed);

        public void OnFailure() => Interlocked.Increment(ref _failures);

        public void OnEchoed(int bytes) => Interlocked.Add(ref _echoed, bytes);
    }

    /// <summary>Registers every new connection with an echo handler; every other one uses acks and suspends reading.</summary>
    private sealed class Acceptor : ReceiveActor
    {
        public Acceptor(EchoStats stats, TcpMsg.ReceiveMode mode)
        {
            int count = 0;
            Receive<TcpMsg.Connected>(_ =>
            {
                stats.OnConnected();
                bool acked = count++ % 2 == 0;
                IActorRef handler = Context.ActorOf(Props.Create(() => new EchoHandler(Sender, stats, acked)));
                Sender.Tell(new TcpMsg.Register(handler, receiveMode: mode));
            });
        }
    }

    /// <summary>Writes back each Received. With acks it keeps at most 256 KiB in flight, suspending reading past that.</summary>
    private sealed class EchoHandler : ReceiveActor
    {
        private const int HighWater = 256 * 1024;

        public EchoHandler(IActorRef connection, EchoStats stats, bool acked)
        {
            long inFlight = 0;
            bool suspended = false;
            Receive<TcpMsg.Received>(r =>
            {
                stats.OnEchoed(r.Data.Count);
                if (!acked)
                {
                    connection.Tell(TcpMsg.Write.Create(r.Data));
                    return;
                }

                connection.Tell(TcpMsg.Write.Create(r.Data, new Written(r.Data.Count)));
                inFlight += r.Data.Count;
                if (inFlight > HighWater && !suspended)
                {
                    suspended = true;
                    connection.Tell(TcpMsg.SuspendReading.Instance);
                }
            });
            Receive<TcpMsg.LeasedReceived>(r =>
            {
                stats.OnEchoed(r.Count);
                connection.Tell(r.Write(acked ? new Written(r.Count) : null));
                if (acked) inFlight += r.Count;
                if (inFlight > HighWater && !suspended)
                {
                    suspended = true;
                    connection.Tell(TcpMsg.SuspendReading.Instance);
                }
            });
            Receive<Written>(w =>
            {
                inFlight -= w.Bytes;
                if (inFlight <= HighWater / 2 && suspended)
                {
                    suspended = false;
                    connection.Tell(TcpMsg.ResumeReading.Instance);
                }
            });
            Receive<TcpMsg.CommandFailed>(_ => stats.OnFailure());
            Receive<TcpMsg.ConnectionClosed>(closed =>
            {
                if (!closed.IsPeerClosed) stats.OnFailure();
                stats.OnClosed();
                Context.Stop(Self);
            });
        }
    }

    private sealed class Written(int bytes) : TcpMsg.Event
    {
        public int Bytes { get; } = bytes;
    }
}
