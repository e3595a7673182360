using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>
/// A connection accepted by a listener: tells the bind handler <see cref="Tcp.Connected"/> and waits for Register. On a
/// listener with <see cref="Tcp.SO.ProxyProtocol"/> it first reads the proxy's header, and announces the connection only
/// once the header is whole; a header that fails resets the connection, unannounced.
/// </summary>
internal sealed class TcpIncomingConnection : TcpConnection
{
    /// <summary>The failures metric's cause for a PROXY header not complete within <c>proxy-protocol-timeout</c>.</summary>
    internal const string ProxyHeaderTimeoutCause = "ProxyHeaderTimeout";

    /// <summary>The failures metric's cause for bytes that are not a PROXY header, or one of a version not accepted.</summary>
    internal const string ProxyHeaderInvalidCause = "ProxyHeaderInvalid";

    /// <summary>The failures metric's cause for a peer that closed (or reset) before its PROXY header was complete.</summary>
    internal const string ProxyHeaderIncompleteCause = "ProxyHeaderIncomplete";

    private readonly SafeHandle _handle;
    private readonly IActorRef _bindHandler;
    private readonly Tcp.SO.ProxyProtocol? _proxy;
    private byte[]? _header;
    private int _headerBytes;
    private EndPoint? _localAddress;

    public TcpIncomingConnection(
        TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options, Tcp.SO.ProxyProtocol? proxy)
        : base(settings, selector, placementHeld: false, pullMode, options)
    {
        _handle = handle;
        _bindHandler = bindHandler;
        _proxy = proxy;
    }

    public static Props Props(
        TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options, Tcp.SO.ProxyProtocol? proxy = null) =>
        new IncomingProps(settings, selector, handle, bindHandler, pullMode, options, proxy);

    protected override void PreStart()
    {
        Handle = _handle;

        // A Socket view of the descriptor for the options and the addresses, dropped afterwards: kept, it would cost the
        // connection its endpoints and state for as long as it lives. It does not own the descriptor.
        var view = new Socket(new SafeSocketHandle(_handle.DangerousGetHandle(), ownsHandle: false));
        try
        {
            ApplyAfterConnectOptions(view);
            EndPoint remote = view.RemoteEndPoint!, local = view.LocalEndPoint!;
            RemoteAddress = remote;
            if (_proxy is not null)
            {
                _localAddress = local;
                _header = new byte[ProxyHeader.V1MaxLength];
                AwaitProxyHeader();
                ScheduleTellSelf(Settings.ProxyProtocolTimeout, ProxyHeaderTimedOut.Instance);
                return;
            }

            Announce(_bindHandler, new Tcp.Connected(remote, local));
            Selector.Trace?.Debug("Accepted connection {0} -> {1}", remote, local);
        }
        catch (SocketException e)
        {
            // The peer went away between accept and now (reset): nothing to report to anyone.
            Log.Debug("Accepted connection failed before it was announced: {0}", e.SocketErrorCode);
            Context.Stop(Self);
            return;
        }
        finally
        {
            GC.SuppressFinalize(view);
        }
    }

    protected override void OnConnectionRegistered()
    {
        if (State == ConnectionState.ReadingProxyHeader) ReadProxyHeader();
        else base.OnConnectionRegistered();
    }

    protected override bool OnConnectMessage(object message)
    {
        switch (message)
        {
            case Readable when State == ConnectionState.ReadingProxyHeader:
                ReadProxyHeader();
                return true;
            case ProxyHeaderTimedOut when State == ConnectionState.ReadingProxyHeader:
                Refuse(ProxyHeaderTimeoutCause, $"the header was not complete within proxy-protocol-timeout = {Settings.ProxyProtocolTimeout}");
                return true;
            case ProxyHeaderTimedOut:
                return true;
            default:
                return false;
        }
    }

    protected override void OnHangUp()
    {
        if (State != ConnectionState.ReadingProxyHeader)
        {
            base.OnHangUp();
            return;
        }

        // The read meets the peer's EOF or error, unless a whole header came before it: then the connection goes on as
        // one whose peer closed before Register, and the hang-up is its.
        ReadProxyHeader();
        if (State == ConnectionState.AwaitingRegister) base.OnHangUp();
    }

