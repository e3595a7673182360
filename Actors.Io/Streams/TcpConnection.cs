using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace Actors.Io.Streams;

/// <summary>
/// The per-connection actor (incoming and outgoing share it): reads on <see cref="Readable"/> until the kernel is empty
/// or the per-event budget is spent, writes straight through while the kernel takes bytes and queues the rest (bounded),
/// and implements acks, NACK + ResumeWriting, suspend/resume and pull-mode reading, and the close family.
/// </summary>
internal abstract class TcpConnection : UntypedActor, IInlineReader
{
    [ThreadStatic]
    private static byte[]? _threadReadBuffer;

    /// <summary>The failures metric's cause for a connection aborted because its handler stopped.</summary>
    internal const string HandlerTerminatedCause = "HandlerTerminated";

    private readonly WriteQueue _writes = new();
    private IActorRef _handler = ActorRefs.Nobody;
    private bool _registered;
    private bool _keepOpenOnPeerClosed;
    private bool _useResumeWriting = true;
    private bool _readingSuspended;
    private bool _pullRequested;
    private bool _peerClosed;
    private bool _eofPending;
    private bool _writeArmed;
    private bool _writingSuspended;
    private IActorRef? _resumeWritingRequester;
    private Tcp.CloseCommand? _closeCommand;
    private IActorRef? _closer;
    private bool _outputShutDown;
    private bool _finished;
    private bool _awaitingRegisterTimeout;
    private ICancelable? _schedulerTimer;
    private Tcp.ConnectionClosed? _pendingCloseEvent;
    private bool _countedOpen;
    private ILoggingAdapter? _log;
    private Tcp.ConnectionClosed? _unreportedClose;
    private IActorRef? _self;
    private Akka.Dispatch.MessageQueues.IMessageQueue? _queue;
    private int _inlineReadErrno;

    protected TcpConnection(TcpSettings settings, Selector selector, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
    {
        Settings = settings;
        Selector = selector;
        PullMode = pullMode;
        Options = options;
    }

    protected TcpSettings Settings { get; }

    protected Selector Selector { get; }

    protected bool PullMode { get; }

    protected IReadOnlyList<Tcp.SocketOption> Options { get; }

    /// <summary>The logger, made on first use: an idle connection does not keep one.</summary>
    protected ILoggingAdapter Log => _log ??= Context.GetLogger();

    protected Socket? Socket { get; set; }

    /// <summary>The connection's descriptor once it exists (an incoming connection holds only this, no <see cref="Socket"/>).</summary>
    protected SafeHandle? Handle { get; set; }

    protected IChannelRegistration? Registration { get; private set; }

    protected EndPoint? RemoteAddress { get; set; }

    /// <summary>True while the connection may read: registered, not suspended, not closed for reading.</summary>
    private bool WantsToRead =>
        _registered && !_readingSuspended && !_peerClosed && !_finished
        && (!PullMode || _pullRequested)
        && _closeCommand is null or Tcp.ConfirmedClose;

    /// <summary>Counts this connection as open (once it is connected).</summary>
    protected void CountOpen()
    {
        _countedOpen = true;
        SelectorCounters.Add(ref Selector.Counters.OpenConnections, 1);
    }

    protected override void PostStop()
    {
        _schedulerTimer?.Cancel();
        if (_countedOpen) SelectorCounters.Add(ref Selector.Counters.OpenConnections, -1);
        if (_writes.Bytes > 0) SelectorCounters.Add(ref Selector.Counters.QueuedWriteBytes, -_writes.Bytes);
        Selector.Trace?.Debug("Connection to {0} stopped", RemoteAddress);
        if (!_finished && _registered)
        {
            // Stopped from outside (or its selector failed): the handler still hears that the connection is gone.
            Exception? failure = Registration?.Failure;
            _handler.Tell(new Tcp.ErrorClosed(failure is null ? "The connection actor was stopped." : $"The selector failed: {failure.Message}"), Self);
        }

        CloseSocket(abort: !_finished);
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
                Flush();
                break;
            case HangUp:
                OnHangUp();
                break;
            case Tcp.WriteCommand write:
                OnWrite(write);
                break;
            case ChannelRegistered registered:
                Registration = registered.Registration;
                EnableInlineReads();
                OnChannelRegistered();
                break;
            case RegistrationFailed failed:
                PlacementHeld = false;
                OnRegistrationFailed(failed.Cause);
                break;
            case Tcp.Register register:
                OnRegister(register);
                break;
            case Tcp.SuspendReading:
                _readingSuspended = true;
                break;
            case Tcp.ResumeReading:
                OnResumeReading();
                break;
            case Tcp.ResumeWriting:
                OnResumeWriting();
                break;
            case Tcp.CloseCommand close:
                OnClose(close, Sender);
                break;
            case HandlerTerminated:
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                if (_finished) break;

                // Nobody is left to hear of it: report it in the log and the failures metric, and reset the peer.
                Log.Warning("Handler {0} of the connection to {1} stopped while the connection was open; aborting the connection", _handler, RemoteAddress);
                Selector.Metrics?.ConnectionFailed(HandlerTerminatedCause);
                _finished = true;
                CloseSocket(abort: true);
                Context.Stop(Self);
                break;
            case HandlerWatchRefused:
                if (!_finished) Context.Watch(_handler);
                break;
            case RegisterTimedOut when _unreportedClose is not null:
                Context.Stop(Self);
                break;
            case RegisterTimedOut when !_registered:
                Log.Warning("No Register for the connection to {0} within {1}; closing it", RemoteAddress, Settings.RegisterTimeout);
                _finished = true;
                CloseSocket(abort: false);
                Context.Stop(Self);
                break;
            case RegisterTimedOut:
                break;
            case SelectorFailed failed:
                ErrorClose(SocketError.SocketError, $"The selector failed: {failed.Cause.Message}");
                break;
            default:
                OnOtherMessage(message);
                break;
        }
    }

