using System.Text;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>Two chat nodes in one cluster, shared by the tests of this class (each test uses its own names and rooms).</summary>
public sealed class TwoNodeCluster : IAsyncLifetime
{
    /// <summary>A small output limit, so a client that stops reading is dropped after a few hundred KiB.</summary>
    public const string Hocon = """
        actors-io.tcp.max-pending-write-bytes = 64 KiB
        """;

    internal ChatTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ChatTestCluster.StartAsync(2, Hocon);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class ChatClusterTests(TwoNodeCluster fixture) : IClassFixture<TwoNodeCluster>
{
    private ChatTestNode A => fixture.Cluster[0];

    private ChatTestNode B => fixture.Cluster[1];

    [Fact]
    public async Task A_message_reaches_the_other_members_on_every_node_and_not_the_sender()
    {
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(A.Chat, "ann", "deliver");
        using ChatTestClient abe = await ChatTestClient.ConnectAsync(A.Chat, "abe", "deliver");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(B.Chat, "bob", "deliver");
        using ChatTestClient outsider = await ChatTestClient.ConnectAsync(B.Chat, "outsider", "elsewhere");
        await Eventually.RoomLinkedAsync(ann, abe, bob);
        await Eventually.RoomLinkedAsync(bob, ann, abe);

        await ann.SendLineAsync("hello from node A");
        Assert.Equal("[deliver] ann: hello from node A", await bob.ReadLineAsync());
        Assert.Equal("[deliver] ann: hello from node A", await abe.ReadLineAsync());
        await bob.SendLineAsync("héllo from node B €");
        Assert.Equal("[deliver] bob: héllo from node B €", await ann.ReadLineAsync());
        Assert.Equal("[deliver] bob: héllo from node B €", await abe.ReadLineAsync());

        // The sender gets nothing back, and other rooms hear nothing: the next line each reads answers its own command.
        Assert.Equal("WHO deliver: abe, ann, bob", await ann.CommandAsync("/who"));
        Assert.Equal("WHO deliver: abe, ann, bob", await bob.CommandAsync("/who"));
        Assert.Equal("WHO elsewhere: outsider", await outsider.CommandAsync("/who"));

        // "//" sends a line that starts with "/"; empty lines are ignored.
        await ann.SendLineAsync("");
        await ann.SendLineAsync("//nick is not a command here");
        Assert.Equal("[deliver] ann: /nick is not a command here", await bob.ReadLineAsync());
    }

    [Fact]
    public async Task Who_and_rooms_list_the_members_of_every_node_and_follow_joins()
    {
        using ChatTestClient wa = await ChatTestClient.ConnectAsync(A.Chat, "who-a", "whoroom");
        using ChatTestClient wb = await ChatTestClient.ConnectAsync(B.Chat, "who-b", "whoroom");
        using ChatTestClient wc = await ChatTestClient.ConnectAsync(B.Chat, "Who-C", "WhoRoom");
        Assert.Equal("WHO whoroom: who-a, who-b, Who-C", await wa.CommandAsync("/who"));
        Assert.Equal("WHO whoroom: who-a, who-b, Who-C", await wc.CommandAsync("/who"));

        Assert.Equal("OK you are in whoroom2", await wc.CommandAsync("/join whoroom2"));
        Assert.Equal("WHO whoroom: who-a, who-b", await wb.CommandAsync("/who"));
        Assert.Equal("WHO whoroom2: Who-C", await wc.CommandAsync("/who"));
        string rooms = await wa.CommandAsync("/rooms");
        Assert.StartsWith("ROOMS ", rooms);
        Assert.Contains("whoroom (2)", rooms);
        Assert.Contains("whoroom2 (1)", rooms);

        // A renamed member shows under the new name everywhere.
        await wb.RenameAsync("who-b2");
        Assert.Equal("WHO whoroom: who-a, who-b2", await wa.CommandAsync("/who"));
    }

    [Fact]
    public async Task A_nickname_is_unique_across_the_cluster_and_free_again_once_its_holder_quits()
    {
        using ChatTestClient holder = await ChatTestClient.ConnectAsync(A.Chat, "carol");
        using ChatTestClient other = await ChatTestClient.ConnectAsync(B.Chat);
        Assert.Equal("ERR nickname carol is taken", await other.CommandAsync("/nick carol"));
        Assert.Equal("ERR nickname CAROL is taken", await other.CommandAsync("/nick CAROL"));
        Assert.Equal("OK you are Carol", await holder.CommandAsync("/nick Carol")); // its own name, in other case
        Assert.Equal($"ERR nickname {other.Nick} is taken", await holder.CommandAsync($"/nick {other.Nick}"));

        Assert.Equal("ERR nickname carol is taken", await other.CommandAsync("/nick carol"));
        Assert.Equal("BYE", await holder.CommandAsync("/quit"));
        await Eventually.AnswersAsync(other, "/nick carol", "OK you are carol");
    }

    [Fact]
    public async Task Guest_names_are_unique_across_nodes()
    {
        var clients = new List<ChatTestClient>();
        try
        {
            for (int i = 0; i < 12; i++) clients.Add(await ChatTestClient.ConnectAsync(i % 2 == 0 ? A.Chat : B.Chat));
            Assert.Equal(clients.Count, clients.Select(c => c.Nick).Distinct().Count());
            Assert.All(clients, c => Assert.Matches(@"^guest-\d+$", c.Nick));
        }
        finally
        {
            foreach (ChatTestClient client in clients) client.Dispose();
        }
    }

    [Fact]
    public async Task Bad_names_unknown_commands_and_wrong_arguments_answer_err_and_keep_the_connection()
    {
        using ChatTestClient client = await ChatTestClient.ConnectAsync(B.Chat);
        Assert.Equal("ERR unknown command /fly; /help lists the commands", await client.CommandAsync("/fly away"));
        Assert.Equal("ERR unknown command /; /help lists the commands", await client.CommandAsync("/"));
        Assert.Equal("ERR /nick needs one NAME", await client.CommandAsync("/nick"));
        Assert.Equal("ERR /join needs one ROOM", await client.CommandAsync("/join a b"));
        Assert.Equal("ERR /who takes no argument", await client.CommandAsync("/who lobby"));
        Assert.Equal("ERR /nick needs one NAME", await client.CommandAsync("/nick no spaces"));
        Assert.StartsWith("ERR bad name 'bang!'", await client.CommandAsync("/nick bang!"));
        Assert.Equal("ERR bad name 'José': use 1 to 32 letters (a-z, A-Z), digits, _ or -", await client.CommandAsync("/nick José"));
        Assert.StartsWith("ERR bad name", await client.CommandAsync("/nick " + new string('x', 33)));
        Assert.StartsWith("ERR bad room '#general'", await client.CommandAsync("/join #general"));
        Assert.Equal($"OK you are {new string('x', 32)}", await client.CommandAsync("/nick " + new string('x', 32)));
        Assert.Equal("OK you are in lobby", await client.CommandAsync("/join LOBBY"));
        string help = await client.CommandAsync("/help");
        Assert.StartsWith("HELP /nick NAME", help);
        var rest = new List<string>();
        for (int i = 0; i < 7; i++) rest.Add(await client.ReadLineAsync());
        Assert.Contains(rest, l => l.StartsWith("HELP /quit", StringComparison.Ordinal));
        Assert.Equal("HELP lines are UTF-8 and end in \\n; one over 4096 bytes or not valid UTF-8 gets ERR and is discarded", rest[^1]);
        Assert.StartsWith("WHO lobby:", await client.CommandAsync("/WHO"));
    }

    [Fact]
    public async Task A_line_over_4096_bytes_is_refused_and_discarded_and_the_connection_stays()
    {
        using ChatTestClient sender = await ChatTestClient.ConnectAsync(A.Chat, "long-s", "longroom");
        using ChatTestClient receiver = await ChatTestClient.ConnectAsync(B.Chat, "long-r", "longroom");
        await Eventually.RoomLinkedAsync(sender, receiver);

        // Exactly 4,096 bytes (multi-byte characters included) pass, with \n or \r\n.
        string limit = new string('é', 2000) + new string('x', 96);
        Assert.Equal(4096, Encoding.UTF8.GetByteCount(limit));
        await sender.SendAsync(Encoding.UTF8.GetBytes(limit + "\r\n"));
        Assert.Equal("[longroom] long-s: " + limit, await receiver.ReadLineAsync());

        // One byte more is refused at once, and the rest of that line (sent later, in pieces) is discarded with it.
        await sender.SendAsync(Encoding.UTF8.GetBytes(limit + "y"));
        Assert.Equal("ERR line longer than 4096 bytes; discarded", await sender.ReadLineAsync());
        for (int i = 0; i < 4; i++) await sender.SendAsync(Encoding.UTF8.GetBytes(new string('z', 3000)));
        await sender.SendAsync(Encoding.UTF8.GetBytes("end of the long line\nafter\n"));
        Assert.Equal("[longroom] long-s: after", await receiver.ReadLineAsync());
        Assert.Equal("WHO longroom: long-r, long-s", await sender.CommandAsync("/who"));

        // A long line in one piece too.
        await sender.SendLineAsync(new string('q', 10_000));
        Assert.Equal("ERR line longer than 4096 bytes; discarded", await sender.ReadLineAsync());
        Assert.Equal("WHO longroom: long-r, long-s", await sender.CommandAsync("/who"));
    }

    [Fact]
    public async Task Invalid_utf8_is_refused_and_characters_split_across_tcp_segments_are_accepted()
    {
        using ChatTestClient sender = await ChatTestClient.ConnectAsync(B.Chat, "utf-s", "utfroom");
        using ChatTestClient receiver = await ChatTestClient.ConnectAsync(A.Chat, "utf-r", "utfroom");
        await Eventually.RoomLinkedAsync(sender, receiver);

        await sender.SendAsync(new byte[] { (byte)'b', (byte)'a', (byte)'d', 0xC3, 0x28, (byte)'\n' });
        Assert.Equal("ERR invalid UTF-8; line discarded", await sender.ReadLineAsync());
        await sender.SendAsync(new byte[] { 0xED, 0xA0, 0x80, (byte)'\n' }); // an encoded surrogate
        Assert.Equal("ERR invalid UTF-8; line discarded", await sender.ReadLineAsync());
        await sender.SendAsync(new byte[] { 0xC0, 0xAF, (byte)'\r', (byte)'\n' }); // an overlong '/'
        Assert.Equal("ERR invalid UTF-8; line discarded", await sender.ReadLineAsync());

        // "€" is E2 82 AC: send it split after its first byte, in two TCP segments (the pause only makes them separate).
        byte[] euro = Encoding.UTF8.GetBytes("price: 5€ 😀\n");
        int split = Array.IndexOf(euro, (byte)0xE2) + 1;
        await sender.SendAsync(euro.AsMemory(0, split));
        await Task.Delay(50);
        await sender.SendAsync(euro.AsMemory(split));
        Assert.Equal("[utfroom] utf-s: price: 5€ 😀", await receiver.ReadLineAsync());
        Assert.Equal("WHO utfroom: utf-r, utf-s", await sender.CommandAsync("/who"));
    }

    [Fact]
    public async Task Control_characters_cannot_forge_lines_or_names_for_other_clients()
    {
        using ChatTestClient mallory = await ChatTestClient.ConnectAsync(A.Chat, "mallory", "ctlroom");
        using ChatTestClient victim = await ChatTestClient.ConnectAsync(B.Chat, "victim", "ctlroom");
        await Eventually.RoomLinkedAsync(mallory, victim);

        await mallory.SendAsync(Encoding.UTF8.GetBytes("hi\r[ctlroom] admin: give me your password\u001b[2K\u0085\u2028\u202e\tok\n"));
        Assert.Equal(
            "[ctlroom] mallory: hi\\x0d[ctlroom] admin: give me your password\\x1b[2K\\x85\\u2028\\u202e\tok",
            await victim.ReadLineAsync());
        Assert.Equal("WHO ctlroom: mallory, victim", await victim.CommandAsync("/who"));
    }

    [Fact]
    public async Task Quit_answers_bye_closes_and_frees_the_seat()
    {
        using ChatTestClient leaver = await ChatTestClient.ConnectAsync(B.Chat, "leaver", "quitroom");
        using ChatTestClient stayer = await ChatTestClient.ConnectAsync(A.Chat, "stayer", "quitroom");
        Assert.Equal("WHO quitroom: leaver, stayer", await stayer.CommandAsync("/who"));
        Assert.Equal("BYE", await leaver.CommandAsync("/quit"));
        Assert.True(await leaver.ClosedByServerAsync());
        await Eventually.AnswersAsync(stayer, "/who", "WHO quitroom: stayer");
    }

    [Fact]
    public async Task A_client_that_half_closes_still_gets_the_answers_to_its_last_commands()
    {
        using ChatTestClient client = await ChatTestClient.ConnectAsync(A.Chat, "halfclose", "halfroom");
        await client.SendLineAsync("/who");
        client.ShutdownSend();
        Assert.Equal("WHO halfroom: halfclose", await client.ReadLineAsync());
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task A_client_that_stops_reading_is_dropped_and_the_others_are_not_slowed()
    {
        using ChatTestClient sender = await ChatTestClient.ConnectAsync(A.Chat, "flooder", "flood");
        using ChatTestClient nearReader = await ChatTestClient.ConnectAsync(A.Chat, "near", "flood");
        using ChatTestClient farReader = await ChatTestClient.ConnectAsync(B.Chat, "far", "flood");
        using ChatTestClient slow = await ChatTestClient.ConnectAsync(B.Chat, receiveBufferSize: 4096);
        Assert.Equal("OK you are in flood", await slow.CommandAsync("/join flood"));
        await Eventually.RoomLinkedAsync(sender, nearReader, farReader, slow);

        // slow stops reading now. Its kernel buffers fill, then its queue passes 64 KiB (this fixture's limit).
        const int Lines = 4000;
        string padding = new('p', 1000);
        Task<int> near = ReadFloodAsync(nearReader, Lines);
        Task<int> far = ReadFloodAsync(farReader, Lines);
        for (int i = 0; i < Lines; i++) await sender.SendLineAsync($"flood {i} {padding}");

        // Both readers get every line, in order, while slow is dropped.
        Assert.Equal(Lines, await near);
        Assert.Equal(Lines, await far);
        await Eventually.AnswersAsync(nearReader, "/who", "WHO flood: far, flooder, near");
        Assert.True(await slow.ClosedByServerAsync(), "the slow client's connection was not closed");
    }

    private static async Task<int> ReadFloodAsync(ChatTestClient reader, int lines)
    {
        for (int i = 0; i < lines; i++)
        {
            string line = await reader.ReadLineAsync(TimeSpan.FromSeconds(20));
            Assert.StartsWith($"[flood] flooder: flood {i} ", line);
        }

        return lines;
    }
}
