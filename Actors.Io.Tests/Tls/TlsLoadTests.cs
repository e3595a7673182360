using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Actors.Io.Tests.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>Many TLS connections at once, a slow TLS reader, and what is left afterwards.</summary>
[Collection(ConnectionLoadCollection.Name)]
public sealed class TlsLoadTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int Connections = 200;
    private const int BytesPerConnection = 256 * 1024;

    [Fact]
    public async Task Two_hundred_TLS_connections_each_echo_256_KiB_of_random_pieces_byte_exact_and_leave_nothing_behind()
    {
        var stats = new EchoStats();
        IActorRef acceptor = Sys.ActorOf(Props.Create(() => new EchoAcceptor(stats)));
        IPEndPoint server = BindTls(acceptor);

        // One connection first, so the runtime's own socket engine (its epoll and eventfd) is in the baseline.
        await EchoClientAsync(server, -1).WaitAsync(TimeSpan.FromSeconds(30));
        AwaitTrue(() => stats.Closed == 1, "the first connection closed");
        int descriptorsBefore = Descriptors.OpenSocketsAndPollers();
        stats.Reset();

        await Task.WhenAll(Enumerable.Range(0, Connections).Select(i => Task.Run(() => EchoClientAsync(server, i))))
            .WaitAsync(TimeSpan.FromSeconds(60));

        AwaitTrue(() => stats.Closed == Connections, "every handler heard its connection close");
        Assert.Equal(0, stats.Failures);
        Assert.Equal((long)Connections * BytesPerConnection, stats.Echoed);
        AwaitCondition(
            () => Descriptors.OpenSocketsAndPollers() <= descriptorsBefore,
            TimeSpan.FromSeconds(10),
            TimeSpan.FromMilliseconds(10),
            "the descriptors are back at their baseline");
        ActorsIo io = ActorsIo.Get(Sys);
        AwaitTrue(() => Enumerable.Range(0, io.Pool.Count).All(i => io.Pool[i].Load <= 1), "only the listener is still placed");
    }

    [Fact]
    public async Task A_slow_TLS_reader_is_nacked_and_resumed_and_gets_every_byte()
    {
        // Small kernel buffers on both sides, so the writes back up into the connection.
        IPEndPoint server = BindTls(TestActor, new TcpMsg.SO.SendBufferSize(4096));
        using SslStream client = await ConnectAsync(server, receiveBufferSize: 4096);
        ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));

        // A burst of writes while the client reads nothing: the first past max-pending-write-bytes is NACKed and so is
        // every later one. Then ResumeWriting, read, and send again from the first refused write.
        const int Chunk = 32 * 1024;
        const int Writes = 256;
        for (int i = 0; i < Writes; i++) connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(Pattern(Chunk, (long)i * Chunk)), new Ack(i)));
        var nack = (TcpMsg.CommandFailed)FishForMessage(m => m is TcpMsg.CommandFailed, TimeSpan.FromSeconds(15));
        int refused = ((Ack)((TcpMsg.Write)nack.Cmd).Ack).Id;
        Assert.InRange(refused, 1, Writes - 1);

        Task<byte[]> reading = Task.Run(() => ReadAsync(client, Chunk * Writes));
        connection.Tell(TcpMsg.ResumeWriting.Instance);
        FishForMessage(m => m is TcpMsg.WritingResumed, TimeSpan.FromSeconds(30));
        for (int i = refused; i < Writes; i++) connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(Pattern(Chunk, (long)i * Chunk))));

        byte[] received = await reading.WaitAsync(TimeSpan.FromSeconds(30));
        AssertSameBytes(Pattern(Chunk * Writes), received);
    }

    [Fact]
    public async Task Hundreds_of_half_ClientHellos_then_resets_and_garbage_after_a_handshake_leave_the_listener_serving_and_nothing_behind()
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(handler);
        using (SslStream warm = await ConnectAsync(server))
        {
            handler.ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
            handler.LastSender.Tell(new TcpMsg.Register(handler));
        }

        handler.FishForMessage(m => m is TcpMsg.ConnectionClosed, TestWaits.Expect);
        int before = Descriptors.OpenSocketsAndPollers();

        // A ClientHello's first bytes (handshake record, TLS 1.0 record version, a length) and nothing more, then a reset.
        byte[] half = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03];
        for (int wave = 0; wave < 10; wave++)
        {
            await Task.WhenAll(Enumerable.Range(0, 30).Select(async _ =>
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server);
                await socket.SendAsync(half);
                socket.LingerState = new LingerOption(true, 0);
            })).WaitAsync(TimeSpan.FromSeconds(30));
        }

        // Garbage where records should be, after a good handshake: the connection fails, the listener does not.
        Socket raw = NewClient();
        await raw.ConnectAsync(server);
        var tls = new SslStream(new NetworkStream(raw, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        });
        handler.ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
        handler.LastSender.Tell(new TcpMsg.Register(handler));
        await raw.SendAsync(Pattern(4096));
        Assert.IsType<TcpMsg.ErrorClosed>(handler.FishForMessage(m => m is TcpMsg.ConnectionClosed, TestWaits.Expect));
        raw.Dispose();

        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        using SslStream after = await ConnectAsync(server);
        handler.ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
        after.Dispose();
        AwaitCondition(() => Descriptors.OpenSocketsAndPollers() <= before + 1, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(20), "the descriptors are back at their baseline");
    }

    [Fact]
    public async Task A_TLS_handlers_death_aborts_its_connection()
    {
        IPEndPoint server = BindTls(TestActor);
        using SslStream client = await ConnectAsync(server);
        ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
        IActorRef handler = Sys.ActorOf(Props.Create(() => new Silent()));
        LastSender.Tell(new TcpMsg.Register(handler));
        await client.WriteAsync("x"u8.ToArray());

        Sys.Stop(handler);

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            while (await client.ReadAsync(new byte[16]).AsTask().WaitAsync(TestWaits.Expect) > 0)
            {
                // Nothing is sent; the read ends in a reset.
            }

            throw new IOException("closed");
        });
    }

    [Fact]
    public async Task One_handler_of_two_TLS_connections_dying_ends_both_and_a_closed_one_is_forgotten()
    {
        IPEndPoint server = BindTls(TestActor);
        TestProbe events = CreateTestProbe();
        IActorRef handler = Sys.ActorOf(Props.Create(() => new Forwarder(events.Ref)));
        var clients = new List<SslStream>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                clients.Add(await ConnectAsync(server));
                ExpectMsg<TcpMsg.Connected>(TimeSpan.FromSeconds(15));
                LastSender.Tell(new TcpMsg.Register(handler));
            }

            // The first one closes before the handler dies (its stage stops and asks the selector to forget it); the
            // other two are still told.
            clients[0].Dispose();
            events.ExpectMsg<TcpMsg.ConnectionClosed>(TestWaits.Expect);
            Sys.Stop(handler);

            foreach (SslStream client in clients.Skip(1))
            {
                await Assert.ThrowsAnyAsync<IOException>(async () =>
                {
                    while (await client.ReadAsync(new byte[16]).AsTask().WaitAsync(TestWaits.Expect) > 0)
                    {
                        // Nothing is sent; the read ends in a reset.
                    }

                    throw new IOException("closed");
                });
            }
        }
        finally
        {
            foreach (SslStream client in clients) client.Dispose();
        }
    }

    private IPEndPoint BindTls(IActorRef handler, params TcpMsg.SocketOption[] options)
    {
        Sys.Io().Tell(new TcpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0), options: options, tls: new TcpMsg.TlsServerSettings(TestCertificates.Server)), TestActor);
        return (IPEndPoint)ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
    }

    private static async Task<SslStream> ConnectAsync(IPEndPoint server, int receiveBufferSize = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize > 0) socket.ReceiveBufferSize = receiveBufferSize;
        await socket.ConnectAsync(server);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        });
        return stream;
    }

    private static async Task<byte[]> ReadAsync(SslStream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer);
        return buffer;
    }

    private static async Task EchoClientAsync(IPEndPoint server, int index)
    {
        using SslStream stream = await ConnectAsync(server);
        var random = new Random(index + 1);
        byte[] data = new byte[BytesPerConnection];
        random.NextBytes(data);
        Task sending = Task.Run(async () =>
        {
            for (int at = 0; at < data.Length;)
            {
                int n = Math.Min(random.Next(1, 16 * 1024), data.Length - at);
                await stream.WriteAsync(data.AsMemory(at, n));
                at += n;
            }
        });
        byte[] echo = new byte[data.Length];
        await stream.ReadExactlyAsync(echo);
        await sending;
        int same = data.AsSpan().CommonPrefixLength(echo);
        if (same != data.Length) throw new InvalidDataException($"connection {index}: wrong byte at offset {same}");
        await stream.ShutdownAsync();
        Assert.Equal(0, await stream.ReadAsync(new byte[1]));
    }

    private sealed class Silent : ReceiveActor
    {
        public Silent() => ReceiveAny(_ => { });
    }

    private sealed class Forwarder : ReceiveActor
    {
        public Forwarder(IActorRef to) => ReceiveAny(m => to.Forward(m));
    }

    private sealed class EchoStats
    {
        private int _closed;
        private int _failures;
        private long _echoed;

        public int Closed => Volatile.Read(ref _closed);

        public int Failures => Volatile.Read(ref _failures);

        public long Echoed => Interlocked.Read(ref _echoed);

        public void OnClosed() => Interlocked.Increment(ref _closed);

        public void OnFailure() => Interlocked.Increment(ref _failures);

        public void OnEchoed(int bytes) => Interlocked.Add(ref _echoed, bytes);

        public void Reset()
        {
            _closed = 0;
            _failures = 0;
            _echoed = 0;
        }
    }

    private sealed class EchoAcceptor : ReceiveActor
    {
        public EchoAcceptor(EchoStats stats)
        {
            Receive<TcpMsg.Connected>(_ =>
            {
                IActorRef connection = Sender;
                connection.Tell(new TcpMsg.Register(Context.ActorOf(Props.Create(() => new Echo(connection, stats)))));
            });
        }
    }

    /// <summary>Echoes with acks, holding reading back past 32 KiB in flight (below max-pending-write-bytes).</summary>
    private sealed class Echo : ReceiveActor
    {
        public Echo(IActorRef connection, EchoStats stats)
        {
            long inFlight = 0;
            bool suspended = false;
            Receive<TcpMsg.Received>(r =>
            {
                stats.OnEchoed(r.Data.Count);
                inFlight += r.Data.Count;
                connection.Tell(TcpMsg.Write.Create(r.Data, new Written(r.Data.Count)));
                if (inFlight > 32 * 1024 && !suspended)
                {
                    suspended = true;
                    connection.Tell(TcpMsg.SuspendReading.Instance);
                }
            });
            Receive<Written>(w =>
            {
                inFlight -= w.Bytes;
                if (inFlight <= 16 * 1024 && suspended)
                {
                    suspended = false;
                    connection.Tell(TcpMsg.ResumeReading.Instance);
                }
            });
            Receive<TcpMsg.PeerClosed>(_ =>
            {
                stats.OnClosed();
                Context.Stop(Self);
            });
            Receive<TcpMsg.CommandFailed>(_ => stats.OnFailure());
            Receive<TcpMsg.ConnectionClosed>(closed =>
            {
                stats.OnFailure();
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
