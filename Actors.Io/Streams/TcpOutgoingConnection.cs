using System.Net;
using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>
/// A connection opened by <see cref="Tcp.Connect"/>: resolves a host name without blocking, then connects without
/// blocking to its addresses as RFC 8305 (Happy Eyeballs) says (one attempt per address, the next one started after
/// <c>connection-attempt-delay</c> or at once when one fails, the first to connect wins and the others are closed),
/// tells the commander <see cref="Tcp.Connected"/> and waits for Register. An IP address or a Unix socket is one attempt.
/// <para>
/// Each attempt is a socket of its own, registered with the selector for <see cref="Interest.Connect"/> and holding one
/// place under <c>max-channels</c>: the first uses the connection's place, a concurrent one takes another (within the
/// limit; beyond it, it waits for a running attempt to end). The selector answers registrations in the order they were
/// asked, so the oldest unanswered attempt is the one an answer is for; <see cref="Connectable"/> names no socket, so
/// every attempt under way is asked where it stands. The winner's registration becomes the connection's once every
/// other attempt's registration is answered and closed, so the connection holds only its own from then on.
/// </para>
/// </summary>
internal sealed class TcpOutgoingConnection : TcpConnection
{
    private readonly IActorRef _commander;
    private readonly Tcp.Connect _connect;
    private EndPoint? _target;
    private List<EndPoint>? _candidates;
    private List<Attempt>? _attempts;
    private Attempt? _winner;
    private int _extraPlaces;

    public TcpOutgoingConnection(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect)
        : base(settings, selector, placementHeld: true, connect.PullMode, connect.Options)
    {
        _commander = commander;
        _connect = connect;
    }

    public static Props Props(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect) =>
        new OutgoingProps(settings, selector, commander, connect);

    private sealed class OutgoingProps : ChannelProps
    {
        private readonly TcpSettings _settings;
        private readonly Selector _selector;
        private readonly IActorRef _commander;
        private readonly Tcp.Connect _connect;

        public OutgoingProps(TcpSettings settings, Selector selector, IActorRef commander, Tcp.Connect connect)
            : base(selector, typeof(TcpOutgoingConnection))
        {
            (_settings, _selector, _commander, _connect) = (settings, selector, commander, connect);
        }

#pragma warning disable AK1000 // Akka calls NewActor inside ActorOf: this is the props' factory.
        public override ActorBase NewActor() => new TcpOutgoingConnection(_settings, _selector, _commander, _connect);
#pragma warning restore AK1000
    }

