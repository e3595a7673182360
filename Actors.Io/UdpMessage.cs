using System.Net;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// Factories for the <see cref="Udp"/> commands with Akka.IO's <c>UdpMessage</c> names and parameters, so code written
/// for Akka.IO ports by changing its <c>using</c>. Each returns the <see cref="Udp"/> command itself.
/// </summary>
public static class UdpMessage
{
    /// <summary>A <see cref="Udp.NoAck"/> carrying <paramref name="token"/>: a send with it is not acknowledged.</summary>
    public static Udp.NoAck NoAck(object? token = null) => token is null ? Udp.NoAck.Instance : new Udp.NoAck(token);

    /// <summary>A <see cref="Udp.Send"/> of <paramref name="payload"/> to <paramref name="target"/>, acknowledged with
    /// <paramref name="ack"/>.</summary>
    public static Udp.Command Send(ByteString payload, EndPoint target, Udp.Event ack) => new Udp.Send(payload, target, ack);

    /// <summary>A <see cref="Udp.Send"/> of <paramref name="payload"/> to <paramref name="target"/>, not acknowledged.</summary>
    public static Udp.Command Send(ByteString payload, EndPoint target) => Udp.Send.Create(payload, target);

    /// <summary>A <see cref="Udp.Bind"/> on <paramref name="endpoint"/>; <paramref name="handler"/> gets the datagrams.</summary>
    public static Udp.Command Bind(IActorRef handler, EndPoint endpoint, IEnumerable<Inet.SocketOption>? options) =>
        new Udp.Bind(handler, endpoint, Inet.SocketOption.ToUdp(options));

    /// <summary>A <see cref="Udp.Bind"/> on <paramref name="endpoint"/> without options.</summary>
    public static Udp.Command Bind(IActorRef handler, EndPoint endpoint) => new Udp.Bind(handler, endpoint);

    /// <summary><see cref="Udp.Unbind"/>.</summary>
    public static Udp.Command Unbind() => Udp.Unbind.Instance;

    /// <summary>A <see cref="Udp.SimpleSender"/> with <paramref name="options"/>.</summary>
    public static Udp.Command SimpleSender(IEnumerable<Inet.SocketOption>? options) => new Udp.SimpleSender(Inet.SocketOption.ToUdp(options));

    /// <summary>A <see cref="Udp.SimpleSender"/> without options.</summary>
    public static Udp.Command SimpleSender() => Udp.SimpleSender.Instance;

    /// <summary><see cref="Udp.SuspendReading"/>.</summary>
    public static Udp.Command SuspendReading() => Udp.SuspendReading.Instance;

    /// <summary><see cref="Udp.ResumeReading"/>.</summary>
    public static Udp.Command ResumeReading() => Udp.ResumeReading.Instance;
}
