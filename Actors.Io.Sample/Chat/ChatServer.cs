using System.Net;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// A node's chat front door (<c>/user/chat</c>): binds the chat port with Actors.Io, starts a <see cref="ClientSession"/>
/// per connection up to <c>chat.max-clients</c> (one more gets <see cref="ChatText.ServerFull"/> and is closed), knows the
/// named sessions of this node (for the registry's <see cref="ReportSessions"/>), passes <see cref="ClusterNotices"/>'
/// lines on to every client. Shutting down is Actors.Io's drain, which CoordinatedShutdown runs before the node leaves
/// the cluster: the listener closes (this actor hears <see cref="Tcp.Unbound"/>) and every session hears
/// <see cref="Tcp.Draining"/>, says goodbye and closes.
/// </summary>
internal sealed class ChatServer : ReceiveActor
{
    /// <summary>The actor's name, the same on every node: the registry finds the servers by it.</summary>
    public const string ActorName = "chat";

    private readonly Tcp.TlsServerSettings? _tls;
    private readonly ChatSettings _settings;
    private readonly IActorRef _registry;
    private readonly IActorRef _mediator;
    private readonly string _node;
    private readonly Tcp.IdleTimeout _idleTimeout;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IActorRef, SessionState> _sessions = [];
    private readonly HashSet<IActorRef> _clients = [];
    private readonly List<IActorRef> _bindingWaiters = [];
    private Binding? _binding;
    private long _connections;
    private bool _full;

    public ChatServer(ChatSettings settings, IActorRef registry, IActorRef mediator, string node, Tcp.TlsServerSettings? tls = null)
    {
        _settings = settings;
        _tls = tls;
        _idleTimeout = new Tcp.IdleTimeout(reader: settings.IdleTimeout);
        _registry = registry;
        _mediator = mediator;
        _node = node;

        Receive<Tcp.Bound>(bound =>
        {
            Answer(new Binding((IPEndPoint)bound.LocalAddress, null));
            _log.Info("Chat clients connect to {0}", bound.LocalAddress);
        });
        Receive<Tcp.CommandFailed>(failed => failed.Cmd is Tcp.Bind, failed =>
        {
            string reason = $"cannot listen on {((Tcp.Bind)failed.Cmd).LocalAddress}: {failed.Cause?.Message}";
            _log.Error("Chat server {0}", reason);
            Answer(new Binding(null, reason));
        });
        Receive<GetClients>(_ => Sender.Tell(new Clients([.. _clients])));
        Receive<GetBinding>(_ =>
        {
            if (_binding is null) _bindingWaiters.Add(Sender);
            else Sender.Tell(_binding);
        });
        Receive<Tcp.Connected>(OnConnected);
        Receive<SessionState>(state => _sessions[Sender] = state);
        Receive<ReportSessions>(_ => Report(Sender));
        Receive<ClientSession.Notice>(notice =>
        {
            foreach (IActorRef client in _clients) client.Tell(notice);
        });
        Receive<Terminated>(terminated =>
        {
            _sessions.Remove(terminated.ActorRef);
            if (_clients.Remove(terminated.ActorRef)) _full = false;
        });
        Receive<Tcp.ConnectionClosed>(_ => { }); // a connection refused or aborted (above) confirms its close
        Receive<Tcp.Unbound>(_ => _log.Info("Chat server stopped accepting clients"));
        Receive<Tcp.Draining>(_ => { }); // a refused connection's, already closing
    }

    public static Props Props(ChatSettings settings, IActorRef registry, IActorRef mediator, string node, Tcp.TlsServerSettings? tls = null) =>
        Akka.Actor.Props.Create(() => new ChatServer(settings, registry, mediator, node, tls));

    protected override void PreStart()
    {
        // No Tcp.SO.ReuseAddress: on Linux .NET turns it into SO_REUSEADDR and SO_REUSEPORT, and a second node started on
        // the same port would then share it silently instead of failing.
        IEnumerable<Tcp.SocketOption> options = _settings.SendBufferSize is { } size ? [new Tcp.SO.SendBufferSize(size)] : [];
        Context.System.Io().Tell(new Tcp.Bind(Self, new IPEndPoint(_settings.Host, _settings.Port), options: options, tls: _tls));
    }

    private void OnConnected(Tcp.Connected connected)
    {
        // Accepted just before the listener closed, its session hears Draining when it registers, and says goodbye.
        IActorRef connection = Sender;
        if (_clients.Count >= _settings.MaxClients)
        {
            if (!_full) _log.Warning("Chat server full ({0} clients, chat.max-clients): refusing new clients until one leaves", _clients.Count);
            _full = true;

            // One line, then a plain Close: what the client sent meanwhile is never read, and Actors.Io's close discards it
            // (actors-io.tcp.close-linger) rather than reset the connection over it, so the line reaches the client.
            // Kept open on the client's EOF, so a client that sends and half-closes at once still gets the line.
            connection.Tell(Tcp.SuspendReading.Instance);
            connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true));
            connection.Tell(Tcp.Write.Create(ChatText.Line(ChatText.ServerFull)));
            connection.Tell(Tcp.Close.Instance);
            return;
        }

        IActorRef session = Context.ActorOf(
            ClientSession.Props(connection, connected.RemoteAddress, _settings, _registry, _mediator, _node),
            "client-" + ++_connections);
        Context.Watch(session);
        _clients.Add(session);
        // Keep the connection open after the client's EOF: answers to its last commands still go out, then the session closes.
        // A client that sends nothing for chat.idle-timeout is told so (Tcp.Idle) and the session says goodbye.
        connection.Tell(new Tcp.Register(session, keepOpenOnPeerClosed: true, idleTimeout: _idleTimeout));
    }

    /// <summary>Tells <paramref name="registry"/> this node's named sessions, in parts that each fit a remote message.</summary>
    private void Report(IActorRef registry)
    {
        SessionEntry[] all = [.. _sessions.Select(s => new SessionEntry(s.Key, s.Value.Nick, s.Value.Room))];
        for (int start = 0; ; start += SessionsReport.MaxEntries)
        {
            int end = Math.Min(all.Length, start + SessionsReport.MaxEntries);
            registry.Tell(new SessionsReport(all[start..end], Last: end == all.Length));
            if (end == all.Length) break;
        }
    }

    private void Answer(Binding binding)
    {
        _binding = binding;
        foreach (IActorRef waiter in _bindingWaiters) waiter.Tell(binding);
        _bindingWaiters.Clear();
    }

    /// <summary>Asks for the result of binding the chat port.</summary>
    public sealed class GetBinding
    {
        public static readonly GetBinding Instance = new();
    }

    /// <summary>Asks for the sessions this node serves now. Answer: <see cref="Clients"/>.</summary>
    public sealed class GetClients
    {
        public static readonly GetClients Instance = new();
    }

    /// <summary>The client sessions this node serves, at the moment it was asked.</summary>
    public sealed record Clients(IReadOnlyList<IActorRef> Sessions);

    /// <summary>The chat port's address, or why it could not be bound.</summary>
    public sealed record Binding(IPEndPoint? Address, string? Failure);

    /// <summary>A session's nickname and room, sent by the session whenever they change.</summary>
    public sealed record SessionState(string Nick, string Room);
}
