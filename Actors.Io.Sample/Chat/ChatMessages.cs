using Akka.Actor;
using Akka.IO;

namespace Actors.Io.Sample.Chat;

/// <summary>A message that crosses nodes; <see cref="ChatSerializer"/> writes every one of them.</summary>
internal interface IChatMessage
{
}

// ------------------------------------------------------------ session -> registry (replies go to the sender)
// Every request carries the session's whole state (nick and room), so a registry that lost track of a session (a
// fail-over that missed its node's report) learns it again from the session's next request.

/// <summary>A new client: give it a free <c>guest-N</c> nickname in <see cref="Room"/>. Answer: <see cref="Registered"/>.</summary>
internal sealed record Register(IActorRef Session, string Room) : IChatMessage;

/// <summary>Rename from <see cref="Nick"/> to <see cref="NewNick"/>. Answer: <see cref="Renamed"/> or <see cref="NameTaken"/>.</summary>
internal sealed record Rename(IActorRef Session, string Nick, string Room, string NewNick) : IChatMessage;

/// <summary>Move to <see cref="NewRoom"/>. Answer: <see cref="RoomChanged"/>.</summary>
internal sealed record ChangeRoom(IActorRef Session, string Nick, string Room, string NewRoom) : IChatMessage;

/// <summary>The nicknames in <see cref="Room"/>. Answer: <see cref="WhoList"/>.</summary>
internal sealed record Who(string Room) : IChatMessage;

/// <summary>The rooms with their member counts. Answer: <see cref="RoomList"/>.</summary>
internal sealed class ListRooms : IChatMessage
{
    public static readonly ListRooms Instance = new();

    private ListRooms()
    {
    }
}

// ------------------------------------------------------------ registry -> session

internal sealed record Registered(string Nick) : IChatMessage;

internal sealed record Renamed(string Nick) : IChatMessage;

internal sealed record NameTaken(string Nick) : IChatMessage;

internal sealed record RoomChanged(string Room) : IChatMessage;

/// <summary>The first <see cref="MaxNicks"/> nicknames of a room, and how many there are in all.</summary>
internal sealed record WhoList(string Room, IReadOnlyList<string> Nicks, int Total) : IChatMessage
{
    /// <summary>Keeps the answer (and the line) well under Akka.Remote's frame size.</summary>
    public const int MaxNicks = 1000;
}

internal sealed record RoomCount(string Room, int Members);

internal sealed record RoomList(IReadOnlyList<RoomCount> Rooms) : IChatMessage;

/// <summary>
/// After a registry fail-over two nodes reported the same nickname (a rename raced the fail-over): the later one is
/// renamed to <see cref="NewNick"/>.
/// </summary>
internal sealed record NickRevoked(string OldNick, string NewNick) : IChatMessage;

// ------------------------------------------------------------ registry <-> each node's ChatServer (fail-over)

/// <summary>A new registry asks every node for the named sessions it serves. Answer: one or more <see cref="SessionsReport"/>s.</summary>
internal sealed class ReportSessions : IChatMessage
{
    public static readonly ReportSessions Instance = new();

    private ReportSessions()
    {
    }
}

internal sealed record SessionEntry(IActorRef Session, string Nick, string Room);

/// <summary>
/// Part of a node's answer to <see cref="ReportSessions"/>, at most <see cref="MaxEntries"/> sessions each so that no
/// message passes Akka.Remote's frame size; <see cref="Last"/> marks the end.
/// </summary>
internal sealed record SessionsReport(IReadOnlyList<SessionEntry> Sessions, bool Last) : IChatMessage
{
    public const int MaxEntries = 256;
}

// ------------------------------------------------------------ room traffic (distributed pub/sub)

/// <summary>
/// A message to a room, published on the room's topic. <see cref="Line"/> is the finished line (<c>[room] nick: text\n</c>),
/// formatted once by the sender's session; every receiving session on a node writes the same bytes.
/// <see cref="From"/> lets the sender's own session skip it.
/// </summary>
internal sealed record RoomMessage(string Room, IActorRef From, ByteString Line) : IChatMessage;
