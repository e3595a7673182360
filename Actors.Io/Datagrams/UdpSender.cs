using System.Net.Sockets;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Datagrams;

/// <summary>A send-only datagram socket (<see cref="Udp.SimpleSender"/>): IPv6 with IPv4 mapped in where the host has IPv6.</summary>
internal sealed class UdpSender : UdpChannel
{
    private readonly Udp.SimpleSender _command;

    public UdpSender(UdpSettings settings, Selector selector, IActorRef commander, Udp.SimpleSender command)
        : base(settings, selector, commander, command)
    {
        _command = command;
    }

    protected override IActorRef Watched => Commander;

    protected override bool Reads => false;

    public static Props Props(UdpSettings settings, Selector selector, IActorRef commander, Udp.SimpleSender command) =>
        Akka.Actor.Props.Create(() => new UdpSender(settings, selector, commander, command)).WithDeploy(Deploy.Local.WithDispatcher(selector.Loop.Id));

    protected override void PreStart()
    {
        Socket? socket = null;
        try
        {
            socket = Socket.OSSupportsIPv6
                ? new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true, Blocking = false }
                : new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { Blocking = false };
            foreach (Udp.SocketOption option in _command.Options) option.BeforeBind(socket);
            foreach (Udp.SocketOption option in _command.Options) option.AfterBind(socket);
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

    protected override void Announce() => Commander.Tell(Udp.SimpleSenderReady.Instance, Self);


    protected override void Deliver(ByteString data, DatagramReceiver receiver, int index)
    {
    }


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
            case Udp.Command command:
                Sender.Tell(new Udp.CommandFailed(command, new NotSupportedException($"A simple sender takes Send and Unbind; {command.GetType().Name} is for a bound socket or the IoManager.")), Self);
                return true;
            default:
                return false;
        }
    }
}