    /// <summary>Messages of the subclass (connect progress).</summary>
    protected virtual void OnOtherMessage(object message) => Unhandled(message);

    /// <summary>The channel is on the selector.</summary>
    protected virtual void OnChannelRegistered()
    {
        if (WantsToRead) Registration!.Arm(Interest.Read);
        if (!_writes.IsEmpty && !_writeArmed) Flush();
    }

    protected virtual void OnRegistrationFailed(Exception cause) =>
        ErrorClose(SocketError.SocketError, $"Registering the connection failed: {cause.Message}");

    /// <summary>Starts waiting for <see cref="Tcp.Register"/>; called once connected.</summary>
    protected void AwaitRegistration()
    {
        _awaitingRegisterTimeout = true;
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
        if (_unreportedClose is { } closed)
        {
            register.Handler.Tell(closed, Self);
            Context.Stop(Self);
            return;
        }

        if (_registered)
        {
            Log.Debug("Connection to {0} is already registered; ignoring Register from {1}", RemoteAddress, Sender);
            return;
        }

        _registered = true;
        _awaitingRegisterTimeout = false;
        _handler = register.Handler;
        _keepOpenOnPeerClosed = register.KeepOpenOnPeerClosed;
        _useResumeWriting = register.UseResumeWriting;
        Selector.Actor.Tell(new WatchHandler(_handler), Self);
        if (Registration is null) return;
        if (_eofPending && !PullMode)
        {
            Registration.Arm(Interest.Read);
            return;
        }

        // Pull mode: a close that came before Register is reported now when nothing is left unread.
        if (_eofPending)
        {
            OnHangUp();
            return;
        }

        if (WantsToRead) Registration.Arm(Interest.Read);
    }

