using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Every close but Abort delivers the last answer even when the peer's input is still unread (issue #17): the queued
/// writes go out, then the end of stream, and the connection discards what the peer still sends until it closes,
/// instead of closing over unread input, which resets the connection. The linger here is long (10 s), so a connection
/// that ends within <see cref="TestWaits.Expect"/> was ended by its peer, not by the timer.
/// </summary>
public sealed class LingeringCloseTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp { close-linger = 10s, close-linger-max-bytes = 64 KiB }")
{
    private const int SmallBuffer = 4096;
    private static readonly byte[] Request = "GET /last\n"u8.ToArray();
    private static readonly TcpMsg.SocketOption[] SmallSendBuffer = [new TcpMsg.SO.SendBufferSize(SmallBuffer)];

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Close_over_unread_input_sends_the_last_answer_then_the_end_of_stream_not_a_reset(string transport)
    {
        (Socket client, IActorRef connection) = AcceptWithUnreadRequest(transport, halfClose: true);
        Watch(connection);
        byte[] answer = Pattern(100_000);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(answer)));
        connection.Tell(TcpMsg.Close.Instance);

        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        AssertSameBytes(answer, ReadExactly(client, answer.Length));
        AssertEof(client);

        // The client had half-closed: its EOF, read behind the discarded request, ends the connection.
        ExpectTerminated(connection, TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_peer_that_keeps_sending_reads_the_last_answer_and_its_close_ends_the_linger(string transport)
    {
        (Socket client, IActorRef connection) = AcceptWithUnreadRequest(transport, halfClose: false);
        Watch(connection);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("bye")));
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.Equal("bye", Loopback.ReceiveAscii(client, 3));
        AssertEof(client);

        // Still there, discarding; what the client sends reaches nobody, and its close ends the connection.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        client.Send(Pattern(32 * 1024));
        client.Shutdown(SocketShutdown.Send);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertEof(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_handler_that_closes_and_stops_at_once_still_gets_its_whole_last_answer_out(string transport)
    {
        EndPoint server = Bind(transport, options: SmallSendBuffer);
        (Socket client, IActorRef connection) = AcceptUnregistered(server, clientReceiveBufferSize: SmallBuffer);
        Watch(connection);
        IActorRef handler = Sys.ActorOf(Props.Create(() => new LastAnswer(connection, false)));
        connection.Tell(new TcpMsg.Register(handler));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        SendRequest(client, halfClose: true);

        // The megabyte is still queued when the handler's death reaches the connection: the close goes on.
        byte[] answer = Pattern(1 << 20);
        handler.Tell(answer);
        AssertSameBytes(answer, ReadExactly(client, answer.Length));
        AssertEof(client);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_handler_that_confirmed_closes_and_stops_gets_its_answer_out_and_the_peers_input_is_discarded(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        Watch(connection);
        IActorRef handler = Sys.ActorOf(Props.Create(() => new LastAnswer(connection, true)));
        connection.Tell(new TcpMsg.Register(handler));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        SendRequest(client, halfClose: false);
        handler.Tell("bye"u8.ToArray());

        Assert.Equal("bye", Loopback.ReceiveAscii(client, 3));
        AssertEof(client);
        client.Send("anyone there?"u8);
        client.Shutdown(SocketShutdown.Send);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertEof(client);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void PeerClosed_then_Close_sends_the_answer_then_the_end_of_stream(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server, keepOpenOnPeerClosed: true);
        Watch(connection);
        SendRequest(client, halfClose: true);
        Assert.Equal(Request, ReceiveAll(Request.Length));
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("answer")));
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.Equal("answer", Loopback.ReceiveAscii(client, 6));
        AssertEof(client);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Fact]
    public void Abort_still_resets_at_once()
    {
        (Socket client, IActorRef connection) = AcceptWithUnreadRequest("tcp", halfClose: false);
        Watch(connection);
        connection.Tell(TcpMsg.Abort.Instance);
        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        var reset = Assert.Throws<SocketException>(() => client.Receive(new byte[16]));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    [Fact]
    public void A_peer_that_sends_more_than_close_linger_max_bytes_is_reset()
    {
        (Socket client, IActorRef connection) = AcceptWithUnreadRequest("tcp", halfClose: false);
        Watch(connection);
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        AssertEof(client);

        // 1 MiB against a bound of 64 KiB: the connection resets the client long before its 10 s linger is over.
        SocketError ending = SocketError.Success;
        try
        {
            for (int i = 0; i < 16; i++) client.Send(Pattern(64 * 1024));
        }
        catch (SocketException e)
        {
            ending = e.SocketErrorCode;
        }

        // The connection stops once it has reset the client. A reset that came after the last send shows on the next send
        // (a read returns the end of stream read before it).
        ExpectTerminated(connection, TestWaits.Expect);
        if (ending == SocketError.Success)
        {
            try
            {
                client.Send(new byte[1]);
            }
            catch (SocketException e)
            {
                ending = e.SocketErrorCode;
            }
        }

        Assert.True(ending is SocketError.ConnectionReset or SocketError.Shutdown, $"the client was not reset: {ending}");
    }

    /// <summary>An accepted, registered connection (handler: the test actor) with reading suspended and the client's
    /// request in its kernel, unread; the client half-closed after it when <paramref name="halfClose"/>.</summary>
    private (Socket Client, IActorRef Connection) AcceptWithUnreadRequest(string transport, bool halfClose)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        connection.Tell(new TcpMsg.Register(TestActor));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        SendRequest(client, halfClose);
        return (client, connection);
    }

    private void SendRequest(Socket client, bool halfClose)
    {
        client.Send(Request);
        if (halfClose) client.Shutdown(SocketShutdown.Send);
        AwaitDelivered(client);
    }

    private byte[] ReceiveAll(int count)
    {
        var received = new List<byte>();
        while (received.Count < count) received.AddRange(ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToArray());
        return [.. received];
    }

    /// <summary>Given its answer: writes it, closes (ConfirmedClose when asked), and stops at once.</summary>
    private sealed class LastAnswer : ReceiveActor
    {
        public LastAnswer(IActorRef connection, bool confirmed) =>
            Receive<byte[]>(answer =>
            {
                connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(answer)));
                connection.Tell(confirmed ? TcpMsg.ConfirmedClose.Instance : TcpMsg.Close.Instance);
                Context.Stop(Self);
            });
    }
}

