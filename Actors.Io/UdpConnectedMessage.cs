using System.Net;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// Factories for the <see cref="UdpConnected"/> commands with Akka.IO's <c>UdpConnectedMessage</c> names and parameters,
/// so code written for Akka.IO ports by changing its <c>using</c>. Each returns the <see cref="UdpConnected"/> command itself.
/// </summary>
public static class UdpConnectedMessage
{
    /// <summary>A <see cref="UdpConnected.Connect"/> to <paramref name="remoteAddress"/>; <paramref name="handler"/> gets
    /// the datagrams.</summary>
    public static UdpConnected.Command Connect(
        IActorRef handler, EndPoint remoteAddress, EndPoint? localAddress, IEnumerable<Inet.SocketOption>? options) =>
        new UdpConnected.Connect(handler, remoteAddress, localAddress, Inet.SocketOption.ToUdp(options));

    /// <summary>A <see cref="UdpConnected.Connect"/> to <paramref name="remoteAddress"/> without options.</summary>
    public static UdpConnected.Command Connect(IActorRef handler, EndPoint remoteAddress) => new UdpConnected.Connect(handler, remoteAddress);

    /// <summary>A <see cref="UdpConnected.Send"/> of <paramref name="data"/>, acknowledged with <paramref name="ack"/>.</summary>
    public static UdpConnected.Command Send(ByteString data, object? ack) => new UdpConnected.Send(data, ack);

    /// <summary>A <see cref="UdpConnected.Send"/> of <paramref name="data"/>, not acknowledged.</summary>
    public static UdpConnected.Command Send(ByteString data) => UdpConnected.Send.Create(data);

    /// <summary><see cref="UdpConnected.Disconnect"/>.</summary>
    public static UdpConnected.Command Disconnect() => UdpConnected.Disconnect.Instance;

    /// <summary>A <see cref="UdpConnected.NoAck"/> carrying <paramref name="token"/>.</summary>
    public static UdpConnected.NoAck NoAck(object? token = null) => token is null ? UdpConnected.NoAck.Instance : new UdpConnected.NoAck(token);

    /// <summary><see cref="UdpConnected.SuspendReading"/>.</summary>
    public static UdpConnected.Command SuspendReading() => UdpConnected.SuspendReading.Instance;

    /// <summary><see cref="UdpConnected.ResumeReading"/>.</summary>
    public static UdpConnected.Command ResumeReading() => UdpConnected.ResumeReading.Instance;
}
