using System.Diagnostics;
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
/// The per-connection actor of a stream socket (TCP or Unix; incoming and outgoing share it). Its life is a sequence of
/// named states (<see cref="ConnectionState"/>): Connecting (outgoing only) → AwaitingRegister → Open → PeerClosed
/// (keep-open half-close) or Closing → HalfClosed (ConfirmedClose) → Lingering (output shut down, discarding the peer's
/// input until it closes) → Finished, or ClosedUnreported when it closed before anyone registered. Reading is suspended,
/// pulled or free and writing suspended or not, independently of the state.
/// </summary>
internal abstract partial class TcpConnection : ChannelActor, IInlineReader, IDirectWriter
{
    /// <summary>The failures metric's cause for a connection aborted because its handler stopped.</summary>
    internal const string HandlerTerminatedCause = "HandlerTerminated";

    private readonly WriteQueue _writes;
    private ConnectionState _state;
    private IActorRef _handler = ActorRefs.Nobody;
    private long _announcedAt; // Stopwatch timestamp of Connected; 0 until then
    private bool _keepOpenOnPeerClosed;
    private bool _useResumeWriting = true;
    private bool _readingSuspended;
    private bool _pullRequested;
    private bool _eofPending;

    // Leased receive: the size class of the next read's buffer; -1 in copied mode.
    private int _leaseClass = -1;
    private bool _eofRead;
    private bool _handlerStopped;
    private bool _registerWaitOver;
    private bool _drainingTold;
    private long _discarded;
    private Tcp.CloseCommand? _closing;
    private Tcp.ConnectionClosed? _closedEvent;
    private IActorRef? _closer;
    private IActorRef? _self;
    private IdleEntry? _idle;
    private OwnedHandler _owned;
    private ILeaseReceiver? _leaseReceiver;
    private Akka.Dispatch.MessageQueues.IMessageQueue? _queue;

    protected TcpConnection(TcpSettings settings, Selector selector, bool placementHeld, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
        : base(selector, placementHeld)
    {
        Settings = settings;
        PullMode = pullMode;
        Options = options;
        _writes = new WriteQueue(selector.Counters);
    }

    protected TcpSettings Settings { get; }

    protected bool PullMode { get; }

    protected IReadOnlyList<Tcp.SocketOption> Options { get; }

    protected ConnectionState State => _state;

    protected Socket? Socket { get; set; }

    /// <summary>The connection's descriptor once it exists (an incoming connection holds only this, no <see cref="Socket"/>).</summary>
    protected SafeHandle? Handle { get; set; }

    protected EndPoint? RemoteAddress { get; set; }

    private bool Registered => !ReferenceEquals(_handler, ActorRefs.Nobody);

    private bool IsClosed => _state >= ConnectionState.ClosedUnreported;

    /// <summary>Akka's default for the handler it starts, and <see cref="OwnedHandler.Stopped"/> when that stops.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => OwnedHandler.Supervision.Instance;

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Readable when _state != ConnectionState.ReadingProxyHeader:
                Read();
                return;
            case Writable:
                _writes.Armed = false;
                Flush();
                return;
            case Tcp.WriteCommand write:
                OnWrite(write);
                return;
            case Tcp.LeasedWrite leased:
                OnLeasedWrite(leased);
                return;
            case DrainSignal signal:
                OnDrainSignal(signal);
                return;
            case IdleFired fired:
                OnIdle(fired.Side);
                return;
            case Tcp.Register { HandlerProps: not null } starting when !Registered && _state != ConnectionState.Finished:
                if (_owned.Start(Context, starting, Selector.Loop.Id) is not { } started) return;
                message = started;
                break;
            case OwnedHandler.Stopped when _owned.Owned:
                _handlerStopped = true;
                if (_owned.StopPending) Context.Stop(Self);
                else if (!IsClosed) OnHandlerStopped();
                return;
        }

