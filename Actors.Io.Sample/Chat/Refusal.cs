using Akka.Actor;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// Answers one client that arrives past <c>chat.max-clients</c>: writes <see cref="ChatText.ServerFull"/>, half-closes, and
/// discards what the client still sends until it closes its side too. Closing over unread input would reset the
/// connection, and a reset can discard the answer before the client has read it. A client that keeps its side open
/// for <see cref="ChatServer.RefusalLinger"/>, or sends more than <see cref="MaxDiscardedBytes"/> meanwhile, is aborted.
/// </summary>
internal sealed class Refusal : ReceiveActor, IWithTimers
{
    /// <summary>The most input a refused client may send before it is cut off.</summary>
    public const int MaxDiscardedBytes = 256 * 1024;

    private readonly IActorRef _connection;
    private long _discarded;
    private bool _closed;

    public Refusal(IActorRef connection)
    {
        _connection = connection;
        Receive<Tcp.Received>(received =>
        {
            _discarded += received.Data.Count;
            if (_discarded > MaxDiscardedBytes) Abort();
        });
        Receive<Tcp.PeerClosed>(_ => { }); // the client is done sending; the close below still sends the answer first
        Receive<Tcp.ConnectionClosed>(_ =>
        {
            _closed = true;
            Context.Stop(Self);
        });
        Receive<Tcp.CommandFailed>(_ => { }); // a command the connection refused while ending: it is closing anyway
        Receive<LingerExpired>(_ => Abort());
    }

    /// <summary>Set by Akka.</summary>
    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new Refusal(connection));

    protected override void PreStart()
    {
        // Kept open on the client's EOF: a client that sends and half-closes at once must still get the answer.
        _connection.Tell(new Tcp.Register(Self, keepOpenOnPeerClosed: true));
        _connection.Tell(Tcp.Write.Create(ChatText.Line(ChatText.ServerFull)));
        _connection.Tell(Tcp.ConfirmedClose.Instance);
        Timers.StartSingleTimer(LingerExpired.Instance, LingerExpired.Instance, ChatServer.RefusalLinger);
    }

    // Stopped with the server or the system: abort rather than leave the connection to find its handler gone.
    protected override void PostStop()
    {
        if (!_closed) _connection.Tell(Tcp.Abort.Instance);
    }

    private void Abort()
    {
        _connection.Tell(Tcp.Abort.Instance);
        _closed = true;
        Context.Stop(Self);
    }

    private sealed class LingerExpired
    {
        public static readonly LingerExpired Instance = new();
    }
}
