using System.Buffers;
using System.Diagnostics;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Actors.Io.Channels;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;
using Akka.IO;

namespace Actors.Io.Tls;

/// <summary>
/// TLS in front of one connection: to the connection it is the handler (it registers itself and speaks ciphertext), to
/// the user it is the connection (it announces <see cref="Tcp.Connected"/> after the handshake, takes
/// <see cref="Tcp.Register"/>, writes and the close family, and delivers plaintext). An <see cref="SslStream"/> over a
/// <see cref="TlsTransport"/> does the cryptography on this actor's thread: ciphertext the connection delivers is fed to
/// the transport, which completes the stream's waiting read inline, and whatever the stream writes goes out as one
/// connection write per operation.
/// </summary>
internal sealed partial class TlsStage : UntypedActor, TlsTransport.ISink, Streams.ILeaseReceiver
{
    private const int PlainChunk = 16 * 1024;

    /// <summary>
    /// Plaintext of small writes gathered for one record: under both TLS's 16 KiB record limit and the chunk
    /// <see cref="SslStream"/> splits a write into, so one gathered batch is one record.
    /// </summary>
    internal const int CoalesceLimit = 16_000;

    private readonly TcpSettings _settings;
    private readonly Selector _selector;
    private readonly Tcp.TlsServerSettings? _server;
    private readonly Tcp.TlsClientSettings? _client;
    private readonly IActorRef _announceTo;
    private readonly Tcp.Connect? _connect;
    private readonly bool _pullMode;
    private readonly TlsTransport _transport;
    private readonly SslStream _ssl;
    private readonly Lock _outGate = new();
    private readonly Queue<PendingAck> _acks = new();
    private readonly Queue<UserAck> _userAcks = new();
    private readonly Action _onRead;
    private readonly Action _onHandshake;
    private ILoggingAdapter? _logAdapter;
    private HandshakeGate? _gate;

    private StageState _state;
    private IActorRef _raw = ActorRefs.Nobody;
    private IActorRef _self = ActorRefs.Nobody;
    private IActorRef _handler = ActorRefs.Nobody;
    private OwnedHandler _owned;
    private bool _handlerStopped;
    private bool _handlerWatched;
    private CipherWritten? _cipherWritten;
    private Streams.IDirectWriter? _writer;
    private bool _wroteDirect;
    private IActorRef? _closer;
    private Tcp.CloseCommand? _closing;
    private Tcp.Connected? _rawConnected;
    private Tcp.ConnectionClosed? _unreported;
    private bool _keepOpenOnPeerClosed;
    private bool _useResumeWriting = true;
    private bool _readingSuspended;
    private bool _pulled;
    private bool _writeSuspended;
    private IActorRef? _resumeRequester;
    private bool _peerClosedNotify;
    private bool _plainEnded;
    private long _inFlight;
    private byte[]? _out;
    private int _outCount;
    private byte[]? _staged;
    private int _stagedCount;
    private ByteString? _single; // the round's one write so far, not copied: encrypted from its own bytes if no other comes
    private long _accepted;
    private int _unsentAcks;
    private Akka.Dispatch.MessageQueues.IMessageQueue? _queue;
    private byte[]? _plain;
    private ValueTask<int> _read;
    private bool _readPending;
    private bool _readCompleted;
    private Task? _handshake;
    private bool _handshakeCompleted;
    private int _actorThread = -1;
    private long _handshakeStarted;
    private IdleEntry? _idle;
    private Tcp.IdleClosed? _idleClosed;

    // Leased receive: the size class of the next read's buffer (-1 in copied mode), the buffer a read is filling, and
    // whether plaintext (or the end) is known to be waiting, so the next read takes a buffer and completes at once.
    private int _leaseClass = -1;
    private Tcp.LeasedReceived? _lease;
    private bool _plainWaiting;

    // Made on first use: a logging adapter per connection is memory that most connections never log with.
    // Not Context.GetLogger(): the stage also runs on its selector's turn (ILeaseReceiver), where Context is the selector's.
    private ILoggingAdapter Log => _logAdapter ??= Logging.GetLogger(((ActorRefWithCell)_self).Underlying.System, _self);

    public TlsStage(
        TcpSettings settings, Selector selector, Tcp.TlsServerSettings? server, Tcp.TlsClientSettings? client, IActorRef announceTo, Tcp.Connect? connect, bool pullMode, HandshakeGate? gate)
    {
        _gate = gate;
        _settings = settings;
        _selector = selector;
        _server = server;
        _client = client;
        _announceTo = announceTo;
        _connect = connect;
        _pullMode = pullMode;
        _transport = new TlsTransport(this);
        _ssl = new SslStream(_transport, leaveInnerStreamOpen: true);
        _onRead = OnReadCompleted;
        _onHandshake = OnHandshakeCompleted;
    }

    private enum StageState
    {
        Connecting,
        Handshaking,
        AwaitingRegister,
        ClosedUnreported,
        Open,
        Closing,
        Finished,
    }

    public static Props Props(
        TcpSettings settings, Selector selector, Tcp.TlsServerSettings? server, Tcp.TlsClientSettings? client, IActorRef announceTo, Tcp.Connect? connect, bool pullMode, HandshakeGate? gate = null) =>
        new StageProps(settings, selector, server, client, announceTo, connect, pullMode, gate);

