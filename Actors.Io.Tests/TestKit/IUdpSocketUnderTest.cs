using System.Net;
using Akka.Actor;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// A bound UDP socket whose handler is a test probe, seen from one peer's side: what <see cref="UdpProtocolTests"/>
/// needs to hold a real socket and a <see cref="Actors.Io.TestKit.TestUdpSocket"/> to one behaviour.
/// </summary>
public interface IUdpSocketUnderTest
{
    /// <summary>The socket actor: the sender of the Bound that answered the Bind.</summary>
    IActorRef Socket { get; }

    /// <summary>The address the Bound reported.</summary>
    EndPoint LocalAddress { get; }

    /// <summary>The peer's address.</summary>
    EndPoint Peer { get; }

    /// <summary>The peer sends <paramref name="data"/> to the socket; returns once it is in the socket's reach.</summary>
    void SendFromPeer(byte[] data);

    /// <summary>The next datagram the handler sent to the peer.</summary>
    byte[] ReceiveAtPeer();

    /// <summary>Asserts the socket is closed (its port free, for a real one).</summary>
    void AssertUnbound();
}
