using System.Net;
using System.Text.Unicode;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Event;
using Akka.IO;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// One chat client: the handler of its TCP connection. It splits the input into lines, answers commands (asking the
/// <see cref="ChatRegistry"/> where the cluster must agree), publishes messages to its room's topic and writes the
/// room's messages from others to the client.
/// <para>
/// An idle session holds no buffer, timer or logger: those exist only while a line is incomplete, a request is out, or
/// something is logged.
/// </para>
/// <para>
/// Names are this actor's state, set only by the registry's answers; a message's text is never parsed for a name.
/// </para>
/// <para>
/// Commands run one at a time and in order: while the registry is asked, the connection's reading is suspended and the
/// rest of the received bytes wait in the <see cref="LineReader"/>, so "/nick bob" followed by "hi" is sent as bob.
/// </para>
/// <para>
/// Output flow control: writes carry no ack; the connection queues what the kernel does not take, up to
/// <c>actors-io.tcp.max-pending-write-bytes</c>. A client that stops reading fills its socket buffers and then that queue;
/// the write past the limit is NACKed (<see cref="Tcp.CommandFailed"/>) and the client is dropped (aborted) with a warning.
/// So a stuck client costs at most that limit plus its kernel buffers, and nobody waits for it: publishing never blocks.
/// </para>
/// </summary>
internal sealed class ClientSession : UntypedActor
{
    private readonly IActorRef _connection;
    private readonly EndPoint _remote;
    private readonly ChatSettings _settings;
    private readonly IActorRef _registry;
    private readonly IActorRef _mediator;
    private readonly string _node;
    private readonly LineReader _reader;
    private string _nick = string.Empty;
    private string _room = ChatText.Lobby;
    private Pending _pending = Pending.Register;
    private Queue<ByteString>? _backlog;
    private int _requestId;
    private bool _readingSuspended;
    private bool _peerClosed;
    private bool _closing;
    private ICancelable? _requestTimer;
    private ICancelable? _closeTimer;

    public ClientSession(IActorRef connection, EndPoint remote, ChatSettings settings, IActorRef registry, IActorRef mediator, string node)
    {
        _connection = connection;
        _remote = remote;
        _settings = settings;
        _registry = registry;
        _mediator = mediator;
        _node = node;
        _reader = new LineReader(settings.MaxLineBytes);
    }

    public static Props Props(IActorRef connection, EndPoint remote, ChatSettings settings, IActorRef registry, IActorRef mediator, string node) =>
        Akka.Actor.Props.Create(() => new ClientSession(connection, remote, settings, registry, mediator, node));

    /// <summary>A line about the cluster for the client (a node not responding, leaving or lost), from the <see cref="ChatServer"/>.</summary>
    public sealed record Notice(string Line);

    /// <summary>Asks how many received bytes the session holds (an incomplete line, input waiting for a command to finish). Answer: <see cref="BufferedInput"/>.</summary>
    public sealed class GetBufferedInput
    {
        public static readonly GetBufferedInput Instance = new();
    }

    /// <summary>The received bytes a session holds.</summary>
    public sealed record BufferedInput(long Bytes);

    private enum Pending
    {
        None,
        Register,
        Rename,
        ChangeRoom,
        Greet,
        Join,
        Who,
        Rooms,
    }

    protected override void PreStart()
    {
        // Nothing is read until the registry has named this client.
        SuspendReading();
        Ask(Pending.Register, new Register(Self, ChatText.Lobby));
    }

