using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The queue of unsent bytes is bounded: overflow is NACKed, and writing resumes as the protocol says (ResumeWriting
/// answered with WritingResumed). Over TCP and a Unix socket file alike.</summary>
public sealed class WriteBackpressureTests : LoopbackTestKit
{
    private const int Limit = 64 * 1024;

    // What the kernel holds while the peer reads nothing: the server's send and the client's receive buffer, each
    // set to SmallBuffer and doubled by Linux for its bookkeeping.
    private const int KernelBuffers = 2 * 2 * SmallBuffer;
    private const int SmallBuffer = 4096;
    private const int Writes = 32;
    private const int WriteSize = 16 * 1024;

    private static readonly TcpMsg.SocketOption[] SmallSendBuffer = [new TcpMsg.SO.SendBufferSize(SmallBuffer)];
    private readonly ITestOutputHelper _output;

    public WriteBackpressureTests(ITestOutputHelper output)
        : base(output, "actors-io.tcp.max-pending-write-bytes = 64 KiB") => _output = output;

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void With_useResumeWriting_every_write_after_a_NACK_fails_until_ResumeWriting_is_answered_with_WritingResumed(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, useResumeWriting: true, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();
        for (int i = 0; i < Writes; i++) connection.Tell(AckedWrite(Chunk(i), i), writer);

        // The peer reads nothing: the queue fills, one write is NACKed for the limit, and so is every later one.
        var acked = new List<int>();
        var nacked = new List<int>();
        var causes = new List<string>();
        long maxQueued = 0;
        while (!nacked.Contains(Writes - 1))
        {
            Collect(writer.ReceiveOne(TestWaits.Expect), acked, nacked, causes);
            maxQueued = Math.Max(maxQueued, QueuedBytes());
        }

        int firstNack = nacked[0];
        long queued = QueuedBytes();
        long inKernel = (long)firstNack * WriteSize - queued;
        _output.WriteLine($"first NACK at write {firstNack}; {queued} B queued, {inKernel} B in the kernel; at most {maxQueued} B queued seen");
        Assert.True(maxQueued <= Limit, $"{maxQueued} B queued, past the {Limit} B limit");
        Assert.InRange(inKernel, 0, KernelBuffers);
        Assert.InRange(firstNack, 1, (Limit + KernelBuffers) / WriteSize);
        Assert.Equal(Enumerable.Range(firstNack, Writes - firstNack), nacked);
        Assert.Contains("max-pending-write-bytes", causes[0]);
        Assert.All(acked, id => Assert.True(id < firstNack));

        // Still refused: nothing has been read, and no ResumeWriting was sent.
        connection.Tell(AckedWrite(Pattern(10), 100), writer);
        var refused = writer.ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Equal(new Ack(100), ((TcpMsg.Write)refused.Cmd).Ack);
        Assert.Contains("ResumeWriting", refused.Cause!.Message);

        // ResumeWriting is answered only once the queue is sent, that is after the peer reads.
        connection.Tell(TcpMsg.ResumeWriting.Instance, writer);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        byte[] expected = [.. Enumerable.Range(0, firstNack).SelectMany(Chunk)];
        AssertSameBytes(expected, ReadExactly(client, expected.Length));
        var remaining = new List<int>();
        while (true)
        {
            object message = writer.ReceiveOne(TestWaits.Expect) ?? throw new TimeoutException("no WritingResumed");
            if (message is TcpMsg.WritingResumed) break;
            remaining.Add(Assert.IsType<Ack>(message).Id);
        }

        Assert.Equal(Enumerable.Range(0, firstNack), acked.Concat(remaining));

        // Writing works again.
        byte[] after = Pattern(100, seed: 77);
        connection.Tell(AckedWrite(after, 200), writer);
        writer.ExpectMsg(new Ack(200), TestWaits.Expect);
        AssertSameBytes(after, ReadExactly(client, after.Length));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Without_useResumeWriting_later_writes_are_accepted_again_once_there_is_room(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, useResumeWriting: false, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();
        for (int i = 0; i < Writes; i++) connection.Tell(AckedWrite(Chunk(i), i), writer);

        var acked = new List<int>();
        var nacked = new List<int>();
        var causes = new List<string>();
        while (nacked.Count == 0)
        {
            Collect(writer.ReceiveOne(TestWaits.Expect), acked, nacked, causes);
            Assert.True(QueuedBytes() <= Limit, $"{QueuedBytes()} B queued, past the {Limit} B limit");
        }

        Assert.Contains("max-pending-write-bytes", causes[0]);

        // Now the peer reads everything; every write gets exactly one answer.
        var reader = new PeerReader(client);
        while (acked.Count + nacked.Count < Writes)
        {
            Collect(writer.ReceiveOne(TestWaits.Expect), acked, nacked, causes);
            Assert.True(QueuedBytes() <= Limit, $"{QueuedBytes()} B queued, past the {Limit} B limit");
        }
        Assert.All(causes, c => Assert.Contains("max-pending-write-bytes", c));
        Assert.Equal(Enumerable.Range(0, Writes), acked.Concat(nacked).Order());
        Assert.Equal(acked.Order(), acked);

        // The peer got exactly the accepted writes, in order.
        byte[] expected = [.. acked.SelectMany(Chunk)];
        AwaitTrue(() => reader.Count >= expected.Length);
        AssertSameBytes(expected, reader.Snapshot());

        // No ResumeWriting: with room in the queue a write is simply accepted.
        byte[] after = Pattern(WriteSize, seed: 99);
        connection.Tell(AckedWrite(after, 500), writer);
        writer.ExpectMsg(new Ack(500), TestWaits.Expect);
        AwaitTrue(() => reader.Count >= expected.Length + after.Length);
        AssertSameBytes([.. expected, .. after], reader.Snapshot());

        connection.Tell(TcpMsg.Close.Instance, writer);
        writer.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        AwaitTrue(() => reader.Completion.IsCompleted);
        Assert.Null(reader.Completion.Exception);
        Assert.Equal(expected.Length + after.Length, reader.Count);
    }

    /// <summary>Bytes written and not yet taken by the kernel, over this system's connections (only the one under test).</summary>
    private long QueuedBytes()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        long total = 0;
        for (int i = 0; i < io.Pool.Count; i++) total += Interlocked.Read(ref io.Selector(i).Counters.QueuedWriteBytes);
        return total;
    }

    private static byte[] Chunk(int index) => Pattern(WriteSize, seed: index + 1);

    private static void Collect(object? message, List<int> acked, List<int> nacked, List<string> causes)
    {
        switch (message)
        {
            case Ack ack:
                acked.Add(ack.Id);
                break;
            case TcpMsg.CommandFailed failed:
                nacked.Add(((Ack)((TcpMsg.Write)failed.Cmd).Ack).Id);
                causes.Add(failed.Cause?.Message ?? "(no cause)");
                break;
            case null:
                throw new TimeoutException($"no reply; acked {string.Join(",", acked)}, nacked {string.Join(",", nacked)}");
            default:
                throw new InvalidOperationException($"unexpected {message}");
        }
    }

    /// <summary>Reads a socket on its own thread until EOF, keeping every byte.</summary>
    private sealed class PeerReader
    {
        private readonly MemoryStream _bytes = new();

        public PeerReader(Socket socket) =>
            Completion = Task.Factory.StartNew(
                () =>
                {
                    var buffer = new byte[64 * 1024];
                    int n;
                    while ((n = socket.Receive(buffer)) > 0)
                    {
                        lock (_bytes) _bytes.Write(buffer, 0, n);
                    }
                },
                TaskCreationOptions.LongRunning);

        public Task Completion { get; }

        public long Count
        {
            get
            {
                lock (_bytes) return _bytes.Length;
            }
        }

        public byte[] Snapshot()
        {
            lock (_bytes) return _bytes.ToArray();
        }
    }
}
