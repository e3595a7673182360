using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.TestKit;

/// <summary>
/// The library's side of one TCP connection, played for a handler under test. It follows the real connection's rules
/// (Actors.Io's <c>TcpConnection</c> and <c>WriteQueue</c>): the states AwaitingRegister → Open → PeerClosed (keep
/// open) or Closing → HalfClosed (ConfirmedClose) → Finished; reading suspended or pulled, and writing suspended after
/// a NACK, apart from the state. What the handler writes goes to <paramref name="writes"/>; how the connection ended and
/// its Register go to <paramref name="lifecycle"/>; a broken rule goes to <paramref name="violations"/>.
/// </summary>
internal sealed class TestConnectionActor(
    TestConnectionSettings settings, IActorRef writes, IActorRef lifecycle, IActorRef violations)
    : UntypedActor, IWithTimers
{
    private readonly Queue<Inbound> _inbound = new();
    private readonly Queue<Pending> _pending = new();
    private State _state = State.AwaitingRegister;
    private IActorRef _handler = ActorRefs.Nobody;
    private bool _keepOpenOnPeerClosed;
    private bool _useResumeWriting = true;
    private bool _kernelTakesWrites = settings.KernelTakesWrites;
    private bool _readingSuspended;
    private bool _pullRequested;
    private bool _writingSuspended;
    private long _pendingBytes;
    private IActorRef? _resumeRequester;
    private Tcp.CloseCommand? _closing;
    private Tcp.ConnectionClosed? _closedEvent;
    private IActorRef? _closer;
    private bool _handlerStopped;
    private bool _ownsHandler;
    private Tcp.IdleTimeout _idleTimeout = Tcp.IdleTimeout.Off;
    private TimeSpan _readIdle;
    private TimeSpan _writeIdle;
    private bool _readerTold;
    private bool _writerTold;
    private bool _bothTold;

    private enum State
    {
        AwaitingRegister,
        Open,
        PeerClosed,
        Closing,
        HalfClosed,
        ClosedUnreported,
        Finished,
    }

    /// <inheritdoc/>
    public ITimerScheduler Timers { get; set; } = null!;

    private bool Registered => !_handler.IsNobody();

    protected override void PreStart() => Timers.StartSingleTimer(RegisterTimedOut.Instance, RegisterTimedOut.Instance, settings.RegisterTimeout);

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Register { HandlerProps: { } props } register when !Registered && _state != State.Finished:
                // Started as the real connection starts it: its child, told PoisonPill after the final event.
                IActorRef child = Context.ActorOf(props, "handler");
                _ownsHandler = true;
                OnRegister(new Tcp.Register(child, register.KeepOpenOnPeerClosed, register.UseResumeWriting, register.ReceiveMode, register.IdleTimeout));
                break;
            case Tcp.Register register:
                OnRegister(register);
                break;
            case RegisterTimedOut:
                OnRegisterTimedOut();
                break;
            case Tcp.WriteCommand write:
                OnWrite(write);
                break;
            case Tcp.SuspendReading:
                if (!Live()) return;
                _readingSuspended = true;
                break;
            case Tcp.ResumeReading:
                if (!Live()) return;
                if (settings.PullMode) _pullRequested = true;
                _readingSuspended = false;
                DeliverInbound();
                break;
            case Tcp.ResumeWriting:
                OnResumeWriting();
                break;
            case Tcp.CloseCommand close:
                OnClose(close);
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_handler):
                OnHandlerTerminated();
                break;
            case Inbound inbound:
                OnInbound(inbound);
                break;
            case KernelTakesWrites kernel:
                _kernelTakesWrites = kernel.AtOnce;
                TakePending();
                break;
            case TakePendingWrites:
                TakePending();
                break;
            case ElapseIdle elapse:
                OnElapseIdle(elapse.Elapsed);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    /// <summary>
    /// True while the connection takes commands. After it closed, the real connection has stopped and a command is a
    /// dead letter; it is a broken rule only from the actor that closed it (anyone else may have sent it before
    /// hearing of the close).
    /// </summary>
    private bool Live()
    {
        if (_state is not (State.Finished or State.ClosedUnreported)) return true;
        if (ClosedBy(Sender)) Violation("no commands after Close", $"{Sender.Path} sent a command after it closed the connection ({_closedEvent})");
        return false;
    }

    private bool ClosedBy(IActorRef sender) => _closer is { } closer && closer.Equals(sender);

    private void OnRegister(Tcp.Register register)
    {
        if (_state == State.ClosedUnreported)
        {
            _handler = register.Handler;
            register.Handler.Tell(_closedEvent!, Self);
            ReleaseOwnedHandler();
            Timers.Cancel(RegisterTimedOut.Instance);
            _state = State.Finished;
            lifecycle.Tell(new Registered(register), Self);
            return;
        }

        if (Registered || _state == State.Finished)
        {
            Violation("one Register per connection", $"{Sender.Path} sent a second Register (handler {register.Handler.Path}); the connection is registered to {_handler.Path}");
            return;
        }

        _handler = register.Handler;
        _keepOpenOnPeerClosed = register.KeepOpenOnPeerClosed;
        _useResumeWriting = register.UseResumeWriting;
        _idleTimeout = register.IdleTimeout ?? settings.IdleTimeout;
        Timers.Cancel(RegisterTimedOut.Instance);
        Context.Watch(_handler);
        if (_state == State.AwaitingRegister) _state = State.Open;
        lifecycle.Tell(new Registered(register), Self);
        DeliverInbound();
    }

    private void OnRegisterTimedOut()
    {
        if (Registered) return;
        Violation("Register within the register timeout", $"no Register within {settings.RegisterTimeout}; the real connection closes and stops");
        if (_state == State.ClosedUnreported)
        {
            _state = State.Finished;
            return;
        }

        _pending.Clear();
        _pendingBytes = 0;
        _state = State.Finished;
        _closedEvent = Tcp.Closed.Instance;
        lifecycle.Tell(new ConnectionEnded(Tcp.Closed.Instance), Self);
    }

    private void OnWrite(Tcp.WriteCommand write)
    {
        IActorRef commander = Sender;
        if (_state >= State.Closing)
        {
            // The real connection answers a write while closing; after it stopped the write is a dead letter. Only the
            // closer's own write is a broken rule: a write racing the peer's close, or another actor's close, is not.
            if (ClosedBy(commander))
            {
                Violation("no Write after Close", $"{commander.Path} sent {write} after the connection was {(_closedEvent is null ? "closing" : "closed with " + _closedEvent)}");
            }

            if (_state < State.ClosedUnreported) commander.Tell(new Tcp.CommandFailed(write, new InvalidOperationException("The connection is closing; the write was dropped.")), Self);
            return;
        }

        if (_writingSuspended)
        {
            commander.Tell(new Tcp.CommandFailed(write, new InvalidOperationException("Writing is suspended after an earlier NACK; send ResumeWriting and wait for WritingResumed.")), Self);
            return;
        }

        if (_pending.Count > 0 && _pendingBytes + write.Length > settings.MaxPendingWriteBytes)
        {
            _writingSuspended = _useResumeWriting;
            commander.Tell(
                new Tcp.CommandFailed(write, new InvalidOperationException(
                    $"The connection already holds {_pendingBytes} unsent bytes; {write.Length} more would pass max-pending-write-bytes = {settings.MaxPendingWriteBytes}.")),
                Self);
            return;
        }

        writes.Tell(new RecordedWrite(write, commander), Self);
        WriteActivity();
        foreach (Tcp.Write part in write)
        {
            _pending.Enqueue(new Pending(part, commander));
            _pendingBytes += part.Data.Count;
        }

        if (_kernelTakesWrites) TakePending();
    }

    /// <summary>The kernel takes every queued write: acks in order, then what waited on the queue draining.</summary>
    private void TakePending()
    {
        if (_pending.Count > 0) WriteActivity();
        while (_pending.TryDequeue(out Pending pending))
        {
            _pendingBytes -= pending.Write.Data.Count;
            if (pending.Write.WantsAck) pending.Commander.Tell(pending.Write.Ack, Self);
        }

        if (_resumeRequester is { } requester)
        {
            _resumeRequester = null;
            _writingSuspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, Self);
        }

        if (_state == State.Closing) CompleteClose();
    }

    private void OnResumeWriting()
    {
        if (!Live()) return;
        if (!_writingSuspended)
        {
            Violation("ResumeWriting only after a NACK", $"{Sender.Path} sent ResumeWriting while writing was not suspended");
        }

        if (!_writingSuspended || _pending.Count == 0)
        {
            _writingSuspended = false;
            Sender.Tell(Tcp.WritingResumed.Instance, Self);
            return;
        }

        _resumeRequester = Sender;
    }

    private void OnClose(Tcp.CloseCommand close)
    {
        if (!Live()) return;
        if (close is Tcp.Abort)
        {
            _pending.Clear();
            _pendingBytes = 0;
            _closer = Sender;
            Finish(Tcp.Aborted.Instance);
            return;
        }

        if (_state >= State.Closing)
        {
            Sender.Tell(new Tcp.CommandFailed(close, new InvalidOperationException("The connection is already closing.")), Self);
            return;
        }

        bool eofRead = _state == State.PeerClosed;
        BeginClose(close is Tcp.ConfirmedClose && !eofRead ? close : Tcp.Close.Instance, close.Event, Sender);
    }

    private void BeginClose(Tcp.CloseCommand closing, Tcp.ConnectionClosed closedEvent, IActorRef? closer)
    {
        _state = State.Closing;
        _closing = closing;
        _closedEvent = closedEvent;
        _closer = closer;
        if (_pending.Count == 0) CompleteClose();
    }

    private void CompleteClose()
    {
        if (_closing is not Tcp.ConfirmedClose || _handlerStopped)
        {
            Finish(_closedEvent!);
            return;
        }

        // Output shut down; the connection reads on until the peer closes its side (the test pushes it).
        _state = State.HalfClosed;
        DeliverInbound();
    }

    private void Finish(Tcp.ConnectionClosed closedEvent)
    {
        if (_state is State.Finished or State.ClosedUnreported) return;
        _closedEvent = closedEvent;
        _state = Registered ? State.Finished : State.ClosedUnreported;
        if (_closer is { } closer && !closer.IsNobody()) closer.Tell(closedEvent, Self);
        if (Registered && !_handlerStopped && !_handler.Equals(_closer)) _handler.Tell(closedEvent, Self);
        if (Registered) ReleaseOwnedHandler();
        lifecycle.Tell(new ConnectionEnded(closedEvent), Self);
    }

    private void ReleaseOwnedHandler()
    {
        if (!_ownsHandler) return;
        _ownsHandler = false;
        _handler.Tell(PoisonPill.Instance, Self);
    }

    private void OnHandlerTerminated()
    {
        if (_state is State.Finished or State.ClosedUnreported) return;
        if (_state is State.Closing or State.HalfClosed)
        {
            // A close under way goes on, told to nobody; a ConfirmedClose becomes a plain close (nobody reads on).
            _handlerStopped = true;
            if (_handler.Equals(_closer)) _closer = null;
            if (_closing is not Tcp.ConfirmedClose) return;
            (_closing, _closedEvent) = (Tcp.Close.Instance, Tcp.Closed.Instance);
            if (_state == State.HalfClosed) Finish(Tcp.Closed.Instance);
            return;
        }

        // Nobody is left to tell: the real connection resets the peer.
        _pending.Clear();
        _pendingBytes = 0;
        _closedEvent = Tcp.Aborted.Instance;
        _state = State.Finished;
        lifecycle.Tell(new ConnectionEnded(Tcp.Aborted.Instance), Self);
    }

    private void OnInbound(Inbound inbound)
    {
        // What the peer sends after the close reaches nobody, as on a real socket.
        if (_state is State.Finished or State.ClosedUnreported) return;

        if (inbound is PushError error)
        {
            _pending.Clear();
            _pendingBytes = 0;
            var closed = new Tcp.ErrorClosed(error.Cause, error.Error);
            _closedEvent = closed;
            _state = Registered ? State.Finished : State.ClosedUnreported;
            if (Registered) _handler.Tell(closed, Self);
            if (_closer is { } closer && !closer.Equals(_handler) && !closer.IsNobody()) closer.Tell(closed, Self);
            if (Registered) ReleaseOwnedHandler();
            lifecycle.Tell(new ConnectionEnded(closed), Self);
            return;
        }

        _inbound.Enqueue(inbound);
        DeliverInbound();
    }

    /// <summary>
    /// Delivers what the peer sent, as far as reading allows: data while reading is on (one push per ResumeReading in
    /// pull mode), the peer's close once no data is ahead of it, even while reading is suspended.
    /// </summary>
    private void DeliverInbound()
    {
        while (Registered && _inbound.TryPeek(out Inbound? next))
        {
            if (_state is State.Finished or State.ClosedUnreported) return;
            if (next is PushEof)
            {
                _inbound.Dequeue();
                OnPeerEof();
                continue;
            }

            bool canRead = _state is State.Open or State.Closing or State.HalfClosed && !_readingSuspended && (!settings.PullMode || _pullRequested);
            if (!canRead) return;
            _inbound.Dequeue();
            _handler.Tell(new Tcp.Received(((PushData)next).Data), Self);
            (_readIdle, _readerTold, _bothTold) = (TimeSpan.Zero, false, false);
            if (settings.PullMode) _pullRequested = false;
        }
    }

    private void OnPeerEof()
    {
        switch (_state)
        {
            case State.Open when _keepOpenOnPeerClosed:
                _state = State.PeerClosed;
                _handler.Tell(Tcp.PeerClosed.Instance, Self);
                break;
            case State.Open:
                BeginClose(Tcp.Close.Instance, Tcp.PeerClosed.Instance, null);
                break;
            case State.Closing when _closing is Tcp.ConfirmedClose:
                _closing = Tcp.Close.Instance;
                break;
            case State.HalfClosed:
                Finish(Tcp.ConfirmedClosed.Instance);
                break;
        }
    }

    private void WriteActivity() => (_writeIdle, _writerTold, _bothTold) = (TimeSpan.Zero, false, false);

    /// <summary>
    /// <paramref name="elapsed"/> passes without activity: each side past its timeout is told once per idle period (reader,
    /// writer, both, as the real sweep tells them), or the first one closes the connection, as registered; only while open.
    /// </summary>
    private void OnElapseIdle(TimeSpan elapsed)
    {
        _readIdle += elapsed;
        _writeIdle += elapsed;
        TimeSpan both = _readIdle < _writeIdle ? _readIdle : _writeIdle;
        if (Passed(_idleTimeout.Reader, _readIdle, ref _readerTold)) OnIdle(Tcp.IdleSide.Reader);
        if (Passed(_idleTimeout.Writer, _writeIdle, ref _writerTold)) OnIdle(Tcp.IdleSide.Writer);
        if (Passed(_idleTimeout.Both, both, ref _bothTold)) OnIdle(Tcp.IdleSide.Both);
    }

    private static bool Passed(TimeSpan timeout, TimeSpan idle, ref bool told)
    {
        if (timeout == TimeSpan.Zero || told || idle < timeout) return false;
        told = true;
        return true;
    }

    private void OnIdle(Tcp.IdleSide side)
    {
        if (_state is not (State.Open or State.PeerClosed)) return;
        if (_idleTimeout.Action == Tcp.IdleAction.Notify) _handler.Tell(Tcp.Idle.For(side), Self);
        else BeginClose(Tcp.Close.Instance, new Tcp.IdleClosed(side, _idleTimeout.Of(side)), closer: null);
    }

    private void Violation(string rule, string detail) => violations.Tell(ViolationLog.Of(rule, detail), Self);

    private readonly record struct Pending(Tcp.Write Write, IActorRef Commander);

    private sealed class RegisterTimedOut
    {
        public static readonly RegisterTimedOut Instance = new();
    }
}

