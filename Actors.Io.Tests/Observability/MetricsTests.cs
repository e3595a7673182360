using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using ByteString = Akka.IO.ByteString;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Observability;

// Its own system name: the meter's "system" tag tells this system's numbers from those of tests running alongside.
public sealed class MetricsTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), "metrics-" + Guid.NewGuid().ToString("N"))
{
    [Fact]
    public void Meter_reports_connections_bytes_and_selector_activity_for_this_system()
    {
        using var meter = new MeterRecorder(Sys.Name);
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        int port = ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress).Port;
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        client.Connect(IPAddress.Loopback, port);
        ExpectMsg<TcpMsg.Connected>();
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));
        client.Send(new byte[1000]);
        int received = 0;
        while (received < 1000) received += ExpectMsg<TcpMsg.Received>().Data.Count;
        connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(new byte[700])));
        int echoed = 0;
        byte[] buffer = new byte[1024];
        while (echoed < 700) echoed += client.Receive(buffer);

        // Bytes for a registered connection with nothing queued are read where the selector sees the event.
        client.Send(new byte[10]);
        Assert.Equal(10, ExpectMsg<TcpMsg.Received>().Data.Count);

        Dictionary<string, long> open = meter.Observe();
        Assert.Equal(1, open["actors-io.connections.open"]);
        Assert.Equal(1, open["actors-io.connections.accepted"]);
        Assert.Equal(1010, open["actors-io.bytes.read"]);
        Assert.True(open["actors-io.received.messages"] >= 2);
        Assert.True(open["actors-io.received.inline"] >= 1);
        Assert.Equal(700, open["actors-io.bytes.written"]);
        Assert.Equal(0, open["actors-io.write.queued-bytes"]);
        Assert.Equal(0, open["actors-io.datagrams.dropped"]);
        Assert.True(open["actors-io.selector.events"] >= 2);
        Assert.True(open["actors-io.selector.wakeups"] >= 1);

        // A reset counts as a failure by cause, and the connection is no longer open.
        client.LingerState = new LingerOption(true, 0);
        client.Close();
        ExpectMsg<TcpMsg.ErrorClosed>();
        AwaitAssert(
            () =>
            {
                Assert.Equal(0, meter.Observe()["actors-io.connections.open"]);
                Assert.Equal(1, meter.Counted("actors-io.connections.failures", "ConnectionReset"));
            },
            TestWaits.Expect);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("unix")]
    public void A_closed_connection_records_how_long_it_was_open(string transport)
    {
        using var meter = new MeterRecorder(Sys.Name);
        DirectoryInfo directory = Directory.CreateTempSubdirectory("aio");
        try
        {
            EndPoint address = transport == "tcp" ? new IPEndPoint(IPAddress.Loopback, 0) : new UnixDomainSocketEndPoint(Path.Combine(directory.FullName, "s"));
            Sys.Io().Tell(new TcpMsg.Bind(TestActor, address));
            EndPoint bound = ExpectMsg<TcpMsg.Bound>().LocalAddress;
            using var client = new Socket(bound.AddressFamily, SocketType.Stream, transport == "tcp" ? ProtocolType.Tcp : ProtocolType.Unspecified);
            client.Connect(bound);
            ExpectMsg<TcpMsg.Connected>();
            LastSender.Tell(new TcpMsg.Register(TestActor));
            Assert.Empty(meter.Recorded("actors-io.connection.duration"));

            // The client closes: the connection reports PeerClosed and its actor stops, recording the duration once.
            client.Shutdown(SocketShutdown.Send);
            ExpectMsg<TcpMsg.PeerClosed>();
            AwaitAssert(() => Assert.Single(meter.Recorded("actors-io.connection.duration")), TestWaits.Expect);
            (double seconds, Dictionary<string, object?> tags) = meter.Recorded("actors-io.connection.duration")[0];
            Assert.True(seconds > 0 && seconds < TestWaits.Expect.TotalSeconds * 2, $"recorded {seconds} s");
            Assert.Equal(new Dictionary<string, object?> { ["system"] = Sys.Name }, tags);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