    private string Target => _connect.RemoteAddress switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => _connect.RemoteAddress.ToString() ?? "?",
    };

    private TimeSpan Timeout => _connect.Timeout ?? Settings.ConnectTimeout;

    protected override void PreStart()
    {
        RemoteAddress = _connect.RemoteAddress;
        ScheduleTellSelf(Timeout, ConnectTimedOut.Instance);
        if (StreamSockets.Refusal(_connect.RemoteAddress, _connect.Options, binding: false) is { } refusal)
        {
            Fail(refusal);
            return;
        }

        switch (_connect.RemoteAddress)
        {
            case IPEndPoint or UnixDomainSocketEndPoint:
                Begin([_connect.RemoteAddress]);
                break;
            case DnsEndPoint dns:
                Resolve(dns);
                break;
            default:
                Fail(new NotSupportedException($"Connecting to {_connect.RemoteAddress} ({_connect.RemoteAddress.GetType().Name}) is not supported; use an IPEndPoint, a DnsEndPoint or a UnixDomainSocketEndPoint."));
                break;
        }
    }

    protected override bool OnConnectMessage(object message)
    {
        if (State != ConnectionState.Connecting) return message is Connectable or ConnectTimedOut or AttemptDelayElapsed;
        switch (message)
        {
            case Connectable:
                CheckAttempts();
                return true;
            case ChannelRegistered registered when _attempts is not null:
                Answered().Registered(registered.Registration, this);
                return true;
            case RegistrationFailed failed when _attempts is not null:
                Answered().RegistrationFailed(failed.Cause, this);
                return true;
            case AttemptDelayElapsed elapsed:
                if (_winner is null && elapsed.Started == _attempts?.Count) StartNext(replacing: false);
                return true;
            case ConnectTimedOut:
                Fail(TimedOut());
                return true;
            default:
                return false;
        }
    }

    protected override void OnConnectionRegistered()
    {
        if (State != ConnectionState.Connecting) base.OnConnectionRegistered();
        else Connected();
    }

    protected override void OnDrainDeadlineWhileConnecting() =>
        Fail(new InvalidOperationException($"The drain's deadline passed while connecting to {Target}; Actors.Io is shutting down."));

    protected override void OnErrorClosed(Tcp.ErrorClosed closed)
    {
        if (State == ConnectionState.Connecting) _commander.Tell(new Tcp.CommandFailed(_connect, new SocketException((int)closed.Error)), Self);
    }

    protected override void OnResolved(NameResolution.Resolved resolved)
    {
        if (State != ConnectionState.Connecting || _attempts is not null) return;
        List<IPEndPoint> candidates = resolved.Candidates(_connect.LocalAddress?.AddressFamily);
        if (candidates.Count > 0) Begin(candidates.ConvertAll(c => (EndPoint)c));
        else Fail(resolved.Failure());
    }

    protected override void PostStop()
    {
        DiscardAttempts();
        base.PostStop();
    }

    private void Begin(List<EndPoint> candidates)
    {
        _candidates = candidates;
        _attempts = new List<Attempt>(candidates.Count);
        StartNext(replacing: false);
    }

    /// <summary>
    /// Starts the next address's attempt, and the one after it for each that fails at once. Without a place for it
    /// (max-channels reached) a concurrent attempt waits; one <paramref name="replacing"/> an attempt that just ended takes
    /// the place that one is giving back. With nothing left to try and nothing under way, the connect has failed.
    /// </summary>
    private void StartNext(bool replacing)
    {
        List<EndPoint> candidates = _candidates!;
        List<Attempt> attempts = _attempts!;
        while (attempts.Count < candidates.Count)
        {
            if (!TakePlace(replacing || !attempts.Any(a => a.InPlay))) return;
            var attempt = new Attempt(candidates[attempts.Count]);
            attempts.Add(attempt);
            if (Open(attempt))
            {
                if (attempt.Connected) Win(attempt);
                else if (attempts.Count < candidates.Count) ScheduleTellSelf(Settings.ConnectionAttemptDelay, new AttemptDelayElapsed(attempts.Count));
                return;
            }
        }

        if (!attempts.Any(a => a.InPlay)) Fail(AllFailed(attempts));
    }

    /// <summary>Makes sure this actor holds a place not yet handed to a registration; false when none is to be had.</summary>
    private bool TakePlace(bool overLimit)
    {
        if (PlacementHeld || _extraPlaces > 0) return true;
        if (overLimit) Selector.Budget.TakeUnchecked();
        else if (!Selector.Budget.TryTake()) return false;
        Selector.Placed();
        _extraPlaces++;
        return true;
    }

    /// <summary>Opens the attempt's socket and starts its connect; false when it failed at once (it keeps no place).</summary>
    private bool Open(Attempt attempt)
    {
        EndPoint target = attempt.Target;
        Socket? socket = null;
        try
        {
            socket = StreamSockets.NewStreamSocket(target, dualMode: true);
            foreach (Tcp.SocketOption option in Options) option.BeforeConnect(socket);
            if (_connect.LocalAddress is { } local) socket.Bind(local);
        }
        catch (SocketException e)
        {
            socket?.Dispose();
            attempt.Failed(e.SocketErrorCode, $"failed before connect: {e.Message}");
            return false;
        }

        int errno = StreamSockets.Connect(socket, target);
        if (errno != 0 && errno != Errno.EINPROGRESS && errno != Errno.EINTR)
        {
            socket.Dispose();
            attempt.Failed(Errno.ToSocketError(errno), $"failed: {StreamSockets.DescribeConnectError(target, errno)}");
            return false;
        }

        attempt.Socket = socket;
        attempt.Connected = errno == 0;
        attempt.AwaitingAnswer = true;
        if (!PlacementHeld) _extraPlaces--;
        RegisterChannel(socket.SafeHandle, attempt.Connected ? Interest.None : Interest.Connect);
        return true;
    }

    /// <summary>The attempt a registration answer is for: the oldest one unanswered.</summary>
    private Attempt Answered()
    {
        Attempt attempt = _attempts!.First(a => a.AwaitingAnswer);
        attempt.AwaitingAnswer = false;
        return attempt;
    }

    /// <summary>A connect finished somewhere: each attempt under way says where it stands.</summary>
    private void CheckAttempts()
    {
        // By index: a failed attempt starts the next, which joins the list (unregistered, so skipped here).
        for (int i = 0; _attempts is not null && i < _attempts.Count; i++)
        {
            Attempt attempt = _attempts[i];
            if (!attempt.InPlay || attempt.Registration is null || attempt.Connected) continue;
            int progress = Sockets.ConnectProgress(attempt.Socket!.SafeHandle);
            if (progress == 0 && _winner is null) Win(attempt);
            else if (progress > 0) AttemptFailed(attempt, Errno.ToSocketError(progress), $"failed: {StreamSockets.DescribeConnectError(attempt.Target, progress)}");
            else if (progress < 0) attempt.Registration.Arm(Interest.Connect);
        }

        Complete();
    }

    private void AttemptFailed(Attempt attempt, SocketError error, string why)
    {
        attempt.Failed(error, why);
        attempt.Close();
        if (_winner is null) StartNext(replacing: true);
    }

    private void Win(Attempt winner)
    {
        _winner = winner;
        winner.Connected = true;
        foreach (Attempt attempt in _attempts!)
        {
            if (attempt != winner) attempt.Close();
        }
    }

    /// <summary>Once the winner is registered and every other answer is in, the winner's socket is the connection's.</summary>
    private void Complete()
    {
        Attempt? winner = _winner;
        if (winner?.Registration is null || _attempts is not { } attempts || attempts.Any(a => a.AwaitingAnswer) || State != ConnectionState.Connecting) return;
        ReturnExtraPlaces();
        _attempts = null;
        _candidates = null;
        _target = winner.Target;
        Socket = winner.Socket;
        Handle = winner.Socket!.SafeHandle;
        Adopt(winner.Registration);
        OnRegistered();
    }

    private void DiscardAttempts()
    {
        if (_attempts is not null)
        {
            foreach (Attempt attempt in _attempts) attempt.Close();
        }

        ReturnExtraPlaces();
    }

    private void ReturnExtraPlaces()
    {
        for (; _extraPlaces > 0; _extraPlaces--) Selector.Removed();
    }

    private Exception AllFailed(List<Attempt> attempts)
    {
        if (attempts.Count == 1) return new SocketException((int)attempts[0].Error, $"Connecting to {Target} {attempts[0].Why}");
        return new SocketException(
            (int)attempts[0].Error,
            $"Connecting to {Target} failed on each of its {attempts.Count} addresses: {string.Join("; ", attempts.Select(a => $"{a.Target} {a.Why}"))}");
    }

    private TimeoutException TimedOut()
    {
        string message = $"Connecting to {Target} timed out after {Timeout}";
        if (_candidates is not { Count: > 1 } candidates) return new TimeoutException(message + ".");
        List<Attempt> attempts = _attempts!;
        IEnumerable<string> outcomes = candidates.Select((c, i) =>
            i >= attempts.Count ? $"{c} not tried" : attempts[i].Why is { } why ? $"{c} {why}" : $"{c} got no answer");
        return new TimeoutException($"{message}: {string.Join("; ", outcomes)}.");
    }

    private void Connected()
    {
        Socket socket = Socket!;
        try
        {
            ApplyAfterConnectOptions(socket);
            EndPoint localAddress = LocalEndPointOf(socket, _target!);
            Announce(_commander, new Tcp.Connected(_target!, localAddress));
            SelectorCounters.Add(ref Selector.Counters.Connected, 1);
            Selector.Trace?.Debug("Connected {0} -> {1}", localAddress, _target);
        }
        catch (SocketException e)
        {
            Fail(new SocketException((int)e.SocketErrorCode, $"Connecting to {Target} failed: {e.SocketErrorCode}"));
            return;
        }

        base.OnConnectionRegistered();
    }

    /// <summary>
    /// The local address from <c>getsockname</c>: <see cref="System.Net.Sockets.Socket.LocalEndPoint"/> (and RemoteEndPoint)
    /// stay null for a socket the framework itself neither bound nor connected, as here (connect is a native call).
    /// </summary>
    private static unsafe EndPoint LocalEndPointOf(Socket socket, EndPoint target)
    {
        var address = new SocketAddress(socket.AddressFamily, SocketAddress.GetMaximumAddressSize(socket.AddressFamily));
        int length = address.Buffer.Length;
        int rc;
        fixed (byte* p = address.Buffer.Span)
        {
            rc = Sockets.GetSockName(socket.SafeHandle, p, &length);
        }

        if (rc != 0) throw new SocketException((int)Errno.ToSocketError(Errno.Last));
        address.Size = length;
        return target.Create(address);
    }

    private void Fail(Exception cause)
    {
        _commander.Tell(new Tcp.CommandFailed(_connect, cause), Self);
        DiscardAttempts();
        Abandon();
    }

    /// <summary>One address's connect: its socket from the connect on, its registration once the selector answers.</summary>
    private sealed class Attempt(EndPoint target)
    {
        public EndPoint Target { get; } = target;

        public Socket? Socket { get; set; }

        public IChannelRegistration? Registration { get; private set; }

        /// <summary>The socket was handed to the selector, which has not answered yet.</summary>
        public bool AwaitingAnswer { get; set; }

        public bool Connected { get; set; }

        public bool Closed { get; private set; }

        /// <summary>Why it failed ("failed: ..."); null unless it did.</summary>
        public string? Why { get; private set; }

        public SocketError Error { get; private set; }

        /// <summary>Still able to win: not failed and not closed.</summary>
        public bool InPlay => Why is null && !Closed;

        public void Failed(SocketError error, string why) => (Error, Why) = (error, why);

        public void Registered(IChannelRegistration registration, TcpOutgoingConnection connection)
        {
            Registration = registration;
            if (Closed) registration.Close(Socket);
            connection.Complete();
        }

        public void RegistrationFailed(Exception cause, TcpOutgoingConnection connection)
        {
            // The selector closed the socket and gave its place back.
            if (InPlay) connection.AttemptFailed(this, SocketError.SocketError, $"failed: registering it failed: {cause.Message}");
            connection.Complete();
        }

        /// <summary>Closes the socket (deregistering it first when registered); an unanswered registration fails or is closed when answered.</summary>
        public void Close()
        {
            if (Closed) return;
            Closed = true;
            if (Registration is { } registration) registration.Close(Socket);
            else Socket?.Dispose();
        }
    }

    private sealed class ConnectTimedOut : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        public static readonly ConnectTimedOut Instance = new();
    }

    /// <summary>The attempt delay after the <see cref="Started"/>th attempt is over.</summary>
    private sealed record AttemptDelayElapsed(int Started) : INoSerializationVerificationNeeded, IDeadLetterSuppression;
}
