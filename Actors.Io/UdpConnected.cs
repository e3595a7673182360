using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Actors.Io.Channels;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// Connected UDP, mirroring Akka.IO's <c>UdpConnected</c>: a datagram socket tied to one peer. Send <see cref="Connect"/>
/// to the manager (<c>system.Io()</c>); the socket actor answers <see cref="Connected"/>, then takes <see cref="Send"/>
/// (no target: the peer), delivers the peer's datagrams as <see cref="Received"/> to the handler (datagrams from anyone
/// else are dropped by the kernel) and closes on <see cref="Disconnect"/>.
/// <para>
/// Sends queue and ack as in <see cref="Udp"/>: the <see cref="Send.Ack"/> goes back once the kernel took the datagram, a
/// failure is a <see cref="CommandFailed"/> with its cause. When the peer answers a datagram with ICMP "port unreachable"
/// (nothing listens there) the kernel reports it once, on the next receive or send: a send then fails with a
/// <see cref="SocketException"/> of <see cref="SocketError.ConnectionRefused"/>, and a receive tells the handler
/// <see cref="PeerUnreachable"/>. Either way the socket stays connected: the peer may start listening later.
/// </para>
/// <para>
/// The socket closes on <see cref="Disconnect"/> or when the handler dies. A <see cref="DnsEndPoint"/> remote address is
/// resolved once, without blocking a thread, before connecting.
/// </para>
/// </summary>
public static class UdpConnected
{
    /// <summary>Every message of the protocol.</summary>
    public abstract class Message : INoSerializationVerificationNeeded
    {
    }

    /// <summary>A request to the manager or to a connected socket.</summary>
    public abstract class Command : Message, IProtocolCommand
    {
        /// <summary>The failure reply for this command with <paramref name="cause"/>.</summary>
        public CommandFailed FailureMessage(Exception cause) => new(this, cause);

        object IProtocolCommand.FailureMessage(Exception cause) => FailureMessage(cause);
    }

    /// <summary>A notification from a connected socket; a send's ack may be one, or any object.</summary>
    public abstract class Event : Message
    {
    }

    /// <summary>
    /// Open a datagram socket to <see cref="RemoteAddress"/>, bound to <see cref="LocalAddress"/> when given (else to an
    /// ephemeral port). The sender receives <see cref="Connected"/> from the socket actor, or <see cref="CommandFailed"/>
    /// (a name that does not resolve, a local address in use, an option refused, <c>actors-io.max-channels</c> reached).
    /// </summary>
    public sealed class Connect : Command
    {
        /// <summary>Creates the command.</summary>
        [OverloadResolutionPriority(1)]
        public Connect(IActorRef handler, EndPoint remoteAddress, EndPoint? localAddress = null, IEnumerable<Udp.SocketOption>? options = null)
        {
            ArgumentNullException.ThrowIfNull(handler);
            ArgumentNullException.ThrowIfNull(remoteAddress);
            Handler = handler;
            RemoteAddress = remoteAddress;
            LocalAddress = localAddress;
            Options = options?.ToArray() ?? [];
        }

        /// <summary>
        /// Creates the command from Akka.IO-shaped options (<see cref="Inet.SO"/>, or <see cref="Udp.SO"/> options converted), so
        /// Akka.NET code that builds this message with a list of <see cref="Inet.SocketOption"/> compiles unchanged.
        /// </summary>
        public Connect(IActorRef handler, EndPoint remoteAddress, EndPoint? localAddress = null, IEnumerable<Inet.SocketOption>? options = null)
            : this(handler, remoteAddress, localAddress, Inet.SocketOption.ToUdp(options))
        {
        }

        /// <summary>The actor that receives the peer's datagrams; its death closes the socket.</summary>
        public IActorRef Handler { get; }

        /// <summary>The peer (an <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>).</summary>
        public EndPoint RemoteAddress { get; }

        /// <summary>The local address to bind, if any.</summary>
        public EndPoint? LocalAddress { get; }

        /// <summary>Socket options.</summary>
        public IReadOnlyList<Udp.SocketOption> Options { get; }

        /// <inheritdoc />
        public override string ToString() => $"Connect({RemoteAddress}, handler {Handler.Path})";
    }