    void Streams.ILeaseReceiver.Attach(Streams.IDirectWriter writer) => _writer = writer;

    void TlsTransport.ISink.Send(ReadOnlySpan<byte> ciphertext)
    {
        lock (_outGate)
        {
            // Nothing of ours waits before it: what the kernel takes now goes from the stream's buffer, no copy.
            if (_outCount == 0 && _writer is { } writer && _actorThread == Environment.CurrentManagedThreadId)
            {
                int taken = writer.TryWrite(ciphertext);
                _wroteDirect |= taken > 0;
                if (taken == ciphertext.Length) return;
                ciphertext = ciphertext[taken..];
            }

            if (_out is null || _outCount + ciphertext.Length > _out.Length)
            {
                // Pooled, and given back at each flush: a stage that is not writing holds no output buffer.
                byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(4096, _outCount + ciphertext.Length));
                if (_out is not null)
                {
                    _out.AsSpan(0, _outCount).CopyTo(grown);
                    ArrayPool<byte>.Shared.Return(_out);
                }

                _out = grown;
            }

            ciphertext.CopyTo(_out.AsSpan(_outCount));
            _outCount += ciphertext.Length;
        }
    }

    protected override void PreStart()
    {
        _self = Self;
        _actorThread = Environment.CurrentManagedThreadId;
        if (Context is ActorCell { Mailbox: { } mailbox }) _queue = mailbox.MessageQueue;
    }

    /// <summary>Akka's default for the handler it starts, and <see cref="OwnedHandler.Stopped"/> when that stops.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => OwnedHandler.Supervision.Instance;

    protected override void OnReceive(object message)
    {
        _actorThread = Environment.CurrentManagedThreadId;
        try
        {
            Handle(message);
            EndOfRound();
        }
        catch (Exception e) when (_state != StageState.Finished)
        {
            Fail($"TLS failed: {e.GetBaseException().Message}", e);
        }
        finally
        {
            _actorThread = -1;
        }
    }

    protected override void PostStop()
    {
        _queue = null; // the connection may still try an inline lease before it hears the stage stopped: refused
        LeaveGate();
        _idle?.Closed = true;
        if (_lease is { } lease)
        {
            _lease = null;
            _selector.ReceiveBuffers.ReturnUnused(lease);
        }

        if (_handlerWatched) _selector.Actor.Tell(new UnwatchHandler(_handler), _self);
        _ssl.Dispose();
        _transport.ReleaseBorrowed();
        ReturnBuffers();
        if (_state is StageState.Open or StageState.Closing or StageState.AwaitingRegister && !_handler.IsNobody())
        {
            _handler.Tell(new Tcp.ErrorClosed("The TLS connection was stopped."), _self);
        }
    }

    /// <summary>
    /// A lease of ciphertext from the connection, taken on the selector's turn (the connection's inline read) when the
    /// stage is open and has nothing waiting in its mailbox, so the order is the message path's: decrypted, delivered and
    /// answered without a run of the stage. Uses <c>_self</c>, never <c>Self</c> or <c>Sender</c> (the selector's here).
    /// </summary>
    bool Streams.ILeaseReceiver.TryTake(Tcp.LeasedReceived lease)
    {
        if (!CanRunInline) return false;
        RunInline(lease, 0);
        return true;
    }

    bool Streams.ILeaseReceiver.TryGetReadTarget(out Memory<byte> target)
    {
        target = default;
        if (!CanRunInline) return false;
        _actorThread = Environment.CurrentManagedThreadId;
        try
        {
            return _transport.TryGetReadTarget(out target);
        }
        finally
        {
            _actorThread = -1;
        }
    }

    void Streams.ILeaseReceiver.Filled(int n) => RunInline(null, n);

    /// <summary>Open, nothing in the mailbox and not in a turn of its own: the connection's data may be taken by a call.</summary>
    private bool CanRunInline => _state == StageState.Open && _queue is { HasMessages: false } && _actorThread == -1;

    /// <summary>
    /// Ciphertext from the connection on the selector's turn: a <paramref name="lease"/>, or <paramref name="filled"/>
    /// bytes read into the stream's own buffer. Decrypted, delivered and answered as a message would be, without a run
    /// of the stage.
    /// </summary>
    private void RunInline(Tcp.LeasedReceived? lease, int filled)
    {
        _actorThread = Environment.CurrentManagedThreadId;
        try
        {
            if (lease is not null)
            {
                _ = OnConnectionMessage(lease);
            }
            else
            {
                _transport.Filled(filled);
                AfterFeed();
            }

            EndOfRound();
        }
        catch (Exception e) when (_state != StageState.Finished)
        {
            Fail($"TLS failed: {e.GetBaseException().Message}", e);
        }
        finally
        {
            _actorThread = -1;
        }
    }

    /// <summary>The end of a round: nothing more in the mailbox, so the writes gathered so far go out as one record.</summary>
    private void EndOfRound()
    {
        if ((_accepted > 0 || _unsentAcks > 0) && _state != StageState.Finished && _closing is not Tcp.Abort && (_queue is null || !_queue.HasMessages))
        {
            FlushCipher(always: true);
        }
    }

    private void Handle(object message)
    {
        if (!_raw.IsNobody() && Sender.Equals(_raw) && OnConnectionMessage(message)) return;
        switch (message)
        {
            case Tcp.Register { HandlerProps: not null } starting when _state is StageState.AwaitingRegister or StageState.ClosedUnreported && !_owned.Owned:
                if (_owned.Start(Context, starting, _selector.Loop.Id) is not { } started) return;
                message = started;
                break;
            case OwnedHandler.Stopped when _owned.Owned:
                _handlerStopped = true;
                if (_owned.StopPending) Context.Stop(_self);
                else OnHandlerStopped();
                return;
        }

        switch (message)
        {
            case Tcp.Connected connected when _state == StageState.Connecting:
                OnConnected(connected);
                break;
            case Tcp.CommandFailed failed when _state == StageState.Connecting:
                // The connect itself failed: the commander hears it as an answer to its own Connect.
                _announceTo.Tell(new Tcp.CommandFailed(_connect!, failed.Cause), _self);
                Stop();
                break;
            case HandshakeStep:
                if (_handshakeCompleted) HandshakeFinished();
                break;
            case ReadStep:
                if (_readCompleted) DrainReads();
                break;
            case HandshakeTimedOut when _state == StageState.Handshaking:
                HandshakeFailed(new TimeoutException($"The TLS handshake with {_rawConnected?.RemoteAddress} did not complete within {HandshakeTimeout}."));
                break;
            case RegisterTimedOut when _state == StageState.AwaitingRegister:
                Log.Warning("No Register for the TLS connection to {0} within {1}; closing it", _rawConnected?.RemoteAddress, _settings.RegisterTimeout);
                _raw.Tell(Tcp.Abort.Instance, _self);
                _state = StageState.Finished;
                Stop();
                break;
            case Tcp.Register register when _state == StageState.AwaitingRegister:
                OnRegister(register);
                break;
            case Tcp.Register register when _state == StageState.ClosedUnreported:
                register.Handler.Tell(_unreported!, _self);
                Stop();
                break;
            case RegisterTimedOut when _state == StageState.ClosedUnreported:
                Stop();
                break;
            case Tcp.Register:
                Log.Debug("TLS connection to {0} is already registered; ignoring Register from {1}", _rawConnected?.RemoteAddress, Sender);
                break;
            case Tcp.WriteCommand write:
                OnWrite(write, Sender);
                break;
            case Tcp.LeasedWrite leased:
                OnLeasedWrite(leased, Sender);
                break;
            case IdleFired fired:
                OnIdle(fired.Side);
                break;
            case Tcp.SuspendReading:
                _readingSuspended = true;
                _raw.Tell(Tcp.SuspendReading.Instance, _self);
                break;
            case Tcp.ResumeReading:
                _readingSuspended = false;
                _pulled = true;
                _raw.Tell(Tcp.ResumeReading.Instance, _self);
                PumpReads();
                break;
            case Tcp.ResumeWriting:
                OnResumeWriting(Sender);
                break;
            case Tcp.CloseCommand close:
                OnClose(close, Sender);
                break;
            case HandlerTerminated when _handlerWatched:
                _handlerWatched = false;
                OnHandlerStopped();
                break;
            case HandshakeTimedOut or RegisterTimedOut or HandlerTerminated:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnHandlerStopped()
    {
        if (_state == StageState.Finished || _closing is not null) return;
        Log.Warning("Handler {0} of the TLS connection to {1} stopped while the connection was open; aborting the connection", _handler, _rawConnected?.RemoteAddress);
        _selector.Metrics?.ConnectionFailed(Streams.TcpConnection.HandlerTerminatedCause);
        _raw.Tell(Tcp.Abort.Instance, _self);
        _state = StageState.Finished;
        Stop();
    }

    // ------------------------------------------------------------------ the connection's side

    private bool OnConnectionMessage(object message)
    {
        // Closed and waiting for Register: what the connection still says changes nothing.
        if (_state == StageState.ClosedUnreported)
        {
            if (message is Tcp.LeasedReceived dropped) dropped.Return();
            return true;
        }

        switch (message)
        {
            case Tcp.LeasedReceived lease:
                // The connection reads ciphertext into pooled buffers; the transport gives each back once read out.
                _transport.Feed(new ArraySegment<byte>(lease.Buffer, 0, lease.Count), lease);
                AfterFeed();

                // What the reads took came straight from the lease; the rest (a record's start, or all of it while the
                // handler does not read) is copied and the lease goes back now.
                _transport.KeepBorrowed();
                return true;
            case CipherWritten:
                OnCipherWritten();
                return true;
            case Tcp.Draining:
                // Said of the connection: the user's handler is the one to hear it.
                if (!_handler.IsNobody()) _handler.Tell(message, _self);
                return true;
            case Tcp.PeerClosed:
                OnPeerEof();
                return true;
            case Tcp.ErrorClosed error:
                Ended(new Tcp.ErrorClosed(error.Cause, error.Error));
                return true;
            case Tcp.ConnectionClosed closed:
                OnConnectionClosed(closed);
                return true;
            case Tcp.CommandFailed failed when _state != StageState.Connecting:
                // A ciphertext write refused: the TLS stream would have a hole, so nothing can follow it.
                Fail($"The connection refused TLS data: {failed.Cause?.Message}", failed.Cause);
                return true;
            default:
                return false;
        }
    }

    private void OnConnected(Tcp.Connected connected)
    {
        _raw = Sender;
        _rawConnected = connected;
        // The idle timeout is the stage's, on plaintext (the user's Register or the configured default): none here.
        _raw.Tell(new Tcp.Register(_self, keepOpenOnPeerClosed: true, useResumeWriting: false, receiveMode: Tcp.ReceiveMode.Leased, idleTimeout: Tcp.IdleTimeout.Off) { LeaseReceiver = this }, _self);
        _state = StageState.Handshaking;
        _handshakeStarted = Stopwatch.GetTimestamp();
        ScheduleTellSelf(HandshakeTimeout, HandshakeTimedOut.Instance);
        _handshake = _server is { } server
            ? _ssl.AuthenticateAsServerAsync(ServerOptions(server), CancellationToken.None)
            : _ssl.AuthenticateAsClientAsync(ClientOptions(_client!), CancellationToken.None);
        WhenHandshakeDone();
        FlushCipher();
    }

    private void AfterFeed()
    {
        FlushCipher();
        if (_handshakeCompleted && _state == StageState.Handshaking) HandshakeFinished();
        if (_readCompleted) DrainReads();
    }

    private void OnPeerEof()
    {
        _transport.End();
        AfterFeed();
        if (_state is StageState.Handshaking)
        {
            // The handshake's read sees the end of stream and fails; HandshakeFinished reports it.
            return;
        }

        if (!_peerClosedNotify && _state != StageState.Finished)
        {
            _selector.Metrics?.ConnectionFailed("TlsTruncated");
            Ended(new Tcp.ErrorClosed($"The TLS stream from {_rawConnected?.RemoteAddress} was truncated: the peer closed the connection without close_notify."));
        }
    }

    private void OnConnectionClosed(Tcp.ConnectionClosed closed)
    {
        if (_state == StageState.Finished)
        {
            Stop();
            return;
        }

        // The answer to the close this stage asked for on the user's behalf.
        Tcp.ConnectionClosed toUser = _closing switch
        {
            Tcp.Abort => Tcp.Aborted.Instance,
            Tcp.ConfirmedClose => Tcp.ConfirmedClosed.Instance,
            Tcp.Close => _idleClosed ?? (Tcp.ConnectionClosed)Tcp.Closed.Instance,
            _ => closed,
        };
        Ended(toUser);
    }

    // ------------------------------------------------------------------ the handshake

    private TimeSpan HandshakeTimeout => _server?.HandshakeTimeout ?? _client?.HandshakeTimeout ?? _settings.TlsHandshakeTimeout;

    private void WhenHandshakeDone()
    {
        if (_handshake!.IsCompleted)
        {
            _handshakeCompleted = true;
            return;
        }

        _handshake.GetAwaiter().UnsafeOnCompleted(_onHandshake);
    }

    private void OnHandshakeCompleted()
    {
        _handshakeCompleted = true;
        if (Environment.CurrentManagedThreadId != _actorThread) _self.Tell(HandshakeStep.Instance, ActorRefs.NoSender);
    }

    private void HandshakeFinished()
    {
        if (_state != StageState.Handshaking) return;
        if (!_handshake!.IsCompletedSuccessfully)
        {
            HandshakeFailed(_handshake.Exception?.GetBaseException() ?? new AuthenticationException("The TLS handshake was cancelled."));
            return;
        }

        var session = new Tcp.TlsSession(
            _ssl.SslProtocol,
            _ssl.NegotiatedCipherSuite,
            _ssl.RemoteCertificate is { } remote ? remote as X509Certificate2 ?? new X509Certificate2(remote) : null,
            _ssl.NegotiatedApplicationProtocol,
            _server is not null ? _ssl.TargetHostName is { Length: > 0 } name ? name : null : _client!.TargetHost);
        _handshake = null; // its task and state machine would stay with every idle connection
        LeaveGate();
        _selector.Metrics?.TlsHandshake("succeeded", _server is not null, Stopwatch.GetElapsedTime(_handshakeStarted).TotalSeconds);
        _state = StageState.AwaitingRegister;
        ScheduleTellSelf(_settings.RegisterTimeout, RegisterTimedOut.Instance);
        _announceTo.Tell(new Tcp.Connected(_rawConnected!.RemoteAddress, _rawConnected.LocalAddress, _rawConnected.ProxyAddress, session), _self);
    }

    private void LeaveGate()
    {
        _gate?.Exit();
        _gate = null;
    }

    private void HandshakeFailed(Exception cause)
    {
        LeaveGate();
        _selector.Metrics?.ConnectionFailed(cause is TimeoutException ? "TlsHandshakeTimeout" : "TlsHandshakeFailed");
        if (_handshakeStarted != 0)
        {
            _selector.Metrics?.TlsHandshake(cause is TimeoutException ? "timed-out" : "failed", _server is not null, Stopwatch.GetElapsedTime(_handshakeStarted).TotalSeconds);
        }

        if (_server is not null)
        {
            HandshakeWarnings.Report(Log, _rawConnected?.RemoteAddress, cause);
        }
        else
        {
            _announceTo.Tell(new Tcp.CommandFailed(_connect!, cause), _self);
        }

        _state = StageState.Finished;
        _raw.Tell(Tcp.Abort.Instance, _self);
        Stop();
    }

    private static SslServerAuthenticationOptions ServerOptions(Tcp.TlsServerSettings tls)
    {
        var options = new SslServerAuthenticationOptions
        {
            ClientCertificateRequired = tls.ClientCertificateRequired,
            EnabledSslProtocols = tls.EnabledProtocols,
            ApplicationProtocols = tls.ApplicationProtocols?.ToList(),
            AllowRenegotiation = false,

            // A resumed session skips the client's certificate, so mutual TLS does every handshake in full.
            AllowTlsResume = !tls.ClientCertificateRequired,
            RemoteCertificateValidationCallback = tls.RemoteCertificateValidation
                ?? (tls.ClientCertificateRequired ? null : (_, _, _, errors) => errors is SslPolicyErrors.None or SslPolicyErrors.RemoteCertificateNotAvailable),
        };
        if (tls.ServerCertificateSelector is { } select) options.ServerCertificateSelectionCallback = (_, name) => select(name);
        else options.ServerCertificateContext = tls.CertificateContext;
        return options;
    }

    private static SslClientAuthenticationOptions ClientOptions(Tcp.TlsClientSettings tls) => new()
    {
        TargetHost = tls.TargetHost,
        ClientCertificates = tls.ClientCertificates,
        EnabledSslProtocols = tls.EnabledProtocols,
        ApplicationProtocols = tls.ApplicationProtocols?.ToList(),
        CertificateRevocationCheckMode = tls.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = tls.RemoteCertificateValidation,
        AllowRenegotiation = false,
    };

    // ------------------------------------------------------------------ the user's side

    private void OnRegister(Tcp.Register register)
    {
        _handler = register.Handler;
        _keepOpenOnPeerClosed = register.KeepOpenOnPeerClosed;
        _useResumeWriting = register.UseResumeWriting;
        if (register.ReceiveMode == Tcp.ReceiveMode.Leased) _leaseClass = _selector.ReceiveBuffers.FirstClass;
        _state = StageState.Open;
        if (!_owned.Owned)
        {
            // The selector watches the handler for the stage: a watch of its own would cost the stage Akka's death-watch
            // collections (about 580 bytes per connection).
            _selector.Actor.Tell(new WatchHandler(_handler, WithoutChannel: true), _self);
            _handlerWatched = true;
        }
        if ((register.IdleTimeout ?? _settings.IdleTimeout) is { IsOff: false } idleTimeout)
        {
            _idle = new IdleEntry(_self, idleTimeout);
            _selector.Actor.Tell(new WatchIdle(_idle), _self);
        }

        if (_pullMode) _raw.Tell(Tcp.SuspendReading.Instance, _self);
        PumpReads();
    }

    private void OnWrite(Tcp.WriteCommand write, IActorRef commander)
    {
        if (Refusal(write.Length) is { } refused)
        {
            commander.Tell(new Tcp.CommandFailed(write, refused), _self);
            return;
        }

        if (write is Tcp.Write single)
        {
            // Not through the enumerator: a single write's iterator is an allocation per write.
            Accept(single, commander);
            return;
        }

        foreach (Tcp.Write part in write) Accept(part, commander);
    }

    private static long Estimate(long plaintext) => plaintext + (((plaintext / PlainChunk) + 1) * 64);

    private void Accept(Tcp.Write part, IActorRef commander)
    {
        _accepted += Estimate(part.Data.Count);
        if (!part.Data.IsEmpty) Stage(part.Data);
        if (part.WantsAck)
        {
            _userAcks.Enqueue(new UserAck(part.Ack, commander));
            _unsentAcks++;
        }

        // A record's worth of ciphertext gains nothing by waiting for the round's end, and a burst of big writes would
        // otherwise all count against max-pending-write-bytes before the first of them is sent.
        if (Volatile.Read(ref _outCount) >= CoalesceLimit) FlushCipher(always: true);
    }

    /// <summary>
    /// Gathers a write's plaintext for the round's record (<see cref="CoalesceLimit"/>); what would not fit encrypts
    /// what is gathered first, and a write of a record or more is encrypted from its own bytes. The round's first write
    /// is only held (its bytes never change): a round of one write is encrypted from its own bytes too, and a second
    /// write copies both into the gathering buffer. Encrypted output waits in the output buffer for the round's flush.
    /// </summary>
    private void Stage(ByteString data)
    {
        int length = data.Count;
        if (_stagedCount + (_single?.Count ?? 0) + length > CoalesceLimit) EncryptStaged();
        if (length >= CoalesceLimit)
        {
            _ssl.Write(data.ToReadOnlySpan());
            return;
        }

        if (_stagedCount == 0 && _single is null)
        {
            _single = data;
            return;
        }

        _staged ??= ArrayPool<byte>.Shared.Rent(CoalesceLimit);
        if (_single is { } first)
        {
            _single = null;
            first.CopyTo(_staged, 0, first.Count);
            _stagedCount = first.Count;
        }

        data.CopyTo(_staged, _stagedCount, length);
        _stagedCount += length;
    }

    private void EncryptStaged()
    {
        if (_single is { } only)
        {
            _single = null;
            _ssl.Write(only.ToReadOnlySpan());
            return;
        }

        if (_stagedCount == 0) return;
        _ssl.Write(_staged!, 0, _stagedCount);
        _stagedCount = 0;
    }

    private void ReturnBuffers()
    {
        if (_staged is { } staged) ArrayPool<byte>.Shared.Return(staged);
        _staged = null;
        _stagedCount = 0;
        _single = null;
        lock (_outGate)
        {
            if (_out is { } output) ArrayPool<byte>.Shared.Return(output);
            _out = null;
            _outCount = 0;
        }
    }

    /// <summary>Why a write of <paramref name="length"/> bytes is refused now (a NACK suspends writing), or null: accepted.</summary>
    private InvalidOperationException? Refusal(long length)
    {
        if (_state != StageState.Open || _closing is not null)
        {
            return new InvalidOperationException($"The TLS connection to {_rawConnected?.RemoteAddress} is {(_state == StageState.Open ? "closing" : "not open")}; the write was dropped.");
        }

        if (_writeSuspended) return new InvalidOperationException("Writing is suspended after an earlier NACK; send ResumeWriting and wait for WritingResumed.");

        // Counted in ciphertext: the plaintext plus what each record adds, from acceptance until the connection acks it.
        long held = _inFlight + _accepted;
        if (held > 0 && held + Estimate(length) > _settings.MaxPendingWriteBytes)
        {
            _writeSuspended = _useResumeWriting;
            return new InvalidOperationException(
                $"The TLS connection to {_rawConnected?.RemoteAddress} already holds {held} unsent bytes; {length} more would pass actors-io.tcp.max-pending-write-bytes = {_settings.MaxPendingWriteBytes}.");
        }

        _idle?.MarkWritten();
        return null;
    }

    /// <summary>
    /// A write of a lease: taken, encrypted at once and given back to the pool (the ciphertext is the stage's own), acked
    /// as a write is; refused, the lease is the handler's again before it hears why.
    /// </summary>
    private void OnLeasedWrite(Tcp.LeasedWrite write, IActorRef commander)
    {
        Tcp.LeasedReceived lease = write.Lease;
        if (!lease.TakeForWrite())
        {
            commander.Tell(new Tcp.CommandFailed(write, lease.NotTakenCause()), _self);
            return;
        }

        if (Refusal(write.Length) is { } refused)
        {
            lease.GiveBackToHandler();
            commander.Tell(new Tcp.CommandFailed(write, refused), _self);
            return;
        }

        // After what the round gathered, so the bytes keep their order; encrypted now, so the lease goes back at once.
        EncryptStaged();
        try
        {
            _ssl.Write(lease.Buffer.AsSpan(0, lease.Count));
        }
        finally
        {
            lease.ReturnFromWrite();
        }

        _accepted += Estimate(write.Length);
        if (write.WantsAck)
        {
            _userAcks.Enqueue(new UserAck(write.Ack, commander));
            _unsentAcks++;
        }

        if (Volatile.Read(ref _outCount) >= CoalesceLimit) FlushCipher(always: true);
    }

    /// <summary>The idle sweep found <paramref name="side"/> idle: tell the handler, or close as Close does; only while open.</summary>
    private void OnIdle(Tcp.IdleSide side)
    {
        if (_idle is not { } idle || _state != StageState.Open || _closing is not null) return;
        if (idle.Timeout.Action == Tcp.IdleAction.Notify)
        {
            _handler.Tell(Tcp.Idle.For(side), _self);
            return;
        }

        TimeSpan timeout = idle.Timeout.Of(side);
        Log.Debug("TLS connection to {0} was idle ({1}) for {2}; closing it", _rawConnected?.RemoteAddress, side, timeout);
        _idleClosed = new Tcp.IdleClosed(side, timeout);
        _closing = Tcp.Close.Instance;
        SendCloseNotify();
        _raw.Tell(Tcp.Close.Instance, _self);
    }

    private void OnResumeWriting(IActorRef requester)
    {
        if (!_writeSuspended || _inFlight + _accepted == 0)
        {
            _writeSuspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, _self);
            return;
        }

        _resumeRequester = requester;
    }

    private void OnClose(Tcp.CloseCommand close, IActorRef closer)
    {
        if (_state is not (StageState.Open or StageState.AwaitingRegister) || (_closing is not null && close is not Tcp.Abort))
        {
            closer.Tell(new Tcp.CommandFailed(close, new InvalidOperationException($"The TLS connection to {_rawConnected?.RemoteAddress} is already closing.")), _self);
            return;
        }

        _closing = close;
        _closer = closer;
        if (close is Tcp.Abort)
        {
            // A reset, no close_notify.
            _raw.Tell(Tcp.Abort.Instance, _self);
            return;
        }

        SendCloseNotify();
        if (close is Tcp.ConfirmedClose && !_peerClosedNotify) return; // the raw close follows the peer's close_notify
        _raw.Tell(Tcp.Close.Instance, _self);
    }

    private void SendCloseNotify()
    {
        // The writes before the close go first.
        EncryptStaged();
        Task shutdown = _ssl.ShutdownAsync();
        if (!shutdown.IsCompletedSuccessfully) Log.Debug("close_notify to {0} did not complete at once: {1}", _rawConnected?.RemoteAddress, shutdown.Status);
        FlushCipher();
    }

    // ------------------------------------------------------------------ plaintext reads

    private void PumpReads()
    {
        while (_state == StageState.Open && !_readPending && !_readingSuspended && (!_pullMode || _pulled) && !_plainEnded)
        {
            _read = StartRead();
            if (!_read.IsCompleted)
            {
                _readPending = true;
                _read.GetAwaiter().UnsafeOnCompleted(_onRead);
                return;
            }

            ReadDone(_read.GetAwaiter().GetResult());
        }
    }

    /// <summary>
    /// The next plaintext read. A zero-byte read first waits for plaintext (or the end) without holding a buffer, so an
    /// idle connection holds neither the stream's read buffer nor the stage's; the read that follows takes one (a lease,
    /// or a pooled array in copied mode) and completes at once.
    /// </summary>
    private ValueTask<int> StartRead()
    {
        if (!_plainWaiting) return _ssl.ReadAsync(Memory<byte>.Empty);
        if (_leaseClass < 0)
        {
            _plain ??= ArrayPool<byte>.Shared.Rent(PlainChunk);
            return _ssl.ReadAsync(_plain.AsMemory(0, PlainChunk));
        }

        _lease = _selector.ReceiveBuffers.Rent(_leaseClass);
        return _ssl.ReadAsync(_lease.Buffer);
    }

    private void ReadDone(int n)
    {
        if (_lease is null && _plain is null)
        {
            _plainWaiting = true;
            return;
        }

        _plainWaiting = false;
        Deliver(n);
    }

    private void OnReadCompleted()
    {
        _readCompleted = true;
        if (Environment.CurrentManagedThreadId != _actorThread) _self.Tell(ReadStep.Instance, ActorRefs.NoSender);
    }

    private void DrainReads()
    {
        _readCompleted = false;
        _readPending = false;
        int n;
        try
        {
            n = _read.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            _selector.Metrics?.ConnectionFailed("TlsError");
            Fail($"Reading TLS from {_rawConnected?.RemoteAddress} failed: {e.GetBaseException().Message}", e);
            return;
        }

        ReadDone(n);
        PumpReads();
    }

    private void Deliver(int n)
    {
        FlushCipher();
        Tcp.LeasedReceived? lease = _lease;
        _lease = null;
        if (n > 0)
        {
            _idle?.MarkRead();
            if (lease is null)
            {
                byte[] copy = GC.AllocateUninitializedArray<byte>(n);
                _plain.AsSpan(0, n).CopyTo(copy);
                _handler.Tell(new Tcp.Received(ByteString.FromBytes(copy)), _self);
                ReturnPlain();
            }
            else
            {
                _leaseClass = _selector.ReceiveBuffers.NextClass(lease.SizeClass, n);
                lease.Lend(n);
                _handler.Tell(lease, _self);
            }

            if (_pullMode)
            {
                // One Received per ResumeReading; the ciphertext waits in the kernel meanwhile.
                _pulled = false;
                _raw.Tell(Tcp.SuspendReading.Instance, _self);
            }

            return;
        }

        if (lease is not null) _selector.ReceiveBuffers.ReturnUnused(lease);
        ReturnPlain();
        _plainEnded = true;
        if (_transport.Ended) return; // the connection's end of stream: OnPeerEof decides
        _peerClosedNotify = true;
        OnPeerCloseNotify();
    }

    private void ReturnPlain()
    {
        if (_plain is not { } plain) return;
        _plain = null;
        ArrayPool<byte>.Shared.Return(plain);
    }

    private void OnPeerCloseNotify()
    {
        if (_closing is Tcp.ConfirmedClose)
        {
            _raw.Tell(Tcp.Close.Instance, _self);
            return;
        }

        if (_closing is not null) return;
        _handler.Tell(Tcp.PeerClosed.Instance, _self);
        if (_keepOpenOnPeerClosed) return;
        _closing = Tcp.Close.Instance;
        _state = StageState.Finished;
        SendCloseNotify();
        _raw.Tell(Tcp.Close.Instance, _self);
    }

    // ------------------------------------------------------------------ ciphertext writes

    /// <summary>
    /// Sends what the stream wrote, with the plaintext gathered so far encrypted first, as one connection write, acked so
    /// the stage counts it in flight; the user acks of every write it completes are told when it is acked. Without
    /// <paramref name="always"/> nothing is sent unless the stream wrote something (a handshake or read step).
    /// </summary>
    private void FlushCipher(bool always = false)
    {
        if (!always && Volatile.Read(ref _outCount) == 0) return;
        EncryptStaged();
        ByteString data = ByteString.Empty;
        byte[]? sent = null;
        lock (_outGate)
        {
            // The connection writes straight from the pooled buffer; it goes back to the pool when the write is acked.
            if (_outCount > 0) (data, sent) = (ByteString.FromBytes(_out!, 0, _outCount), _out);
            else if (_out is { } unused) ArrayPool<byte>.Shared.Return(unused);
            _out = null;
            _outCount = 0;
        }

        if (_staged is { } staged)
        {
            ArrayPool<byte>.Shared.Return(staged);
            _staged = null;
        }

        bool user = _accepted > 0;
        _accepted = 0;
        if (_wroteDirect)
        {
            // Written straight to the kernel by the connection (ISink.Send): nothing of it is in flight.
            if (user) _idle?.MarkWritten();
            _wroteDirect = false;
        }

        if (data.IsEmpty && _unsentAcks == 0)
        {
            ResumeIfDrained();
            return;
        }

        _inFlight += data.Count;
        _acks.Enqueue(new PendingAck(data.Count, _unsentAcks, user, sent));
        _unsentAcks = 0;
        _raw.Tell(Tcp.Write.Create(data, _cipherWritten ??= new CipherWritten(this)), _self);
    }

    private void OnCipherWritten()
    {
        if (!_acks.TryDequeue(out PendingAck done)) return;
        _inFlight -= done.Bytes;
        if (done.Buffer is { } written) ArrayPool<byte>.Shared.Return(written);
        if (done.User) _idle?.MarkWritten();
        for (int i = 0; i < done.Acks; i++)
        {
            UserAck ack = _userAcks.Dequeue();
            ack.Commander.Tell(ack.Ack, _self);
        }

        ResumeIfDrained();
    }

    private void ResumeIfDrained()
    {
        if (_inFlight + _accepted == 0 && _resumeRequester is { } requester)
        {
            _resumeRequester = null;
            _writeSuspended = false;
            requester.Tell(Tcp.WritingResumed.Instance, _self);
        }
    }

    // ------------------------------------------------------------------ endings

    private void Ended(Tcp.ConnectionClosed closed)
    {
        if (_state == StageState.Finished)
        {
            Stop();
            return;
        }

        bool registered = !_handler.IsNobody();
        if (_state == StageState.AwaitingRegister)
        {
            // Announced and closed before anyone registered: kept for the Register (or its timeout), as a plain
            // connection does, so the handler still learns how it ended.
            _unreported = closed;
            _state = StageState.ClosedUnreported;
            if (closed is Tcp.ErrorClosed && !_raw.IsNobody()) _raw.Tell(Tcp.Abort.Instance, _self);
            return;
        }

        _state = StageState.Finished;
        if (_closer is { } closer && !closer.Equals(_handler)) closer.Tell(closed, _self);
        if (registered) _handler.Tell(closed, _self);
        if (closed is Tcp.ErrorClosed && !_raw.IsNobody()) _raw.Tell(Tcp.Abort.Instance, _self);
        Stop();
    }

    private void Fail(string cause, Exception? error)
    {
        Log.Debug("TLS connection to {0}: {1}", _rawConnected?.RemoteAddress, error?.ToString() ?? cause);
        if (_state is StageState.Connecting or StageState.Handshaking)
        {
            HandshakeFailed(error ?? new AuthenticationException(cause));
            return;
        }

        Ended(new Tcp.ErrorClosed(cause));
    }

    private void Stop()
    {
        _state = StageState.Finished;
        if (!_owned.DeferStop(_handlerStopped, _self)) Context.Stop(_self);
    }

    private void ScheduleTellSelf(TimeSpan delay, object message)
    {
        if (_selector.Loop.InLoop) _selector.Loop.ScheduleTellOnce(delay, _self, message);
        else Context.System.Scheduler.ScheduleTellOnce(delay, _self, message, ActorRefs.NoSender);
    }

    /// <summary>A connection write in flight: its bytes, the user acks it completes, whether it carries user data, and the
    /// pooled buffer it was written from (null for none), which the stage may reuse once the write is acked.</summary>
    private readonly record struct PendingAck(long Bytes, int Acks, bool User, byte[]? Buffer);

    private readonly record struct UserAck(Tcp.Event Ack, IActorRef Commander);

    /// <summary>
    /// The ack of the stage's connection writes, completed by the connection with a call (<see cref="Streams.IWriteCompletion"/>)
    /// on the loop both share: the bookkeeping runs on the connection's turn, and the stage is not woken for it.
    /// </summary>
    private sealed class CipherWritten(TlsStage stage) : Tcp.Event, Streams.IWriteCompletion, INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public void Written() => stage.OnCipherWritten();
    }

    private sealed class HandshakeStep : INoSerializationVerificationNeeded
    {
        public static readonly HandshakeStep Instance = new();
    }

    private sealed class ReadStep : INoSerializationVerificationNeeded
    {
        public static readonly ReadStep Instance = new();
    }

    private sealed class HandshakeTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly HandshakeTimedOut Instance = new();
    }

    private sealed class RegisterTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RegisterTimedOut Instance = new();
    }

    /// <summary>
    /// The stage's props: the loop dispatcher and <see cref="CompactMailbox"/> from the selector's template (props made
    /// with <c>Props.Create</c> and then <c>WithDeploy</c> had lost the mailbox), and the stage made without reflection.
    /// </summary>
    private sealed class StageProps : ChannelProps
    {
        private readonly TcpSettings _settings;
        private readonly Selector _selector;
        private readonly Tcp.TlsServerSettings? _server;
        private readonly Tcp.TlsClientSettings? _client;
        private readonly IActorRef _announceTo;
        private readonly Tcp.Connect? _connect;
        private readonly bool _pullMode;
        private readonly HandshakeGate? _gate;

        public StageProps(
            TcpSettings settings, Selector selector, Tcp.TlsServerSettings? server, Tcp.TlsClientSettings? client, IActorRef announceTo, Tcp.Connect? connect, bool pullMode, HandshakeGate? gate)
            : base(selector, typeof(TlsStage))
        {
            (_settings, _selector, _server, _client, _announceTo, _connect, _pullMode, _gate) = (settings, selector, server, client, announceTo, connect, pullMode, gate);
        }

#pragma warning disable AK1000 // Akka calls NewActor inside ActorOf: this is the props' factory.
        public override ActorBase NewActor() => new TlsStage(_settings, _selector, _server, _client, _announceTo, _connect, _pullMode, _gate);
#pragma warning restore AK1000
    }
}