    protected override void PostStop()
    {
        _requestTimer?.Cancel();
        _closeTimer?.Cancel();
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Tcp.Received when _closing:
                // Read before the close took effect: nothing more is answered.
                break;
            case Tcp.Received received:
                if (_reader.HasInput || _pending != Pending.None)
                {
                    // Read before the suspension took effect: kept in order, at most a few reads' worth.
                    (_backlog ??= new Queue<ByteString>()).Enqueue(received.Data);
                }
                else
                {
                    _reader.Feed(received.Data);
                }

                ProcessInput();
                break;
            case RoomMessage room:
                if (room.Room == _room && !room.From.Equals(Self) && !_closing) Write(room.Line);
                break;
            case Registered registered when _pending == Pending.Register:
                _nick = registered.Nick;
                ReportState();
                _pending = Pending.Greet;
                _mediator.Tell(new Subscribe(ChatText.Topic(_room), Self));
                break;
            case SubscribeAck when _pending == Pending.Greet:
                WriteLine(ChatText.Greeting(_nick, _node));
                Done();
                break;
            case SubscribeAck when _pending == Pending.Join:
                WriteLine($"OK you are in {_room}");
                Done();
                break;
            case Renamed renamed:
                // The registry's word is final even when it comes after the request timed out.
                _nick = renamed.Nick;
                ReportState();
                if (_pending == Pending.Rename)
                {
                    WriteLine($"OK you are {_nick}");
                    Done();
                }
                else
                {
                    WriteLine(ChatText.NoticeRenamed(_nick));
                }

                break;
            case NameTaken taken when _pending == Pending.Rename:
                WriteLine($"ERR nickname {taken.Nick} is taken");
                Done();
                break;
            case RoomChanged changed:
                MoveTo(changed.Room);
                break;
            case WhoList who when _pending == Pending.Who:
                WriteLine(who.Total > who.Nicks.Count
                    ? $"WHO {who.Room}: {string.Join(", ", who.Nicks)} and {who.Total - who.Nicks.Count} more"
                    : $"WHO {who.Room}: {string.Join(", ", who.Nicks)}");
                Done();
                break;
            case RoomList rooms when _pending == Pending.Rooms:
                WriteLine(rooms.Rooms.Count == 0 ? "ROOMS" : $"ROOMS {string.Join(", ", rooms.Rooms.Select(r => $"{r.Room} ({r.Members})"))}");
                Done();
                break;
            case NickRevoked revoked:
                _nick = revoked.NewNick;
                ReportState();
                WriteLine(ChatText.NoticeNickRevoked(revoked.OldNick, _nick));
                break;
            case RequestTimedOut timedOut when timedOut.Id == _requestId && _pending != Pending.None:
                OnRequestTimedOut();
                break;
            case Tcp.CommandFailed { Cmd: Tcp.WriteCommand } when !_closing:
                Context.GetLogger().Warning(
                    "Dropping client {0} ({1}): it is not reading and its unsent output passed actors-io.tcp.max-pending-write-bytes",
                    _nick.Length > 0 ? _nick : "(unnamed)",
                    _remote);
                _closing = true;
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.Idle when !_closing:
                Context.GetLogger().Info("Dropping client {0} ({1}): it sent nothing for {2} (chat.idle-timeout)", _nick.Length > 0 ? _nick : "(unnamed)", _remote, _settings.IdleTimeout);
                WriteLine(ChatText.IdleBye(_settings.IdleTimeout));
                Close();
                break;
            case Tcp.PeerClosed:
                _peerClosed = true;
                if (_pending == Pending.None && !_reader.HasInput) Close();
                break;
            case Tcp.ConnectionClosed:
                Context.Stop(Self);
                break;
            case Tcp.Draining:
                // Actors.Io's drain on shutdown (CoordinatedShutdown): say goodbye and close.
                if (!_closing)
                {
                    WriteLine("BYE the server is shutting down");
                    Close();
                }

                break;
            case Notice notice:
                WriteLine(notice.Line);
                break;
            case GetBufferedInput:
                Sender.Tell(new BufferedInput(_reader.BufferedBytes + (_backlog?.Sum(b => (long)b.Count) ?? 0)));
                break;
            case CloseTimedOut:
                _connection.Tell(Tcp.Abort.Instance);
                break;
            case Tcp.CommandFailed:
            case Tcp.Idle:
            case RequestTimedOut:
            case SubscribeAck:
            case UnsubscribeAck:
            case Registered:
            case NameTaken:
            case WhoList:
            case RoomList:
                // Late or duplicate answers to something already answered or timed out.
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void ProcessInput()
    {
        while (_pending == Pending.None && !_closing)
        {
            LineStatus status = _reader.Next(out ReadOnlySpan<byte> line);
            if (status == LineStatus.NeedMore)
            {
                if (_backlog is not { Count: > 0 }) break;
                _reader.Feed(_backlog.Dequeue());
                continue;
            }

            if (status == LineStatus.TooLong) WriteLine($"ERR line longer than {_settings.MaxLineBytes} bytes; discarded");
            else if (!Utf8.IsValid(line)) WriteLine("ERR invalid UTF-8; line discarded");
            else OnLine(ChatText.Utf8.GetString(line));
        }

        if (_pending != Pending.None || _closing) return;
        if (_peerClosed) Close();
        else if (_readingSuspended)
        {
            _readingSuspended = false;
            _connection.Tell(Tcp.ResumeReading.Instance);
        }
    }

    private void OnLine(string line)
    {
        if (line.Length == 0 || line.StartsWith("//", StringComparison.Ordinal))
        {
            if (line.Length > 0) Say(line[1..]);
            return;
        }

        if (line[0] != '/')
        {
            Say(line);
            return;
        }

        string[] words = line[1..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        string command = words.Length > 0 ? words[0].ToLowerInvariant() : string.Empty;
        switch (command)
        {
            case "nick" or "join" when words.Length != 2:
                WriteLine($"ERR /{command} needs one {(command == "nick" ? "NAME" : "ROOM")}");
                break;
            case "nick" when !ChatText.IsValidName(words[1]):
                WriteLine(ChatText.BadName("name", words[1]));
                break;
            case "nick" when words[1] == _nick:
                WriteLine($"OK you are {_nick}");
                break;
            case "nick":
                Ask(Pending.Rename, new Rename(Self, _nick, _room, words[1]));
                break;
            case "join" when !ChatText.IsValidName(words[1]):
                WriteLine(ChatText.BadName("room", words[1]));
                break;
            case "join" when ChatText.NormalizeRoom(words[1]) == _room:
                WriteLine($"OK you are in {_room}");
                break;
            case "join":
                Ask(Pending.ChangeRoom, new ChangeRoom(Self, _nick, _room, ChatText.NormalizeRoom(words[1])));
                break;
            case "who" or "rooms" or "quit" or "help" when words.Length > 1:
                WriteLine($"ERR /{command} takes no argument");
                break;
            case "who":
                Ask(Pending.Who, new Who(_room));
                break;
            case "rooms":
                Ask(Pending.Rooms, ListRooms.Instance);
                break;
            case "quit":
                WriteLine("BYE");
                Close();
                break;
            case "help":
                foreach (string help in ChatText.Help(_settings.MaxLineBytes)) WriteLine(help);
                break;
            default:
                WriteLine($"ERR unknown command /{ChatText.Sanitize(command.Length > 0 ? words[0] : string.Empty)}; /help lists the commands");
                break;
        }
    }

    /// <summary>A message: every other member of the room, on any node, receives the line; the sender nothing.</summary>
    private void Say(string text)
    {
        if (text.Length == 0) return;
        _mediator.Tell(new Publish(ChatText.Topic(_room), new RoomMessage(_room, Self, ChatText.MessageLine(_room, _nick, text))));
    }

    private void Ask(Pending pending, object request)
    {
        _pending = pending;
        _requestId++;
        SuspendReading();
        _registry.Tell(request, Self);
        _requestTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(_settings.RegistryTimeout, Self, new RequestTimedOut(_requestId), Self);
    }

    private void MoveTo(string room)
    {
        string old = _room;
        if (room == old) return;
        _room = room;
        ReportState();
        _mediator.Tell(new Unsubscribe(ChatText.Topic(old), Self));
        _mediator.Tell(new Subscribe(ChatText.Topic(room), Self));
        if (_pending == Pending.ChangeRoom)
        {
            // Answered once the subscription is in place, so the room's messages reach the client from then on.
            _pending = Pending.Join;
        }
        else
        {
            // A late answer (the request had timed out): the registry's word is final, follow it.
            WriteLine(ChatText.NoticeMoved(room));
        }
    }

    private void OnRequestTimedOut()
    {
        if (_pending is Pending.Register or Pending.Greet)
        {
            Context.GetLogger().Warning("No answer from the chat registry within {0} for client {1}; closing it", _settings.RegistryTimeout, _remote);
            // A plain Close: the input the client typed meanwhile is unread, and Actors.Io's close discards it rather than
            // reset the connection over it, so this line reaches the client.
            WriteLine(ChatText.NotAvailable);
            Close();
            return;
        }

        WriteLine("ERR no answer from the cluster in time; try again");
        Done();
    }

    private void Done()
    {
        _pending = Pending.None;
        _requestTimer?.Cancel();
        _requestTimer = null;
        ProcessInput();
    }

    private void ReportState() => Context.Parent.Tell(new ChatServer.SessionState(_nick, _room));

    private void SuspendReading()
    {
        if (_readingSuspended) return;
        _readingSuspended = true;
        _connection.Tell(Tcp.SuspendReading.Instance);
    }

    private void WriteLine(string text) => Write(ChatText.Line(text));

    private void Write(ByteString line)
    {
        if (!_closing) _connection.Tell(Tcp.Write.Create(line));
    }

    private void Close()
    {
        if (_closing) return;
        _closing = true;
        _connection.Tell(Tcp.Close.Instance);
        _closeTimer = Context.System.Scheduler.ScheduleTellOnceCancelable(_settings.GoodbyeTimeout, Self, CloseTimedOut.Instance, Self);
    }

    private sealed record RequestTimedOut(int Id);

    private sealed class CloseTimedOut
    {
        public static readonly CloseTimedOut Instance = new();
    }
}
