using System.Net;
using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>
/// A connection opened by <see cref="Tcp.Connect"/>: resolves a host name without blocking, connects without blocking
/// (waiting for <see cref="Connectable"/>), then tells the commander <see cref="Tcp.Connected"/> and waits for Register.
/// </summary>
internal sealed class TcpOutgoingConnection : TcpConnection
{
    private readonly IActorRef _commander;
    private readonly Tcp.Connect _connect;
    private EndPoint? _target;
    private bool _immediatelyConnected;

    public TcpOutgoingConnection(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect)
        : base(settings, selector, placementHeld: true, connect.PullMode, connect.Options)
    {
        _commander = commander;
        _connect = connect;
    }

    public static Props Props(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect) =>
        new OutgoingProps(settings, selector, commander, connect);

    private sealed class OutgoingProps : ChannelProps
    {
        private readonly TcpSettings _settings;
        private readonly Selector _selector;
        private readonly IActorRef _commander;
        private readonly Tcp.Connect _connect;

        public OutgoingProps(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect)
            : base(selector, typeof(TcpOutgoingConnection))
        {
            (_settings, _selector, _commander, _connect) = (settings, selector, commander, connect);
        }

#pragma warning disable AK1000 // Akka calls NewActor inside ActorOf: this is the props' factory.
        public override ActorBase NewActor() => new TcpOutgoingConnection(_settings, _selector, _commander, _connect);
#pragma warning restore AK1000
    }

    private string Target => _connect.RemoteAddress switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => _connect.RemoteAddress.ToString() ?? "?",
    };

    protected override void PreStart()
    {
        RemoteAddress = _connect.RemoteAddress;
        ScheduleTellSelf(_connect.Timeout ?? Settings.ConnectTimeout, ConnectTimedOut.Instance);
        if (StreamSockets.Refusal(_connect.RemoteAddress, _connect.Options, binding: false) is { } refusal)
        {
            Fail(refusal);
            return;
        }

        switch (_connect.RemoteAddress)
        {
            case IPEndPoint or UnixDomainSocketEndPoint:
                StartConnect(_connect.RemoteAddress);
                break;
            case DnsEndPoint dns:
                Resolve(dns);
                break;
            default:
                Fail(new NotSupportedException($"Connecting to {_connect.RemoteAddress} ({_connect.RemoteAddress.GetType().Name}) is not supported; use an IPEndPoint, a DnsEndPoint or a UnixDomainSocketEndPoint."));
                break;
        }
    }

    protected override bool OnConnectMessage(object message)
    {
        switch (message)
        {
            case Connectable when State == ConnectionState.Connecting:
                FinishConnect();
                return true;
            case ConnectTimedOut when State == ConnectionState.Connecting:
                Fail(new TimeoutException($"Connecting to {Target} timed out after {_connect.Timeout ?? Settings.ConnectTimeout}."));
                return true;
            case Connectable or ConnectTimedOut:
                return true;
            default:
                return false;
        }
    }

    protected override void OnConnectionRegistered()
    {
        if (State != ConnectionState.Connecting) base.OnConnectionRegistered();

        // An immediate connect (rare, but loopback does it) needs no Connectable.
        else if (_immediatelyConnected) Connected();
    }

    protected override void OnRegistrationFailed(Exception cause)
    {
        if (State == ConnectionState.Connecting) Fail(cause);
        else base.OnRegistrationFailed(cause);
    }

    protected override void OnDrainDeadlineWhileConnecting() =>
        Fail(new InvalidOperationException($"The drain's deadline passed while connecting to {Target}; Actors.Io is shutting down."));

    protected override void OnErrorClosed(Tcp.ErrorClosed closed)
    {
        if (State == ConnectionState.Connecting) _commander.Tell(new Tcp.CommandFailed(_connect, new SocketException((int)closed.Error)), Self);
    }

    protected override void OnResolved(NameResolution.Resolved resolved)
    {
        if (State != ConnectionState.Connecting || Socket is not null) return;
        if (resolved.Pick() is { } target) StartConnect(target);
        else Fail(resolved.Failure());
    }

    private void StartConnect(EndPoint target)
    {
        _target = target;
        Socket socket;
        try
        {
            socket = StreamSockets.NewStreamSocket(target, dualMode: true);
            Socket = socket;
            Handle = socket.SafeHandle;
            foreach (Tcp.SocketOption option in Options) option.BeforeConnect(socket);
            if (_connect.LocalAddress is { } local) socket.Bind(local);
        }
        catch (SocketException e)
        {
            Fail(new SocketException((int)e.SocketErrorCode, $"Connecting to {Target} failed before connect: {e.Message}"));
            return;
        }

        int errno = StreamSockets.Connect(socket, target);
        if (errno != 0 && errno != Errno.EINPROGRESS && errno != Errno.EINTR)
        {
            Fail(new SocketException((int)Errno.ToSocketError(errno), $"Connecting to {Target} failed: {StreamSockets.DescribeConnectError(target, errno)}"));
            return;
        }

        _immediatelyConnected = errno == 0;
        RegisterChannel(socket.SafeHandle, _immediatelyConnected ? Interest.None : Interest.Connect);
    }

    private void FinishConnect()
    {
        if (Socket is null) return;
        if (Sockets.GetPendingError(Socket.SafeHandle, out int error) != 0 || error != 0)
        {
            Fail(new SocketException((int)Errno.ToSocketError(error), $"Connecting to {Target} failed: {StreamSockets.DescribeConnectError(_target!, error)}"));
            return;
        }

        Connected();
    }

    private void Connected()
    {
        Socket socket = Socket!;
        try
        {
            ApplyAfterConnectOptions(socket);
            EndPoint localAddress = LocalEndPointOf(socket, _target!);
            Announce(_commander, new Tcp.Connected(_target!, localAddress));
            SelectorCounters.Add(ref Selector.Counters.Connected, 1);
            Selector.Trace?.Debug("Connected {0} -> {1}", localAddress, _target);
        }
        catch (SocketException e)
        {
            Fail(new SocketException((int)e.SocketErrorCode, $"Connecting to {Target} failed: {e.SocketErrorCode}"));
            return;
        }

        base.OnConnectionRegistered();
    }

    /// <summary>
    /// The local address from <c>getsockname</c>: <see cref="System.Net.Sockets.Socket.LocalEndPoint"/> (and RemoteEndPoint)
    /// stay null for a socket the framework itself neither bound nor connected, as here (connect is a native call).
    /// </summary>
    private static unsafe EndPoint LocalEndPointOf(Socket socket, EndPoint target)
    {
        var address = new SocketAddress(socket.AddressFamily, SocketAddress.GetMaximumAddressSize(socket.AddressFamily));
        int length = address.Buffer.Length;
        int rc;
        fixed (byte* p = address.Buffer.Span)
        {
            rc = Sockets.GetSockName(socket.SafeHandle, p, &length);
        }

        if (rc != 0) throw new SocketException((int)Errno.ToSocketError(Errno.Last));
        address.Size = length;
        return target.Create(address);
    }

    private void Fail(Exception cause)
    {
        _commander.Tell(new Tcp.CommandFailed(_connect, cause), Self);
        Abandon();
    }

    private sealed class ConnectTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly ConnectTimedOut Instance = new();
    }
}
