using System.Net;
using Actors.Io.TestKit;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.TestKit;

/// <summary>The shared UDP protocol tests over the test kit's <see cref="TestUdpSocket"/>, configured from the same HOCON.</summary>
public sealed class TestUdpSocketProtocolTests(ITestOutputHelper output) : UdpProtocolTests(output)
{
    protected override IUdpSocketUnderTest Bind(TestProbe handler, TestProbe commander)
    {
        TestUdpSocketSettings configured = TestUdpSocketSettings.From(ActorsIoSettings.Create(Sys.Settings.Config.WithFallback(ActorsIo.ReferenceConfig)).Udp);
        Assert.Equal(MaxDatagramSize, configured.MaxDatagramSize);
        var socket = TestUdpSocket.Create(this, configured);
        socket.Socket.Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), commander);
        var bound = commander.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        Assert.Equal(bound.LocalAddress, socket.ExpectBound(TestWaits.Expect).LocalAddress);
        return new Simulated(socket, commander.LastSender, bound.LocalAddress);
    }

    private sealed class Simulated(TestUdpSocket kit, IActorRef socket, EndPoint local) : IUdpSocketUnderTest
    {
        public IActorRef Socket => socket;

        public EndPoint LocalAddress => local;

        public EndPoint Peer { get; } = new IPEndPoint(IPAddress.Loopback, 40001);

        public void SendFromPeer(byte[] data) => kit.PushReceived(data, Peer);

        public byte[] ReceiveAtPeer()
        {
            RecordedSend send = kit.ExpectSend(TestWaits.Expect);
            Assert.Equal(Peer, send.Target);
            return send.Payload.ToArray();
        }

        public void AssertUnbound() => kit.ExpectUnbound(TestWaits.Expect);
    }
}
