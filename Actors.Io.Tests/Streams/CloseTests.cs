using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Close, ConfirmedClose and Abort, as the closer, the handler and the peer see them; over TCP and a Unix socket file
/// alike, but for the reset of an abort, which only TCP has.</summary>
public sealed class CloseTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int SmallBuffer = 4096;

    private static readonly TcpMsg.SocketOption[] SmallSendBuffer = [new TcpMsg.SO.SendBufferSize(SmallBuffer)];

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Close_sends_the_queued_writes_first_then_reports_Closed_once_to_a_handler_that_is_also_the_closer(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        Watch(connection);
        byte[] data = Pattern(1 << 20);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(data)));
        connection.Tell(TcpMsg.Close.Instance);

        // The peer has not read the queued megabyte: the close waits for it.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        AssertSameBytes(data, ReadExactly(client, data.Length));
        AssertEof(client);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Close_from_another_actor_reports_Closed_once_to_it_and_once_to_the_handler(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        TestProbe closer = CreateTestProbe();
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("last")), closer);
        connection.Tell(TcpMsg.Close.Instance, closer);
        closer.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.Equal("last", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 4)));
        AssertEof(client);
        closer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void ConfirmedClose_half_closes_delivers_what_the_peer_still_sends_and_completes_when_the_peer_closes(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        Watch(connection);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("bye")));
        connection.Tell(TcpMsg.ConfirmedClose.Instance);

        // The peer reads the queued bytes, then EOF; the connection waits for the peer's close.
        Assert.Equal("bye", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 3)));
        AssertEof(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        // What the peer sends before closing is still delivered.
        client.Send("late reply"u8);
        Assert.Equal("late reply", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Abort_reports_Aborted_and_resets_the_connection()
    {
        IPEndPoint server = Bind();
        (Socket client, IActorRef connection) = Accept(server);
        client.Send("hi"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Watch(connection);
        connection.Tell(TcpMsg.Abort.Instance);
        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        var reset = Assert.Throws<SocketException>(() => client.Receive(new byte[16]));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Abort_drops_the_queued_writes()
    {
        IPEndPoint server = Bind(options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        TestProbe writer = CreateTestProbe();
        byte[] data = Pattern(1 << 20);
        connection.Tell(AckedWrite(data, 1), writer);
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        connection.Tell(TcpMsg.Abort.Instance, writer);
        writer.ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);

        // The peer may still read what its kernel had, then the reset; never the whole write.
        var buffer = new byte[64 * 1024];
        long got = 0;
        var reset = Assert.Throws<SocketException>(() =>
        {
            while (true)
            {
                int n = client.Receive(buffer);
                if (n == 0) return;
                got += n;
            }
        });
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
        Assert.True(got < data.Length, $"{got} bytes");
        writer.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Writes_after_Close_are_refused_with_CommandFailed(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = Accept(server, clientReceiveBufferSize: SmallBuffer);
        byte[] data = Pattern(1 << 20);
        connection.Tell(AckedWrite(data, 1));
        connection.Tell(TcpMsg.Close.Instance);
        TcpMsg.Write late = AckedWrite(Pattern(100, seed: 3), 2);
        connection.Tell(late);
        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(late, failed.Cmd);
        Assert.NotNull(failed.Cause);

        // Only the bytes written before Close reach the peer.
        AssertSameBytes(data, ReadExactly(client, data.Length));
        AssertEof(client);
        ExpectMsg(new Ack(1), TestWaits.Expect);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Writes_after_ConfirmedClose_are_refused_while_the_peer_is_still_open(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        connection.Tell(TcpMsg.ConfirmedClose.Instance);
        AssertEof(client);
        TcpMsg.Write late = AckedWrite(Pattern(10), 1);
        connection.Tell(late);
        Assert.Same(late, ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect).Cmd);
        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
    }
}