    private void OnResumeReading()
    {
        if (PullMode) _pullRequested = true;
        _readingSuspended = false;
        if (WantsToRead) Registration?.Arm(Interest.Read);
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
    /// <see cref="DoRead"/> would. End of stream, errors and pull mode go back to the actor as <see cref="Readable"/>; an
    /// error this read consumed is kept for it.
    /// </summary>
    public bool TryReadInline()
    {
        if (!WantsToRead || PullMode || _inlineReadErrno != 0 || _queue is null || _queue.HasMessages) return false;
        try
        {
            int chunk = Settings.MaxReceivedMessageSize;
            byte[] buffer = ThreadReadBuffer(chunk);
            int n = Receive(Handle!, buffer, chunk, out int errno);
            if (n > 0)
            {
                Deliver(buffer, n, _self!);
                SelectorCounters.Add(ref Selector.Counters.InlineReads, 1);
            }
            else if (n == 0 || errno != Errno.EAGAIN)
            {
                if (n < 0 && errno != Errno.EINTR) _inlineReadErrno = errno;
                return false;
            }

            Registration!.Arm(Interest.Read);
            return true;
        }
        catch (Exception)
        {
            // The actor's own read meets the same condition and fails under its supervision.
            return false;
        }
    }

    private void DoRead()
    {
        if (_inlineReadErrno != 0)
        {
            int errno = _inlineReadErrno;
            _inlineReadErrno = 0;
            ReadFailed(errno);
            return;
        }

        if (!WantsToRead)
        {
            // A readiness event that raced a suspend: keep only the hang-up watch.
            if (!_finished && !_peerClosed) Registration?.Arm(Interest.None);
            return;
        }

        int chunk = Settings.MaxReceivedMessageSize;
        byte[] buffer = ThreadReadBuffer(chunk);
        int budget = PullMode ? chunk : Settings.ReceiveBudgetPerEvent;
        SafeHandle socket = Handle!;
        while (true)
        {
            int want = Math.Min(chunk, budget);
            int n = Receive(socket, buffer, want, out int errno);
            if (n < 0)
            {
                if (errno == Errno.EAGAIN)
                {
                    Registration!.Arm(Interest.Read);
                    return;
                }

                if (errno == Errno.EINTR) continue;
                ReadFailed(errno);
                return;
            }

            if (n == 0)
            {
                OnPeerEof();
                return;
            }

            Deliver(buffer, n, Self);
            if (PullMode)
            {
                _pullRequested = false;
                Registration!.Arm(Interest.None);
                return;
            }

            budget -= n;
            if (n < want)
            {
                // The kernel had less than asked: it is most likely empty. Level-triggered re-arm catches the rest.
                Registration!.Arm(Interest.Read);
                return;
            }

            if (budget <= 0)
            {
                // Yield to other connections: still armed (and still readable), the next selector round resumes here.
                Registration!.Arm(Interest.Read);
                return;
            }
        }
    }

    /// <summary>The loop thread's read buffer, at least <paramref name="size"/> bytes.</summary>
    private static byte[] ThreadReadBuffer(int size) =>
        _threadReadBuffer is { } b && b.Length >= size ? b : _threadReadBuffer = new byte[size];

    /// <summary>Hands <paramref name="count"/> bytes read into <paramref name="buffer"/> to the handler, and counts them.</summary>
    private void Deliver(byte[] buffer, int count, IActorRef self)
    {
        _handler.Tell(new Tcp.Received(CopyOut(buffer, count)), self);
        SelectorCounters.Add(ref Selector.Counters.BytesRead, count);
        SelectorCounters.Add(ref Selector.Counters.ReceivedMessages, 1);
    }

    private void ReadFailed(int errno) =>
        ErrorClose(Errno.ToSocketError(errno), $"Reading from {RemoteAddress} failed: {Errno.Describe(errno)}");

    /// <summary>The one copy a read makes: into an array that is not zeroed first (it is overwritten at once), wrapped.</summary>
    private static ByteString CopyOut(byte[] buffer, int count)
    {
        byte[] copy = GC.AllocateUninitializedArray<byte>(count);
        buffer.AsSpan(0, count).CopyTo(copy);
        return ByteString.FromBytes(copy);
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

    private void OnHangUp()
    {
        if (_finished || Handle is null) return;
        if (Sockets.GetPendingError(Handle, out int socketError) == 0 && socketError != 0)
        {
            ErrorClose(Errno.ToSocketError(socketError), $"Connection to {RemoteAddress} failed: {Errno.Describe(socketError)}");
            return;
        }

        // The EOF was already read (keepOpenOnPeerClosed): PeerClosed has been reported once.
        if (_peerClosed) return;

        if (!_registered)
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
        if (pending > 0) _eofPending = true;
        else OnPeerEof();
    }

    private void OnPeerEof()
    {
        _peerClosed = true;
        if (_closeCommand is Tcp.ConfirmedClose)
        {
            if (_outputShutDown) Finish(Tcp.ConfirmedClosed.Instance);
            return;
        }

        if (_keepOpenOnPeerClosed)
        {
            _handler.Tell(Tcp.PeerClosed.Instance, Self);
            return;
        }

        BeginClose(Tcp.PeerClosed.Instance, null);
    }

    private void OnWrite(Tcp.WriteCommand write)
    {
        IActorRef commander = Sender;
        if (_closeCommand is not null || _finished)
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

        long queuedBefore = _writes.Bytes;
        if (write is Tcp.Write single) _writes.Enqueue(single, commander);
        else
        {
            IReadOnlyList<Tcp.Write> parts = ((Tcp.CompoundWrite)write).Writes;
            for (int i = 0; i < parts.Count; i++) _writes.Enqueue(parts[i], commander);
        }

        SelectorCounters.Add(ref Selector.Counters.QueuedWriteBytes, _writes.Bytes - queuedBefore);

        if (!_writeArmed) Flush();
    }

    private void Flush()
    {
        if (_finished || Handle is null || Registration is null) return;
        while (!_writes.IsEmpty)
        {
            long sent = _writes.Send(Handle, Settings.MaxWritesPerSyscall, Self, out SocketError error, out long attempted);
            if (sent > 0)
            {
                SelectorCounters.Add(ref Selector.Counters.BytesWritten, sent);
                SelectorCounters.Add(ref Selector.Counters.QueuedWriteBytes, -sent);
            }

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

        OnWritesDrained();
    }

    private void OnWritesDrained()
    {
        if (_resumeWritingRequester is { } requester)
        {
            _resumeWritingRequester = null;
            _writingSuspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, Self);
        }

        if (_closeCommand is not null && !_finished) CompleteClose();
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
        if (_finished) return;
        if (close is Tcp.Abort)
        {
            SelectorCounters.Add(ref Selector.Counters.QueuedWriteBytes, -_writes.Bytes);
            _writes.Clear();
            _closer = closer;
            Finish(Tcp.Aborted.Instance);
            return;
        }

        if (_closeCommand is not null)
        {
            closer.Tell(new Tcp.CommandFailed(close, new InvalidOperationException($"The connection to {RemoteAddress} is already closing.")), Self);
            return;
        }

        BeginClose(close.Event, closer, close);
    }

    private void BeginClose(Tcp.ConnectionClosed closedEvent, IActorRef? closer, Tcp.CloseCommand? command = null)
    {
        _closeCommand = command ?? Tcp.Close.Instance;
        _closer = closer;
        _pendingCloseEvent = closedEvent;
        if (_writes.IsEmpty) CompleteClose();
    }

    private void CompleteClose()
    {
        if (_closeCommand is Tcp.ConfirmedClose && !_outputShutDown)
        {
            _outputShutDown = true;
            _ = Sockets.Shutdown(Handle!, Sockets.SHUT_WR);
            if (_peerClosed) Finish(Tcp.ConfirmedClosed.Instance);
            else if (_registered && !_readingSuspended) Registration?.Arm(Interest.Read);
            return;
        }

        if (_closeCommand is not Tcp.ConfirmedClose) Finish(_pendingCloseEvent ?? Tcp.Closed.Instance);
    }

    /// <summary>Reports <paramref name="closedEvent"/> to the closer and the handler (once each), closes, stops.</summary>
    private void Finish(Tcp.ConnectionClosed closedEvent)
    {
        if (_finished) return;
        _finished = true;
        if (_closer is { } closer && !closer.IsNobody()) closer.Tell(closedEvent, Self);
        if (_registered && !_handler.Equals(_closer)) _handler.Tell(closedEvent, Self);
        CloseSocket(abort: closedEvent.IsAborted);
        StopOrAwaitRegister(closedEvent);
    }

    /// <summary>
    /// Stops, unless the connection was announced (Connected sent) and closed before anyone registered: then it stays
    /// (socket closed) until Register or the register timeout, so the handler still learns how it ended.
    /// </summary>
    private void StopOrAwaitRegister(Tcp.ConnectionClosed closedEvent)
    {
        if (_registered || !_awaitingRegisterTimeout) Context.Stop(Self);
        else _unreportedClose = closedEvent;
    }

    /// <summary>Reports an error to the handler (and a pending closer), closes, stops.</summary>
    protected void ErrorClose(SocketError error, string cause)
    {
        if (_finished) return;
        _finished = true;
        var closed = new Tcp.ErrorClosed(cause, error);
        Selector.Metrics?.ConnectionFailed(error.ToString());
        if (_registered) _handler.Tell(closed, Self);
        if (_closer is { } closer && !closer.Equals(_handler)) closer.Tell(closed, Self);
        OnErrorClosed(closed);
        CloseSocket(abort: true);
        StopOrAwaitRegister(closed);
    }

    /// <summary>Marks the connection as done, so stopping reports nothing more.</summary>
    protected void MarkFinished() => _finished = true;

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

        IDisposable? resource = (IDisposable?)Socket ?? handle;
        if (Registration is not null) Registration.Close(resource);
        else if (PlacementHeld)
        {
            PlacementHeld = false;
            Selector.Removed();
        }

        resource?.Dispose();
    }

    /// <summary>True while this actor holds its place on <see cref="Selector"/> without having handed the channel to the
    /// selector (which takes over the accounting once it gets the channel).</summary>
    protected bool PlacementHeld { get; set; }

    /// <summary>
    /// Tells this actor <paramref name="message"/> after <paramref name="delay"/>: from its event loop's own timers when it
    /// runs there (the usual case), else from Akka's scheduler. Not cancellable: the handler must ignore a stale message.
    /// </summary>
    protected void ScheduleTellSelf(TimeSpan delay, object message)
    {
        if (Selector.Loop.InLoop)
        {
            Selector.Loop.ScheduleTellOnce(delay, Self, message);
            return;
        }

        _schedulerTimer?.Cancel();
        _schedulerTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, message, ActorRefs.NoSender);
    }

    /// <summary>The register timer fired; internal so tests can deliver a late one.</summary>
    internal sealed class RegisterTimedOut : IDeadLetterSuppression
    {
        public static readonly RegisterTimedOut Instance = new();
    }
}
