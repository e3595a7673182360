using System.Net;
using Actors.Io.Sample.Chat;
using Actors.Io.TestKit;
using Akka.Actor;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>
/// The chat session by messages, without sockets or a cluster: its connection is the test kit's
/// <see cref="TestConnection"/>, its registry, mediator and parent (the <see cref="ChatServer"/>) are probes. The
/// socket tests (<see cref="ChatClusterTests"/>, <see cref="ChatBadInputTests"/>) cover the same session end to end.
/// </summary>
public sealed class ClientSessionTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output: output)
{
    private const string Node = "node-a";
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);
    private static readonly IPEndPoint Remote = new(IPAddress.Loopback, 40001);

    private static readonly ChatSettings Settings = new(
        IPAddress.Loopback,
        Port: 0,
        MaxLineBytes: 64,
        RegistryTimeout: TimeSpan.FromSeconds(10),
        RecoveryTimeout: TimeSpan.FromSeconds(3),
        GoodbyeTimeout: TimeSpan.FromSeconds(10),
        SendBufferSize: null,
        MaxClients: 10,
        IdleTimeout: TimeSpan.FromMinutes(30));

    [Fact]
    public void A_client_that_sends_nothing_for_the_idle_timeout_is_told_why_and_closed()
    {
        var idle = new Tcp.IdleTimeout(reader: Settings.IdleTimeout);
        Client client = Start(connectionSettings: TestConnectionSettings.Default with { IdleTimeout = idle });
        client.Connection.ElapseIdle(TimeSpan.FromMinutes(29));
        client.Connection.ExpectNoWrite(Quiet);
        client.Connection.ElapseIdle(TimeSpan.FromMinutes(1));
        client.ExpectLine("BYE idle for 30 minutes");
        client.Connection.ExpectClosedWith<Tcp.Closed>(TimeSpan.FromSeconds(5));
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void Nothing_is_read_until_the_registry_named_the_client_and_the_lobby_subscription_is_in_place()
    {
        Client client = Start(greet: false);
        Assert.Equal(ChatText.Lobby, client.Registry.ExpectMsg<Register>().Room);
        client.Send("/help");
        client.Connection.ExpectNoWrite(Quiet);

        client.Registry.Reply(new Registered("guest-7"));
        Assert.Equal(new ChatServer.SessionState("guest-7", ChatText.Lobby), client.Parent.ExpectMsg<ChatServer.SessionState>());
        var subscribe = client.Mediator.ExpectMsg<Subscribe>();
        Assert.Equal(ChatText.Topic(ChatText.Lobby), subscribe.Topic);
        client.Connection.ExpectNoWrite(Quiet);

        client.Mediator.Reply(new SubscribeAck(subscribe));
        client.ExpectLine(ChatText.Greeting("guest-7", Node));
        foreach (string help in ChatText.Help(Settings.MaxLineBytes)) client.ExpectLine(help);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void Nick_asks_the_registry_and_answers_with_its_word()
    {
        Client client = Start();
        client.Send("/nick bob");
        Rename rename = client.Registry.ExpectMsg<Rename>();
        Assert.Equal(("guest-1", ChatText.Lobby, "bob"), (rename.Nick, rename.Room, rename.NewNick));
        client.Registry.Reply(new Renamed("bob"));
        client.ExpectLine("OK you are bob");
        Assert.Equal(new ChatServer.SessionState("bob", ChatText.Lobby), client.Parent.ExpectMsg<ChatServer.SessionState>());

        client.Send("/nick alice");
        client.Registry.ExpectMsg<Rename>();
        client.Registry.Reply(new NameTaken("alice"));
        client.ExpectLine("ERR nickname alice is taken");

        client.Send("/nick bob");
        client.ExpectLine("OK you are bob");
        client.Registry.ExpectNoMsg(Quiet);
        client.Connection.AssertNoViolations();
    }

    [Theory]
    [InlineData("/nick", "ERR /nick needs one NAME")]
    [InlineData("/nick a b", "ERR /nick needs one NAME")]
    [InlineData("/nick b@d", "ERR bad name 'b@d': use 1 to 32 letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/nick abcdefghijklmnopqrstuvwxyz0123456", "ERR bad name 'abcdefghijklmnopqrstuvwxyz0123456': use 1 to 32 letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/join", "ERR /join needs one ROOM")]
    [InlineData("/join no/way", "ERR bad room 'no/way': use 1 to 32 letters (a-z, A-Z), digits, _ or -")]
    [InlineData("/join LOBBY", "OK you are in lobby")]
    [InlineData("/who now", "ERR /who takes no argument")]
    [InlineData("/quit later", "ERR /quit takes no argument")]
    [InlineData("/dance", "ERR unknown command /dance; /help lists the commands")]
    [InlineData("/", "ERR unknown command /; /help lists the commands")]
    public void Bad_commands_and_a_join_to_the_same_room_are_answered_without_asking_the_registry(string line, string answer)
    {
        Client client = Start();
        client.Send(line);
        client.ExpectLine(answer);
        client.Registry.ExpectNoMsg(Quiet);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void Join_moves_the_subscription_and_answers_once_the_new_one_is_in_place()
    {
        Client client = Start();
        client.Send("/join Games");
        ChangeRoom change = client.Registry.ExpectMsg<ChangeRoom>();
        Assert.Equal(("guest-1", ChatText.Lobby, "games"), (change.Nick, change.Room, change.NewRoom));
        client.Registry.Reply(new RoomChanged("games"));
        Assert.Equal(ChatText.Topic(ChatText.Lobby), client.Mediator.ExpectMsg<Unsubscribe>().Topic);
        var subscribe = client.Mediator.ExpectMsg<Subscribe>();
        Assert.Equal(ChatText.Topic("games"), subscribe.Topic);
        client.Connection.ExpectNoWrite(Quiet);

        client.Mediator.Reply(new SubscribeAck(subscribe));
        client.ExpectLine("OK you are in games");
        Assert.Equal(new ChatServer.SessionState("guest-1", "games"), client.Parent.ExpectMsg<ChatServer.SessionState>());

        // Only the new room's messages reach the client.
        IActorRef other = CreateTestProbe().Ref;
        client.Session.Tell(new RoomMessage(ChatText.Lobby, other, ChatText.MessageLine(ChatText.Lobby, "ann", "old room")));
        client.Session.Tell(new RoomMessage("games", other, ChatText.MessageLine("games", "ann", "new room")));
        client.ExpectLine("[games] ann: new room");
        client.Connection.ExpectNoWrite(Quiet);
    }

    [Fact]
    public void Who_and_rooms_list_the_registrys_answer()
    {
        Client client = Start();
        client.Send("/who");
        Assert.Equal(ChatText.Lobby, client.Registry.ExpectMsg<Who>().Room);
        client.Registry.Reply(new WhoList(ChatText.Lobby, ["ann", "guest-1"], 5));
        client.ExpectLine("WHO lobby: ann, guest-1 and 3 more");

        client.Send("/rooms");
        client.Registry.ExpectMsg<ListRooms>();
        client.Registry.Reply(new RoomList([new RoomCount(ChatText.Lobby, 2), new RoomCount("games", 1)]));
        client.ExpectLine("ROOMS lobby (2), games (1)");

        client.Send("/rooms");
        client.Registry.ExpectMsg<ListRooms>();
        client.Registry.Reply(new RoomList([]));
        client.ExpectLine("ROOMS");
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void A_message_is_published_to_the_room_and_the_senders_own_copy_is_not_written_back()
    {
        Client client = Start();
        client.Send("hello all");
        client.Send("//slash first");
        var publish = client.Mediator.ExpectMsg<Publish>();
        Assert.Equal(ChatText.Topic(ChatText.Lobby), publish.Topic);
        var message = Assert.IsType<RoomMessage>(publish.Message);
        Assert.Equal(client.Session, message.From);
        Assert.Equal("[lobby] guest-1: hello all\n", message.Line.ToString());
        Assert.Equal("[lobby] guest-1: /slash first\n", ((RoomMessage)client.Mediator.ExpectMsg<Publish>().Message).Line.ToString());

        client.Session.Tell(message);
        client.Session.Tell(new RoomMessage(ChatText.Lobby, CreateTestProbe().Ref, ChatText.MessageLine(ChatText.Lobby, "ann", "hi guest")));
        client.ExpectLine("[lobby] ann: hi guest");
        client.Connection.ExpectNoWrite(Quiet);
    }

    [Fact]
    public void Commands_run_in_order_so_a_message_after_nick_goes_out_under_the_new_name()
    {
        Client client = Start();
        client.Connection.PushReceived("/nick bob\nhi\n");
        client.Registry.ExpectMsg<Rename>();
        client.Mediator.ExpectNoMsg(Quiet);

        client.Registry.Reply(new Renamed("bob"));
        client.ExpectLine("OK you are bob");
        Assert.Equal("[lobby] bob: hi\n", ((RoomMessage)client.Mediator.ExpectMsg<Publish>().Message).Line.ToString());
    }

    [Fact]
    public void A_line_over_the_limit_or_not_utf8_is_refused_and_the_next_line_is_read()
    {
        Client client = Start();
        client.Connection.PushReceived(new string('x', Settings.MaxLineBytes + 1) + "\n");
        client.ExpectLine($"ERR line longer than {Settings.MaxLineBytes} bytes; discarded");
        client.Connection.PushReceived(new byte[] { 0xC3, 0x28, (byte)'\n' });
        client.ExpectLine("ERR invalid UTF-8; line discarded");

        // A line of exactly the limit, split across reads, is a line.
        string longest = new('y', Settings.MaxLineBytes);
        client.Connection.PushReceived(longest[..10]);
        client.Connection.PushReceived(longest[10..] + "\n");
        Assert.Equal($"[lobby] guest-1: {longest}\n", ((RoomMessage)client.Mediator.ExpectMsg<Publish>().Message).Line.ToString());
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void A_client_that_stops_reading_is_aborted_once_its_unsent_output_passes_the_bound()
    {
        Client client = Start(connectionSettings: TestConnectionSettings.Default with { MaxPendingWriteBytes = 100 });
        client.Connection.HoldWrites();
        IActorRef other = CreateTestProbe().Ref;
        string text = new('z', 50);
        for (int i = 0; i < 3; i++) client.Session.Tell(new RoomMessage(ChatText.Lobby, other, ChatText.MessageLine(ChatText.Lobby, "ann", text)));

        // The first line waits for the kernel; the second would pass the bound and is NACKed.
        client.ExpectLine($"[lobby] ann: {text}");
        client.Connection.ExpectClosedWith<Tcp.Aborted>();
        ExpectTerminated(client.Session);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void A_slow_client_that_catches_up_before_the_bound_stays()
    {
        Client client = Start(connectionSettings: TestConnectionSettings.Default with { MaxPendingWriteBytes = 100 });
        client.Connection.HoldWrites();
        IActorRef other = CreateTestProbe().Ref;
        for (int i = 0; i < 3; i++)
        {
            client.Session.Tell(new RoomMessage(ChatText.Lobby, other, ChatText.MessageLine(ChatText.Lobby, "ann", $"{i}{new string('z', 50)}")));
            client.Connection.ExpectWrite();
            client.Connection.AckPending();
        }

        client.Connection.ReleaseWrites();
        client.Send("/nick bob");
        client.Registry.ExpectMsg<Rename>();
        client.Registry.Reply(new Renamed("bob"));
        client.ExpectLine("OK you are bob");
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void Quit_says_bye_and_closes()
    {
        Client client = Start();
        client.Send("/quit");
        client.ExpectLine("BYE");
        client.Connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(client.Session);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void After_the_peers_close_the_last_commands_are_answered_then_the_session_closes()
    {
        Client client = Start();
        client.Send("/who");
        client.Connection.PushPeerClosed();
        client.Registry.ExpectMsg<Who>();
        client.Registry.Reply(new WhoList(ChatText.Lobby, ["guest-1"], 1));
        client.ExpectLine("WHO lobby: guest-1");
        client.Connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(client.Session);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void An_error_close_stops_the_session()
    {
        Client client = Start();
        client.Connection.PushErrorClosed("connection reset by peer");
        client.Connection.ExpectClosedWith<Tcp.ErrorClosed>();
        ExpectTerminated(client.Session);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void Draining_says_goodbye_and_closes_and_a_client_that_does_not_take_it_is_aborted_after_the_goodbye_timeout()
    {
        Client client = Start();
        client.Session.Tell(new Tcp.Draining(DateTimeOffset.UtcNow.AddSeconds(4), TimeSpan.FromSeconds(4)));
        client.ExpectLine("BYE the server is shutting down");
        client.Connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(client.Session);

        Client stuck = Start(Settings with { GoodbyeTimeout = TimeSpan.FromMilliseconds(100) });
        stuck.Connection.HoldWrites();
        stuck.Session.Tell(new Tcp.Draining(DateTimeOffset.UtcNow.AddSeconds(4), TimeSpan.FromSeconds(4)));
        stuck.ExpectLine("BYE the server is shutting down");
        stuck.Connection.ExpectClosedWith<Tcp.Aborted>();
        ExpectTerminated(stuck.Session);
        stuck.Connection.AssertNoViolations();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Without_an_answer_from_the_cluster_a_new_client_is_told_the_chat_is_not_available_and_closed(bool registryAnswers)
    {
        Client client = Start(Settings with { RegistryTimeout = TimeSpan.FromMilliseconds(100) }, greet: false);
        client.Registry.ExpectMsg<Register>();
        if (registryAnswers)
        {
            // Named, but the subscription to the lobby is never acknowledged.
            client.Registry.Reply(new Registered("guest-1"));
            client.Mediator.ExpectMsg<Subscribe>();
        }

        client.ExpectLine("ERR the chat is not available right now (no answer from the cluster); try again later");
        client.Connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(client.Session);
        client.Connection.AssertNoViolations();
    }

    [Fact]
    public void A_request_without_an_answer_in_time_is_reported_and_the_client_stays()
    {
        Client client = Start(Settings with { RegistryTimeout = TimeSpan.FromMilliseconds(500) });
        client.Send("/who");
        client.Registry.ExpectMsg<Who>();
        client.ExpectLine("ERR no answer from the cluster in time; try again");

        // The late answer is dropped; the next command is served.
        client.Registry.Reply(new WhoList(ChatText.Lobby, ["guest-1"], 1));
        client.Send("/nick bob");
        client.Registry.ExpectMsg<Rename>();
        client.Registry.Reply(new Renamed("bob"));
        client.ExpectLine("OK you are bob");
        client.Connection.AssertNoViolations();
    }

    /// <summary>
    /// A session as its <see cref="ChatServer"/> starts it (a child, registered with keepOpenOnPeerClosed) on a test
    /// connection; with <paramref name="greet"/> the registry names it guest-1 and the lobby subscription is acknowledged.
    /// </summary>
    private Client Start(ChatSettings? settings = null, TestConnectionSettings? connectionSettings = null, bool greet = true)
    {
        TestConnection connection = TestConnection.Create(this, connectionSettings);
        TestProbe registry = CreateTestProbe();
        TestProbe mediator = CreateTestProbe();
        TestProbe parent = CreateTestProbe();
        IActorRef session = parent.ChildActorOf(ClientSession.Props(connection.Connection, Remote, settings ?? Settings, registry.Ref, mediator.Ref, Node));
        Watch(session);
        connection.Connection.Tell(new Tcp.Register(session, keepOpenOnPeerClosed: true));
        connection.ExpectRegistered();
        var client = new Client(connection, session, registry, mediator, parent);
        if (!greet) return client;

        client.Registry.ExpectMsg<Register>();
        client.Registry.Reply(new Registered("guest-1"));
        client.Parent.ExpectMsg<ChatServer.SessionState>();
        client.Mediator.Reply(new SubscribeAck(client.Mediator.ExpectMsg<Subscribe>()));
        client.ExpectLine(ChatText.Greeting("guest-1", Node));
        return client;
    }

    private sealed record Client(TestConnection Connection, IActorRef Session, TestProbe Registry, TestProbe Mediator, TestProbe Parent)
    {
        /// <summary>The client sends <paramref name="line"/> and its newline.</summary>
        public void Send(string line) => Connection.PushReceived(line + "\n");

        /// <summary>The session's next written line is <paramref name="text"/>.</summary>
        public void ExpectLine(string text) => Connection.ExpectWrittenText(text + "\n");
    }
}
