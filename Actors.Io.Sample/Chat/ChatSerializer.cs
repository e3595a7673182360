using System.Runtime.Serialization;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// A compact binary serializer for the chat's <see cref="IChatMessage"/>s (bound in <c>HOCON/chat-node.conf</c>), so that
/// no message between nodes goes through the reflection-based default serializer.
/// </summary>
internal sealed class ChatSerializer : SerializerWithStringManifest
{
    private const string RegisterManifest = "register";
    private const string RenameManifest = "rename";
    private const string ChangeRoomManifest = "change-room";
    private const string WhoManifest = "who";
    private const string ListRoomsManifest = "list-rooms";
    private const string RegisteredManifest = "registered";
    private const string RenamedManifest = "renamed";
    private const string NameTakenManifest = "name-taken";
    private const string RoomChangedManifest = "room-changed";
    private const string WhoListManifest = "who-list";
    private const string RoomListManifest = "room-list";
    private const string NickRevokedManifest = "nick-revoked";
    private const string ReportSessionsManifest = "report-sessions";
    private const string SessionsReportManifest = "sessions-report";
    private const string RoomMessageManifest = "room-message";

    public ChatSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <summary>The serializer id (unique in the actor system; Akka's own ids are below 100).</summary>
    public override int Identifier => 4711;

    public override string Manifest(object o) => o switch
    {
        Register => RegisterManifest,
        Rename => RenameManifest,
        ChangeRoom => ChangeRoomManifest,
        Who => WhoManifest,
        ListRooms => ListRoomsManifest,
        Registered => RegisteredManifest,
        Renamed => RenamedManifest,
        NameTaken => NameTakenManifest,
        RoomChanged => RoomChangedManifest,
        WhoList => WhoListManifest,
        RoomList => RoomListManifest,
        NickRevoked => NickRevokedManifest,
        ReportSessions => ReportSessionsManifest,
        SessionsReport => SessionsReportManifest,
        RoomMessage => RoomMessageManifest,
        _ => throw new ArgumentException($"{nameof(ChatSerializer)} cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, ChatText.Utf8, leaveOpen: true))
        {
            switch (obj)
            {
                case Register m:
                    WriteRef(w, m.Session);
                    w.Write(m.Room);
                    break;
                case Rename m:
                    WriteRef(w, m.Session);
                    w.Write(m.Nick);
                    w.Write(m.Room);
                    w.Write(m.NewNick);
                    break;
                case ChangeRoom m:
                    WriteRef(w, m.Session);
                    w.Write(m.Nick);
                    w.Write(m.Room);
                    w.Write(m.NewRoom);
                    break;
                case Who m:
                    w.Write(m.Room);
                    break;
                case ListRooms or ReportSessions:
                    break;
                case Registered m:
                    w.Write(m.Nick);
                    break;
                case Renamed m:
                    w.Write(m.Nick);
                    break;
                case NameTaken m:
                    w.Write(m.Nick);
                    break;
                case RoomChanged m:
                    w.Write(m.Room);
                    break;
                case WhoList m:
                    w.Write(m.Room);
                    w.Write(m.Total);
                    w.Write(m.Nicks.Count);
                    foreach (string nick in m.Nicks) w.Write(nick);
                    break;
                case RoomList m:
                    w.Write(m.Rooms.Count);
                    foreach (RoomCount room in m.Rooms)
                    {
                        w.Write(room.Room);
                        w.Write(room.Members);
                    }

                    break;
                case NickRevoked m:
                    w.Write(m.OldNick);
                    w.Write(m.NewNick);
                    break;
                case SessionsReport m:
                    w.Write(m.Last);
                    w.Write(m.Sessions.Count);
                    foreach (SessionEntry entry in m.Sessions)
                    {
                        WriteRef(w, entry.Session);
                        w.Write(entry.Nick);
                        w.Write(entry.Room);
                    }

                    break;
                case RoomMessage m:
                    w.Write(m.Room);
                    WriteRef(w, m.From);
                    w.Write(m.Line.Count);
                    w.Write(m.Line.ToReadOnlySpan());
                    break;
                default:
                    throw new ArgumentException($"{nameof(ChatSerializer)} cannot serialize {obj.GetType()}");
            }
        }

        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes, writable: false), ChatText.Utf8);
        return manifest switch
        {
            RegisterManifest => new Register(ReadRef(r), r.ReadString()),
            RenameManifest => new Rename(ReadRef(r), r.ReadString(), r.ReadString(), r.ReadString()),
            ChangeRoomManifest => new ChangeRoom(ReadRef(r), r.ReadString(), r.ReadString(), r.ReadString()),
            WhoManifest => new Who(r.ReadString()),
            ListRoomsManifest => ListRooms.Instance,
            RegisteredManifest => new Registered(r.ReadString()),
            RenamedManifest => new Renamed(r.ReadString()),
            NameTakenManifest => new NameTaken(r.ReadString()),
            RoomChangedManifest => new RoomChanged(r.ReadString()),
            WhoListManifest => ReadWhoList(r),
            RoomListManifest => new RoomList(ReadList(r, () => new RoomCount(r.ReadString(), r.ReadInt32()))),
            NickRevokedManifest => new NickRevoked(r.ReadString(), r.ReadString()),
            ReportSessionsManifest => ReportSessions.Instance,
            SessionsReportManifest => ReadSessionsReport(r),
            RoomMessageManifest => new RoomMessage(r.ReadString(), ReadRef(r), ByteString.FromBytes(r.ReadBytes(r.ReadInt32()))),
            _ => throw new SerializationException($"{nameof(ChatSerializer)} does not know the manifest '{manifest}'"),
        };
    }

    private static WhoList ReadWhoList(BinaryReader r)
    {
        string room = r.ReadString();
        int total = r.ReadInt32();
        return new WhoList(room, ReadList(r, r.ReadString), total);
    }

    private SessionsReport ReadSessionsReport(BinaryReader r)
    {
        bool last = r.ReadBoolean();
        return new SessionsReport(ReadList(r, () => new SessionEntry(ReadRef(r), r.ReadString(), r.ReadString())), last);
    }

    private static void WriteRef(BinaryWriter w, IActorRef actor) => w.Write(Serialization.SerializedActorPath(actor));

    private IActorRef ReadRef(BinaryReader r) => system.Provider.ResolveActorRef(r.ReadString());

    private static T[] ReadList<T>(BinaryReader r, Func<T> read)
    {
        int count = r.ReadInt32();
        if (count < 0) throw new SerializationException("negative list length");
        var items = new T[count];
        for (int i = 0; i < count; i++) items[i] = read();
        return items;
    }
}
