using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Write acks come when the bytes are in the kernel, in order, for every part (a CompoundWrite's too); big and many
/// writes arrive exact. Over TCP and a Unix socket file alike.</summary>
public sealed class WriteAckTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int SmallBuffer = 4096;

    private static readonly TcpMsg.SocketOption[] SmallSendBuffer = [new TcpMsg.SO.SendBufferSize(SmallBuffer)];

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_write_is_acked_once_its_bytes_are_in_the_kernel_and_never_before(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();
        byte[] data = Pattern(2 << 20);
        connection.Tell(AckedWrite(data, 1), writer);

        // The peer reads nothing: most of the write cannot be in the kernel, so no ack.
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var received = new byte[data.Length];
        int got = 0;
        int? readWhenAcked = null;
        while (got < data.Length)
        {
            int n = client.Receive(received, got, Math.Min(16 * 1024, data.Length - got), SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
            if (readWhenAcked is null && writer.HasMessages) readWhenAcked = got;
        }

        writer.ExpectMsg(new Ack(1), TestWaits.Expect);
        AssertSameBytes(data, received);

        // When the ack came, at most what two small kernel buffers hold was still unread.
        Assert.True(readWhenAcked is null || readWhenAcked >= data.Length - (512 * 1024), $"acked after only {readWhenAcked} of {data.Length} bytes were read");
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Empty_writes_with_an_ack_are_acked_in_order_with_the_writes_around_them(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();

        // Nothing queued: an empty write is acked at once.
        connection.Tell(TcpMsg.Write.Create(ByteString.Empty, new Ack(0)), writer);
        writer.ExpectMsg(new Ack(0), TestWaits.Expect);

        byte[] big = Pattern(1 << 20);
        byte[] small = Pattern(10, seed: 7);
        connection.Tell(AckedWrite(big, 1), writer);
        connection.Tell(TcpMsg.Write.Create(ByteString.Empty, new Ack(2)), writer);
        connection.Tell(AckedWrite(small, 3), writer);
        connection.Tell(TcpMsg.Write.Create(ByteString.Empty, new Ack(4)), writer);

        // The empty writes wait for the big one ahead of them.
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        AssertSameBytes(big, ReadExactly(client, big.Length));
        AssertSameBytes(small, ReadExactly(client, small.Length));
        writer.ExpectMsg(new Ack(1), TestWaits.Expect);
        writer.ExpectMsg(new Ack(2), TestWaits.Expect);
        writer.ExpectMsg(new Ack(3), TestWaits.Expect);
        writer.ExpectMsg(new Ack(4), TestWaits.Expect);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_compound_write_acks_each_part_in_order(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();
        byte[] first = Pattern(1024, seed: 1);
        byte[] middle = Pattern(512 * 1024, seed: 2);
        byte[] last = Pattern(1024, seed: 3);
        TcpMsg.CompoundWrite compound = TcpMsg.WriteCommand.Create(
            AckedWrite(first, 1),
            TcpMsg.Write.Create(ByteString.FromBytes(middle)),
            AckedWrite(last, 3),
            TcpMsg.Write.Create(ByteString.Empty, new Ack(4)));
        Assert.Equal(4, compound.Writes.Count);
        connection.Tell(compound, writer);

        // The first part fits in the kernel at once; the rest waits behind the unread middle part.
        writer.ExpectMsg(new Ack(1), TestWaits.Expect);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        AssertSameBytes(first, ReadExactly(client, first.Length));
        AssertSameBytes(middle, ReadExactly(client, middle.Length));
        AssertSameBytes(last, ReadExactly(client, last.Length));
        writer.ExpectMsg(new Ack(3), TestWaits.Expect);
        writer.ExpectMsg(new Ack(4), TestWaits.Expect);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Eight_MiB_written_in_one_Write_arrive_byte_exact(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        byte[] data = Pattern(8 << 20, seed: 5);
        connection.Tell(AckedWrite(data, 1));
        AssertSameBytes(data, ReadExactly(client, data.Length));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Many_small_writes_queued_while_the_peer_reads_slowly_arrive_in_order(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        var random = new Random(42);
        const int Writes = 2000;
        var sizes = new int[Writes];
        int total = 0;
        for (int i = 0; i < Writes; i++)
        {
            sizes[i] = random.Next(1, 2049);
            total += sizes[i];
        }

        byte[] stream = Pattern(total, seed: 9);
        int offset = 0;
        for (int i = 0; i < Writes; i++)
        {
            var part = ByteString.CopyFrom(stream, offset, sizes[i]);
            connection.Tell(i == Writes - 1 ? TcpMsg.Write.Create(part, new Ack(i)) : TcpMsg.Write.Create(part));
            offset += sizes[i];
        }

        // The peer reads in small pieces, so the writes pile up in the connection's queue.
        var received = new byte[total];
        int got = 0;
        while (got < total)
        {
            int n = client.Receive(received, got, Math.Min(512, total - got), SocketFlags.None);
            Assert.NotEqual(0, n);
            got += n;
        }

        AssertSameBytes(stream, received);

        // The only reply is the last write's ack: nothing was refused.
        ExpectMsg(new Ack(Writes - 1), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
