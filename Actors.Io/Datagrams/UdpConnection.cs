using System.Net;
using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using ByteString = Akka.IO.ByteString;

namespace Actors.Io.Datagrams;

/// <summary>A connected datagram socket (<see cref="UdpConnected.Connect"/>): resolves a host name without blocking, connects, then exchanges datagrams with the peer.</summary>
internal sealed class UdpConnection : UdpChannel
{
    private readonly UdpConnected.Connect _connect;
    private IPEndPoint? _remote;

    public UdpConnection(UdpSettings settings, Selector selector, IActorRef commander, UdpConnected.Connect connect)
        : base(settings, selector, commander, connect)
    {
        _connect = connect;
    }

    protected override IActorRef Watched => _connect.Handler;

    public static Props Props(UdpSettings settings, Selector selector, IActorRef commander, UdpConnected.Connect connect) =>
        Akka.Actor.Props.Create(() => new UdpConnection(settings, selector, commander, connect)).WithDeploy(Deploy.Local.WithDispatcher(selector.Loop.Id));

    protected override void PreStart()
    {
        switch (_connect.RemoteAddress)
        {
            case IPEndPoint ip:
                Open(ip);
                break;
            case DnsEndPoint dns:
                Resolve(dns);
                break;
            default:
                FailOpen(new NotSupportedException($"Connecting to {_connect.RemoteAddress} ({_connect.RemoteAddress.GetType().Name}) is not supported; use an IPEndPoint or a DnsEndPoint."));
                break;
        }
    }

    protected override void Announce() => Commander.Tell(UdpConnected.Connected.Instance, Self);


    protected override void Deliver(ByteString data, DatagramReceiver receiver, int index) =>
        _connect.Handler.Tell(new UdpConnected.Received(data), Self);


    protected override void OnReceiveError(int errno)
    {
        if (errno == Errno.ECONNREFUSED || errno == Errno.EHOSTUNREACH || errno == Errno.ENETUNREACH)
        {
            _connect.Handler.Tell(new UdpConnected.PeerUnreachable(Errno.ToSocketError(errno), $"{_remote} is unreachable: {Errno.Describe(errno)}"), Self);
            return;
        }

        base.OnReceiveError(errno);
    }

    protected override bool OnCommand(object message)
    {
        switch (message)
        {
            case UdpConnected.Send send:
                Send(send, send.Payload, null, send.WantsAck ? send.Ack : null);
                return true;
            case UdpConnected.Disconnect:
                CloseAndStop(UdpConnected.Disconnected.Instance);
                return true;
            case UdpConnected.SuspendReading:
                SuspendReading();
                return true;
            case UdpConnected.ResumeReading:
                ResumeReading();
                return true;
            case UdpConnected.Command command:
                Sender.Tell(new UdpConnected.CommandFailed(command, new NotSupportedException($"A connected UDP socket takes Send, Disconnect, SuspendReading and ResumeReading; {command.GetType().Name} goes to the IoManager.")), Self);
                return true;
            default:
                return false;
        }
    }

    protected override void OnResolved(NameResolution.Resolved resolved)
    {
        if (Socket is not null) return;
        if (resolved.Pick(_connect.LocalAddress?.AddressFamily) is { } remote) Open(remote);
        else FailOpen(resolved.Failure());
    }

    private void Open(IPEndPoint remote)
    {
        _remote = remote;
        Socket? socket = null;
        try
        {
            socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };

            // Dual mode, so an IPv4-mapped remote (what a dual-mode socket reports as an IPv4 peer) is reachable.
            if (remote.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = true;
            foreach (Udp.SocketOption option in _connect.Options) option.BeforeBind(socket);
            if (_connect.LocalAddress is { } local) socket.Bind(local);
            socket.Connect(remote);
            foreach (Udp.SocketOption option in _connect.Options) option.AfterBind(socket);
        }
        catch (Exception e)
        {
            // Whatever it is (an option the platform lacks, say), the commander is answered.
            socket?.Dispose();
            FailOpen(e is SocketException s
                ? new SocketException((int)s.SocketErrorCode, $"Connecting to {remote} failed: {s.SocketErrorCode} ({s.Message})")
                : e);
            return;
        }

        Opened(socket);
    }
}
