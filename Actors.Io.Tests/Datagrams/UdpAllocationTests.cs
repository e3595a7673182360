using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>
/// The datagram receive and send paths allocate nothing per datagram beyond the payload: an echo handler on the loop
/// answers a steady peer thousands of times while the loop thread's allocations are measured and compared with what the
/// payload alone costs (the Received, its ByteString, the handler's Send). The peer's EndPoint is reused, not remade.
/// </summary>
public sealed class UdpAllocationTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Size = 64;
    private readonly ITestOutputHelper _output;

    public UdpAllocationTests(ITestOutputHelper output)
        : base(TestConfigs.With(TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public void Echoed_datagrams_allocate_only_the_payload()
    {
        IActorRef echo = Sys.ActorOf(Props.Create(() => new MeasuringEcho(TestActor)).WithDispatcher(ActorsIo.Get(Sys).LoopDispatcherIds[0]));
        Sys.Io().Tell(new UdpMsg.Bind(echo, new IPEndPoint(IPAddress.Loopback, 0)));
        EndPoint server = ExpectMsg<UdpMsg.Bound>().LocalAddress;

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        client.Connect(server);
        byte[] message = new byte[Size];
        byte[] answer = new byte[Size];
        for (int i = 0; i < LoopAllocations.RoundTrips; i++)
        {
            message[0] = (byte)i;
            client.Send(message);
            Assert.Equal(Size, client.Receive(answer));
            Assert.Equal((byte)i, answer[0]);
        }

        byte[] buffer = new byte[Size];
        EndPoint peer = new IPEndPoint(IPAddress.Loopback, 1);
        double payload = LoopAllocations.BytesPerCall(() =>
        {
            var received = new UdpMsg.Received(ByteString.CopyFrom(buffer, 0, Size), peer);
            return UdpMsg.Send.Create(received.Data, received.Sender);
        });
        LoopAllocations.AssertOnlyThePayload(ExpectMsg<long>(TimeSpan.FromSeconds(10)), payload, _output, "Received + its ByteString + the handler's Send");
    }

    private sealed class MeasuringEcho(IActorRef probe) : UntypedActor
    {
        private readonly LoopAllocations.Meter _meter = new(probe);

        protected override void OnReceive(object message)
        {
            if (message is not UdpMsg.Received received) return;
            _meter.Count();
            Sender.Tell(UdpMsg.Send.Create(received.Data, received.Sender));
        }
    }
}
