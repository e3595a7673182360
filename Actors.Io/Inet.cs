namespace Actors.Io;

/// <summary>
/// Socket options shared by TCP and UDP, shaped like Akka.IO's <c>Inet</c>, for code ported from Akka.IO: the
/// <see cref="SO"/> options and any <see cref="Tcp.SocketOption"/> or <see cref="Udp.SocketOption"/> (converted
/// implicitly) go into the option lists of <see cref="TcpMessage"/>, <see cref="UdpMessage"/> and
/// <see cref="UdpConnectedMessage"/>.
/// </summary>
public static class Inet
{
    /// <summary>
    /// A socket option for <see cref="TcpMessage"/>, <see cref="UdpMessage"/> or <see cref="UdpConnectedMessage"/>: it maps
    /// onto the protocol's own option (<see cref="Tcp.SocketOption"/>, <see cref="Udp.SocketOption"/>).
    /// <para>
    /// Unlike Akka.IO's, this class cannot be subclassed with <c>BeforeBind</c> / <c>AfterConnect</c> hooks of your own: the
    /// library owns its sockets (non-blocking, registered with a selector, checked against the address family before any
    /// socket exists), and its option hooks are internal so no option can block, close or re-register a socket behind
    /// the selector's back. Ask for an option the library lacks instead.
    /// </para>
    /// </summary>
    public abstract class SocketOption
    {
        private protected SocketOption()
        {
        }

        /// <summary>Wraps a TCP option, so it can go into a list of <see cref="SocketOption"/>.</summary>
        public static implicit operator SocketOption(Tcp.SocketOption option) => new Wrapped(option, null);

        /// <summary>Wraps a UDP option, so it can go into a list of <see cref="SocketOption"/>.</summary>
        public static implicit operator SocketOption(Udp.SocketOption option) => new Wrapped(null, option);

        /// <summary>This option as a TCP option; null when it has none.</summary>
        internal abstract Tcp.SocketOption? ForTcp { get; }

        /// <summary>This option as a UDP option; null when it has none.</summary>
        internal abstract Udp.SocketOption? ForUdp { get; }

        internal static Tcp.SocketOption[] ToTcp(IEnumerable<SocketOption>? options) =>
            options is null
                ? []
                : [.. options.Select(o => o.ForTcp ?? throw new ArgumentException($"{o} is not a TCP socket option.", nameof(options)))];

        internal static Udp.SocketOption[] ToUdp(IEnumerable<SocketOption>? options) =>
            options is null
                ? []
                : [.. options.Select(o => o.ForUdp ?? throw new ArgumentException($"{o} is not a UDP socket option.", nameof(options)))];

        private sealed class Wrapped(Tcp.SocketOption? tcp, Udp.SocketOption? udp) : SocketOption
        {
            internal override Tcp.SocketOption? ForTcp => tcp;

            internal override Udp.SocketOption? ForUdp => udp;

            public override string ToString() => tcp?.ToString() ?? udp!.ToString();
        }
    }

    /// <summary>The options TCP and UDP share, named as in Akka.IO's <c>Inet.SO</c>.</summary>
    public static class SO
    {
        /// <summary><c>SO_RCVBUF</c>: the kernel's receive buffer, in bytes (<see cref="Tcp.SO.ReceiveBufferSize"/>,
        /// <see cref="Udp.SO.ReceiveBufferSize"/>).</summary>
        public sealed class ReceiveBufferSize(int size) : SocketOption
        {
            /// <summary>The buffer size in bytes.</summary>
            public int Size { get; } = size;

            internal override Tcp.SocketOption ForTcp => new Tcp.SO.ReceiveBufferSize(Size);

            internal override Udp.SocketOption ForUdp => new Udp.SO.ReceiveBufferSize(Size);

            /// <inheritdoc />
            public override string ToString() => $"ReceiveBufferSize({Size})";
        }

        /// <summary><c>SO_SNDBUF</c>: the kernel's send buffer, in bytes (<see cref="Tcp.SO.SendBufferSize"/>,
        /// <see cref="Udp.SO.SendBufferSize"/>).</summary>
        public sealed class SendBufferSize(int size) : SocketOption
        {
            /// <summary>The buffer size in bytes.</summary>
            public int Size { get; } = size;

            internal override Tcp.SocketOption ForTcp => new Tcp.SO.SendBufferSize(Size);

            internal override Udp.SocketOption ForUdp => new Udp.SO.SendBufferSize(Size);

            /// <inheritdoc />
            public override string ToString() => $"SendBufferSize({Size})";
        }

        /// <summary><c>SO_REUSEADDR</c> (<see cref="Tcp.SO.ReuseAddress"/>, <see cref="Udp.SO.ReuseAddress"/>).</summary>
        public sealed class ReuseAddress(bool on) : SocketOption
        {
            /// <summary>Whether the option is set.</summary>
            public bool On { get; } = on;

            internal override Tcp.SocketOption ForTcp => new Tcp.SO.ReuseAddress(On);

            internal override Udp.SocketOption ForUdp => new Udp.SO.ReuseAddress(On);

            /// <inheritdoc />
            public override string ToString() => $"ReuseAddress({On})";
        }
    }
}
