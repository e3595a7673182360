using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>SuspendReading / ResumeReading, and pull mode on outgoing and accepted connections.</summary>
public sealed class ReadingControlTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.max-received-message-size = 1 KiB")
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Nothing_is_received_while_reading_is_suspended_and_everything_after_ResumeReading(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        client.Send("before"u8);
        Assert.Equal("before", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        connection.Tell(TcpMsg.SuspendReading.Instance);
        byte[] data = Pattern(3000);
        client.Send(data);
        AwaitDelivered(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        connection.Tell(TcpMsg.ResumeReading.Instance);
        AssertSameBytes(data, ReceiveBytes(data.Length));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void An_outgoing_connection_in_pull_mode_delivers_exactly_one_Received_per_ResumeReading()
    {
        (IActorRef connection, Socket peer) = ConnectOutgoing(pullMode: true);

        byte[] data = Pattern(4096);
        peer.Send(data);
        AwaitDelivered(peer);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        var received = new MemoryStream();
        int pulls = 0;
        while (received.Length < data.Length)
        {
            connection.Tell(TcpMsg.ResumeReading.Instance);
            pulls++;
            var chunk = ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
            Assert.InRange(chunk.Data.Count, 1, 1024);
            received.Write(chunk.Data.ToArray());
            ExpectNoMsg(TimeSpan.FromMilliseconds(150));
        }

        AssertSameBytes(data, received.ToArray());
        Assert.True(pulls >= 4, $"{pulls} pulls");

        // Writing is not affected by pull mode.
        connection.Tell(AckedWrite(Pattern(10), 1));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        AssertSameBytes(Pattern(10), ReadExactly(peer, 10));
    }

    [Fact]
    public void A_listener_in_pull_mode_accepts_on_ResumeAccepting_and_its_connections_read_on_ResumeReading()
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), pullMode: true), commander);
        var bound = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect);
        IActorRef listener = commander.LastSender;

        Socket client = NewClient();
        client.Connect(bound.LocalAddress);
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));

        listener.Tell(new TcpMsg.ResumeAccepting(1));
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));
        client.Send("pulled"u8);
        AwaitDelivered(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));

        connection.Tell(TcpMsg.ResumeReading.Instance);
        Assert.Equal("pulled", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    private byte[] ReceiveBytes(int count)
    {
        var received = new MemoryStream();
        while (received.Length < count)
        {
            var chunk = ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
            Assert.InRange(chunk.Data.Count, 1, 1024);
            received.Write(chunk.Data.ToArray());
        }

        return received.ToArray();
    }
}