/// <summary>The linger's bounds in time, and the register timeout's close, which lingers too.</summary>
public sealed class LingerTimeoutTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp { close-linger = 300ms, register-timeout = 300ms }")
{
    [Fact]
    public void A_peer_that_never_closes_is_closed_after_close_linger_and_its_descriptor_and_place_are_released()
    {
        IPEndPoint server = Bind();
        int listenerOnly = OpenChannels();
        using Socket client = NewClient();
        client.Connect(server);
        var connected = ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        Watch(connection);
        connection.Tell(new TcpMsg.Register(TestActor));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        client.Send("never closes"u8);
        AwaitDelivered(client);

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("bye")));
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        var lingering = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("bye", Loopback.ReceiveAscii(client, 3));
        AssertEof(client);

        ExpectTerminated(connection, TestWaits.Expect);
        Assert.True(lingering.Elapsed >= TimeSpan.FromMilliseconds(250), $"ended after {lingering.Elapsed}, before the linger time");
        AwaitTrue(() => !Loopback.IsOpen(connected), "the connection's descriptor is closed");
        AwaitTrue(() => OpenChannels() == listenerOnly, "the connection's place is given back");
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void The_register_timeout_sends_what_the_bind_handler_wrote_then_the_end_of_stream(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        Watch(connection);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("no handler, sorry\n")));
        client.Send("hello?\n"u8);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("no handler, sorry\n", Encoding.ASCII.GetString(ReadExactly(client, 18)));
        AssertEof(client);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    /// <summary>The channels open in the system, as <c>max-channels</c> counts them.</summary>
    private int OpenChannels() => ActorsIo.Get(Sys).Pool.Budget.Open;
}
