using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Actors.Io.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace Actors.Io;

/// <summary>
/// The TCP protocol of Actors.Io. It mirrors Akka.IO's <c>Tcp</c>: send <see cref="Bind"/> or <see cref="Connect"/> to the
/// manager (<c>system.Io()</c>), answer each <see cref="Connected"/> with <see cref="Register"/>, then exchange
/// <see cref="Write"/> and <see cref="Received"/> with the connection actor (the sender of <see cref="Connected"/>).
/// <para>
/// Flow control: every <see cref="Write"/> is either accepted (queued or sent) or answered with
/// <see cref="CommandFailed"/> (a NACK) when the connection's queue of unsent bytes would exceed
/// <c>actors-io.tcp.max-pending-write-bytes</c>. A write's ack (any <see cref="Event"/>) is sent to the writer once all
/// its bytes are in the kernel. With <c>useResumeWriting</c> (the default), after a NACK every further write is NACKed
/// until you send <see cref="ResumeWriting"/>; <see cref="WritingResumed"/> then says the queued bytes are all sent.
/// </para>
/// </summary>
public static partial class Tcp
{
    /// <summary>Every message of the protocol.</summary>
    public abstract class Message : INoSerializationVerificationNeeded
    {
    }

    /// <summary>A request to the manager, a listener or a connection.</summary>
    public abstract class Command : Message, IProtocolCommand
    {
        /// <summary>The failure reply for this command with <paramref name="cause"/>.</summary>
        public CommandFailed FailureMessage(Exception cause) => new(this, cause);

        object IProtocolCommand.FailureMessage(Exception cause) => FailureMessage(cause);
    }

    /// <summary>A notification from the manager, a listener or a connection; also the type of write acks.</summary>
    public abstract class Event : Message
    {
    }

    // ---------------------------------------------------------------- socket options

    /// <summary>The socket options.</summary>
    public static class SO
    {
        /// <summary><c>TCP_NODELAY</c>: send small segments at once (Nagle off). On by default in Actors.Io.</summary>
        public sealed record NoDelay(bool On) : SocketOption
        {
            internal override void AfterConnect(Socket socket) => socket.NoDelay = On;

            internal override string? Refusal(bool unix, bool binding) =>
                unix ? "does not apply to Unix domain sockets: they have no Nagle algorithm (the kernel refuses TCP_NODELAY)" : null;
        }

        /// <summary><c>SO_KEEPALIVE</c>: probe idle connections.</summary>
        public sealed record KeepAlive(bool On) : SocketOption
        {
            internal override void BeforeConnect(Socket socket) =>
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, On);

            internal override void AfterConnect(Socket socket) =>
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, On);