    /// <summary>
    /// Send <see cref="Payload"/> as one datagram to the peer; <see cref="Ack"/> (unless a <see cref="NoAck"/>) once the
    /// kernel took it. The ack is any object, as in Akka.IO's <c>UdpConnected.Send</c> (unlike <see cref="Udp.Send"/>,
    /// whose ack is an <see cref="Udp.Event"/> there too).
    /// </summary>
    public sealed class Send : Command
    {
        /// <summary>Creates the command; a null <paramref name="ack"/> means <see cref="NoAck.Instance"/>.</summary>
        public Send(ByteString payload, object? ack = null)
        {
            ArgumentNullException.ThrowIfNull(payload);
            Payload = payload;
            Ack = ack ?? NoAck.Instance;
        }

        /// <summary>The datagram's bytes.</summary>
        public ByteString Payload { get; }

        /// <summary>The message sent back once the kernel took the datagram; a <see cref="NoAck"/> for none.</summary>
        public object Ack { get; }

        /// <summary>True when <see cref="Ack"/> is a real ack.</summary>
        public bool WantsAck => Ack is not NoAck;

        /// <summary>A send of <paramref name="payload"/> without ack.</summary>
        public static Send Create(ByteString payload) => new(payload);

        /// <inheritdoc />
        public override string ToString() => $"Send({Payload.Count} bytes, ack {Ack})";
    }

    /// <summary>Close the socket; it answers <see cref="Disconnected"/> once closed, then stops.</summary>
    public sealed class Disconnect : Command
    {
        /// <summary>The instance.</summary>
        public static readonly Disconnect Instance = new();

        private Disconnect()
        {
        }
    }

    /// <summary>Stop reading: the peer's datagrams wait in the kernel's receive buffer (those past it are dropped).</summary>
    public sealed class SuspendReading : Command
    {
        /// <summary>The instance.</summary>
        public static readonly SuspendReading Instance = new();

        private SuspendReading()
        {
        }
    }

    /// <summary>Resume reading after <see cref="SuspendReading"/>.</summary>
    public sealed class ResumeReading : Command
    {
        /// <summary>The instance.</summary>
        public static readonly ResumeReading Instance = new();

        private ResumeReading()
        {
        }
    }

    /// <summary>The "no ack" marker; its <see cref="Token"/> lets sends be told apart in a <see cref="CommandFailed"/>.</summary>
    public class NoAck(object? token) : Event
    {
        /// <summary>The plain marker.</summary>
        public static readonly NoAck Instance = new(null);

        /// <summary>A token of the sender's choice.</summary>
        public object? Token { get; } = token;
    }

    /// <summary>The socket is connected; the sender is the socket actor.</summary>
    public sealed class Connected : Event
    {
        /// <summary>The instance.</summary>
        public static readonly Connected Instance = new();

        private Connected()
        {
        }
    }

    /// <summary>A datagram from the peer.</summary>
    public sealed class Received(ByteString data) : Event
    {
        /// <summary>The datagram's bytes.</summary>
        public ByteString Data { get; } = data;

        /// <inheritdoc />
        public override string ToString() => $"Received({Data.Count} bytes)";
    }

    /// <summary>
    /// The kernel reported, on receive, that the peer could not be reached: ICMP port unreachable
    /// (<see cref="SocketError.ConnectionRefused"/>: nothing listens there), host or network unreachable. Sent to the handler;
    /// the socket stays connected and reading goes on.
    /// </summary>
    public sealed class PeerUnreachable(SocketError error, string cause) : Event
    {
        /// <summary>The kernel's error.</summary>
        public SocketError Error { get; } = error;

        /// <summary>A readable reason naming the peer.</summary>
        public string Cause { get; } = cause;

        /// <inheritdoc />
        public override string ToString() => $"PeerUnreachable({Cause})";
    }

    /// <summary>The socket is closed.</summary>
    public sealed class Disconnected : Event
    {
        /// <summary>The instance.</summary>
        public static readonly Disconnected Instance = new();

        private Disconnected()
        {
        }
    }

    /// <summary>A command could not be carried out; <see cref="Cause"/> says why.</summary>
    public sealed class CommandFailed(Command cmd, Exception? cause = null) : Event
    {
        /// <summary>The command that failed.</summary>
        public Command Cmd { get; } = cmd;

        /// <summary>Why it failed.</summary>
        public Exception? Cause { get; } = cause;

        /// <summary>Why it failed, as text: <c>"because of "</c> and the cause's message, or empty without a cause
        /// (Akka.IO's <c>CommandFailed.CauseString</c>).</summary>
        public string CauseString => Cause is null ? string.Empty : "because of " + Cause.Message;

        /// <inheritdoc />
        public override string ToString() => $"CommandFailed({Cmd}{(Cause is null ? string.Empty : ": " + Cause.Message)})";
    }
}
