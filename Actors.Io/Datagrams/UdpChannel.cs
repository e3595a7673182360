using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace Actors.Io.Datagrams;

/// <summary>
/// What the UDP socket actors share: the socket and its registration, the read loop (up to the per-event budget of
/// datagrams, in batches), suspend / resume, the send queue and its <see cref="Writable"/>, the watch on the actor whose
/// death closes the socket, and the cleanup (deregister, close, give back the placement).
/// </summary>
internal abstract class UdpChannel : ChannelActor
{
    private DatagramReceiver? _receiver;
    private DatagramSendQueue? _sends;
    private bool _readingSuspended;
    private bool _writeArmed;
    private WarningGate _truncatedWarnings;
    private WarningGate _receiveErrorWarnings;

    /// <param name="settings">The <c>actors-io.udp</c> settings.</param>
    /// <param name="selector">The selector this socket is placed on.</param>
    /// <param name="commander">Who asked for the socket: told when it is ready or could not be opened.</param>
    /// <param name="command">The command that opened it (Bind, SimpleSender or Connect).</param>
    protected UdpChannel(UdpSettings settings, Selector selector, IActorRef commander, IProtocolCommand command)
        : base(selector, placementHeld: true)
    {
        Settings = settings;
        Commander = commander;
        OpenCommand = command;
    }

    protected IActorRef Commander { get; }

    protected IProtocolCommand OpenCommand { get; }

    protected UdpSettings Settings { get; }

    protected Socket? Socket { get; private set; }

    /// <summary>The actor whose death closes the socket (the handler, or the simple sender's owner).</summary>
    protected abstract IActorRef Watched { get; }

    /// <summary>False for a socket that only sends.</summary>
    protected virtual bool Reads => true;

    /// <summary>True when received datagrams need their sender's address.</summary>
    protected virtual bool WantsSender => false;

    private DatagramSendQueue Sends => _sends ??= new DatagramSendQueue(Settings, Selector);

    private bool WantsToRead => Reads && !_readingSuspended && Registration is not null;

    /// <summary>Tells the commander the socket is ready (once registered).</summary>
    protected abstract void Announce();

    /// <summary>Delivers one datagram to the handler.</summary>
    protected abstract void Deliver(ByteString data, DatagramReceiver receiver, int index);

    /// <summary>Handles the protocol's commands; false when <paramref name="message"/> is not one.</summary>
    protected abstract bool OnCommand(object message);

    /// <summary>A receive failed with <paramref name="errno"/> (not EAGAIN); reading goes on. Logged at most once per <see cref="UdpSettings.WarningInterval"/>.</summary>
    protected virtual void OnReceiveError(int errno)
    {
        if (_receiveErrorWarnings.TryPass(Settings.WarningInterval, out int held))
        {
            Log.Warning("Receiving on {0} failed: {1}{2}", Socket?.LocalEndPoint, Errno.Describe(errno), WarningGate.Held(held, "failed receives"));
        }
    }

    /// <summary>Takes the opened (and bound or connected) socket and registers it on its selector.</summary>
    protected void Opened(Socket socket)
    {
        Socket = socket;
        Context.Watch(Watched);
        RegisterChannel(socket.SafeHandle, Interest.None);
    }

    /// <summary>Reports the failure, closes what was opened and stops.</summary>
    protected void FailOpen(Exception cause)
    {
        Commander.Tell(OpenCommand.FailureMessage(cause), Self);
        Context.Stop(Self);
    }

    /// <summary>Queues or sends a datagram (target null on a connected socket).</summary>
    protected void Send(IProtocolCommand command, ByteString payload, System.Net.EndPoint? target, object? ack)
    {
        if (Socket is null) return;
        if (Sends.Send(Socket, command, payload, target, ack, Sender, Self)) ArmWrite();
    }

    /// <summary>An unconnected send (a bound socket or a simple sender).</summary>
    protected void Send(Udp.Send send) => Send(send, send.Payload, send.Target, send.WantsAck ? send.Ack : null);

    /// <summary>Closes the socket, then answers <paramref name="reply"/> to the sender (the port is free by then) and stops.</summary>
    protected void CloseAndStop(object reply)
    {
        CloseSocket();
        Sender.Tell(reply, Self);
        Context.Stop(Self);
    }

    protected void SuspendReading() => _readingSuspended = true;

    protected void ResumeReading()
    {
        _readingSuspended = false;
        if (WantsToRead) Registration!.Arm(Interest.Read);
    }

    /// <summary>Deregisters and closes the socket now (the port is free when this returns).</summary>
    protected void CloseSocket()
    {
        _sends?.FailAll(Self, "The socket closed before the datagram was sent.");
        ReleaseChannel(Socket);
        _receiver = null;
    }

