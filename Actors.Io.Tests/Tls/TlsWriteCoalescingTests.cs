using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Actors.Io.Tls;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>
/// The TLS stage gathers the small writes of one round into one record: the bytes arrive exact, every ack comes once
/// and in order, and the client sees a handful of records where it used to see one per write.
/// </summary>
public sealed class TlsWriteCoalescingTests(ITestOutputHelper output) : LoopbackTestKit(output, "actors-io.nr-of-selectors = 1")
{
    private static readonly TimeSpan Handshake = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Hundreds_of_small_writes_in_one_round_go_out_in_a_few_records_byte_exact_with_every_ack_in_order()
    {
        (IActorRef connection, SslStream client, RecordCounter records) = await ConnectAsync();

        // The writer runs on the connection's loop, so all of its writes are in the stage's mailbox before the stage runs:
        // one round.
        const int Writes = 400;
        var random = new Random(15);
        byte[][] pieces = [.. Enumerable.Range(0, Writes).Select(_ => RandomBytes(random, random.Next(1, 101)))];
        string loop = ActorsIo.Get(Sys).LoopDispatcherIds[0];
        IActorRef writer = Sys.ActorOf(Props.Create(() => new Writer(connection, TestActor, pieces)).WithDispatcher(loop));
        records.Reset();
        writer.Tell("go");

        byte[] expected = [.. pieces.SelectMany(p => p)];
        byte[] got = new byte[expected.Length];
        await client.ReadExactlyAsync(got).AsTask().WaitAsync(TestWaits.Expect);
        Assert.Equal(expected, got);
        for (int i = 0; i < Writes; i++) ExpectMsg(new Ack(i), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // About 20 KB: two records of up to CoalesceLimit bytes, maybe three where a piece did not fit; 400 before.
        Output?.WriteLine($"{records.ApplicationData} application-data records for {Writes} writes of {expected.Length} bytes");
        int most = (expected.Length / (TlsStage.CoalesceLimit - 100)) + 2;
        Assert.InRange(records.ApplicationData, 1, most);
    }

    [Fact]
    public async Task Writes_of_a_record_or_more_and_small_ones_mixed_arrive_in_order_and_are_all_acked()
    {
        (IActorRef connection, SslStream client, RecordCounter _) = await ConnectAsync();
        var random = new Random(16);
        int[] sizes = [10, 40_000, 3, 16_000, 15_999, 1, 70_000, 200, 0, 5];
        byte[][] pieces = [.. sizes.Select(n => RandomBytes(random, n))];
        for (int i = 0; i < pieces.Length; i++) connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(pieces[i]), new Ack(i)));

        byte[] expected = [.. pieces.SelectMany(p => p)];
        byte[] got = new byte[expected.Length];
        await client.ReadExactlyAsync(got).AsTask().WaitAsync(TestWaits.Expect);
        Assert.Equal(expected, got);
        for (int i = 0; i < pieces.Length; i++) ExpectMsg(new Ack(i), TestWaits.Expect);
    }

    [Fact]
    public async Task An_Abort_in_the_same_round_as_gathered_writes_drops_them_unacked_and_answers_Aborted()
    {
        (IActorRef connection, SslStream _, RecordCounter _) = await ConnectAsync();
        byte[][] pieces = [.. Enumerable.Range(0, 50).Select(_ => new byte[40])];
        string loop = ActorsIo.Get(Sys).LoopDispatcherIds[0];
        IActorRef writer = Sys.ActorOf(Props.Create(() => new Writer(connection, TestActor, pieces)).WithDispatcher(loop));
        writer.Tell("go, then abort");

        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    private async Task<(IActorRef Connection, SslStream Client, RecordCounter Records)> ConnectAsync()
    {
        Akka.TestKit.TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), tls: new TcpMsg.TlsServerSettings(TestCertificates.Server)), commander);
        var server = (IPEndPoint)commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;

        Socket socket = NewClient();
        await socket.ConnectAsync(server);
        var records = new RecordCounter(new NetworkStream(socket, ownsSocket: true));
        var client = new SslStream(records);
        Track(client);
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        }).WaitAsync(Handshake);

        ExpectMsg<TcpMsg.Connected>(Handshake);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));

        // One write read back first: what the server sent after the handshake (session tickets) is read by then.
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("ready")));
        byte[] ready = new byte[5];
        await client.ReadExactlyAsync(ready).AsTask().WaitAsync(TestWaits.Expect);
        return (connection, client, records);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private sealed class Writer : ReceiveActor
    {
        public Writer(IActorRef connection, IActorRef acksTo, byte[][] pieces) =>
            Receive<string>(command =>
            {
                for (int i = 0; i < pieces.Length; i++) connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(pieces[i]), new Ack(i)), acksTo);
                if (command.EndsWith("abort", StringComparison.Ordinal)) connection.Tell(TcpMsg.Abort.Instance, acksTo);
            });
    }

    /// <summary>The client's view of the wire: counts the TLS application-data records it reads (content type 23).</summary>
    private sealed class RecordCounter(Stream inner) : Stream
    {
        private readonly byte[] _header = new byte[5];
        private int _headerCount;
        private int _bodyLeft;
        private int _applicationData;

        public int ApplicationData => Volatile.Read(ref _applicationData);

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public void Reset() => Volatile.Write(ref _applicationData, 0);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            int n = await inner.ReadAsync(buffer, cancellationToken);
            Observe(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = inner.Read(buffer, offset, count);
            Observe(buffer.AsSpan(offset, n));
            return n;
        }

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        private void Observe(ReadOnlySpan<byte> data)
        {
            while (!data.IsEmpty)
            {
                if (_bodyLeft > 0)
                {
                    int skip = Math.Min(_bodyLeft, data.Length);
                    _bodyLeft -= skip;
                    data = data[skip..];
                    continue;
                }

                int take = Math.Min(5 - _headerCount, data.Length);
                data[..take].CopyTo(_header.AsSpan(_headerCount));
                _headerCount += take;
                data = data[take..];
                if (_headerCount < 5) continue;
                _headerCount = 0;
                _bodyLeft = (_header[3] << 8) | _header[4];
                if (_header[0] == 23) Interlocked.Increment(ref _applicationData);
            }
        }
    }
}