/// <summary>What the test pushes as the peer's doing.</summary>
internal abstract record Inbound : INoSerializationVerificationNeeded;

/// <summary>The peer sent bytes.</summary>
internal sealed record PushData(ByteString Data) : Inbound;

/// <summary>The peer closed its side.</summary>
internal sealed record PushEof : Inbound;

/// <summary>The connection failed.</summary>
internal sealed record PushError(string Cause, SocketError Error) : Inbound;

/// <summary>The kernel takes writes at once (true) or holds them until told (false).</summary>
internal sealed record KernelTakesWrites(bool AtOnce) : INoSerializationVerificationNeeded;

/// <summary>The kernel takes every write queued now.</summary>
internal sealed record TakePendingWrites : INoSerializationVerificationNeeded;

/// <summary>Time passes for the idle timeout, with no activity.</summary>
internal sealed record ElapseIdle(TimeSpan Elapsed) : INoSerializationVerificationNeeded;

/// <summary>To the lifecycle observer: the connection took this Register.</summary>
internal sealed record Registered(Tcp.Register Register) : INoSerializationVerificationNeeded;

/// <summary>To the lifecycle observer: the connection ended with this event.</summary>
internal sealed record ConnectionEnded(Tcp.ConnectionClosed Event) : INoSerializationVerificationNeeded;
