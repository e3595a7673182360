using System.Net;
using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>
/// A listening socket: accepts up to <c>batch-accept-limit</c> connections per <see cref="Acceptable"/> (or what pull mode
/// allows), places each on the least loaded selector as a new <see cref="TcpIncomingConnection"/>, and re-arms.
/// Out of descriptors (EMFILE / ENFILE) it backs off on a timer, logging once per shortage, and never spins.
/// </summary>
internal sealed class TcpListener : ChannelActor
{
    private readonly SelectorPool _pool;
    private readonly TcpSettings _settings;
    private readonly IActorRef _commander;
    private readonly Tcp.Bind _bind;
    private readonly Tcp.SO.ProxyProtocol? _proxy;
    private Socket? _socket;
    private bool _announced;
    private int _acceptsAllowed;
    private TimeSpan _backoff;
    private bool _backingOff;
    private bool _limitLogged;
    private EndPoint _localAddress;
    private Tls.HandshakeGate? _handshakes;
    private bool _parked;

    public TcpListener(SelectorPool pool, Selector selector, TcpSettings settings, IActorRef commander, Tcp.Bind bind)
        : base(selector, placementHeld: true)
    {
        _pool = pool;
        _settings = settings;
        _commander = commander;
        _bind = bind;
        _proxy = bind.Options.OfType<Tcp.SO.ProxyProtocol>().LastOrDefault();
        _acceptsAllowed = bind.PullMode ? 0 : int.MaxValue;
        _localAddress = bind.LocalAddress;
    }

    public static Props Props(SelectorPool pool, Selector selector, TcpSettings settings, IActorRef commander, Tcp.Bind bind) =>
        Akka.Actor.Props.Create(() => new TcpListener(pool, selector, settings, commander, bind)).WithDeploy(Deploy.Local.WithDispatcher(selector.Loop.Id));

    protected override void PreStart()
    {
        EndPoint local = _bind.LocalAddress;
        if (StreamSockets.Refusal(local, _bind.Options, binding: true) is { } refusal)
        {
            _commander.Tell(new Tcp.CommandFailed(_bind, refusal), Self);
            Context.Stop(Self);
            return;
        }

        Socket socket;
        try
        {
            socket = StreamSockets.NewStreamSocket(local);
            _socket = socket;
            foreach (Tcp.SocketOption option in _bind.Options) option.BeforeBind(socket);

            // Socket.Dispose deletes the socket file its own successful Bind created (.NET 6+, dotnet/runtime#52103), so every
            // way the listener stops removes it; a file that was there before is never touched.
            StreamSockets.Bind(socket, local, _bind.Options.Any(o => o.ReplacesStaleSocketFile));
            socket.Listen(_bind.Backlog);
            _localAddress = socket.LocalEndPoint ?? local;
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            SocketError code = e is SocketException se ? se.SocketErrorCode : SocketError.AccessDenied;
            _commander.Tell(new Tcp.CommandFailed(_bind, new SocketException((int)code, $"Bind to {local} failed: {code} ({e.Message})")), Self);
            Context.Stop(Self);
            return;
        }

        Context.Watch(_bind.Handler);
        RegisterChannel(socket.SafeHandle, Interest.None, keepOpenOnSelectorFailure: true);
    }

