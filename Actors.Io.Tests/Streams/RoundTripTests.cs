using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The stream protocol over each transport (TCP, a Unix socket file, a Linux abstract name), both ends Actors.Io.</summary>
public sealed class RoundTripTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Theory]
    [MemberData(nameof(Transports))]
    public void Writes_are_acked_and_received_both_ways(string transport)
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        Pair pair = OpenPair(transport, server, client);

        pair.Outgoing.Tell(AckedWrite("ping"u8.ToArray(), 1), client);
        client.ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("ping", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        pair.Incoming.Tell(AckedWrite("pong"u8.ToArray(), 2), server);
        server.ExpectMsg(new Ack(2), TestWaits.Expect);
        Assert.Equal("pong", client.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Close_ConfirmedClose_and_Abort_end_the_connection_as_the_protocol_says(string transport)
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        (EndPoint bound, _) = BindTo(AddressFor(transport), server);

        Pair closed = ConnectPair(Sys.Io(), bound, server, client);
        closed.Outgoing.Tell(TcpMsg.Write.Create(ByteString.FromString("last")), client);
        closed.Outgoing.Tell(TcpMsg.Close.Instance, client);
        client.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.Equal("last", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        server.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // The accepted side closes on the peer's EOF (no keepOpenOnPeerClosed), which completes the confirmed close.
        Pair confirmed = ConnectPair(Sys.Io(), bound, server, client);
        confirmed.Outgoing.Tell(TcpMsg.ConfirmedClose.Instance, client);
        server.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        client.ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);

        // A Unix socket has no reset: its peer sees EOF (or a reset error when it left bytes unread).
        Pair aborted = ConnectPair(Sys.Io(), bound, server, client);
        aborted.Outgoing.Tell(TcpMsg.Abort.Instance, client);
        client.ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        var peerSees = server.ExpectMsg<TcpMsg.ConnectionClosed>(TestWaits.Expect);
        Assert.True(peerSees.IsPeerClosed || peerSees.IsErrorClosed, $"the peer of an aborted connection saw {peerSees}");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Pull_mode_accepts_and_reads_only_when_asked_and_reading_can_be_suspended(string transport)
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        (EndPoint bound, IActorRef listener) = BindTo(AddressFor(transport), server, pullMode: true);

        Sys.Io().Tell(new TcpMsg.Connect(bound, pullMode: true), client);
        client.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef outgoing = client.LastSender;
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        listener.Tell(new TcpMsg.ResumeAccepting(1));
        server.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef incoming = server.LastSender;
        outgoing.Tell(new TcpMsg.Register(client), client);
        incoming.Tell(new TcpMsg.Register(server), server);

        // Pull mode on the outgoing end: nothing is delivered until ResumeReading.
        incoming.Tell(AckedWrite("one"u8.ToArray(), 1), server);
        server.ExpectMsg(new Ack(1), TestWaits.Expect);
        client.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        outgoing.Tell(TcpMsg.ResumeReading.Instance, client);
        Assert.Equal("one", client.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        // The accepted end (pull mode too, from the Bind) reads one Received per ResumeReading; SuspendReading holds the next.
        outgoing.Tell(AckedWrite("two"u8.ToArray(), 2), client);
        client.ExpectMsg(new Ack(2), TestWaits.Expect);
        incoming.Tell(TcpMsg.ResumeReading.Instance, server);
        Assert.Equal("two", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        incoming.Tell(TcpMsg.SuspendReading.Instance, server);
        outgoing.Tell(AckedWrite("three"u8.ToArray(), 3), client);
        client.ExpectMsg(new Ack(3), TestWaits.Expect);
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        incoming.Tell(TcpMsg.ResumeReading.Instance, server);
        Assert.Equal("three", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void Four_MiB_cross_intact(string transport)
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        Pair pair = OpenPair(transport, server, client);
        const int chunk = 64 * 1024;
        const int total = 4 * 1024 * 1024;
        byte[] data = Pattern(total);
        for (int offset = 0, id = 0; offset < total; offset += chunk, id++)
        {
            pair.Outgoing.Tell(TcpMsg.Write.Create(ByteString.FromBytes(data, offset, chunk), new Ack(id)), client);
            client.ExpectMsg(new Ack(id), TestWaits.Expect);
        }

        var received = new byte[total];
        int got = 0;
        while (got < total)
        {
            ByteString part = server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data;
            Assert.True(got + part.Count <= total, $"{got + part.Count} bytes received, {total} sent");
            part.CopyTo(received, got, part.Count);
            got += part.Count;
        }

        AssertSameBytes(data, received);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public void A_plain_client_talks_to_an_Actors_Io_listener(string transport)
    {
        (EndPoint bound, _) = BindTo(AddressFor(transport), TestActor);
        Socket client = NewClient(bound.AddressFamily);
        client.Connect(bound);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));
        client.Send("hello"u8);
        Assert.Equal("hello", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        connection.Tell(AckedWrite("world"u8.ToArray(), 1));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("world", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 5)));
        client.Shutdown(SocketShutdown.Send);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }
}
