using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Actors.Io.Channels;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// Unconnected UDP, mirroring Akka.IO's <c>Udp</c>. Send <see cref="Bind"/> to the manager (<c>system.Io()</c>) to receive
/// datagrams on a local address (and send from it), or <see cref="SimpleSender"/> for a socket that only sends. The
/// answer (<see cref="Bound"/> or <see cref="SimpleSenderReady"/>) comes from the socket actor: send it <see cref="Send"/>,
/// <see cref="Unbind"/> and the other commands.
/// <para>
/// Sends: a <see cref="Send"/> goes to the kernel at once; when the kernel's send buffer is full it waits in a queue
/// (at most <c>actors-io.udp.max-queued-sends</c> datagrams) and goes out, in order, when the socket is writable again.
/// Its <see cref="Send.Ack"/> (unless a <see cref="NoAck"/>) is sent to the sender of the <see cref="Send"/> once the
/// kernel has taken the datagram, which is no promise of delivery: UDP may lose, reorder or duplicate datagrams.
/// A send that cannot be carried out (payload over <c>actors-io.udp.max-datagram-size</c>, a target of another address
/// family or not an <see cref="IPEndPoint"/>, a full queue, a kernel error) is answered with <see cref="CommandFailed"/>
/// and a cause naming the problem; the socket stays open. <see cref="DnsEndPoint"/> targets are refused (resolve the
/// name once with <see cref="System.Net.Dns"/> and send to the <see cref="IPEndPoint"/>): a datagram socket sends to many peers and
/// a resolution per datagram would hide its cost. An unconnected socket is not told when a peer has nothing listening
/// (the kernel reports ICMP errors only to connected sockets): use <see cref="UdpConnected"/> to learn of it.
/// </para>
/// <para>
/// Lifetime: a bound socket is closed (its port freed) on <see cref="Unbind"/> or when the bind handler dies; a simple
/// sender when the actor that asked for it dies. Stopping the socket actor closes it too.
/// </para>
/// </summary>
public static class Udp
{
    /// <summary>Every message of the protocol.</summary>
    public abstract class Message : INoSerializationVerificationNeeded
    {
    }

    /// <summary>A request to the manager or to a socket actor.</summary>
    public abstract class Command : Message, IProtocolCommand
    {
        /// <summary>The failure reply for this command with <paramref name="cause"/>.</summary>
        public CommandFailed FailureMessage(Exception cause) => new(this, cause);

        object IProtocolCommand.FailureMessage(Exception cause) => FailureMessage(cause);
    }

    /// <summary>A notification from the manager or a socket actor; also the type of send acks.</summary>
    public abstract class Event : Message
    {
    }

    // ---------------------------------------------------------------- socket options

    /// <summary>
    /// A datagram socket option, applied when it takes effect (before bind, or after it for multicast membership). Used by
    /// <see cref="Bind"/>, <see cref="SimpleSender"/> and <see cref="UdpConnected.Connect"/>; an option the socket refuses
    /// fails the command with <see cref="CommandFailed"/>.
    /// </summary>
    public abstract record SocketOption
    {
        internal virtual void BeforeBind(Socket socket)
        {
        }

        internal virtual void AfterBind(Socket socket)
        {
        }
    }

    /// <summary>The socket options of datagram sockets.</summary>
    public static class SO
    {
        /// <summary><c>SO_BROADCAST</c>: allow sending to broadcast addresses.</summary>
        public sealed record Broadcast(bool On) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.EnableBroadcast = On;
        }

