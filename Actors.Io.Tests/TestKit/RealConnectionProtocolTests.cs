using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The shared protocol tests over a real connection on loopback, its peer a plain socket. A slow peer is one that does
/// not read, with small kernel buffers on both sides so the connection's own queue fills after a few writes; the test
/// connection instead holds writes until the peer reads, so where the first NACK falls differs (the kernel takes some
/// bytes here) and the tests assert only the order the protocol fixes.
/// </summary>
public sealed class RealConnectionProtocolTests(ITestOutputHelper output) : ConnectionProtocolTests(output)
{
    private const int SmallBuffer = 4096;

    protected override IConnectionUnderTest Open(TestProbe handler, ConnectionOptions options)
    {
        TcpMsg.SocketOption[] serverOptions = options.SlowPeer ? [new TcpMsg.SO.SendBufferSize(SmallBuffer)] : [];
        (EndPoint bound, IActorRef listener) = BindTo(new IPEndPoint(IPAddress.Loopback, 0), TestActor, options.PullMode, serverOptions);
        if (options.PullMode) listener.Tell(new TcpMsg.ResumeAccepting(1));
        (Socket client, IActorRef connection) = AcceptUnregistered(bound, clientReceiveBufferSize: options.SlowPeer ? SmallBuffer : 0);
        connection.Tell(new TcpMsg.Register(handler, options.KeepOpenOnPeerClosed, idleTimeout: options.IdleTimeout));
        return new Real(this, client, connection);
    }

    private sealed class Real(RealConnectionProtocolTests kit, Socket peer, IActorRef connection) : IConnectionUnderTest
    {
        public IActorRef Connection => connection;

        public void SendFromPeer(byte[] data)
        {
            peer.Send(data);
            kit.AwaitDelivered(peer);
        }

        public byte[] ReadFromPeer(int count) => Loopback.ReadExactly(peer, count);

        public void CloseFromPeer() => peer.Shutdown(SocketShutdown.Send);

        public void AssertPeerSawClose() => Loopback.AssertEof(peer);

        public void LetIdle(TimeSpan time)
        {
        }
    }
}
