using System.Net;
using System.Net.Sockets;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Datagrams;

/// <summary>A bound datagram socket (<see cref="Udp.Bind"/>): delivers datagrams to the handler, sends, joins and leaves multicast groups.</summary>
internal sealed class UdpListener : UdpChannel
{
    private readonly Udp.Bind _bind;

    public UdpListener(UdpSettings settings, Selector selector, IActorRef commander, Udp.Bind bind)
        : base(settings, selector, commander, bind)
    {
        _bind = bind;
    }

    protected override IActorRef Watched => _bind.Handler;

    protected override bool WantsSender => true;

    public static Props Props(UdpSettings settings, Selector selector, IActorRef commander, Udp.Bind bind) =>
        Akka.Actor.Props.Create(() => new UdpListener(settings, selector, commander, bind)).WithDeploy(Deploy.Local.WithDispatcher(selector.Loop.Id));

    protected override void PreStart()
    {
        if (_bind.LocalAddress is not IPEndPoint local)
        {
            FailOpen(new NotSupportedException($"Binding to {_bind.LocalAddress} ({_bind.LocalAddress.GetType().Name}) is not supported; bind to an IPEndPoint."));
            return;
        }

        Socket? socket = null;
        string? step = "Setting the options of the socket for";
        try
        {
            socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
            foreach (Udp.SocketOption option in _bind.Options) option.BeforeBind(socket);
            step = "Bind to";
            socket.Bind(local);
            step = null;
            foreach (Udp.SocketOption option in _bind.Options) option.AfterBind(socket);
        }
        catch (SocketException e) when (step is not null)
        {
            socket?.Dispose();
            FailOpen(new SocketException((int)e.SocketErrorCode, $"{step} {local} failed: {e.SocketErrorCode} ({e.Message})"));
            return;
        }
        catch (Exception e)
        {
            // Whatever it is (an option the platform lacks, say), the commander is answered.
            socket?.Dispose();
            FailOpen(e);
            return;
        }

        Opened(socket);
    }

    protected override void Announce() => Commander.Tell(new Udp.Bound(Socket!.LocalEndPoint!), Self);


    protected override void Deliver(ByteString data, DatagramReceiver receiver, int index) =>
        _bind.Handler.Tell(new Udp.Received(data, receiver.Sender(index)), Self);


    protected override bool OnCommand(object message)
    {
        switch (message)
        {
            case Udp.Send send:
                Send(send);
                return true;
            case Udp.Unbind:
                CloseAndStop(Udp.Unbound.Instance);
                return true;
            case Udp.SuspendReading:
                SuspendReading();
                return true;
            case Udp.ResumeReading:
                ResumeReading();
                return true;
            case Udp.JoinGroup join:
                ChangeGroup(join, join.Group, join.InterfaceIndex, joining: true);
                return true;
            case Udp.LeaveGroup leave:
                ChangeGroup(leave, leave.Group, leave.InterfaceIndex, joining: false);
                return true;
            case Udp.Command command:
                Sender.Tell(new Udp.CommandFailed(command, new NotSupportedException($"A bound UDP socket takes Send, Unbind, SuspendReading, ResumeReading, JoinGroup and LeaveGroup; {command.GetType().Name} goes to the IoManager.")), Self);
                return true;
            default:
                return false;
        }
    }

    // No lambdas in OnCommand: a closure there would be allocated for every message, sends included.
    private void ChangeGroup(Udp.Command command, IPAddress group, int interfaceIndex, bool joining)
    {
        try
        {
            if (joining) Udp.Multicast.Join(Socket!, group, interfaceIndex);
            else Udp.Multicast.Leave(Socket!, group, interfaceIndex);
            Sender.Tell(joining ? new Udp.GroupJoined(group) : new Udp.GroupLeft(group), Self);
        }
        catch (Exception e)
        {
            Sender.Tell(new Udp.CommandFailed(command, e), Self);
        }
    }
}
