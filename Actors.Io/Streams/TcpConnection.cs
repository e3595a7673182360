using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace Actors.Io.Streams;

/// <summary>
/// The per-connection actor of a stream socket (TCP or Unix; incoming and outgoing share it). Its life is a sequence of
/// named states (<see cref="ConnectionState"/>): Connecting (outgoing only) → AwaitingRegister → Open → PeerClosed
/// (keep-open half-close) or Closing → HalfClosed (ConfirmedClose) → Finished, or ClosedUnreported when it closed before
/// anyone registered. Reading is suspended, pulled or free and writing suspended or not, independently of the state.
/// </summary>
internal abstract class TcpConnection : ChannelActor, IInlineReader
{
    [ThreadStatic]
    private static byte[]? _threadReadBuffer;

    /// <summary>The failures metric's cause for a connection aborted because its handler stopped.</summary>
    internal const string HandlerTerminatedCause = "HandlerTerminated";

    private readonly WriteQueue _writes;
    private ConnectionState _state;
    private IActorRef _handler = ActorRefs.Nobody;
    private bool _announced;
    private bool _keepOpenOnPeerClosed;
    private bool _useResumeWriting = true;
    private bool _readingSuspended;
    private bool _pullRequested;
    private bool _eofPending;
    private bool _writeArmed;
    private bool _writingSuspended;
    private IActorRef? _resumeWritingRequester;
    private Tcp.CloseCommand? _closing;
    private Tcp.ConnectionClosed? _closedEvent;
    private IActorRef? _closer;
    private IActorRef? _self;
    private Akka.Dispatch.MessageQueues.IMessageQueue? _queue;

    protected TcpConnection(TcpSettings settings, Selector selector, bool placementHeld, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
        : base(selector, placementHeld)
    {
        Settings = settings;
        PullMode = pullMode;
        Options = options;
        _writes = new WriteQueue(selector.Counters);
    }

    /// <summary>Where a connection is in its life.</summary>
    protected enum ConnectionState : byte
    {
        /// <summary>Outgoing: resolving the name and connecting; nobody has heard of the connection yet.</summary>
        Connecting,

        /// <summary>Connected was sent; waiting for Register (writes are taken, nothing is read).</summary>
        AwaitingRegister,

        /// <summary>Registered; reading and writing.</summary>
        Open,

        /// <summary>The peer's EOF was read and reported; the handler kept the connection open for writing.</summary>
        PeerClosed,

        /// <summary>A close was asked for (or the peer closed): flushing the queued writes before closing.</summary>
        Closing,

        /// <summary>ConfirmedClose: output shut down, reading until the peer's EOF.</summary>
        HalfClosed,

        /// <summary>Closed before anyone registered: waits (socket closed) for Register or its timeout to report how.</summary>
        ClosedUnreported,

        /// <summary>Closed and reported; the actor is stopping.</summary>
        Finished,
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

    /// <summary>True while the connection may read: open (or closing with ConfirmedClose), not suspended, pulled in pull mode.</summary>
    private bool WantsToRead =>
        !_readingSuspended && (!PullMode || _pullRequested)
        && (_state == ConnectionState.Open
            || (_state is ConnectionState.Closing or ConnectionState.HalfClosed && _closing is Tcp.ConfirmedClose && Registered));

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Readable:
                Read();
                return;
            case Writable:
                _writeArmed = false;
                Flush();
                return;
            case Tcp.WriteCommand write:
                OnWrite(write);
                return;
        }

        bool handled = _state switch
        {
            ConnectionState.AwaitingRegister => AwaitingRegister(message),
            ConnectionState.ClosedUnreported => ClosedUnreported(message),
            ConnectionState.Finished => true,
            _ => false,
        };
        if (!handled && !OnConnectMessage(message) && !Live(message) && !OnLifecycleMessage(message)) Unhandled(message);
    }

    /// <summary>The outgoing connection's own messages (connect progress and its timer); false for others.</summary>
    protected virtual bool OnConnectMessage(object message) => false;

    private bool AwaitingRegister(object message)
    {
        if (message is not RegisterTimedOut) return false;
        Log.Warning("No Register for the connection to {0} within {1}; closing it", RemoteAddress, Settings.RegisterTimeout);
        _state = ConnectionState.Finished;
        CloseSocket(abort: false);
        Context.Stop(Self);
        return true;
    }

