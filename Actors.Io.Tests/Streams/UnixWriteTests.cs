using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Write back-pressure over a socket file, with small kernel buffers and a plain Unix peer that reads only when told:
/// NACK + ResumeWriting / WritingResumed, and a CompoundWrite acking each part in order.
/// </summary>
public sealed class UnixWriteTests(ITestOutputHelper output) : LoopbackTestKit(output, "actors-io.tcp.max-pending-write-bytes = 64 KiB")
{
    private const int SmallBuffer = 4096;
    private const int Writes = 32;
    private const int WriteSize = 16 * 1024;

    [Fact]
    public void After_a_NACK_ResumeWriting_is_answered_with_WritingResumed_once_the_queue_is_sent()
    {
        (Socket client, IActorRef connection) = AcceptOnSocketFile();
        TestProbe writer = CreateTestProbe();
        for (int i = 0; i < Writes; i++) connection.Tell(AckedWrite(Chunk(i), i), writer);

        // The peer reads nothing: the queue fills and every write from the first NACK on fails.
        var acked = new List<int>();
        var nacked = new List<int>();
        while (!nacked.Contains(Writes - 1))
        {
            switch (writer.ReceiveOne(TestWaits.Expect))
            {
                case Ack ack:
                    acked.Add(ack.Id);
                    break;
                case TcpMsg.CommandFailed failed:
                    nacked.Add(((Ack)((TcpMsg.Write)failed.Cmd).Ack).Id);
                    break;
                case var other:
                    throw new InvalidOperationException($"unexpected {other}");
            }
        }

        int firstNack = nacked[0];
        Assert.InRange(firstNack, 1, Writes - 2);
        Assert.Equal(Enumerable.Range(firstNack, Writes - firstNack), nacked);

        // WritingResumed comes only once the queue is sent, after the peer reads it.
        connection.Tell(TcpMsg.ResumeWriting.Instance, writer);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        byte[] expected = [.. Enumerable.Range(0, firstNack).SelectMany(Chunk)];
        AssertSameBytes(expected, ReadExactly(client, expected.Length));
        while (writer.ReceiveOne(TestWaits.Expect) is var message && message is not TcpMsg.WritingResumed)
        {
            acked.Add(Assert.IsType<Ack>(message).Id);
        }

        Assert.Equal(Enumerable.Range(0, firstNack), acked);
        connection.Tell(AckedWrite("again"u8.ToArray(), 100), writer);
        writer.ExpectMsg(new Ack(100), TestWaits.Expect);
        Assert.Equal("again", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 5)));
    }

    [Fact]
    public void A_compound_write_acks_each_part_in_order()
    {
        (Socket client, IActorRef connection) = AcceptOnSocketFile();
        TestProbe writer = CreateTestProbe();
        byte[] first = Pattern(1024, seed: 1);
        byte[] middle = Pattern(48 * 1024, seed: 2);
        byte[] last = Pattern(1024, seed: 3);
        TcpMsg.CompoundWrite compound = TcpMsg.WriteCommand.Create(
            AckedWrite(first, 1),
            TcpMsg.Write.Create(ByteString.FromBytes(middle)),
            AckedWrite(last, 3),
            TcpMsg.Write.Create(ByteString.Empty, new Ack(4)));
        connection.Tell(compound, writer);

        // The first part fits in the kernel; the rest waits behind the unread middle part.
        writer.ExpectMsg(new Ack(1), TestWaits.Expect);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        AssertSameBytes(first, ReadExactly(client, first.Length));
        AssertSameBytes(middle, ReadExactly(client, middle.Length));
        AssertSameBytes(last, ReadExactly(client, last.Length));
        writer.ExpectMsg(new Ack(3), TestWaits.Expect);
        writer.ExpectMsg(new Ack(4), TestWaits.Expect);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private static byte[] Chunk(int i) => Pattern(WriteSize, offset: (long)i * WriteSize);

    /// <summary>A listener on a socket file with a small send buffer, and a plain client with a small receive buffer
    /// whose accepted connection is registered with the test actor (useResumeWriting on).</summary>
    private (Socket Client, IActorRef Connection) AcceptOnSocketFile()
    {
        (EndPoint bound, _) = BindTo(SocketFile(), TestActor, options: new TcpMsg.SO.SendBufferSize(SmallBuffer));
        Socket client = NewClient(AddressFamily.Unix);
        client.ReceiveBufferSize = SmallBuffer;
        client.Connect(bound);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor, useResumeWriting: true));
        return (client, connection);
    }
}