    /// <summary>
    /// Reads the PROXY header as far as the kernel has it. Each step peeks at most what the header can still hold, then
    /// takes exactly the header's part of it, so the bytes after the header stay in the kernel for the reads after
    /// Register, in either receive mode. What it took is all header, so a wait for more never spins on unread bytes.
    /// </summary>
    private void ReadProxyHeader()
    {
        Tcp.ProxyProtocolVersions versions = _proxy!.Versions;
        ProxyHeaderResult parsed = ProxyHeader.Parse(_header.AsSpan(0, _headerBytes), versions);
        while (parsed.Status == ProxyHeaderStatus.Incomplete)
        {
            if (_header!.Length < parsed.Length) Array.Resize(ref _header, parsed.Length);
            int peeked = Receive(parsed.Length - _headerBytes, Sockets.MSG_PEEK, out int errno);
            if (peeked < 0 && errno == Errno.EAGAIN)
            {
                Registration!.Arm(Interest.Read);
                return;
            }

            if (peeked <= 0)
            {
                Refuse(ProxyHeaderIncompleteCause, peeked == 0 ? "the peer closed before the header was complete" : $"reading the header failed: {Errno.Describe(errno)}");
                return;
            }

            parsed = ProxyHeader.Parse(_header.AsSpan(0, _headerBytes + peeked), versions);
            if (parsed.Status == ProxyHeaderStatus.Invalid) break;
            int take = parsed.Status == ProxyHeaderStatus.Complete ? parsed.Length - _headerBytes : peeked;
            if (Receive(take, 0, out errno) != take)
            {
                Refuse(ProxyHeaderIncompleteCause, $"taking the peeked header failed: {Errno.Describe(errno)}");
                return;
            }

            _headerBytes += take;
        }

        if (parsed.Status == ProxyHeaderStatus.Invalid)
        {
            Refuse(ProxyHeaderInvalidCause, parsed.Error!);
            return;
        }

        EndPoint proxy = RemoteAddress!;
        RemoteAddress = parsed.Source ?? proxy;
        _header = null;
        Announce(_bindHandler, new Tcp.Connected(RemoteAddress, _localAddress!, proxy));
        Selector.Trace?.Debug("Accepted connection {0} via {1} -> {2}", RemoteAddress, proxy, _localAddress);
        base.OnConnectionRegistered();
    }

    /// <summary>recv into the header buffer after what it holds; EINTR is retried.</summary>
    private unsafe int Receive(int count, int flags, out int errno)
    {
        fixed (byte* buffer = _header)
        {
            while (true)
            {
                int n = (int)Sockets.Recv(Handle!, buffer + _headerBytes, count, flags);
                errno = n < 0 ? Errno.Last : 0;
                if (n >= 0 || errno != Errno.EINTR) return n;
            }
        }
    }

    /// <summary>Resets a connection whose header failed: counted and logged, never announced.</summary>
    private void Refuse(string cause, string why)
    {
        Log.Debug("Resetting the connection from {0} on {1}: its PROXY header is refused ({2})", RemoteAddress, _localAddress, why);
        Selector.Metrics?.ConnectionFailed(cause);
        _header = null;
        Abandon();
    }

    private sealed class IncomingProps : ChannelProps
    {
        private readonly TcpSettings _settings;
        private readonly Selector _selector;
        private readonly SafeHandle _handle;
        private readonly IActorRef _bindHandler;
        private readonly bool _pullMode;
        private readonly IReadOnlyList<Tcp.SocketOption> _options;
        private readonly Tcp.SO.ProxyProtocol? _proxy;

        public IncomingProps(
            TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options, Tcp.SO.ProxyProtocol? proxy)
            : base(selector, typeof(TcpIncomingConnection))
        {
            (_settings, _selector, _handle, _bindHandler, _pullMode, _options, _proxy) = (settings, selector, handle, bindHandler, pullMode, options, proxy);
        }

#pragma warning disable AK1000 // Akka calls NewActor inside ActorOf: this is the props' factory.
        public override ActorBase NewActor() => new TcpIncomingConnection(_settings, _selector, _handle, _bindHandler, _pullMode, _options, _proxy);
#pragma warning restore AK1000
    }

    /// <summary>The PROXY header's time is up.</summary>
    private sealed class ProxyHeaderTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly ProxyHeaderTimedOut Instance = new();
    }
}