    protected override void PostStop()
    {
        base.PostStop();
        CloseSocket();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Readable:
                DoRead();
                break;
            case Writable:
                _writeArmed = false;
                if (Socket is not null && Sends.Flush(Socket, Self)) ArmWrite();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(Watched):
                Log.Debug("{0} died; closing the UDP socket on {1}", Watched, Socket?.LocalEndPoint);
                Context.Stop(Self);
                break;
            default:
                if (!OnCommand(message) && !OnLifecycleMessage(message)) Unhandled(message);
                break;
        }
    }

    protected override void OnRegistered()
    {
        // Registered once: the socket registers when it opens and never again (a failed selector stops it).
        Announce();

        if (WantsToRead) Registration!.Arm(Interest.Read);
    }

    protected override void OnRegistrationFailed(Exception cause) => FailOpen(cause);

    protected override void OnSelectorFailed(SelectorFailed failed)
    {
        Log.Error(failed.Cause, "The selector of the UDP socket on {0} failed; the socket closes", Socket?.LocalEndPoint);
        Context.Stop(Self);
    }

    private void ArmWrite()
    {
        if (_writeArmed || Registration is null) return;
        _writeArmed = true;
        Registration.Arm(Interest.Write);
    }

    private void DoRead()
    {
        if (!WantsToRead || Socket is null)
        {
            // A readiness event that raced a suspend: keep only the error watch.
            Registration?.Arm(Interest.None);
            return;
        }

        DatagramReceiver receiver = _receiver ??= new DatagramReceiver(Settings.ReceiveBatchSize, Settings.MaxDatagramSize, Socket.AddressFamily, Settings.RecvMmsg);
        int budget = Settings.ReceiveBudgetPerEvent;
        long bytes = 0, datagrams = 0, dropped = 0;
        while (budget > 0 && WantsToRead)
        {
            int want = Math.Min(receiver.Slots, budget);
            int n = receiver.Receive(Socket.SafeHandle, want, WantsSender, out int errno);
            if (receiver.SwitchedToRecvFrom != 0)
            {
                Log.Warning("recvmmsg is unusable here ({0}); every UDP socket of this process receives with recvfrom from now on", Errno.Describe(receiver.SwitchedToRecvFrom));
                receiver.SwitchedToRecvFrom = 0;
                want = Math.Min(receiver.Slots, want);
            }

            if (n < 0)
            {
                if (Errno.IsWouldBlock(errno)) break;
                if (errno != Errno.EINTR)
                {
                    budget--;
                    OnReceiveError(errno);
                }

                continue;
            }

            for (int i = 0; i < n; i++)
            {
                if (receiver.Truncated(i))
                {
                    dropped++;
                    if (_truncatedWarnings.TryPass(Settings.WarningInterval, out int held))
                    {
                        Log.Warning(
                            "Dropped a datagram longer than actors-io.udp.max-datagram-size = {0} bytes on {1}{2}",
                            Settings.MaxDatagramSize,
                            Socket.LocalEndPoint,
                            WarningGate.Held(held, "more dropped"));
                    }

                    continue;
                }

                Span<byte> data = receiver.Data(i);
                bytes += data.Length;
                datagrams++;
                Deliver(ByteString.CopyFrom(data), receiver, i);
            }

            budget -= n;
            if (n < want) break;
        }

        if (datagrams > 0)
        {
            SelectorCounters.Add(ref Selector.Counters.BytesRead, bytes);
            SelectorCounters.Add(ref Selector.Counters.ReceivedMessages, datagrams);
        }

        if (dropped > 0) SelectorCounters.Add(ref Selector.Counters.DatagramsDropped, dropped);

        // Level-triggered: when datagrams are left (budget spent) the next round reads on.
        if (WantsToRead) Registration!.Arm(Interest.Read);
        else Registration?.Arm(Interest.None);
    }
}

/// <summary>
/// Lets a warning through at most once per interval (<see cref="UdpSettings.WarningInterval"/>): the first at once, and each later one
/// with the number held back since. Costs no allocation when it holds one back.
/// </summary>
internal struct WarningGate
{
    private long _next;
    private int _held;

    /// <summary>True when a warning may be logged now, <paramref name="interval"/> after the last; <paramref name="held"/> is
    /// how many were held back before it.</summary>
    public bool TryPass(TimeSpan interval, out int held)
    {
        long now = Environment.TickCount64;
        if (now < _next)
        {
            _held++;
            held = 0;
            return false;
        }

        _next = now + (long)interval.TotalMilliseconds;
        held = _held;
        _held = 0;
        return true;
    }

    /// <summary>The suffix naming the warnings held back (empty for none).</summary>
    public static string Held(int held, string what) => held == 0 ? string.Empty : $" ({held} {what} since the last warning)";
}