    protected override void PostStop()
    {
        base.PostStop();
        ReleaseChannel(_socket);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Acceptable:
                AcceptBatch();
                break;
            case Tcp.ResumeAccepting resume:
                _acceptsAllowed = Math.Max(0, resume.BatchSize);
                if (_acceptsAllowed > 0 && !_backingOff && !_parked) Registration?.Arm(Interest.Accept);
                break;
            case Tcp.Unbind:
                ReleaseChannel(_socket);
                Sender.Tell(Tcp.Unbound.Instance, Self);
                Context.Stop(Self);
                break;
            case StopAccepting:
                ReleaseChannel(_socket);
                _commander.Tell(
                    _announced ? Tcp.Unbound.Instance : new Tcp.CommandFailed(_bind, new InvalidOperationException("Actors.Io is draining: listeners are closed.")),
                    Self);
                Context.Stop(Self);
                break;
            case Tls.HandshakeGate.Freed:
                _parked = false;
                if (_acceptsAllowed > 0 && !_backingOff) Registration?.Arm(Interest.Accept);
                break;
            case RetryAccept when !_backingOff:
                break;
            case RetryAccept:
                _backingOff = false;
                AcceptBatch();
                break;
            case Terminated terminated when terminated.ActorRef.Equals(_bind.Handler):
                Log.Debug("Bind handler {0} died; closing the listener on {1}", _bind.Handler, _localAddress);
                Context.Stop(Self);
                break;
            default:
                if (!OnLifecycleMessage(message)) Unhandled(message);
                break;
        }
    }

    protected override void OnRegistered()
    {
        if (!_announced) _commander.Tell(new Tcp.Bound(_socket!.LocalEndPoint!), Self);
        _announced = true;
        if (_acceptsAllowed > 0 && !_backingOff) Registration!.Arm(Interest.Accept);
    }

    protected override void OnRegistrationFailed(Exception cause)
    {
        _commander.Tell(new Tcp.CommandFailed(_bind, cause), Self);
        Context.Stop(Self);
    }

    protected override void OnSelectorFailed(SelectorFailed failed)
    {
        if (failed.HandleKept && _socket is not null)
        {
            // The selector restarts with a new poller: register the same listening socket again and keep accepting
            // (connections waiting in the kernel's backlog are not lost).
            Log.Warning("The selector of the listener on {0} failed ({1}); registering the listener again", _localAddress, failed.Cause.Message);
            RegisterAgain(_socket.SafeHandle, Interest.None);
            return;
        }

        Log.Error(failed.Cause, "The selector of the listener on {0} failed; the listener stops", _localAddress);
        Context.Stop(Self);
    }

    private unsafe void AcceptBatch()
    {
        if (_socket is null || Registration is null) return;
        int limit = Math.Min(_settings.BatchAcceptLimit, _acceptsAllowed);
        for (int i = 0; i < limit; i++)
        {
            if (_handshakes is { Full: true } gate && gate.Park())
            {
                // As many TLS handshakes as allowed are under way: the rest wait in the backlog until one ends.
                _parked = true;
                return;
            }

            int fd = Platform.Os == OsFamily.MacOs
                ? Sockets.Accept(_socket.SafeHandle, null, null)
                : Sockets.Accept4(_socket.SafeHandle, null, null, Sockets.Accept4Flags);
            if (fd < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EAGAIN) break;
                if (errno == Errno.EINTR || errno == Errno.ECONNABORTED || errno == Errno.EPERM) continue;
                if (errno == Errno.EMFILE || errno == Errno.ENFILE || errno == Errno.ENOBUFS || errno == Errno.ENOMEM)
                {
                    BackOff(errno);
                    return;
                }

                Log.Error("accept on {0} failed: {1}; retrying after {2}", _localAddress, Errno.Describe(errno), _settings.AcceptBackoffMin);
                BackOff(errno, log: false);
                return;
            }

            if (Platform.Os == OsFamily.MacOs)
            {
                _ = Libc.Fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC);
                _ = Libc.Fcntl(fd, Libc.F_SETFL, Libc.Fcntl(fd, Libc.F_GETFL, 0) | Libc.O_NONBLOCK_MACOS);
            }

            _backoff = TimeSpan.Zero;
            SelectorCounters.Add(ref Selector.Counters.Accepted, 1);
            // Our own handle rather than a SafeSocketHandle: .NET closes a SafeSocketHandle disposed without its Socket abortively
            // (a reset), and the connection keeps no Socket.
            var handle = new FileDescriptorHandle(fd);
            if (_acceptsAllowed != int.MaxValue) _acceptsAllowed--;
            if (!_pool.TryPlace(out Selector? target))
            {
                handle.Dispose();
                if (!_limitLogged)
                {
                    _limitLogged = true;
                    Log.Warning("actors-io.max-channels = {0} reached; closing new connections on {1} until channels close", _pool.Budget.MaxChannels, _localAddress);
                }

                continue;
            }

            _limitLogged = false;
            target.Actor.Tell(Spawn(target, handle), Self);
        }

        if (_acceptsAllowed > 0) Registration.Arm(Interest.Accept);
    }

    /// <summary>Counts a new TLS connection's handshake in; its stage counts it out.</summary>
    private Tls.HandshakeGate EnterHandshakeGate()
    {
        Tls.HandshakeGate gate = _handshakes ??= new Tls.HandshakeGate(_settings.TlsMaxConcurrentHandshakes, Self);
        gate.Enter();
        return gate;
    }

    /// <summary>The connection for an accepted descriptor; with TLS, behind a TLS stage that announces it after the handshake.</summary>
    private SpawnChannel Spawn(Selector target, FileDescriptorHandle handle)
    {
        if (_bind.Tls is not { } tls)
        {
            return new SpawnChannel(TcpIncomingConnection.Props(_settings, target, handle, _bind.Handler, _bind.PullMode, _bind.Options, _proxy), handle, Interest.None);
        }

        return new SpawnChannel(TcpIncomingConnection.Props(_settings, target, handle, _bind.Handler, _bind.PullMode, _bind.Options, _proxy), handle, Interest.None)
        {
            Front = Tls.TlsStage.Props(_settings, target, tls, null, _bind.Handler, null, _bind.PullMode, EnterHandshakeGate()),
            Behind = stage => TcpIncomingConnection.Props(_settings, target, handle, stage, pullMode: false, _bind.Options, _proxy),
        };
    }

    private void BackOff(int errno, bool log = true)
    {
        bool first = _backoff == TimeSpan.Zero;
        _backoff = first ? _settings.AcceptBackoffMin : TimeSpan.FromTicks(Math.Min(_backoff.Ticks * 2, _settings.AcceptBackoffMax.Ticks));
        if (log && first)
        {
            Log.Warning("Accepting on {0} failed: {1}; pausing accepts and retrying every {2} to {3} until descriptors are free", _localAddress, Errno.Describe(errno), _settings.AcceptBackoffMin, _settings.AcceptBackoffMax);
        }

        _backingOff = true;
        SelectorCounters.Add(ref Selector.Counters.AcceptBackoffs, 1);
        // The loop's own timer: out of descriptors, starting Akka's scheduler clock (a new thread) can itself fail.
        ScheduleTellSelf(_backoff, RetryAccept.Instance);
    }

    private sealed class RetryAccept : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly RetryAccept Instance = new();
    }
}
