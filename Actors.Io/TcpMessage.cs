using System.Net;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// Factories for the <see cref="Tcp"/> commands with Akka.IO's <c>TcpMessage</c> names and parameters, so code written
/// for Akka.IO ports by changing its <c>using</c>. Each returns the <see cref="Tcp"/> command itself.
/// </summary>
public static class TcpMessage
{
    /// <summary>A <see cref="Tcp.Connect"/> to <paramref name="remoteAddress"/> (an <see cref="IPEndPoint"/>,
    /// <see cref="DnsEndPoint"/> or Unix socket address).</summary>
    public static Tcp.Command Connect(
        EndPoint remoteAddress, EndPoint? localAddress, IEnumerable<Inet.SocketOption>? options, TimeSpan? timeout, bool pullMode) =>
        new Tcp.Connect(remoteAddress, localAddress, Inet.SocketOption.ToTcp(options), timeout, pullMode);

    /// <summary>A <see cref="Tcp.Connect"/> to <paramref name="remoteAddress"/> with the defaults.</summary>
    public static Tcp.Command Connect(EndPoint remoteAddress) => new Tcp.Connect(remoteAddress);

    /// <summary>A <see cref="Tcp.Bind"/> on <paramref name="endpoint"/>; <paramref name="handler"/> gets each
    /// <see cref="Tcp.Connected"/>.</summary>
    public static Tcp.Command Bind(
        IActorRef handler, EndPoint endpoint, int backlog, IEnumerable<Inet.SocketOption>? options, bool pullMode) =>
        new Tcp.Bind(handler, endpoint, backlog, Inet.SocketOption.ToTcp(options), pullMode);

    /// <summary>A <see cref="Tcp.Bind"/> on <paramref name="endpoint"/> with <paramref name="backlog"/> (default 100, as
    /// Akka.IO's).</summary>
    public static Tcp.Command Bind(IActorRef handler, EndPoint endpoint, int backlog = 100) => new Tcp.Bind(handler, endpoint, backlog);

    /// <summary>A <see cref="Tcp.Register"/> of <paramref name="handler"/> for a new connection.</summary>
    public static Tcp.Command Register(IActorRef handler, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true) =>
        new Tcp.Register(handler, keepOpenOnPeerClosed, useResumeWriting);

    /// <summary>A <see cref="Tcp.Register"/> that has the connection start its handler from <paramref name="handler"/>
    /// (see <see cref="Tcp.Register(Props, bool, bool, Tcp.ReceiveMode, Tcp.IdleTimeout?)"/>).</summary>
    public static Tcp.Command Register(Props handler, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true) =>
        new Tcp.Register(handler, keepOpenOnPeerClosed, useResumeWriting);

    /// <summary><see cref="Tcp.Unbind"/>.</summary>
    public static Tcp.Command Unbind() => Tcp.Unbind.Instance;

    /// <summary><see cref="Tcp.Close"/>.</summary>
    public static Tcp.Command Close() => Tcp.Close.Instance;

    /// <summary><see cref="Tcp.ConfirmedClose"/>.</summary>
    public static Tcp.Command ConfirmedClose() => Tcp.ConfirmedClose.Instance;

    /// <summary><see cref="Tcp.Abort"/>.</summary>
    public static Tcp.Command Abort() => Tcp.Abort.Instance;

    /// <summary>A <see cref="Tcp.NoAck"/> carrying <paramref name="token"/>: a write with it is not acknowledged.</summary>
    public static Tcp.NoAck NoAck(object? token = null) => token is null ? Tcp.NoAck.Instance : new Tcp.NoAck(token);

    /// <summary>A <see cref="Tcp.Write"/> of <paramref name="data"/>, acknowledged with <paramref name="ack"/>.</summary>
    public static Tcp.WriteCommand Write(ByteString data, Tcp.Event ack) => Tcp.Write.Create(data, ack);

    /// <summary>A <see cref="Tcp.Write"/> of <paramref name="data"/>, not acknowledged.</summary>
    public static Tcp.WriteCommand Write(ByteString data) => Tcp.Write.Create(data);

    /// <summary><see cref="Tcp.SuspendReading"/>.</summary>
    public static Tcp.Command SuspendReading() => Tcp.SuspendReading.Instance;

    /// <summary><see cref="Tcp.ResumeReading"/>.</summary>
    public static Tcp.Command ResumeReading() => Tcp.ResumeReading.Instance;

    /// <summary><see cref="Tcp.ResumeWriting"/>.</summary>
    public static Tcp.Command ResumeWriting() => Tcp.ResumeWriting.Instance;

    /// <summary>A <see cref="Tcp.ResumeAccepting"/> of up to <paramref name="batchSize"/> connections (pull mode).</summary>
    public static Tcp.Command ResumeAccepting(int batchSize) => new Tcp.ResumeAccepting(batchSize);
}