        bool handled = _state switch
        {
            ConnectionState.AwaitingRegister => AwaitingRegister(message),
            ConnectionState.ClosedUnreported => ClosedUnreported(message),
            ConnectionState.Lingering => Lingering(message),
            ConnectionState.Finished => true,
            _ => false,
        };
        if (!handled && !OnConnectMessage(message) && !Live(message) && !OnLifecycleMessage(message)) Unhandled(message);
    }

    /// <summary>
    /// The subclass's own messages before the connection is announced (connect progress, the PROXY header's reads, their
    /// timers); false for others.
    /// </summary>
    protected virtual bool OnConnectMessage(object message) => false;

    private bool AwaitingRegister(object message)
    {
        if (message is not RegisterTimedOut) return false;
        Log.Warning("No Register for the connection to {0} within {1}; closing it", RemoteAddress, Settings.RegisterTimeout);

        // Closed as Close would: what the bind handler wrote still goes out first.
        _registerWaitOver = true;
        BeginClose(Tcp.Close.Instance, Tcp.Closed.Instance, closer: null);
        return true;
    }

    private bool ClosedUnreported(object message)
    {
        switch (message)
        {
            case Tcp.Register register:
                _handler = register.Handler;
                _handler.Tell(_closedEvent!, Self);
                _state = ConnectionState.Finished;
                StopSelf();
                break;
            case RegisterTimedOut:
                _state = ConnectionState.Finished;
                StopSelf();
                break;
        }

        // Anything else finds the connection closed.
        return true;
    }

    /// <summary>Closed and reported, discarding the peer's input: the linger's own events; anything else finds it closed.</summary>
    private bool Lingering(object message)
    {
        switch (message)
        {
            case LingerExpired:
                EndLinger(reset: false);
                break;
            case Tcp.Abort:
                EndLinger(reset: true);
                break;
            case Tcp.Register register when !Registered:
                // Closed before anyone registered: the late handler still learns how it ended.
                _handler = register.Handler;
                _handler.Tell(_closedEvent!, Self);
                _owned.Release(Self);
                break;
            case RegisterTimedOut:
                _registerWaitOver = true;
                break;
            default:
                OnLifecycleMessage(message);
                break;
        }

        return true;
    }

    /// <summary>The messages of every state between connected and closed.</summary>
    private bool Live(object message)
    {
        switch (message)
        {
            case Tcp.Register register when !Registered:
                OnRegister(register);
                return true;
            case Tcp.Register:
                Log.Debug("Connection to {0} is already registered; ignoring Register from {1}", RemoteAddress, Sender);
                return true;
            case Tcp.SuspendReading:
                _readingSuspended = true;
                return true;
            case Tcp.ResumeReading:
                if (PullMode) _pullRequested = true;
                _readingSuspended = false;
                if (WantsToRead) Registration?.Arm(Interest.Read);
                return true;
            case Tcp.ResumeWriting:
                if (_writes.Resume(Sender)) Sender.Tell(Tcp.WritingResumed.Instance, Self);
                return true;
            case Tcp.CloseCommand close:
                OnClose(close, Sender);
                return true;
            case ReadFailed failed:
                ReadError(failed.Errno);
                return true;
            case HandlerTerminated:
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                OnHandlerStopped();
                return true;
            case HandlerWatchRefused:
                Context.Watch(_handler);
                return true;
            case RegisterTimedOut:
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// The handler stopped. A close already under way (its own, or the peer's) goes on as a plain close, told to nobody;
    /// an open connection is aborted.
    /// </summary>
    private void OnHandlerStopped()
    {
        if (_state is ConnectionState.Closing or ConnectionState.HalfClosed)
        {
            Log.Debug("Handler {0} of the connection to {1} stopped while it closed; the close goes on", _handler, RemoteAddress);
            _handlerStopped = true;
            if (_handler.Equals(_closer)) _closer = null;
            if (_closing is not Tcp.ConfirmedClose) return;

            // Nobody is left to read what the peer sends before its close: discard it instead.
            (_closing, _closedEvent) = (Tcp.Close.Instance, Tcp.Closed.Instance);
            if (_state == ConnectionState.HalfClosed) Finish(Tcp.Closed.Instance);
            return;
        }

        // Nobody is left to hear of it: report it in the log and the failures metric, and reset the peer.
        Log.Warning("Handler {0} of the connection to {1} stopped while the connection was open; aborting the connection", _handler, RemoteAddress);
        Selector.Metrics?.ConnectionFailed(HandlerTerminatedCause);
        _state = ConnectionState.Finished;
        CloseSocket(abort: true);
        StopSelf();
    }

    protected override void OnRegistered()
    {
        EnableInlineReads();
        OnConnectionRegistered();
    }

    /// <summary>The descriptor is on the selector: arm what the state wants.</summary>
    protected virtual void OnConnectionRegistered()
    {
        if (WantsToRead) Registration!.Arm(Interest.Read);
        if (!_writes.IsEmpty && !_writes.Armed) Flush();
    }

    protected override void OnRegistrationFailed(Exception cause) =>
        ErrorClose(SocketError.SocketError, $"Registering the connection failed: {cause.Message}");

    protected override void OnSelectorFailed(SelectorFailed failed)
    {
        if (_state == ConnectionState.Lingering) EndLinger(reset: true);
        else ErrorClose(SocketError.SocketError, $"The selector failed: {failed.Cause.Message}");
    }

    /// <summary>Holds the announcement back until the PROXY header is read (the subclass reads it).</summary>
    protected void AwaitProxyHeader() => _state = ConnectionState.ReadingProxyHeader;

    /// <summary>Announces the connection (counted open from now on) and starts waiting for <see cref="Tcp.Register"/>.</summary>
    protected void Announce(IActorRef to, Tcp.Connected connected)
    {
        to.Tell(connected, Self);
        _announcedAt = Stopwatch.GetTimestamp();
        SelectorCounters.Add(ref Selector.Counters.OpenConnections, 1);
        _state = ConnectionState.AwaitingRegister;
        ScheduleTellSelf(Settings.RegisterTimeout, RegisterTimedOut.Instance);
    }

    /// <summary>Applies the after-connect options (TCP_NODELAY on unless an option says otherwise).</summary>
    protected void ApplyAfterConnectOptions(Socket socket)
    {
        // Options that do not apply to Unix sockets were refused at Bind / Connect.
        if (socket.AddressFamily != AddressFamily.Unix && !Options.Any(o => o is Tcp.SO.NoDelay)) socket.NoDelay = true;
        foreach (Tcp.SocketOption option in Options) option.AfterConnect(socket);
    }

    private void OnRegister(Tcp.Register register)
    {
        _handler = register.Handler;
        _keepOpenOnPeerClosed = register.KeepOpenOnPeerClosed;
        _useResumeWriting = register.UseResumeWriting;
        if (register.ReceiveMode == Tcp.ReceiveMode.Leased)
        {
            _leaseClass = Selector.ReceiveBuffers.FirstClass;
            _leaseReceiver = register.LeaseReceiver;
            _leaseReceiver?.Attach(this);
        }

        if (_state == ConnectionState.AwaitingRegister) _state = ConnectionState.Open;
        if (!_owned.Owned) Selector.Actor.Tell(new WatchHandler(_handler), Self);
        if (Selector.Draining is not null) TellDraining();
        if ((register.IdleTimeout ?? Settings.IdleTimeout) is { IsOff: false } idleTimeout)
        {
            _idle = new IdleEntry(Self, idleTimeout);
            Selector.Actor.Tell(new WatchIdle(_idle), Self);
        }

        if (Registration is null) return;

        // A close that came before Register: in pull mode it is reported now when nothing is left unread; otherwise the
        // read that follows sees the EOF after any data.
        if (_eofPending && PullMode)
        {
            OnHangUp();
            return;
        }

        if (WantsToRead || _eofPending) Registration.Arm(Interest.Read);
    }

    /// <summary>
    /// The drain: tell the handler (once), or at the deadline close or abort what is still open. A close already under way
    /// goes on (a linger is bounded by close-linger); an abort resets it.
    /// </summary>
    private void OnDrainSignal(DrainSignal signal)
    {
        if (signal == DrainSignal.Notify)
        {
            TellDraining();
            return;
        }

        bool abort = signal == DrainSignal.Abort;
        switch (_state)
        {
            case ConnectionState.Connecting:
                OnDrainDeadlineWhileConnecting();
                break;
            case ConnectionState.AwaitingRegister or ConnectionState.Open or ConnectionState.PeerClosed:
                if (!Registered) _registerWaitOver = true;
                if (abort) AbortByDrain();
                else BeginClose(Tcp.Close.Instance, Tcp.Closed.Instance, closer: null);
                break;
            case ConnectionState.Closing or ConnectionState.HalfClosed when abort:
                AbortByDrain();
                break;
            case ConnectionState.HalfClosed:
                // No more waiting for the peer's EOF: close, and discard its input for at most close-linger.
                (_closing, _closedEvent) = (Tcp.Close.Instance, Tcp.Closed.Instance);
                Finish(Tcp.Closed.Instance);
                break;
            case ConnectionState.Lingering when abort:
                EndLinger(reset: true);
                break;
            case ConnectionState.ClosedUnreported:
                _state = ConnectionState.Finished;
                StopSelf();
                break;
        }
    }

    private void AbortByDrain()
    {
        _writes.Clear();
        _closer = null;
        Finish(Tcp.Aborted.Instance);
    }

    private void TellDraining()
    {
        if (_drainingTold || !Registered || _handlerStopped || _state >= ConnectionState.Closing || Selector.Draining is not { } notice) return;
        _drainingTold = true;
        _handler.Tell(notice, Self);
    }

    /// <summary>The drain's deadline found the connection still connecting; nobody has heard of it but its commander.</summary>
    protected virtual void OnDrainDeadlineWhileConnecting() => Abandon();

    /// <summary>The idle sweep found <paramref name="side"/> idle: tell the handler, or close, as registered; only while open.</summary>
    private void OnIdle(Tcp.IdleSide side)
    {
        if (_idle is not { } idle || _state is not (ConnectionState.Open or ConnectionState.PeerClosed)) return;
        if (idle.Timeout.Action == Tcp.IdleAction.Notify)
        {
            _handler.Tell(Tcp.Idle.For(side), Self);
            return;
        }

        TimeSpan timeout = idle.Timeout.Of(side);
        Log.Debug("Connection to {0} was idle ({1}) for {2}; closing it", RemoteAddress, side, timeout);
        BeginClose(Tcp.Close.Instance, new Tcp.IdleClosed(side, timeout), closer: null);
    }

    private void OnWrite(Tcp.WriteCommand write)
    {
        if (_state >= ConnectionState.Closing) RefuseClosing(write);
        else Queued(write, write.Length, _writes.Accept(write, Sender, Settings.MaxPendingWriteBytes, _useResumeWriting));
    }

    /// <summary>A write of a lease: the buffer is this connection's from here until the write completes or is refused.</summary>
    private void OnLeasedWrite(Tcp.LeasedWrite write)
    {
        if (!write.Lease.TakeForWrite())
        {
            Sender.Tell(new Tcp.CommandFailed(write, write.Lease.NotTakenCause()), Self);
            return;
        }

        if (_state >= ConnectionState.Closing)
        {
            write.Lease.GiveBackToHandler();
            RefuseClosing(write);
            return;
        }

        WriteDecision decision = _writes.Accept(write, Sender, Settings.MaxPendingWriteBytes, _useResumeWriting);
        if (decision != WriteDecision.Queued) write.Lease.GiveBackToHandler();
        Queued(write, write.Length, decision);
    }

    private void RefuseClosing(Tcp.Command write) =>
        Sender.Tell(new Tcp.CommandFailed(write, new InvalidOperationException($"The connection to {RemoteAddress} is closing; the write was dropped.")), Self);

    /// <summary>Flushes a queued write, or answers a refused one with its NACK.</summary>
    private void Queued(Tcp.Command write, long length, WriteDecision decision)
    {
        switch (decision)
        {
            case WriteDecision.Suspended:
                Sender.Tell(new Tcp.CommandFailed(write, new InvalidOperationException("Writing is suspended after an earlier NACK; send ResumeWriting and wait for WritingResumed.")), Self);
                break;
            case WriteDecision.Full:
                Sender.Tell(
                    new Tcp.CommandFailed(write, new InvalidOperationException(
                        $"The connection to {RemoteAddress} already holds {_writes.Bytes} unsent bytes; {length} more would pass actors-io.tcp.max-pending-write-bytes = {Settings.MaxPendingWriteBytes}.")),
                    Self);
                break;
            default:
                if (!_writes.Armed) Flush();
                break;
        }
    }

    private void Flush()
    {
        if (IsClosed || Handle is null || Registration is null) return;
        _idle?.MarkWritten();
        if (_writes.Flush(Handle, Settings.MaxWritesPerSyscall, Registration, Self, out SocketError error))
        {
            if (_state == ConnectionState.Closing) CompleteClose();
        }
        else if (error != SocketError.Success)
        {
            ErrorClose(error, $"Writing to {RemoteAddress} failed: {error}");
        }
    }

    unsafe int IDirectWriter.TryWrite(ReadOnlySpan<byte> data)
    {
        if (_state is not (ConnectionState.Open or ConnectionState.PeerClosed) || !_writes.IsEmpty || _queue is null || _queue.HasMessages) return 0;
        if (Handle is not { IsClosed: false } handle || data.IsEmpty) return 0;
        nint sent;
        fixed (byte* p = data)
        {
            sent = Libc.Write(handle, p, data.Length);
        }

        if (sent <= 0) return 0;
        SelectorCounters.Add(ref Selector.Counters.BytesWritten, sent);
        return (int)sent;
    }

    private void OnClose(Tcp.CloseCommand close, IActorRef closer)
    {
        if (close is Tcp.Abort)
        {
            _writes.Clear();
            _closer = closer;
            Finish(Tcp.Aborted.Instance);
            return;
        }

        if (_state >= ConnectionState.Closing)
        {
            closer.Tell(new Tcp.CommandFailed(close, new InvalidOperationException($"The connection to {RemoteAddress} is already closing.")), Self);
            return;
        }

        // After the peer's EOF there is nothing left to read: a ConfirmedClose is a close that reports ConfirmedClosed.
        bool eofRead = _state == ConnectionState.PeerClosed;
        BeginClose(close is Tcp.ConfirmedClose && !eofRead ? close : Tcp.Close.Instance, close.Event, closer);
    }

    private void BeginClose(Tcp.CloseCommand closing, Tcp.ConnectionClosed closedEvent, IActorRef? closer)
    {
        _state = ConnectionState.Closing;
        _closing = closing;
        _closedEvent = closedEvent;
        _closer = closer;
        if (_writes.IsEmpty) CompleteClose();
    }

    /// <summary>The writes are out: close, or for ConfirmedClose shut the output down and read until the peer's EOF.</summary>
    private void CompleteClose()
    {
        if (_closing is not Tcp.ConfirmedClose || _handlerStopped)
        {
            Finish(_closedEvent!);
            return;
        }

        _state = ConnectionState.HalfClosed;
        _ = Sockets.Shutdown(Handle!, Sockets.SHUT_WR);
        if (WantsToRead) Registration?.Arm(Interest.Read);
    }

    /// <summary>
    /// Reports <paramref name="closedEvent"/> to the closer and the handler (once each), then closes and stops, or, where
    /// the peer's input may still arrive unread, lingers first.
    /// </summary>
    private void Finish(Tcp.ConnectionClosed closedEvent)
    {
        if (IsClosed) return;
        _state = ConnectionState.Finished;
        _idle?.Closed = true;
        if (_closer is { } closer && !closer.IsNobody()) closer.Tell(closedEvent, Self);
        if (Registered && !_handlerStopped && !_handler.Equals(_closer)) _handler.Tell(closedEvent, Self);
        _owned.Release(Self);
        if (!closedEvent.IsAborted && !_eofRead && Settings.CloseLinger > TimeSpan.Zero && Registration is { Failure: null })
        {
            Linger(closedEvent);
            return;
        }

        CloseSocket(abort: closedEvent.IsAborted);
        StopOrAwaitRegister(closedEvent);
    }

    /// <summary>Reports an error to the handler (and a pending closer), closes, stops.</summary>
    protected void ErrorClose(SocketError error, string cause)
    {
        if (IsClosed) return;
        _state = ConnectionState.Finished;
        var closed = new Tcp.ErrorClosed(cause, error);
        Selector.Metrics?.ConnectionFailed(error.ToString());
        if (Registered && !_handlerStopped) _handler.Tell(closed, Self);
        if (_closer is { } closer && !closer.Equals(_handler)) closer.Tell(closed, Self);
        _owned.Release(Self);
        OnErrorClosed(closed);
        CloseSocket(abort: true);
        StopOrAwaitRegister(closed);
    }

    /// <summary>
    /// Stops, unless the connection was announced (Connected sent) and closed before anyone registered: then it stays
    /// (socket closed) until Register or the register timeout, so the handler still learns how it ended.
    /// </summary>
    private void StopOrAwaitRegister(Tcp.ConnectionClosed closedEvent)
    {
        if (Registered || _announcedAt == 0 || _registerWaitOver)
        {
            StopSelf();
            return;
        }

        _state = ConnectionState.ClosedUnreported;
        _closedEvent = closedEvent;
    }

    /// <summary>Ends a connection that was never announced (a failed connect): nothing more is reported on stop.</summary>
    protected void Abandon()
    {
        _state = ConnectionState.Finished;
        CloseSocket(abort: true);
        StopSelf();
    }

    /// <summary>Stops, or, with a handler of its own still running, stops it first and then itself.</summary>
    private void StopSelf()
    {
        if (!_owned.DeferStop(_handlerStopped, Self)) Context.Stop(Self);
    }

    /// <summary>Lets the subclass tell whoever waits on it (an unanswered Connect) about an error close.</summary>
    protected virtual void OnErrorClosed(Tcp.ErrorClosed closed)
    {
    }

    /// <summary>Deregisters, then closes the socket; an abort resets the connection (RST).</summary>
    protected void CloseSocket(bool abort)
    {
        SafeHandle? handle = Handle;
        if (abort && handle is { IsClosed: false } && Registration is not { Failure: not null })
        {
            // A reset rather than a FIN; a failure here means the socket is already gone.
            _ = Sockets.SetLingerZero(handle);
        }

        ReleaseChannel((IDisposable?)Socket ?? handle);
    }

    protected override void PostStop()
    {
        base.PostStop();
        _idle?.Closed = true;
        if (_announcedAt != 0)
        {
            SelectorCounters.Add(ref Selector.Counters.OpenConnections, -1);
            Selector.Metrics?.ConnectionEnded(Stopwatch.GetElapsedTime(_announcedAt).TotalSeconds);
        }

        _writes.Clear();
        Selector.Trace?.Debug("Connection to {0} stopped", RemoteAddress);
        if (!IsClosed && Registered && !_handlerStopped)
        {
            // Stopped from outside (or its selector failed): the handler still hears that the connection is gone.
            Exception? failure = Registration?.Failure;
            _handler.Tell(new Tcp.ErrorClosed(failure is null ? "The connection actor was stopped." : $"The selector failed: {failure.Message}"), Self);
        }

        CloseSocket(abort: !IsClosed);
    }

    /// <summary>The linger time of a closed connection is over.</summary>
    private sealed class LingerExpired : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly LingerExpired Instance = new();
    }

    /// <summary>The register timer fired; internal so tests can deliver a late one.</summary>
    internal sealed class RegisterTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RegisterTimedOut Instance = new();
    }
}
