using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>Pull mode over TLS, TLS over a Unix domain socket, and writing on after the peer's close_notify.</summary>
public sealed class TlsReadingAndTransportTests(ITestOutputHelper output) : TlsTestKit(output)
{
    [Fact]
    public async Task Pull_mode_delivers_one_Received_of_plaintext_per_ResumeReading_and_reads_no_further_ahead()
    {
        const int Total = 4 << 20;
        EndPoint server = BindTls(pullMode: true, options: [new TcpMsg.SO.ReceiveBufferSize(8192)]);
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(server, bufferSize: 8192);
        connection.Tell(new TcpMsg.Register(TestActor));
        byte[] data = Pattern(Total);
        Task sending = Task.Run(async () =>
        {
            for (int at = 0; at < Total; at += 1000) await client.WriteAsync(data.AsMemory(at, Math.Min(1000, Total - at)));
        });

        // Nothing before the first pull; then one Received per pull, and nothing more until the next.
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
        var received = new MemoryStream();
        for (int i = 0; i < 3; i++)
        {
            connection.Tell(TcpMsg.ResumeReading.Instance);
            received.Write(ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToArray());
            ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }

        // What the handler did not pull waits in the kernels (a bounded read-ahead at most): the sender is held up.
        Assert.False(sending.IsCompleted, "the stage read the whole stream ahead of a handler that pulled three times");

        while (received.Length < Total)
        {
            connection.Tell(TcpMsg.ResumeReading.Instance);
            received.Write(ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToArray());
        }

        await sending.WaitAsync(TestWaits.Expect);
        AssertSameBytes(data, received.ToArray());
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void TLS_over_a_Unix_socket_echoes_and_closes_with_close_notify()
    {
        TestProbe server = CreateTestProbe();
        EndPoint address = BindTls(server, SocketFile());
        Assert.IsType<System.Net.Sockets.UnixDomainSocketEndPoint>(address);

        (IActorRef outgoing, IActorRef incoming) = ConnectTls(address, server);
        outgoing.Tell(TcpMsg.Write.Create(ByteString.FromString("ping over unix"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("ping over unix", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        incoming.Tell(TcpMsg.Write.Create(ByteString.FromString("pong")), server);
        Assert.Equal("pong", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        // Close: close_notify, and the peer hears PeerClosed (not a truncation).
        outgoing.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        server.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // ConfirmedClose: the peer answers with its own close_notify.
        (outgoing, incoming) = ConnectTls(address, server);
        incoming.Tell(TcpMsg.ConfirmedClose.Instance, server);
        server.ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // Abort: no close_notify, so the peer sees the stream end early.
        (outgoing, _) = ConnectTls(address, server);
        outgoing.Tell(TcpMsg.Abort.Instance);
        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        Assert.True(server.ExpectMsg<TcpMsg.ConnectionClosed>(TestWaits.Expect).IsErrorClosed);
    }

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task Kept_open_after_the_peers_close_notify_the_handler_writes_on_and_a_peer_that_reads_gets_it(SslProtocols protocol)
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls(), protocol);
        connection.Tell(new TcpMsg.Register(TestActor, keepOpenOnPeerClosed: true));
        await client.WriteAsync("last words"u8.ToArray());
        await client.ShutdownAsync();

        Assert.Equal("last words", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("the answer"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("the answer", await ReadTextAsync(client, 10));

        connection.Tell(TcpMsg.Close.Instance);
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        await AssertEndAsync(client);
    }

    [Fact]
    public async Task Kept_open_after_a_peer_that_sent_close_notify_and_left_writes_end_in_an_error_close()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls(), SslProtocols.Tls12);
        connection.Tell(new TcpMsg.Register(TestActor, keepOpenOnPeerClosed: true));
        await client.ShutdownAsync();
        client.Dispose();
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // The first write may still reach the kernel; the peer's reset fails a later one.
        object closed = null!;
        for (int i = 0; i < 50 && closed is not TcpMsg.ConnectionClosed; i++)
        {
            connection.Tell(TcpMsg.Write.Create(ByteString.FromString("anyone there?"), new Ack(i)));
            closed = ExpectMsg<object>(m => m is Ack or TcpMsg.ConnectionClosed or TcpMsg.CommandFailed, TestWaits.Expect);
        }

        Assert.IsType<TcpMsg.ErrorClosed>(closed);
    }

    /// <summary>A TLS Connect to <paramref name="address"/> registered with the test actor; the accepted side with <paramref name="server"/>.</summary>
    private (IActorRef Outgoing, IActorRef Incoming) ConnectTls(EndPoint address, TestProbe server)
    {
        Sys.Io().Tell(new TcpMsg.Connect(address, tls: ClientTls()));
        var connected = ExpectMsg<TcpMsg.Connected>(Handshake);
        Assert.NotNull(connected.Tls);
        IActorRef outgoing = LastSender;
        server.ExpectMsg<TcpMsg.Connected>(Handshake);
        IActorRef incoming = server.LastSender;
        outgoing.Tell(new TcpMsg.Register(TestActor));
        incoming.Tell(new TcpMsg.Register(server), server);
        return (outgoing, incoming);
    }
}
