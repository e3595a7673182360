using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Many connections echoing many bytes at once: every byte comes back, in order.</summary>
[Collection(ConnectionLoadCollection.Name)]
public sealed class EchoIntegrityTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int Connections = 200;
    private const int BytesPerConnection = 2 << 20;

    /// <summary>A prime period, so no write or read size lines the pattern up with itself.</summary>
    private const int Period = 65521;

    private readonly ITestOutputHelper _output = output;

    [Fact]
    public async Task Two_hundred_connections_each_echo_2_MiB_of_random_size_writes_byte_exact()
    {
        var stats = new EchoStats();
        IActorRef acceptor = Sys.ActorOf(Props.Create(() => new Acceptor(stats)));
        IPEndPoint server = Bind(acceptor);

        var table = new byte[3 * Period];
        new Random(1234).NextBytes(table.AsSpan(0, Period));
        table.AsSpan(0, Period).CopyTo(table.AsSpan(Period));
        table.AsSpan(0, Period).CopyTo(table.AsSpan(2 * Period));

        var clock = Stopwatch.StartNew();
        Task[] clients = [.. Enumerable.Range(0, Connections).Select(c => Task.Run(() => RunClient(server, c, table)))];
        await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(30));
        clock.Stop();
        _output.WriteLine($"{Connections} x {BytesPerConnection >> 20} MiB echoed in {clock.Elapsed.TotalSeconds:F2} s");

        // Every connection closed as the peer did, without a refused write or an error.
        AwaitTrue(() => stats.Closed == Connections);
        Assert.Equal(0, stats.Failures);
        Assert.Equal((long)Connections * BytesPerConnection, stats.Echoed);
        Assert.Equal(Connections, stats.Connected);
    }

    private static async Task RunClient(IPEndPoint server, int index, byte[] table)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server);
        int start = (index * 7919) % Period;
        Task sending = Task.Run(async () =>
        {
            var random = new Random(index);
            long sent = 0;
            while (sent < BytesPerConnection)
            {
                int n = (int)Math.Min(random.Next(1, (64 * 1024) + 1), BytesPerConnection - sent);
                int at = (int)((start + sent) % Period);
                sent += await socket.SendAsync(table.AsMemory(at, n));
                if (random.Next(8) == 0) await Task.Delay(random.Next(1, 3));
            }
        });

        var buffer = new byte[64 * 1024];
        long received = 0;
        while (received < BytesPerConnection)
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
        public Acceptor(EchoStats stats)
        {
            int count = 0;
            Receive<TcpMsg.Connected>(_ =>
            {
                stats.OnConnected();
                bool acked = count++ % 2 == 0;
                IActorRef handler = Context.ActorOf(Props.Create(() => new EchoHandler(Sender, stats, acked)));
                Sender.Tell(new TcpMsg.Register(handler));
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
