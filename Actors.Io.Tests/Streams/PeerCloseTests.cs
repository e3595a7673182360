using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The peer's EOF and reset, in every reading state: reading, suspended, pull mode. The EOF over TCP and a Unix socket
/// file alike; the reset is TCP's own.</summary>
public sealed class PeerCloseTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Peer_EOF_is_reported_as_PeerClosed_and_the_connection_closes(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        Watch(connection);
        client.Send("data"u8);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("data", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertEof(client);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void With_keepOpenOnPeerClosed_writing_still_works_after_PeerClosed_and_Close_completes_with_Closed(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server, keepOpenOnPeerClosed: true);
        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("still here"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("still here", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 10)));

        Watch(connection);
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertEof(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void Peer_reset_is_reported_as_ErrorClosed_naming_the_reset()
    {
        IPEndPoint server = Bind();
        (Socket client, IActorRef connection) = Accept(server);
        Watch(connection);
        client.Send("x"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Reset(client);
        var closed = ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        Assert.Contains("reset", closed.Cause, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(SocketError.ConnectionReset, closed.Error);
        ExpectTerminated(connection, TestWaits.Expect);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Peer_EOF_is_reported_while_reading_is_suspended(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        Suspend(connection);
        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void Peer_reset_is_reported_while_reading_is_suspended()
    {
        IPEndPoint server = Bind();
        (Socket client, IActorRef connection) = Accept(server);
        Suspend(connection);
        Reset(client);
        var closed = ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        Assert.Contains("reset", closed.Cause, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Peer_EOF_is_reported_in_pull_mode_before_any_ResumeReading()
    {
        (IActorRef connection, Socket peer) = ConnectOutgoing(pullMode: true);
        AwaitRegistered(connection);
        peer.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void Peer_reset_is_reported_in_pull_mode_before_any_ResumeReading()
    {
        (IActorRef connection, Socket peer) = ConnectOutgoing(pullMode: true);
        AwaitRegistered(connection);
        Reset(peer);
        var closed = ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        Assert.Contains("reset", closed.Cause, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Peer_EOF_is_reported_in_pull_mode_after_the_pulled_data()
    {
        (IActorRef connection, Socket peer) = ConnectOutgoing(pullMode: true);
        peer.Send("one"u8);
        AwaitDelivered(peer);
        connection.Tell(TcpMsg.ResumeReading.Instance);
        Assert.Equal("one", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        // Nothing unread now, and no pull outstanding: the close is still reported.
        peer.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void Peer_EOF_before_Register_is_reported_in_pull_mode_once_registered()
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), pullMode: true), commander);
        var bound = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect);
        commander.LastSender.Tell(new TcpMsg.ResumeAccepting(1));
        Socket client = NewClient();
        client.Connect(bound.LocalAddress);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        client.Shutdown(SocketShutdown.Send);
        AwaitDelivered(client);

        // Nothing unread and nothing pulled: the close is reported as soon as there is a handler to tell.
        connection.Tell(new TcpMsg.Register(TestActor));
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void With_keepOpenOnPeerClosed_a_large_write_after_PeerClosed_is_sent_and_PeerClosed_is_reported_once(string transport)
    {
        EndPoint server = Bind(transport, options: [new TcpMsg.SO.SendBufferSize(4096)]);
        (Socket client, IActorRef connection) = Accept(server, keepOpenOnPeerClosed: true, clientReceiveBufferSize: 4096);
        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // A response larger than the kernel takes: the connection waits for Writable with the peer half-closed.
        byte[] response = Pattern(1 << 20);
        connection.Tell(AckedWrite(response, 1));
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        AssertSameBytes(response, ReadExactly(client, response.Length));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        AssertEof(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    /// <summary>Suspends reading and waits until the connection has handled it (its answer to a later write says so).</summary>
    private void Suspend(IActorRef connection)
    {
        connection.Tell(TcpMsg.SuspendReading.Instance);
        AwaitRegistered(connection);
    }

    /// <summary>An empty acked write is answered in order after every earlier command of this sender.</summary>
    private void AwaitRegistered(IActorRef connection)
    {
        connection.Tell(TcpMsg.Write.Create(ByteString.Empty, new Ack(-1)));
        ExpectMsg(new Ack(-1), TestWaits.Expect);
    }

    private static void Reset(Socket socket)
    {
        socket.LingerState = new LingerOption(true, 0);
        socket.Close();
    }
}
