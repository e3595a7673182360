using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.TestKit;

/// <summary>The shared UDP protocol tests over a real socket bound on loopback, its peer a plain UDP socket.</summary>
public sealed class RealUdpProtocolTests(ITestOutputHelper output) : UdpProtocolTests(output)
{
    protected override IUdpSocketUnderTest Bind(TestProbe handler, TestProbe commander)
    {
        Sys.Io().Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), commander);
        var bound = commander.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect);
        Socket peer = Track(new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds });
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new Real(commander.LastSender, bound.LocalAddress, peer);
    }

    private sealed class Real(IActorRef socket, EndPoint local, Socket peer) : IUdpSocketUnderTest
    {
        public IActorRef Socket => socket;

        public EndPoint LocalAddress => local;

        public EndPoint Peer => peer.LocalEndPoint!;

        // On loopback the datagram is in the receiver's queue when sendto returns.
        public void SendFromPeer(byte[] data) => peer.SendTo(data, local);

        public byte[] ReceiveAtPeer()
        {
            byte[] buffer = new byte[64 * 1024];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            int n = peer.ReceiveFrom(buffer, ref from);
            Assert.Equal(local, from);
            return buffer[..n];
        }

        public void AssertUnbound()
        {
            // The port is free once Unbound is answered: it binds again at once.
            using var again = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            again.Bind(local);
        }
    }
}
