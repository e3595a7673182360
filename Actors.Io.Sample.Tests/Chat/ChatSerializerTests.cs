using Actors.Io.Sample.Chat;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>Every message that crosses nodes goes through <see cref="ChatSerializer"/> and comes back equal.</summary>
public sealed class ChatSerializerTests() : Akka.TestKit.Xunit2.TestKit(ChatNode.LoadConfig())
{
    [Fact]
    public void Every_chat_message_round_trips()
    {
        IActorRef session = CreateTestProbe().Ref;
        object[] messages =
        [
            new Register(session, "lobby"),
            new Rename(session, "guest-1", "lobby", "bob"),
            new ChangeRoom(session, "bob", "lobby", "games"),
            new Who("games"),
            ListRooms.Instance,
            new Registered("guest-7"),
            new Renamed("bob"),
            new NameTaken("bob"),
            new RoomChanged("games"),
            new WhoList("games", ["ann", "bob"], 3),
            new RoomList([new RoomCount("games", 2), new RoomCount("lobby", 5)]),
            new NickRevoked("bob", "guest-9"),
            ReportSessions.Instance,
            new SessionsReport([new SessionEntry(session, "bob", "games")], Last: true),
            new RoomMessage("games", session, ByteString.FromString("[games] bob: hé\n")),
        ];

        foreach (object message in messages)
        {
            Serializer serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<ChatSerializer>(serializer);
            object back = Sys.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier, Serialization.ManifestFor(serializer, message));
            switch (message)
            {
                case WhoList who:
                    Assert.Equal((who.Room, who.Total), (((WhoList)back).Room, ((WhoList)back).Total));
                    Assert.Equal(who.Nicks, ((WhoList)back).Nicks);
                    break;
                case RoomList rooms:
                    Assert.Equal(rooms.Rooms, ((RoomList)back).Rooms);
                    break;
                case SessionsReport report:
                    Assert.Equal(report.Sessions, ((SessionsReport)back).Sessions);
                    Assert.Equal(report.Last, ((SessionsReport)back).Last);
                    break;
                case RoomMessage room:
                    var roomBack = (RoomMessage)back;
                    Assert.Equal((room.Room, room.From), (roomBack.Room, roomBack.From));
                    Assert.Equal(room.Line.ToArray(), roomBack.Line.ToArray());
                    break;
                default:
                    Assert.Equal(message, back);
                    break;
            }
        }
    }
}
