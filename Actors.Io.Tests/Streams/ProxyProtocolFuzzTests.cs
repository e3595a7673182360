using System.Net;
using System.Net.Sockets;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Thousands of damaged PROXY headers against one listener: each connection is either announced with the addresses its
/// header gives or reset unannounced, the listener keeps serving, and no descriptor or place is left behind. Counts the
/// process's sockets, so it runs alone.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class ProxyProtocolFuzzTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.proxy-protocol-timeout = 5s", "proxy-fuzz-" + Guid.NewGuid().ToString("N"))
{
    private const int Cases = 2000;
    private const int Batch = 40;

    [Fact]
    public void Damaged_headers_are_announced_with_their_addresses_or_reset_and_nothing_leaks()
    {
        using var meter = new MeterRecorder(Sys.Name);
        TestProbe announced = CreateTestProbe();
        IActorRef handler = Sys.ActorOf(Props.Create(() => new AbortingHandler(announced.Ref)));
        IPEndPoint server = Bind(handler, options: [new TcpMsg.SO.ProxyProtocol()]);
        int channels = ActorsIo.Get(Sys).Budget.Open;
        int sockets = Descriptors.OpenSocketsAndPollers();

        var random = new Random(17_05_2026);
        byte[][] seeds =
        [
            ProxyHeaders.V1(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 51000), new IPEndPoint(IPAddress.Parse("198.51.100.2"), 443)),
            ProxyHeaders.V1(new IPEndPoint(IPAddress.Parse("2001:db8::9"), 52000), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443)),
            ProxyHeaders.V1("PROXY UNKNOWN\r\n"),
            ProxyHeaders.V2(new IPEndPoint(IPAddress.Parse("203.0.113.9"), 51000), new IPEndPoint(IPAddress.Parse("198.51.100.2"), 443), (0x01, "h2"u8.ToArray())),
            ProxyHeaders.V2(new IPEndPoint(IPAddress.Parse("2001:db8::9"), 52000), new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443), (0x20, ProxyHeaders.Filler(40))),
            ProxyHeaders.V2Local(),
        ];

        int accepted = 0, refused = 0;
        for (int done = 0; done < Cases; done += Batch)
        {
            var expected = new Dictionary<EndPoint, string>();
            var clients = new List<Socket>();
            for (int i = 0; i < Batch; i++)
            {
                byte[] data = ProxyMutations.Mutate(seeds[random.Next(seeds.Length)], random);
                ProxyHeaderResult result = ProxyHeader.Parse(data, TcpMsg.ProxyProtocolVersions.Any);
                Socket client = Loopback.Connect(server);
                clients.Add(client);
                if (result.Status == ProxyHeaderStatus.Complete) expected[client.LocalEndPoint!] = (result.Source ?? client.LocalEndPoint!).ToString()!;
                try
                {
                    client.Send(data);
                    client.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
                {
                    // Refused at its first bytes.
                }
            }

            for (int i = 0; i < expected.Count; i++)
            {
                var connected = announced.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
                Assert.True(expected.TryGetValue(connected.ProxyAddress!, out string? remote), $"{connected} was not expected to be announced");
                Assert.Equal(remote, connected.RemoteAddress.ToString());
            }

            // Every client is closed: refused ones by the header's failure, announced ones by the handler's Abort.
            foreach (Socket client in clients)
            {
                Loopback.AssertResetOrEof(client);
                client.Dispose();
            }

            accepted += expected.Count;
            refused += Batch - expected.Count;
        }

        announced.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.True(accepted > 100 && refused > 100, $"{accepted} accepted, {refused} refused: the mutations should reach both");
        AwaitAssert(
            () =>
            {
                long failed = meter.Counted("actors-io.connections.failures", TcpIncomingConnection.ProxyHeaderInvalidCause)
                    + meter.Counted("actors-io.connections.failures", TcpIncomingConnection.ProxyHeaderIncompleteCause);
                Assert.Equal(refused, failed);
            },
            TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(channels, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(sockets, Descriptors.OpenSocketsAndPollers()), TestWaits.Expect);

        // Still serving.
        using Socket last = Loopback.Connect(server);
        last.Send(ProxyHeaders.V2Local());
        Assert.Equal(last.LocalEndPoint, announced.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect).RemoteAddress);
    }

    /// <summary>Tells the probe of each connection, registers it and aborts it at once.</summary>
    private sealed class AbortingHandler : ReceiveActor
    {
        public AbortingHandler(IActorRef probe)
        {
            Receive<TcpMsg.Connected>(connected =>
            {
                probe.Tell(connected);
                Sender.Tell(new TcpMsg.Register(Self));
                Sender.Tell(TcpMsg.Abort.Instance);
            });
            ReceiveAny(_ => { });
        }
    }
}