        /// <summary><c>SO_RCVBUF</c> in bytes: how many datagrams the kernel holds while the socket is not read.</summary>
        public sealed record ReceiveBufferSize(int Bytes) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.ReceiveBufferSize = Bytes;
        }

        /// <summary><c>SO_SNDBUF</c> in bytes: how much the kernel takes before a send waits in the queue.</summary>
        public sealed record SendBufferSize(int Bytes) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.SendBufferSize = Bytes;
        }

        /// <summary><c>SO_REUSEADDR</c>: several sockets may bind the same port (as multicast receivers do).</summary>
        public sealed record ReuseAddress(bool On) : SocketOption
        {
            // Set directly: .NET's ReuseAddress on Linux also turns on SO_REUSEPORT.
            internal override void BeforeBind(Socket socket) =>
                socket.SetRawSocketOption(Native.Sockets.SolSocket, Native.Sockets.SoReuseAddr, BitConverter.GetBytes(On ? 1 : 0));
        }

        /// <summary>
        /// Join the multicast <paramref name="Group"/> once bound (IPv4 or IPv6, matching the socket), on the interface with
        /// index <paramref name="InterfaceIndex"/> (0: the kernel picks by its routes). A refused join fails the
        /// <see cref="Bind"/>. Leave or join more groups later with <see cref="LeaveGroup"/> / <see cref="JoinGroup"/>.
        /// </summary>
        public sealed record JoinGroup(IPAddress Group, int InterfaceIndex = 0) : SocketOption
        {
            internal override void AfterBind(Socket socket) => Multicast.Join(socket, Group, InterfaceIndex);
        }

        /// <summary>
        /// The interface outgoing multicast datagrams leave by: for IPv4 the interface holding <paramref name="LocalAddress"/>
        /// (or, without it, the one with index <paramref name="InterfaceIndex"/>); for IPv6 the interface with that index.
        /// An IPv6 <paramref name="LocalAddress"/> on an IPv4 socket fails the command.
        /// </summary>
        public sealed record MulticastInterface(int InterfaceIndex, IPAddress? LocalAddress = null) : SocketOption
        {
            internal override void BeforeBind(Socket socket)
            {
                if (socket.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.MulticastInterface, InterfaceIndex);
                }
                else
                {
                    IPAddress? local = LocalAddress is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : LocalAddress;
                    if (local is not null && local.AddressFamily != AddressFamily.InterNetwork)
                    {
                        throw new ArgumentException(
                            $"Udp.SO.MulticastInterface: the local address {local} is {local.AddressFamily} but the socket is InterNetwork; give an IPv4 address of the interface, or only its index.");
                    }

                    int value = local is not null
                        ? BitConverter.ToInt32(local.GetAddressBytes())
                        : IPAddress.HostToNetworkOrder(InterfaceIndex);
                    socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.MulticastInterface, value);
                }
            }
        }

        /// <summary><c>IP_MULTICAST_LOOP</c> / <c>IPV6_MULTICAST_LOOP</c>: deliver this host's own multicast datagrams to its
        /// members too (the kernel's default is on).</summary>
        public sealed record MulticastLoopback(bool On) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.SetSocketOption(
                socket.AddressFamily == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP,
                SocketOptionName.MulticastLoopback,
                On);
        }

        /// <summary><c>IP_MULTICAST_TTL</c> / <c>IPV6_MULTICAST_HOPS</c>: how many routers multicast datagrams may cross (default 1).</summary>
        public sealed record MulticastTimeToLive(int Hops) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.SetSocketOption(
                socket.AddressFamily == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP,
                SocketOptionName.MulticastTimeToLive,
                Hops);
        }
    }

    // ---------------------------------------------------------------- commands to the manager

    /// <summary>
    /// Bind a datagram socket to <see cref="LocalAddress"/> (port 0 picks a free port) and deliver every datagram that
    /// arrives to <see cref="Handler"/> as <see cref="Received"/>. The sender receives <see cref="Bound"/> from the socket
    /// actor, or <see cref="CommandFailed"/> (port in use, an option refused, <c>actors-io.max-channels</c> reached).
    /// </summary>
    public sealed class Bind : Command
    {
        /// <summary>Creates the command.</summary>
        [OverloadResolutionPriority(1)]
        public Bind(IActorRef handler, EndPoint localAddress, IEnumerable<SocketOption>? options = null)
        {
            ArgumentNullException.ThrowIfNull(handler);
            ArgumentNullException.ThrowIfNull(localAddress);
            Handler = handler;
            LocalAddress = localAddress;
            Options = options?.ToArray() ?? [];
        }

        /// <summary>
        /// Creates the command from Akka.IO-shaped options (<see cref="Inet.SO"/>, or <see cref="Udp.SO"/> options converted), so
        /// Akka.NET code that builds this message with a list of <see cref="Inet.SocketOption"/> compiles unchanged.
        /// </summary>
        public Bind(IActorRef handler, EndPoint localAddress, IEnumerable<Inet.SocketOption>? options = null)
            : this(handler, localAddress, Inet.SocketOption.ToUdp(options))
        {
        }

        /// <summary>The actor that receives the datagrams; its death closes the socket.</summary>
        public IActorRef Handler { get; }

        /// <summary>Where to bind (an <see cref="IPEndPoint"/>).</summary>
        public EndPoint LocalAddress { get; }

        /// <summary>Socket options.</summary>
        public IReadOnlyList<SocketOption> Options { get; }

        /// <inheritdoc />
        public override string ToString() => $"Bind({LocalAddress}, handler {Handler.Path})";
    }

    /// <summary>
    /// Open a socket that only sends (it is bound to an ephemeral port and never reads). The sender receives
    /// <see cref="SimpleSenderReady"/> from the socket actor, then sends it <see cref="Send"/>. The socket is IPv6 with
    /// IPv4 mapped in (it sends to both families) where the host has IPv6, IPv4 otherwise. It closes when the actor that
    /// asked for it dies.
    /// </summary>
    public sealed class SimpleSender : Command
    {
        /// <summary>A simple sender without options.</summary>
        public static readonly SimpleSender Instance = new();

        /// <summary>Creates the command.</summary>
        public SimpleSender(IEnumerable<SocketOption>? options = null) => Options = options?.ToArray() ?? [];

        /// <summary>Socket options.</summary>
        public IReadOnlyList<SocketOption> Options { get; }
    }

    // ---------------------------------------------------------------- commands to a socket

    /// <summary>
    /// Send <see cref="Payload"/> as one datagram to <see cref="Target"/> (an <see cref="IPEndPoint"/> of the socket's
    /// family). <see cref="Ack"/> (unless a <see cref="NoAck"/>) goes back to the sender once the kernel took it; a failure
    /// is answered with <see cref="CommandFailed"/>. See <see cref="Udp"/> for the queue and its bound.
    /// </summary>
    public sealed class Send : Command
    {
        /// <summary>Creates the command.</summary>
        public Send(ByteString payload, EndPoint target, Event? ack = null)
        {
            ArgumentNullException.ThrowIfNull(payload);
            ArgumentNullException.ThrowIfNull(target);
            Payload = payload;
            Target = target;
            Ack = ack ?? NoAck.Instance;
        }

        /// <summary>The datagram's bytes.</summary>
        public ByteString Payload { get; }

        /// <summary>Where to send it.</summary>
        public EndPoint Target { get; }

        /// <summary>The event sent back once the kernel took the datagram; a <see cref="NoAck"/> for none.</summary>
        public Event Ack { get; }

        /// <summary>True when <see cref="Ack"/> is a real ack.</summary>
        public bool WantsAck => Ack is not NoAck;

        /// <summary>A send of <paramref name="payload"/> to <paramref name="target"/> without ack.</summary>
        public static Send Create(ByteString payload, EndPoint target) => new(payload, target);

        /// <inheritdoc />
        public override string ToString() => $"Send({Payload.Count} bytes to {Target}, ack {Ack})";
    }

    /// <summary>Close the bound socket; it answers <see cref="Unbound"/> once the port is free, then stops.</summary>
    public sealed class Unbind : Command
    {
        /// <summary>The instance.</summary>
        public static readonly Unbind Instance = new();

        private Unbind()
        {
        }
    }

    /// <summary>Stop reading: datagrams wait in the kernel's receive buffer, and those past it are dropped by the kernel.</summary>
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

    /// <summary>
    /// Join the multicast <see cref="Group"/> on a bound socket, on the interface with index <see cref="InterfaceIndex"/>
    /// (0: the kernel picks). Answered with <see cref="GroupJoined"/>, or <see cref="CommandFailed"/> naming the group and
    /// the kernel's error (no multicast route, no such interface, already a member).
    /// </summary>
    public sealed class JoinGroup(IPAddress group, int interfaceIndex = 0) : Command
    {
        /// <summary>The multicast group.</summary>
        public IPAddress Group { get; } = group ?? throw new ArgumentNullException(nameof(group));

        /// <summary>The interface's index; 0 lets the kernel pick.</summary>
        public int InterfaceIndex { get; } = interfaceIndex;

        /// <inheritdoc />
        public override string ToString() => $"JoinGroup({Group}, interface {InterfaceIndex})";
    }

    /// <summary>Leave the multicast <see cref="Group"/>: answered with <see cref="GroupLeft"/> or <see cref="CommandFailed"/>.</summary>
    public sealed class LeaveGroup(IPAddress group, int interfaceIndex = 0) : Command
    {
        /// <summary>The multicast group.</summary>
        public IPAddress Group { get; } = group ?? throw new ArgumentNullException(nameof(group));

        /// <summary>The interface's index, as given when joining.</summary>
        public int InterfaceIndex { get; } = interfaceIndex;

        /// <inheritdoc />
        public override string ToString() => $"LeaveGroup({Group}, interface {InterfaceIndex})";
    }

    // ---------------------------------------------------------------- events

    /// <summary>The "no ack" marker; its <see cref="Token"/> lets sends be told apart in a <see cref="CommandFailed"/>. Sealed, as Akka.IO's.</summary>
    public sealed class NoAck(object? token) : Event
    {
        /// <summary>The plain marker.</summary>
        public static readonly NoAck Instance = new(null);

        /// <summary>A token of the sender's choice.</summary>
        public object? Token { get; } = token;
    }

    /// <summary>The socket is bound to <see cref="LocalAddress"/> (with the real port when port 0 was asked); the sender is the socket actor.</summary>
    public sealed class Bound(EndPoint localAddress) : Event
    {
        /// <summary>The bound address.</summary>
        public EndPoint LocalAddress { get; } = localAddress;

        /// <inheritdoc />
        public override string ToString() => $"Bound({LocalAddress})";
    }

    /// <summary>The send-only socket is ready; the sender is the socket actor.</summary>
    public sealed class SimpleSenderReady : Event
    {
        /// <summary>The instance.</summary>
        public static readonly SimpleSenderReady Instance = new();

        private SimpleSenderReady()
        {
        }
    }

    /// <summary>The bound socket is closed and its port free.</summary>
    public sealed class Unbound : Event
    {
        /// <summary>The instance.</summary>
        public static readonly Unbound Instance = new();

        private Unbound()
        {
        }
    }

    /// <summary>
    /// A datagram: <see cref="Data"/> from <see cref="Sender"/>. A datagram longer than <c>actors-io.udp.max-datagram-size</c>
    /// is dropped (and logged), never delivered cut short.
    /// </summary>
    public sealed class Received(ByteString data, EndPoint sender) : Event
    {
        /// <summary>The datagram's bytes.</summary>
        public ByteString Data { get; } = data;

        /// <summary>
        /// Where it came from: an <see cref="IPEndPoint"/>, the same instance for consecutive datagrams from one peer (so a
        /// steady peer costs no allocation). Treat it as read-only: do not change its <c>Port</c> or <c>Address</c>, copy
        /// it instead (a changed instance is not handed out again, but other actors may hold it).
        /// </summary>
        public EndPoint Sender { get; } = sender;

        /// <inheritdoc />
        public override string ToString() => $"Received({Data.Count} bytes from {Sender})";
    }

    /// <summary>The socket joined <see cref="Group"/>.</summary>
    public sealed class GroupJoined(IPAddress group) : Event
    {
        /// <summary>The multicast group.</summary>
        public IPAddress Group { get; } = group;
    }

    /// <summary>The socket left <see cref="Group"/>.</summary>
    public sealed class GroupLeft(IPAddress group) : Event
    {
        /// <summary>The multicast group.</summary>
        public IPAddress Group { get; } = group;
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

    /// <summary>Multicast membership through the framework's options (IPv4 <c>ip_mreqn</c>, IPv6 <c>ipv6_mreq</c>).</summary>
    internal static class Multicast
    {
        public static void Join(Socket socket, IPAddress group, int interfaceIndex) => Change(socket, group, interfaceIndex, join: true);

        public static void Leave(Socket socket, IPAddress group, int interfaceIndex) => Change(socket, group, interfaceIndex, join: false);

        private static void Change(Socket socket, IPAddress group, int interfaceIndex, bool join)
        {
            if (group.AddressFamily != socket.AddressFamily)
            {
                throw new ArgumentException($"The multicast group {group} is {group.AddressFamily}; the socket is {socket.AddressFamily}.");
            }

            if (!IsMulticast(group)) throw new ArgumentException($"{group} is not a multicast address.");
            try
            {
                if (group.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    socket.SetSocketOption(
                        SocketOptionLevel.IPv6,
                        join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership,
                        new IPv6MulticastOption(group, interfaceIndex));
                }
                else
                {
                    socket.SetSocketOption(
                        SocketOptionLevel.IP,
                        join ? SocketOptionName.AddMembership : SocketOptionName.DropMembership,
                        new MulticastOption(group, interfaceIndex));
                }
            }
            catch (SocketException e)
            {
                throw new SocketException((int)e.SocketErrorCode, $"{(join ? "Joining" : "Leaving")} the multicast group {group} on interface {interfaceIndex} failed: {e.SocketErrorCode} ({e.Message})");
            }
        }

        private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
            ? address.IsIPv6Multicast
            : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;
    }
}
