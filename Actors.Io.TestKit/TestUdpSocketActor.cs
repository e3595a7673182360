using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.TestKit;

/// <summary>
/// The library's side of one bound UDP socket, played for a handler under test. It follows the real socket's rules
/// (Actors.Io's <c>UdpListener</c>, <c>UdpChannel</c> and <c>DatagramSendQueue</c>): one Bind, datagrams delivered to
/// the handler from the socket unless reading is suspended, sends checked (size, target) and acked once the kernel took
/// them or held in a bounded queue, multicast membership, Unbind answered after the held sends failed, the handler's
/// death closing the socket. Accepted sends go to <paramref name="sends"/>; binding and closing to
/// <paramref name="lifecycle"/>; a broken rule to <paramref name="violations"/>.
/// </summary>
internal sealed class TestUdpSocketActor(
    TestUdpSocketSettings settings, IActorRef sends, IActorRef lifecycle, IActorRef violations)
    : UntypedActor
{
    private readonly Queue<PushDatagram> _inbound = new();
    private readonly Queue<RecordedSend> _held = new();
    private readonly HashSet<(IPAddress Group, int Interface)> _groups = [];
    private IActorRef _handler = ActorRefs.Nobody;
    private IPEndPoint? _local;
    private bool _closed;
    private IActorRef? _unbinder;
    private bool _readingSuspended;
    private bool _kernelTakesSends = settings.KernelTakesSends;

    private bool Bound => _local is not null;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Udp.Bind bind:
                OnBind(bind);
                break;
            case BindFor bindFor:
                if (!Bound && !_closed) Open(bindFor.Handler, settings.LocalAddress, bindFor.Handler, null);
                break;
            case Udp.Command command when !Live(command):
                break;
            case Udp.Send send:
                OnSend(send);
                break;
            case Udp.Unbind:
                OnUnbind();
                break;
            case Udp.SuspendReading:
                _readingSuspended = true;
                break;
            case Udp.ResumeReading:
                _readingSuspended = false;
                DeliverInbound();
                break;
            case Udp.JoinGroup join:
                ChangeGroup(join, join.Group, join.InterfaceIndex, joining: true);
                break;
            case Udp.LeaveGroup leave:
                ChangeGroup(leave, leave.Group, leave.InterfaceIndex, joining: false);
                break;
            case Udp.Command command:
                Sender.Tell(new Udp.CommandFailed(command, new NotSupportedException($"A bound UDP socket takes Send, Unbind, SuspendReading, ResumeReading, JoinGroup and LeaveGroup; {command.GetType().Name} goes to the IoManager.")), Self);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                Close(null);
                break;
            case PushDatagram datagram:
                OnPush(datagram);
                break;
            case KernelTakesSends kernel:
                _kernelTakesSends = kernel.AtOnce;
                TakeHeld();
                break;
            case TakePendingSends:
                TakeHeld();
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// True while the socket takes commands. Before it is bound nobody can know it; after it closed the real socket has
    /// stopped and a command is a dead letter, a broken rule only from the actor that unbound it.
    /// </summary>
    private bool Live(Udp.Command command)
    {
        if (_closed)
        {
            if (_unbinder is { } unbinder && unbinder.Equals(Sender))
            {
                Violation("no commands after Unbind", $"{Sender.Path} sent {command} after it unbound the socket");
            }

            return false;
        }

        if (Bound) return true;
        Violation("commands only after Bound", $"{Sender.Path} sent {command} before the socket was bound (send Udp.Bind, or call BindTo)");
        return false;
    }

    private void OnBind(Udp.Bind bind)
    {
        if (_closed)
        {
            Live(bind);
            return;
        }

        if (Bound)
        {
            Violation("one Bind per socket", $"{Sender.Path} sent a second {bind}; the socket is bound to {_local} for {_handler.Path}");
            Sender.Tell(new Udp.CommandFailed(bind, new NotSupportedException("A bound UDP socket takes Send, Unbind, SuspendReading, ResumeReading, JoinGroup and LeaveGroup; Bind goes to the IoManager.")), Self);
            return;
        }

        if (bind.LocalAddress is not IPEndPoint local)
        {
            // The real socket fails and stops; the next Bind would make a new one, so this one waits for it.
            Sender.Tell(new Udp.CommandFailed(bind, new NotSupportedException($"Binding to {bind.LocalAddress} ({bind.LocalAddress.GetType().Name}) is not supported; bind to an IPEndPoint.")), Self);
            return;
        }

        Open(bind.Handler, local.Port == 0 ? new IPEndPoint(local.Address, settings.LocalAddress.Port) : local, Sender, bind);
    }

    private void Open(IActorRef handler, IPEndPoint local, IActorRef commander, Udp.Bind? bind)
    {
        _handler = handler;
        _local = local;
        Context.Watch(handler);
        var bound = new Udp.Bound(local);
        commander.Tell(bound, Self);
        lifecycle.Tell(new SocketBound(bound, bind), Self);
        DeliverInbound();
    }

    private void OnSend(Udp.Send send)
    {
        if (Refusal(send) is { } refusal)
        {
            Sender.Tell(new Udp.CommandFailed(send, refusal), Self);
            return;
        }

        if (!_kernelTakesSends && _held.Count >= settings.MaxQueuedSends)
        {
            Sender.Tell(new Udp.CommandFailed(send, new InvalidOperationException($"{_held.Count} datagrams already wait for the kernel's send buffer (actors-io.udp.max-queued-sends = {settings.MaxQueuedSends}); the send was dropped.")), Self);
            return;
        }

        var recorded = new RecordedSend(send, Sender);
        sends.Tell(recorded, Self);
        _held.Enqueue(recorded);
        if (_kernelTakesSends) TakeHeld();
    }

    /// <summary>Why the real socket would refuse <paramref name="send"/> before it reaches the kernel, or null.</summary>
    private Exception? Refusal(Udp.Send send)
    {
        if (send.Payload.Count > settings.MaxDatagramSize)
        {
            return new SocketException((int)SocketError.MessageSize, $"The datagram of {send.Payload.Count} bytes is larger than actors-io.udp.max-datagram-size = {settings.MaxDatagramSize} bytes; it was not sent.");
        }

        if (send.Target is not IPEndPoint target)
        {
            return new NotSupportedException($"Sending to {send.Target} ({send.Target.GetType().Name}) is not supported; send to an IPEndPoint (resolve a DnsEndPoint with System.Net.Dns first).");
        }

        // A bound socket is of its address's family only: an IPv6 one is not dual-mode.
        if (target.AddressFamily == _local!.AddressFamily) return null;
        return new SocketException((int)SocketError.AddressFamilyNotSupported, $"The target {target} is {target.AddressFamily}; this socket is {_local.AddressFamily}.");
    }

    private void TakeHeld()
    {
        while (_held.TryDequeue(out RecordedSend? held))
        {
            if (held.Command.WantsAck) held.SentBy.Tell(held.Command.Ack, Self);
        }
    }

    private void OnUnbind()
    {
        _unbinder = Sender;
        Close(Sender);
    }

    /// <summary>Closes the socket: held sends fail first, then <paramref name="unbinder"/> (null: the handler died) hears Unbound.</summary>
    private void Close(IActorRef? unbinder)
    {
        if (_closed) return;
        _closed = true;
        while (_held.TryDequeue(out RecordedSend? held))
        {
            held.SentBy.Tell(new Udp.CommandFailed(held.Command, new InvalidOperationException("The socket closed before the datagram was sent.")), Self);
        }

        _inbound.Clear();
        unbinder?.Tell(Udp.Unbound.Instance, Self);
        lifecycle.Tell(new SocketClosed(unbinder is null ? _handler : null), Self);
    }

    private void ChangeGroup(Udp.Command command, IPAddress group, int interfaceIndex, bool joining)
    {
        if (GroupRefusal(group, interfaceIndex, joining) is { } refusal)
        {
            Sender.Tell(new Udp.CommandFailed(command, refusal), Self);
            return;
        }

        if (joining) _groups.Add((group, interfaceIndex));
        else _groups.Remove((group, interfaceIndex));
        Sender.Tell(joining ? new Udp.GroupJoined(group) : new Udp.GroupLeft(group), Self);
    }

    /// <summary>Why the real socket (or its kernel: EADDRINUSE, EADDRNOTAVAIL) would refuse the change, or null.</summary>
    private Exception? GroupRefusal(IPAddress group, int interfaceIndex, bool joining)
    {
        if (group.AddressFamily != _local!.AddressFamily) return new ArgumentException($"The multicast group {group} is {group.AddressFamily}; the socket is {_local.AddressFamily}.");
        if (!IsMulticast(group)) return new ArgumentException($"{group} is not a multicast address.");
        bool member = _groups.Contains((group, interfaceIndex));
        if (joining == member)
        {
            return new SocketException(
                (int)(joining ? SocketError.AddressAlreadyInUse : SocketError.AddressNotAvailable),
                $"{(joining ? "Joining" : "Leaving")} the multicast group {group} on interface {interfaceIndex} failed: the socket is {(member ? "a member already" : "not a member")}.");
        }

        return null;
    }

    private static bool IsMulticast(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6
        ? address.IsIPv6Multicast
        : (address.GetAddressBytes()[0] & 0xF0) == 0xE0;

    private void OnPush(PushDatagram datagram)
    {
        // After the close nobody reads; a datagram over the limit is dropped, never delivered cut short.
        if (_closed || datagram.Data.Count > settings.MaxDatagramSize) return;
        _inbound.Enqueue(datagram);
        DeliverInbound();
    }

    private void DeliverInbound()
    {
        if (!Bound || _closed || _readingSuspended) return;
        while (_inbound.TryDequeue(out PushDatagram? datagram)) _handler.Tell(new Udp.Received(datagram.Data, datagram.Sender), Self);
    }

    private void Violation(string rule, string detail) => violations.Tell(ViolationLog.Of(rule, detail), Self);
}

/// <summary>A peer sent a datagram.</summary>
internal sealed record PushDatagram(ByteString Data, EndPoint Sender) : INoSerializationVerificationNeeded;

/// <summary>The socket is bound for the handler without a Bind.</summary>
internal sealed record BindFor(IActorRef Handler) : INoSerializationVerificationNeeded;

/// <summary>The kernel takes sends at once (true) or holds them until told (false).</summary>
internal sealed record KernelTakesSends(bool AtOnce) : INoSerializationVerificationNeeded;

/// <summary>The kernel takes every send held now.</summary>
internal sealed record TakePendingSends : INoSerializationVerificationNeeded;

/// <summary>To the lifecycle observer: the socket is bound (by <paramref name="Bind"/>, or null for BindTo).</summary>
internal sealed record SocketBound(Udp.Bound Bound, Udp.Bind? Bind) : INoSerializationVerificationNeeded;

/// <summary>To the lifecycle observer: the socket closed, by Unbind or (<paramref name="DeadHandler"/> not null) its handler's death.</summary>
internal sealed record SocketClosed(IActorRef? DeadHandler) : INoSerializationVerificationNeeded;
