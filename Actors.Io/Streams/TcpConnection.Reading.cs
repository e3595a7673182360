using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>The read half of a connection: the read events (inline or as messages), the hang-up and the peer's EOF.</summary>
internal abstract partial class TcpConnection
{
    /// <summary>True while the connection may read: open (or closing with ConfirmedClose), not suspended, pulled in pull mode.</summary>
    private bool WantsToRead =>
        !_readingSuspended && (!PullMode || _pullRequested)
        && (_state == ConnectionState.Open
            || (_state is ConnectionState.Closing or ConnectionState.HalfClosed && _closing is Tcp.ConfirmedClose && Registered));

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
        if (_state == ConnectionState.Lingering) return TryDiscardInline();
        if (PullMode || !WantsToRead || _queue is null || _queue.HasMessages) return false;
        try
        {
            int chunk = Settings.MaxReceivedMessageSize;
            switch (ReadAvailable(chunk, _self!, out int errno, _leaseReceiver))
            {
                case ReadEnd.Drained or ReadEnd.BudgetSpent:
                    SelectorCounters.Add(ref Selector.Counters.InlineReads, 1);
                    _idle?.MarkRead();
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

    /// <summary>A lingering connection's discarding read, served inline; its end (EOF, error, the byte bound) goes to the actor.</summary>
    private bool TryDiscardInline()
    {
        if (_queue is null || _queue.HasMessages) return false;
        ReadEnd end = StreamReads.Discard(Handle!, Settings.MaxReceivedMessageSize, Settings.ReceiveBudgetPerEvent, ref _discarded, out _);
        if (end is not (ReadEnd.Drained or ReadEnd.BudgetSpent) || _discarded > Settings.CloseLingerMaxBytes) return false;
        Registration!.Arm(Interest.Read);
        return true;
    }

    /// <summary>Reads for a <see cref="Readable"/>: up to the per-event budget (one read in pull mode), then re-arms.</summary>
    private void Read()
    {
        if (_state == ConnectionState.Lingering)
        {
            Discard();
            return;
        }

        if (!WantsToRead)
        {
            // A readiness event that raced a suspend or a close: keep only the hang-up watch.
            if (_state is ConnectionState.AwaitingRegister or ConnectionState.Open or ConnectionState.Closing or ConnectionState.HalfClosed)
            {
                Registration?.Arm(Interest.None);
            }

            return;
        }

        ReadEnd end = ReadAvailable(PullMode ? Settings.MaxReceivedMessageSize : Settings.ReceiveBudgetPerEvent, Self, out int errno);
        _idle?.MarkRead();
        switch (end)
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

    // The lease receiver takes leases only on the selector's turn (an inline read), where its code may run: on the
    // connection's own turn the lease goes as a message.
    private ReadEnd ReadAvailable(int budget, IActorRef self, out int errno, ILeaseReceiver? receiver = null) =>
        _leaseClass < 0
            ? StreamReads.ReadAvailable(Handle!, Settings.MaxReceivedMessageSize, budget, PullMode, _handler, self, Selector.Counters, out errno)
            : StreamReads.ReadLeased(Handle!, Selector.ReceiveBuffers, ref _leaseClass, budget, PullMode, _handler, self, Selector.Counters, out errno, receiver);

    private void ReadError(int errno) =>
        ErrorClose(Errno.ToSocketError(errno), $"Reading from {RemoteAddress} failed: {Errno.Describe(errno)}");

    protected override void OnHangUp()
    {
        if (_state == ConnectionState.Lingering)
        {
            // The peer closed or reset: the read meets its EOF or error.
            Discard();
            return;
        }

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
        _eofRead = true;
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

    /// <summary>
    /// Closed and reported, with the peer's EOF not read yet: shuts the output down (the peer reads the end of the stream
    /// after the last write) and discards what the peer still sends until it closes, for at most <c>close-linger</c>. The
    /// connection keeps its descriptor and registration for that time only.
    /// </summary>
    private void Linger(Tcp.ConnectionClosed closedEvent)
    {
        _closedEvent = closedEvent;
        if (Sockets.Shutdown(Handle!, Sockets.SHUT_WR) != 0)
        {
            // Not connected any more (the peer reset it): nothing will arrive.
            CloseSocket(abort: false);
            StopOrAwaitRegister(closedEvent);
            return;
        }

        _state = ConnectionState.Lingering;
        Registration!.Arm(Interest.Read);
        ScheduleTellSelf(Settings.CloseLinger, LingerExpired.Instance);
    }

    /// <summary>Reads and drops the peer's input: the peer's EOF ends the linger, and so does more than the byte bound (with a reset).</summary>
    private void Discard()
    {
        switch (StreamReads.Discard(Handle!, Settings.MaxReceivedMessageSize, Settings.ReceiveBudgetPerEvent, ref _discarded, out _))
        {
            case ReadEnd.Drained or ReadEnd.BudgetSpent when _discarded <= Settings.CloseLingerMaxBytes:
                Registration!.Arm(Interest.Read);
                break;
            case ReadEnd.Drained or ReadEnd.BudgetSpent:
                Log.Debug("The peer of the closed connection to {0} sent more than close-linger-max-bytes ({1} B); resetting it", RemoteAddress, Settings.CloseLingerMaxBytes);
                EndLinger(reset: true);
                break;
            default:
                // The peer's EOF, or an error (its reset): either way the connection is over.
                EndLinger(reset: false);
                break;
        }
    }

    /// <summary>Ends the linger: closes the descriptor (resetting the peer when <paramref name="reset"/>) and stops.</summary>
    private void EndLinger(bool reset)
    {
        if (_state != ConnectionState.Lingering) return;
        _state = ConnectionState.Finished;
        CloseSocket(abort: reset);
        StopOrAwaitRegister(_closedEvent!);
    }

    /// <summary>A read on the selector's side of the loop (<see cref="TryReadInline"/>) consumed this error for the actor.</summary>
    private sealed record ReadFailed(int Errno) : INoSerializationVerificationNeeded;
}