    private bool ClosedUnreported(object message)
    {
        switch (message)
        {
            case Tcp.Register register:
                register.Handler.Tell(_closedEvent!, Self);
                _state = ConnectionState.Finished;
                Context.Stop(Self);
                break;
            case RegisterTimedOut:
                _state = ConnectionState.Finished;
                Context.Stop(Self);
                break;
        }

        // Anything else finds the connection closed.
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
                OnResumeWriting();
                return true;
            case Tcp.CloseCommand close:
                OnClose(close, Sender);
                return true;
            case ReadFailed failed:
                ReadError(failed.Errno);
                return true;
            case HandlerTerminated:
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                // Nobody is left to hear of it: report it in the log and the failures metric, and reset the peer.
                Log.Warning("Handler {0} of the connection to {1} stopped while the connection was open; aborting the connection", _handler, RemoteAddress);
                Selector.Metrics?.ConnectionFailed(HandlerTerminatedCause);
                _state = ConnectionState.Finished;
                CloseSocket(abort: true);
                Context.Stop(Self);
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

    protected override void OnRegistered()
    {
        EnableInlineReads();
        OnConnectionRegistered();
    }

    /// <summary>The descriptor is on the selector: arm what the state wants.</summary>
    protected virtual void OnConnectionRegistered()
    {
        if (WantsToRead) Registration!.Arm(Interest.Read);
        if (!_writes.IsEmpty && !_writeArmed) Flush();
    }

    protected override void OnRegistrationFailed(Exception cause) =>
        ErrorClose(SocketError.SocketError, $"Registering the connection failed: {cause.Message}");

    protected override void OnSelectorFailed(SelectorFailed failed) =>
        ErrorClose(SocketError.SocketError, $"The selector failed: {failed.Cause.Message}");

    /// <summary>Announces the connection (counted open from now on) and starts waiting for <see cref="Tcp.Register"/>.</summary>
    protected void Announce(IActorRef to, Tcp.Connected connected)
    {
        to.Tell(connected, Self);
        _announced = true;
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
        if (_state == ConnectionState.AwaitingRegister) _state = ConnectionState.Open;
        Selector.Actor.Tell(new WatchHandler(_handler), Self);
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
    /// Lets the selector serve read events here directly when this connection's mailbox is empty. Only a connection
    /// running on its selector's loop qualifies (they always do; one placed elsewhere keeps the message path).
    /// </summary>
    private void EnableInlineReads()
    {
        if (Registration is null || !Selector.Loop.InLoop || Context is not ActorCell { Mailbox: { } mailbox }) return;
        _self = Self;
        _queue = mailbox.MessageQueue;
        Registration.InlineReader = this;
    }

    /// <summary>
    /// A read event served where the selector sees it (loop thread, this actor idle): one read, delivered as
    /// <see cref="Read"/> would. An end of stream and pull mode go back to the actor as <see cref="Readable"/>; an error
    /// this read consumed goes to it as <see cref="ReadFailed"/>.
    /// </summary>
    public bool TryReadInline()
    {
        if (PullMode || !WantsToRead || _queue is null || _queue.HasMessages) return false;
        try
        {
            int chunk = Settings.MaxReceivedMessageSize;
            switch (ReadAvailable(chunk, _self!, out int errno))
            {
                case ReadEnd.Drained or ReadEnd.BudgetSpent:
                    SelectorCounters.Add(ref Selector.Counters.InlineReads, 1);
                    Registration!.Arm(Interest.Read);
                    return true;
                case ReadEnd.Failed:
                    _self!.Tell(new ReadFailed(errno), ActorRefs.NoSender);
                    return true;
                default:
                    return false;
            }
        }
        catch (Exception)
        {
            // The actor's own read meets the same condition and fails under its supervision.
            return false;
        }
    }

    /// <summary>Reads for a <see cref="Readable"/>: up to the per-event budget (one read in pull mode), then re-arms.</summary>
    private void Read()
    {
        if (!WantsToRead)
        {
            // A readiness event that raced a suspend or a close: keep only the hang-up watch.
            if (_state is ConnectionState.AwaitingRegister or ConnectionState.Open or ConnectionState.Closing or ConnectionState.HalfClosed)
            {
                Registration?.Arm(Interest.None);
            }

            return;
        }

        switch (ReadAvailable(PullMode ? Settings.MaxReceivedMessageSize : Settings.ReceiveBudgetPerEvent, Self, out int errno))
        {
            case ReadEnd.Drained or ReadEnd.BudgetSpent:
                // Drained: level-triggered re-arm catches the rest. Budget spent: still readable, the next round resumes here.
                Registration!.Arm(Interest.Read);
                break;
            case ReadEnd.Pulled:
                _pullRequested = false;
                Registration!.Arm(Interest.None);
                break;
            case ReadEnd.PeerClosed:
                OnPeerEof();
                break;
            case ReadEnd.Failed:
                ReadError(errno);
                break;
        }
    }

    /// <summary>How <see cref="ReadAvailable"/> ended.</summary>
    private enum ReadEnd
    {
        Drained,
        BudgetSpent,
        Pulled,
        PeerClosed,
        Failed,
    }

    /// <summary>
    /// The one read routine: reads chunks of at most <c>max-received-message-size</c> into the loop thread's buffer and
    /// delivers each, until the kernel has less than asked (drained), <paramref name="budget"/> bytes are read, one chunk
    /// in pull mode, the peer's EOF or an error (<paramref name="errno"/>).
    /// </summary>
    private ReadEnd ReadAvailable(int budget, IActorRef self, out int errno)
    {
        int chunk = Settings.MaxReceivedMessageSize;
        byte[] buffer = _threadReadBuffer is { } b && b.Length >= chunk ? b : _threadReadBuffer = new byte[chunk];
        SafeHandle socket = Handle!;
        while (true)
        {
            int want = Math.Min(chunk, budget);
            int n = Receive(socket, buffer, want, out errno);
            if (n < 0)
            {
                if (errno == Errno.EAGAIN) return ReadEnd.Drained;
                if (errno == Errno.EINTR) continue;
                return ReadEnd.Failed;
            }

            if (n == 0) return ReadEnd.PeerClosed;
            Deliver(buffer, n, self);
            if (PullMode) return ReadEnd.Pulled;
            budget -= n;
            if (n < want) return ReadEnd.Drained;
            if (budget <= 0) return ReadEnd.BudgetSpent;
        }
    }

    /// <summary>Hands <paramref name="count"/> bytes read into <paramref name="buffer"/> to the handler (one copy), and counts them.</summary>
    private void Deliver(byte[] buffer, int count, IActorRef self)
    {
        byte[] copy = GC.AllocateUninitializedArray<byte>(count);
        buffer.AsSpan(0, count).CopyTo(copy);
        _handler.Tell(new Tcp.Received(ByteString.FromBytes(copy)), self);
        SelectorCounters.Add(ref Selector.Counters.BytesRead, count);
        SelectorCounters.Add(ref Selector.Counters.ReceivedMessages, 1);
    }

    private static unsafe int Receive(SafeHandle socket, byte[] buffer, int count, out int errno)
    {
        fixed (byte* p = buffer)
        {
            int n = (int)Libc.Read(socket, p, count);
            errno = n < 0 ? Errno.Last : 0;
            return n;
        }
    }

    private void ReadError(int errno) =>
        ErrorClose(Errno.ToSocketError(errno), $"Reading from {RemoteAddress} failed: {Errno.Describe(errno)}");

    protected override void OnHangUp()
    {
        if (IsClosed || Handle is null) return;
        if (Sockets.GetPendingError(Handle, out int socketError) == 0 && socketError != 0)
        {
            ErrorClose(Errno.ToSocketError(socketError), $"Connection to {RemoteAddress} failed: {Errno.Describe(socketError)}");
            return;
        }

        // The EOF was already read and PeerClosed reported (keepOpenOnPeerClosed).
        if (_state == ConnectionState.PeerClosed) return;

        if (!Registered)
        {
            // Handled once registered: the read that follows sees the EOF after any data.
            _eofPending = true;
            return;
        }

        int pending = Sockets.PeekPending(Handle);
        if (pending < 0 && -pending != Errno.EAGAIN)
        {
            ErrorClose(Errno.ToSocketError(-pending), $"Connection to {RemoteAddress} failed: {Errno.Describe(-pending)}");
            return;
        }

        // The peer closed while reading is suspended (or in pull mode). With nothing unread the close is reported now;
        // unread bytes are delivered first, and the EOF after them when reading resumes.
        _eofPending = pending > 0;
        if (!_eofPending) OnPeerEof();
    }

    private void OnPeerEof()
    {
        switch (_state)
        {
            case ConnectionState.Open when _keepOpenOnPeerClosed:
                _state = ConnectionState.PeerClosed;
                _handler.Tell(Tcp.PeerClosed.Instance, Self);
                break;
            case ConnectionState.Open:
                BeginClose(Tcp.Close.Instance, Tcp.PeerClosed.Instance, null);
                break;
            case ConnectionState.Closing when _closing is Tcp.ConfirmedClose:
                // Nothing more to read: once the writes are out, the connection closes as confirmed.
                _closing = Tcp.Close.Instance;
                break;
            case ConnectionState.HalfClosed:
                Finish(Tcp.ConfirmedClosed.Instance);
                break;
        }
    }

    private void OnWrite(Tcp.WriteCommand write)
    {
        IActorRef commander = Sender;
        if (_state >= ConnectionState.Closing)
        {
            commander.Tell(new Tcp.CommandFailed(write, new InvalidOperationException($"The connection to {RemoteAddress} is closing; the write was dropped.")), Self);
            return;
        }

        if (_writingSuspended)
        {
            commander.Tell(new Tcp.CommandFailed(write, new InvalidOperationException("Writing is suspended after an earlier NACK; send ResumeWriting and wait for WritingResumed.")), Self);
            return;
        }

        if (!_writes.IsEmpty && _writes.Bytes + write.Length > Settings.MaxPendingWriteBytes)
        {
            if (_useResumeWriting) _writingSuspended = true;
            commander.Tell(
                new Tcp.CommandFailed(write, new InvalidOperationException(
                    $"The connection to {RemoteAddress} already holds {_writes.Bytes} unsent bytes; {write.Length} more would pass actors-io.tcp.max-pending-write-bytes = {Settings.MaxPendingWriteBytes}.")),
                Self);
            return;
        }

        if (write is Tcp.Write single) _writes.Enqueue(single, commander);
        else
        {
            IReadOnlyList<Tcp.Write> parts = ((Tcp.CompoundWrite)write).Writes;
            for (int i = 0; i < parts.Count; i++) _writes.Enqueue(parts[i], commander);
        }

        if (!_writeArmed) Flush();
    }

    private void Flush()
    {
        if (IsClosed || Handle is null || Registration is null) return;
        while (!_writes.IsEmpty)
        {
            long sent = _writes.Send(Handle, Settings.MaxWritesPerSyscall, Self, out SocketError error, out long attempted);
            if (sent < 0)
            {
                ErrorClose(error, $"Writing to {RemoteAddress} failed: {error}");
                return;
            }

            if (_writes.IsEmpty) break;
            if (sent < attempted || error == SocketError.WouldBlock)
            {
                _writeArmed = true;
                Registration.Arm(Interest.Write);
                return;
            }
        }

        if (_resumeWritingRequester is { } requester)
        {
            _resumeWritingRequester = null;
            _writingSuspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, Self);
        }

        if (_state == ConnectionState.Closing) CompleteClose();
    }

    private void OnResumeWriting()
    {
        if (!_writingSuspended || _writes.IsEmpty)
        {
            _writingSuspended = false;
            Sender.Tell(Tcp.WritingResumed.Instance, Self);
            return;
        }

        _resumeWritingRequester = Sender;
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
        if (_closing is not Tcp.ConfirmedClose)
        {
            Finish(_closedEvent!);
            return;
        }

        _state = ConnectionState.HalfClosed;
        _ = Sockets.Shutdown(Handle!, Sockets.SHUT_WR);
        if (WantsToRead) Registration?.Arm(Interest.Read);
    }

    /// <summary>Reports <paramref name="closedEvent"/> to the closer and the handler (once each), closes, stops.</summary>
    private void Finish(Tcp.ConnectionClosed closedEvent)
    {
        if (IsClosed) return;
        _state = ConnectionState.Finished;
        if (_closer is { } closer && !closer.IsNobody()) closer.Tell(closedEvent, Self);
        if (Registered && !_handler.Equals(_closer)) _handler.Tell(closedEvent, Self);
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
        if (Registered) _handler.Tell(closed, Self);
        if (_closer is { } closer && !closer.Equals(_handler)) closer.Tell(closed, Self);
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
        if (Registered || !_announced)
        {
            Context.Stop(Self);
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
        Context.Stop(Self);
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
        if (_announced) SelectorCounters.Add(ref Selector.Counters.OpenConnections, -1);
        _writes.Clear();
        Selector.Trace?.Debug("Connection to {0} stopped", RemoteAddress);
        if (!IsClosed && Registered)
        {
            // Stopped from outside (or its selector failed): the handler still hears that the connection is gone.
            Exception? failure = Registration?.Failure;
            _handler.Tell(new Tcp.ErrorClosed(failure is null ? "The connection actor was stopped." : $"The selector failed: {failure.Message}"), Self);
        }

        CloseSocket(abort: !IsClosed);
    }

    /// <summary>The register timer fired; internal so tests can deliver a late one.</summary>
    internal sealed class RegisterTimedOut : IDeadLetterSuppression
    {
        public static readonly RegisterTimedOut Instance = new();
    }

    /// <summary>A read on the selector's side of the loop (<see cref="TryReadInline"/>) consumed this error for the actor.</summary>
    private sealed record ReadFailed(int Errno) : INoSerializationVerificationNeeded;
}