            internal override string? Refusal(bool unix, bool binding) =>
                unix ? "does not apply to Unix domain sockets: the kernel accepts it but never probes a local peer (a dead peer is seen at once)" : null;
        }

        /// <summary><c>SO_REUSEADDR</c>: bind a port that still has connections in TIME_WAIT.</summary>
        public sealed record ReuseAddress(bool On) : SocketOption
        {
            // Set directly: .NET's ReuseAddress on Linux also turns on SO_REUSEPORT, silently sharing the port.
            internal override void BeforeBind(Socket socket) =>
                socket.SetRawSocketOption(Native.Sockets.SolSocket, Native.Sockets.SoReuseAddr, BitConverter.GetBytes(On ? 1 : 0));

            internal override void BeforeConnect(Socket socket) => BeforeBind(socket);

            internal override string? Refusal(bool unix, bool binding) =>
                unix ? "does not apply to Unix domain sockets: the kernel accepts it but a socket file in use can never be bound again (Tcp.SO.ReplaceStaleSocketFile replaces a stale one)" : null;
        }

        /// <summary><c>SO_REUSEPORT</c>: let several sockets bind the same port (the kernel spreads connections).</summary>
        public sealed record ReusePort(bool On) : SocketOption
        {
            internal override void BeforeBind(Socket socket) =>
                socket.SetRawSocketOption(Native.Sockets.SolSocket, Native.Sockets.SoReusePort, BitConverter.GetBytes(On ? 1 : 0));

            internal override string? Refusal(bool unix, bool binding) =>
                unix ? "does not apply to Unix domain sockets: the kernel refuses SO_REUSEPORT on them" : null;
        }

        /// <summary><c>SO_RCVBUF</c> in bytes (set before bind or connect so the TCP window can use it).</summary>
        public sealed record ReceiveBufferSize(int Bytes) : SocketOption
        {
            internal override void BeforeBind(Socket socket) => socket.ReceiveBufferSize = Bytes;

            internal override void BeforeConnect(Socket socket) => socket.ReceiveBufferSize = Bytes;

            internal override string? Refusal(bool unix, bool binding) => null;
        }

        /// <summary><c>SO_SNDBUF</c> in bytes.</summary>
        public sealed record SendBufferSize(int Bytes) : SocketOption
        {
            internal override void BeforeConnect(Socket socket) => socket.SendBufferSize = Bytes;

            internal override void AfterConnect(Socket socket) => socket.SendBufferSize = Bytes;

            internal override string? Refusal(bool unix, bool binding) => null;
        }

        /// <summary><c>SO_LINGER</c>: null turns lingering off; a timeout makes close wait up to it for unsent data.</summary>
        public sealed record Linger(TimeSpan? Timeout) : SocketOption
        {
            internal override void AfterConnect(Socket socket) =>
                socket.LingerState = Timeout is { } t ? new LingerOption(true, (int)t.TotalSeconds) : new LingerOption(false, 0);

            internal override string? Refusal(bool unix, bool binding) =>
                unix ? "does not apply to Unix domain sockets: the kernel accepts it but closing a local socket never waits for the peer" : null;
        }

        /// <summary>
        /// For a <see cref="Bind"/> to a Unix domain socket path: when a socket file is already there, replace it if nobody
        /// listens on it (a stale file left by a process that died). A live listener's file is never replaced and a file that
        /// is not a socket (or a symbolic link) is never deleted: the bind fails with <see cref="CommandFailed"/> saying which.
        /// Whether anyone listens is probed by connecting, so a live listener sees one connection that closes at once. Without this
        /// option a bind over an existing socket file fails, naming the file and this option.
        /// Refused for IP addresses and by <see cref="Connect"/>.
        /// </summary>
        public sealed record ReplaceStaleSocketFile : SocketOption
        {
            internal override bool ReplacesStaleSocketFile => true;

            internal override string? Refusal(bool unix, bool binding) =>
                !unix ? "applies only to Unix domain socket paths" : !binding ? "applies only to Bind" : null;
        }

        /// <summary>
        /// For a <see cref="Bind"/> behind a load balancer or proxy that sends the PROXY protocol (HAProxy's, versions 1 and
        /// 2): every accepted connection first reads the header the proxy sends, and only then is announced, with the client's
        /// address as <see cref="Connected.RemoteAddress"/> and the proxy's (the socket's peer) as
        /// <see cref="Connected.ProxyAddress"/>. The header never reaches the handler; the bytes after it do, as usual. A
        /// connection whose header is malformed, of a version not in <see cref="Versions"/>, incomplete when the peer closes,
        /// or not complete within <c>actors-io.tcp.proxy-protocol-timeout</c> is reset and counted in
        /// <c>actors-io.connections.failures</c>, and the bind handler never hears of it. A header that carries no client
        /// address (a version 2 <c>LOCAL</c> command, the proxy's own health check; version 1 <c>UNKNOWN</c>; an unspecified
        /// or Unix family) leaves <see cref="Connected.RemoteAddress"/> the socket's peer. Only for clients behind a proxy
        /// you trust: anyone who can connect directly can claim any address. Refused by <see cref="Connect"/>.
        /// </summary>
        /// <param name="Versions">The header versions accepted; another version closes the connection.</param>
        public sealed record ProxyProtocol(ProxyProtocolVersions Versions = ProxyProtocolVersions.Any) : SocketOption
        {
            internal override string? Refusal(bool unix, bool binding) =>
                !binding ? "applies only to Bind: it reads the header a proxy sends to a listener"
                : Versions is not (ProxyProtocolVersions.V1 or ProxyProtocolVersions.V2 or ProxyProtocolVersions.Any) ? $"accepts V1, V2 or Any, not {Versions}"
                : null;
        }
    }

    /// <summary>The PROXY protocol versions a listener accepts (<see cref="SO.ProxyProtocol"/>).</summary>
    [Flags]
    public enum ProxyProtocolVersions
    {
        /// <summary>Version 1, the text line (<c>PROXY TCP4 ...\r\n</c>).</summary>
        V1 = 1,

        /// <summary>Version 2, the binary header.</summary>
        V2 = 2,

        /// <summary>Either version, told apart by the first bytes.</summary>
        Any = V1 | V2,
    }

    /// <summary>
    /// A socket option, applied at the moment it takes effect (before bind, before connect, or after connect). An option that
    /// does not apply to the address (such as <see cref="SO.NoDelay"/> for a Unix domain socket) fails the
    /// <see cref="Bind"/> or <see cref="Connect"/> with <see cref="CommandFailed"/> naming the option and why, before any
    /// socket is created.
    /// </summary>
    public abstract record SocketOption
    {
        internal virtual void BeforeBind(Socket socket)
        {
        }

        internal virtual void BeforeConnect(Socket socket)
        {
        }

        internal virtual void AfterConnect(Socket socket)
        {
        }

        /// <summary>Why this option cannot be used on a Unix domain (<paramref name="unix"/>) or IP socket, for a bind or a
        /// connect; null when it applies.</summary>
        internal virtual string? Refusal(bool unix, bool binding) => unix ? "does not apply to Unix domain sockets" : null;

        internal virtual bool ReplacesStaleSocketFile => false;
    }

    // ---------------------------------------------------------------- commands to the manager

    /// <summary>
    /// Listen on <see cref="LocalAddress"/>: an <see cref="IPEndPoint"/> (port 0 picks a free port) or a
    /// <see cref="UnixDomainSocketEndPoint"/> (a file path, or on Linux an abstract name starting with <c>'\0'</c>). The sender
    /// receives <see cref="Bound"/> (from the listener actor) or <see cref="CommandFailed"/>. Each accepted connection sends
    /// <see cref="Connected"/> to <see cref="Handler"/>. The listener stops, closing the port, when the handler dies or on
    /// <see cref="Unbind"/>. With <see cref="PullMode"/> the listener accepts only after <see cref="ResumeAccepting"/>, and at
    /// most that many.
    /// <para>
    /// A socket file the listener creates is deleted when it stops, however it stops (<see cref="Unbind"/>, the handler's death,
    /// the actor system's shutdown); a file that was there before fails the bind, naming it, unless
    /// <see cref="SO.ReplaceStaleSocketFile"/> is given and nobody listens on it.
    /// </para>
    /// </summary>
    public sealed class Bind : Command
    {
        /// <summary>Creates the command.</summary>
        [OverloadResolutionPriority(1)]
        public Bind(IActorRef handler, EndPoint localAddress, int backlog = 1024, IEnumerable<SocketOption>? options = null, bool pullMode = false, TlsServerSettings? tls = null)
        {
            ArgumentNullException.ThrowIfNull(handler);
            ArgumentNullException.ThrowIfNull(localAddress);
            Handler = handler;
            LocalAddress = localAddress;
            Backlog = backlog;
            Options = options?.ToArray() ?? [];
            PullMode = pullMode;
            Tls = tls;
        }

        /// <summary>
        /// Creates the command from Akka.IO-shaped options (<see cref="Inet.SO"/>, or <see cref="SO"/> options converted), so
        /// Akka.NET code that builds this message with a list of <see cref="Inet.SocketOption"/> compiles unchanged;
        /// <paramref name="backlog"/> defaults to 100, as in Akka.NET.
        /// </summary>
        public Bind(IActorRef handler, EndPoint localAddress, int backlog = 100, IEnumerable<Inet.SocketOption>? options = null, bool pullMode = false, TlsServerSettings? tls = null)
            : this(handler, localAddress, backlog, Inet.SocketOption.ToTcp(options), pullMode, tls)
        {
        }

        /// <summary>The actor told of each new connection.</summary>
        public IActorRef Handler { get; }

        /// <summary>Where to listen.</summary>
        public EndPoint LocalAddress { get; }

        /// <summary>The kernel's queue of connections not yet accepted.</summary>
        public int Backlog { get; }

        /// <summary>Options for the listening socket and every accepted connection.</summary>
        public IReadOnlyList<SocketOption> Options { get; }

        /// <summary>Accept only when asked with <see cref="ResumeAccepting"/>.</summary>
        public bool PullMode { get; }

        /// <summary>TLS for every accepted connection; null for plain connections.</summary>
        public TlsServerSettings? Tls { get; }

        /// <inheritdoc />
        public override string ToString() => $"Bind({LocalAddress}, handler {Handler.Path}, backlog {Backlog}{(PullMode ? ", pull mode" : string.Empty)})";
    }

    /// <summary>
    /// Open a connection to <see cref="RemoteAddress"/> (an <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/>, resolved
    /// without blocking an actor thread, or a <see cref="UnixDomainSocketEndPoint"/>). The sender receives
    /// <see cref="Connected"/> from the new connection actor, then must answer <see cref="Register"/>; or
    /// <see cref="CommandFailed"/> naming host and port (or the socket path) when the name does not resolve, the peer refuses,
    /// the network is unreachable, or <see cref="Timeout"/> passes. For a Unix socket a missing file, a file nobody listens
    /// on and a listener whose backlog is full each fail at once, saying which.
    /// </summary>
    public sealed class Connect : Command
    {
        /// <summary>Creates the command.</summary>
        [OverloadResolutionPriority(1)]
        public Connect(EndPoint remoteAddress, EndPoint? localAddress = null, IEnumerable<SocketOption>? options = null, TimeSpan? timeout = null, bool pullMode = false, TlsClientSettings? tls = null)
        {
            ArgumentNullException.ThrowIfNull(remoteAddress);
            RemoteAddress = remoteAddress;
            LocalAddress = localAddress;
            Options = options?.ToArray() ?? [];
            Timeout = timeout;
            PullMode = pullMode;
            Tls = tls;
        }

        /// <summary>
        /// Creates the command from Akka.IO-shaped options (<see cref="Inet.SO"/>, or <see cref="SO"/> options converted), so
        /// Akka.NET code that builds this message with a list of <see cref="Inet.SocketOption"/> compiles unchanged.
        /// </summary>
        public Connect(EndPoint remoteAddress, EndPoint? localAddress = null, IEnumerable<Inet.SocketOption>? options = null, TimeSpan? timeout = null, bool pullMode = false, TlsClientSettings? tls = null)
            : this(remoteAddress, localAddress, Inet.SocketOption.ToTcp(options), timeout, pullMode, tls)
        {
        }

        /// <summary>Where to connect.</summary>
        public EndPoint RemoteAddress { get; }

        /// <summary>The local address to bind first, if any.</summary>
        public EndPoint? LocalAddress { get; }

        /// <summary>Socket options.</summary>
        public IReadOnlyList<SocketOption> Options { get; }

        /// <summary>Give up after this long (default: <c>actors-io.tcp.connect-timeout</c>).</summary>
        public TimeSpan? Timeout { get; }

        /// <summary>Start in pull mode: nothing is read until <see cref="ResumeReading"/>.</summary>
        public bool PullMode { get; }

        /// <summary>TLS for the connection (the handshake completes before <see cref="Connected"/>); null for a plain one.</summary>
        public TlsClientSettings? Tls { get; }

        /// <inheritdoc />
        public override string ToString() => $"Connect({RemoteAddress})";
    }

    // ---------------------------------------------------------------- commands to a listener

    /// <summary>Stop listening; the listener answers <see cref="Unbound"/> and the port is free again (a socket file the
    /// listener created is deleted first). Connections stay.</summary>
    public sealed class Unbind : Command
    {
        /// <summary>The instance.</summary>
        public static readonly Unbind Instance = new();

        private Unbind()
        {
        }
    }

    /// <summary>In pull mode, accept up to <see cref="BatchSize"/> more connections.</summary>
    public sealed class ResumeAccepting(int batchSize) : Command
    {
        /// <summary>How many connections to accept.</summary>
        public int BatchSize { get; } = batchSize;
    }

    // ---------------------------------------------------------------- commands to a connection

    /// <summary>
    /// Answer to <see cref="Connected"/>: names the actor that receives this connection's events, either one you made
    /// (<see cref="Handler"/>) or the <see cref="Props"/> of one the connection starts for you (<see cref="HandlerProps"/>).
    /// Data that arrived before is delivered now. Without it within <c>actors-io.tcp.register-timeout</c> the connection is
    /// closed (what was written still goes out first). The handler's death aborts an open connection; a close already
    /// under way goes on.
    /// </summary>
    public sealed class Register : Command
    {
        /// <summary>Registers <paramref name="handler"/>, an actor you made, as the connection's handler.</summary>
        /// <param name="handler">The actor that receives the connection's events.</param>
        /// <param name="keepOpenOnPeerClosed">After the peer's EOF, keep the connection open for writing.</param>
        /// <param name="useResumeWriting">After a NACK, refuse every write until <see cref="ResumeWriting"/>.</param>
        /// <param name="receiveMode">Copied (<see cref="Received"/>) or leased (<see cref="LeasedReceived"/>) reads.</param>
        /// <param name="idleTimeout">The connection's idle timeout; null takes <c>actors-io.tcp.idle-timeout</c> (off by
        /// default), <see cref="IdleTimeout.Off"/> turns it off.</param>
        public Register(IActorRef handler, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true, ReceiveMode receiveMode = ReceiveMode.Copied, IdleTimeout? idleTimeout = null)
        {
            Handler = handler ?? throw new ArgumentNullException(nameof(handler));
            KeepOpenOnPeerClosed = keepOpenOnPeerClosed;
            UseResumeWriting = useResumeWriting;
            ReceiveMode = Enum.IsDefined(receiveMode) ? receiveMode : throw new ArgumentOutOfRangeException(nameof(receiveMode), receiveMode, "Copied or Leased.");
            IdleTimeout = idleTimeout;
        }

        /// <summary>
        /// Has the connection start its handler from <paramref name="handler"/>: as the connection's child, on the event
        /// loop that reads and writes its socket (unless the props name a dispatcher), so no message between the two
        /// crosses threads. The handler's parent (<c>Context.Parent</c>) is the connection. It is stopped once it has
        /// read the connection's final event (a <see cref="ConnectionClosed"/>); an exception restarts it, Akka's default.
        /// The loop runs every connection it serves: give a handler that blocks (synchronous I/O, <c>.Result</c>, long
        /// computations) a dispatcher of its own, such as <c>.WithDispatcher("akka.actor.default-dispatcher")</c>; the
        /// loop reports runs over <c>actors-io.loop-stall-warning</c>. If the handler cannot be started (an unknown
        /// dispatcher, say) the Register is answered with <see cref="CommandFailed"/> and the connection still waits for
        /// one.
        /// </summary>
        /// <param name="handler">The props of the handler the connection starts.</param>
        /// <param name="keepOpenOnPeerClosed">After the peer's EOF, keep the connection open for writing.</param>
        /// <param name="useResumeWriting">After a NACK, refuse every write until <see cref="ResumeWriting"/>.</param>
        /// <param name="receiveMode">Copied (<see cref="Received"/>) or leased (<see cref="LeasedReceived"/>) reads.</param>
        /// <param name="idleTimeout">The connection's idle timeout; null takes <c>actors-io.tcp.idle-timeout</c> (off by
        /// default), <see cref="IdleTimeout.Off"/> turns it off.</param>
        public Register(Props handler, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true, ReceiveMode receiveMode = ReceiveMode.Copied, IdleTimeout? idleTimeout = null)
            : this(ActorRefs.Nobody, keepOpenOnPeerClosed, useResumeWriting, receiveMode, idleTimeout)
        {
            HandlerProps = handler ?? throw new ArgumentNullException(nameof(handler));
        }

        /// <summary>The actor that receives <see cref="Received"/> and the close events; <see cref="ActorRefs.Nobody"/>
        /// when the connection starts it from <see cref="HandlerProps"/>.</summary>
        public IActorRef Handler { get; }

        /// <summary>The props the connection starts its handler from; null when <see cref="Handler"/> names it.</summary>
        public Props? HandlerProps { get; }

        /// <summary>
        /// After the peer's EOF (<see cref="PeerClosed"/>), keep the connection open for writing. On a TLS connection the
        /// peer's EOF is its close_notify: the connection stays open and writes are encrypted, sent and acked as before,
        /// until <see cref="Close"/> sends close_notify in turn. Whether the peer reads them is its choice: TLS 1.3 lets
        /// each side close only its own direction, and .NET's SslStream reads on under TLS 1.2 too, but many TLS 1.2
        /// peers close the socket right after their close_notify, and then a later write meets the reset
        /// (<see cref="ErrorClosed"/>), as on a plain connection whose peer has gone.
        /// </summary>
        public bool KeepOpenOnPeerClosed { get; }

        /// <summary>After a NACK, refuse every write until <see cref="ResumeWriting"/>.</summary>
        public bool UseResumeWriting { get; }

        /// <summary>
        /// How reads reach the handler: <see cref="ReceiveMode.Copied"/> (the default, <see cref="Received"/>) or
        /// <see cref="ReceiveMode.Leased"/> (<see cref="LeasedReceived"/>, pooled buffers lent to the handler).
        /// </summary>
        public ReceiveMode ReceiveMode { get; }

        /// <summary>
        /// The connection's idle timeout (<see cref="Idle"/> or <see cref="IdleClosed"/> when it passes); null when the
        /// configured default, <c>actors-io.tcp.idle-timeout</c>, applies. On a TLS connection it counts plaintext:
        /// reading is decrypted bytes delivered, writing is the handler's writes; TLS's own records do not count, and a
        /// close on idle sends close_notify after the pending writes.
        /// </summary>
        public IdleTimeout? IdleTimeout { get; }

        /// <summary>
        /// Leased receive only, from the TLS stage: the connection hands each read's lease to it by a call while its
        /// mailbox is empty (<see cref="Streams.ILeaseReceiver"/>), instead of a message.
        /// </summary>
        internal Streams.ILeaseReceiver? LeaseReceiver { get; init; }

        /// <summary>This registration with <paramref name="handler"/>, the handler started from its props.</summary>
        internal Register Started(IActorRef handler) => new(handler, KeepOpenOnPeerClosed, UseResumeWriting, ReceiveMode, IdleTimeout);
    }

    /// <summary>Stop reading from the socket (the kernel buffers, then the peer waits). A peer close or reset is still reported.</summary>
    public sealed class SuspendReading : Command
    {
        /// <summary>The instance.</summary>
        public static readonly SuspendReading Instance = new();

        private SuspendReading()
        {
        }
    }

    /// <summary>Resume reading; in pull mode, deliver the next <see cref="Received"/> (one per <see cref="ResumeReading"/>).</summary>
    public sealed class ResumeReading : Command
    {
        /// <summary>The instance.</summary>
        public static readonly ResumeReading Instance = new();

        private ResumeReading()
        {
        }
    }

    /// <summary>After a NACK with <c>useResumeWriting</c>: answered with <see cref="WritingResumed"/> once the queue is sent.</summary>
    public sealed class ResumeWriting : Command
    {
        /// <summary>The instance.</summary>
        public static readonly ResumeWriting Instance = new();

        private ResumeWriting()
        {
        }
    }

    /// <summary>The close commands; each names the event that confirms it.</summary>
    public abstract class CloseCommand : Command
    {
        /// <summary>The event sent to the closer and the handler when done.</summary>
        public abstract ConnectionClosed Event { get; }
    }

    /// <summary>
    /// Send what is queued, then close. The closer and the handler receive <see cref="Closed"/> (once each) once the writes
    /// are out and the end of stream is sent. Input the connection has not read would make the close a reset, which can
    /// destroy the last answer, so the connection then goes on discarding the peer's input until the peer closes, within
    /// <c>actors-io.tcp.close-linger</c> and <c>close-linger-max-bytes</c>, unseen by the handler.
    /// </summary>
    public sealed class Close : CloseCommand
    {
        /// <summary>The instance.</summary>
        public static readonly Close Instance = new();

        private Close()
        {
        }

        /// <inheritdoc />
        public override ConnectionClosed Event => Closed.Instance;
    }

    /// <summary>
    /// Send what is queued, then half-close (FIN) and keep reading until the peer closes too:
    /// <see cref="ConfirmedClosed"/> then. Data arriving meanwhile is still delivered.
    /// </summary>
    public sealed class ConfirmedClose : CloseCommand
    {
        /// <summary>The instance.</summary>
        public static readonly ConfirmedClose Instance = new();

        private ConfirmedClose()
        {
        }

        /// <inheritdoc />
        public override ConnectionClosed Event => ConfirmedClosed.Instance;
    }

    /// <summary>
    /// Drop what is queued and reset the connection (the peer sees RST): <see cref="Aborted"/>. A Unix socket has no reset:
    /// its peer sees <see cref="PeerClosed"/>, or an <see cref="ErrorClosed"/> when this side left received bytes unread.
    /// </summary>
    public sealed class Abort : CloseCommand
    {
        /// <summary>The instance.</summary>
        public static readonly Abort Instance = new();

        private Abort()
        {
        }

        /// <inheritdoc />
        public override ConnectionClosed Event => Aborted.Instance;
    }

    // ---------------------------------------------------------------- writes

    /// <summary>A write: one <see cref="Write"/> or a <see cref="CompoundWrite"/> of several.</summary>
    public abstract class WriteCommand : Command, IEnumerable<Write>
    {
        /// <summary>Total bytes.</summary>
        public abstract long Length { get; }

        /// <summary>This write followed by <paramref name="next"/>, sent atomically, each part acked on its own.</summary>
        public CompoundWrite Append(WriteCommand next) => new([.. this, .. next]);

        /// <summary>A compound write of <paramref name="writes"/>.</summary>
        public static CompoundWrite Create(params WriteCommand[] writes) => new([.. writes.SelectMany(w => w)]);

        /// <inheritdoc />
        public abstract IEnumerator<Write> GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>
    /// Write <see cref="Data"/>. <see cref="Ack"/> (unless a <see cref="NoAck"/>) is sent to the writer once every byte is in
    /// the kernel, never before; an empty write with an ack is acked in order with the writes around it.
    /// </summary>
    public sealed class Write : WriteCommand
    {
        /// <summary>An empty write without ack.</summary>
        public static readonly Write Empty = new(ByteString.Empty, NoAck.Instance);

        private Write(ByteString data, Event ack)
        {
            Data = data;
            Ack = ack;
        }

        /// <summary>The bytes.</summary>
        public ByteString Data { get; }

        /// <summary>The event to send back when written; a <see cref="NoAck"/> for none.</summary>
        public Event Ack { get; }

        /// <summary>True when <see cref="Ack"/> is a real ack.</summary>
        public bool WantsAck => Ack is not NoAck;

        /// <inheritdoc />
        public override long Length => Data.Count;

        /// <summary>A write of <paramref name="data"/> without ack.</summary>
        public static Write Create(ByteString data) => data.IsEmpty ? Empty : new Write(data, NoAck.Instance);

        /// <summary>A write of <paramref name="data"/> acked with <paramref name="ack"/>.</summary>
        public static Write Create(ByteString data, Event ack) => new(data ?? throw new ArgumentNullException(nameof(data)), ack ?? NoAck.Instance);

        /// <inheritdoc />
        public override IEnumerator<Write> GetEnumerator()
        {
            yield return this;
        }

        /// <inheritdoc />
        public override string ToString() => $"Write({Data.Count} bytes, ack {Ack})";
    }

    /// <summary>Several writes queued atomically (all or none); each part is acked on its own.</summary>
    public sealed class CompoundWrite : WriteCommand
    {
        /// <summary>Creates the compound write.</summary>
        public CompoundWrite(IReadOnlyList<Write> writes)
        {
            Writes = writes ?? throw new ArgumentNullException(nameof(writes));
            Length = writes.Sum(w => (long)w.Data.Count);
        }

        /// <summary>The parts, in order.</summary>
        public IReadOnlyList<Write> Writes { get; }

        /// <inheritdoc />
        public override long Length { get; }

        /// <inheritdoc />
        public override IEnumerator<Write> GetEnumerator() => Writes.GetEnumerator();

        /// <inheritdoc />
        public override string ToString() => $"CompoundWrite({Writes.Count} parts, {Length} bytes)";
    }

    /// <summary>The "no ack" marker; its <see cref="Token"/> is echoed in nothing but lets writes be told apart in NACKs.</summary>
    public class NoAck(object? token) : Event
    {
        /// <summary>The plain marker.</summary>
        public static readonly NoAck Instance = new(null);

        /// <summary>A token of the writer's choice.</summary>
        public object? Token { get; } = token;
    }

    // ---------------------------------------------------------------- events

    /// <summary>The listener is ready on <see cref="LocalAddress"/> (with the real port when port 0 was asked).</summary>
    public sealed class Bound(EndPoint localAddress) : Event
    {
        /// <summary>The bound address.</summary>
        public EndPoint LocalAddress { get; } = localAddress;

        /// <inheritdoc />
        public override string ToString() => $"Bound({LocalAddress})";
    }

    /// <summary>The listener stopped listening.</summary>
    public sealed class Unbound : Event
    {
        /// <summary>The instance.</summary>
        public static readonly Unbound Instance = new();

        private Unbound()
        {
        }
    }

    /// <summary>
    /// The actor system is draining (<see cref="ActorsIo.DrainAsync"/>, or Akka's <c>CoordinatedShutdown</c>): sent
    /// once to the handler of every open connection, from the connection actor. Finish what is under way and close
    /// (<see cref="Close"/>) before <see cref="Deadline"/>; what is still open then is closed or aborted
    /// (<c>actors-io.coordinated-shutdown.on-timeout</c>). Listeners have stopped accepting by then.
    /// </summary>
    public sealed class Draining : Event
    {
        /// <summary>Creates the event for a drain that ends at <paramref name="deadline"/>.</summary>
        /// <param name="deadline">When the connections still open are closed or aborted.</param>
        /// <param name="timeout">How long the drain gave connections from its start.</param>
        public Draining(DateTimeOffset deadline, TimeSpan timeout)
        {
            Deadline = deadline;
            Timeout = timeout;
        }

        /// <summary>When connections still open are closed or aborted (UTC).</summary>
        public DateTimeOffset Deadline { get; }

        /// <summary>How long the drain gave connections from its start (its <c>drain-timeout</c>).</summary>
        public TimeSpan Timeout { get; }

        /// <inheritdoc />
        public override string ToString() => $"Draining(deadline {Deadline:O}, timeout {Timeout})";
    }

    /// <summary>
    /// A connection is established; the sender is the connection actor: answer it with <see cref="Register"/>. On a Unix
    /// socket the end that did not bind has no name: its address is a <see cref="UnixDomainSocketEndPoint"/> whose
    /// <c>ToString()</c> is empty (an accepted connection's <see cref="RemoteAddress"/>, an outgoing one's
    /// <see cref="LocalAddress"/>).
    /// </summary>
    public sealed class Connected : Event
    {
        /// <summary>Creates the event for a plain connection without a proxy.</summary>
        public Connected(EndPoint remoteAddress, EndPoint localAddress)
            : this(remoteAddress, localAddress, null)
        {
        }

        /// <summary>
        /// Creates the event; <paramref name="proxyAddress"/> is the socket's peer when it sent a PROXY header, and
        /// <paramref name="tls"/> what the TLS handshake agreed on for a TLS connection.
        /// </summary>
        public Connected(EndPoint remoteAddress, EndPoint localAddress, EndPoint? proxyAddress, TlsSession? tls = null)
        {
            RemoteAddress = remoteAddress;
            LocalAddress = localAddress;
            ProxyAddress = proxyAddress;
            Tls = tls;
        }

        /// <summary>What the TLS handshake agreed on; null on a plain connection.</summary>
        public TlsSession? Tls { get; }

        /// <summary>
        /// The peer's address; on a listener with <see cref="SO.ProxyProtocol"/>, the client's address the proxy's header
        /// gave (the socket's peer when the header gave none).
        /// </summary>
        public EndPoint RemoteAddress { get; }

        /// <summary>This side's address.</summary>
        public EndPoint LocalAddress { get; }

        /// <summary>
        /// On a listener with <see cref="SO.ProxyProtocol"/>, the socket's peer: the proxy that sent the header. Null for every
        /// other connection.
        /// </summary>
        public EndPoint? ProxyAddress { get; }

        /// <inheritdoc />
        public override string ToString() =>
            ProxyAddress is null ? $"Connected({RemoteAddress} -> {LocalAddress})" : $"Connected({RemoteAddress} via {ProxyAddress} -> {LocalAddress})";
    }

    /// <summary>Bytes read from the connection, at most <c>actors-io.tcp.max-received-message-size</c> per message.</summary>
    public sealed class Received(ByteString data) : Event
    {
        /// <summary>The bytes.</summary>
        public ByteString Data { get; } = data;

        /// <inheritdoc />
        public override string ToString() => $"Received({Data.Count} bytes)";
    }

    /// <summary>The writes queued before the NACK are all sent; writing is accepted again.</summary>
    public sealed class WritingResumed : Event
    {
        /// <summary>The instance.</summary>
        public static readonly WritingResumed Instance = new();

        private WritingResumed()
        {
        }
    }

    /// <summary>A command could not be carried out; <see cref="Cause"/> says why.</summary>
    public sealed class CommandFailed(Command cmd, Exception? cause = null) : Event
    {
        /// <summary>The command that failed (for a NACK, the write).</summary>
        public Command Cmd { get; } = cmd;

        /// <summary>Why it failed.</summary>
        public Exception? Cause { get; } = cause;

        /// <summary>Why it failed, as text: <c>"because of "</c> and the cause's message, or empty without a cause
        /// (Akka.IO's <c>CommandFailed.CauseString</c>).</summary>
        public string CauseString => Cause is null ? string.Empty : "because of " + Cause.Message;

        /// <inheritdoc />
        public override string ToString() => $"CommandFailed({Cmd}{(Cause is null ? string.Empty : ": " + Cause.Message)})";
    }

    /// <summary>The connection is closed; the subclass says how.</summary>
    public abstract class ConnectionClosed : Event, IDeadLetterSuppression
    {
        /// <summary>Closed by <see cref="Abort"/>.</summary>
        public virtual bool IsAborted => false;

        /// <summary>Closed by <see cref="ConfirmedClose"/>.</summary>
        public virtual bool IsConfirmed => false;

        /// <summary>The peer closed its side.</summary>
        public virtual bool IsPeerClosed => false;

        /// <summary>Closed by an error.</summary>
        public virtual bool IsErrorClosed => false;

        /// <summary>The error, for <see cref="ErrorClosed"/>; otherwise null.</summary>
        public virtual string? GetErrorCause() => null;

        /// <summary>The error, for <see cref="ErrorClosed"/>; otherwise null (Akka.IO's <c>ConnectionClosed.Cause</c>).</summary>
        public virtual string? Cause => null;
    }

    /// <summary>Closed after <see cref="Close"/>.</summary>
    public sealed class Closed : ConnectionClosed
    {
        /// <summary>The instance.</summary>
        public static readonly Closed Instance = new();

        private Closed()
        {
        }
    }

    /// <summary>Both sides closed after <see cref="ConfirmedClose"/>.</summary>
    public sealed class ConfirmedClosed : ConnectionClosed
    {
        /// <summary>The instance.</summary>
        public static readonly ConfirmedClosed Instance = new();

        private ConfirmedClosed()
        {
        }

        /// <inheritdoc />
        public override bool IsConfirmed => true;
    }

    /// <summary>Reset after <see cref="Abort"/> (or because the handler died).</summary>
    public sealed class Aborted : ConnectionClosed
    {
        /// <summary>The instance.</summary>
        public static readonly Aborted Instance = new();

        private Aborted()
        {
        }

        /// <inheritdoc />
        public override bool IsAborted => true;
    }

    /// <summary>
    /// The peer closed its side (EOF; on a TLS connection, its close_notify). With <c>keepOpenOnPeerClosed</c> the
    /// connection stays open for writing (see <see cref="Register.KeepOpenOnPeerClosed"/> for TLS).
    /// </summary>
    public sealed class PeerClosed : ConnectionClosed
    {
        /// <summary>The instance.</summary>
        public static readonly PeerClosed Instance = new();

        private PeerClosed()
        {
        }

        /// <inheritdoc />
        public override bool IsPeerClosed => true;
    }

    /// <summary>The connection failed: reset by the peer, timed out, or the selector failed.</summary>
    public sealed class ErrorClosed(string cause, SocketError error = SocketError.SocketError) : ConnectionClosed
    {
        /// <summary>A readable reason.</summary>
        public override string Cause { get; } = cause;

        /// <summary>The socket error, when there is one.</summary>
        public SocketError Error { get; } = error;

        /// <inheritdoc />
        public override bool IsErrorClosed => true;

        /// <inheritdoc />
        public override string? GetErrorCause() => Cause;

        /// <inheritdoc />
        public override string ToString() => $"ErrorClosed({Cause})";
    }
}
