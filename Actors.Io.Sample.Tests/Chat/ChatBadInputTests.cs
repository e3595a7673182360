using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>One chat node for the bad-input tests; its small output limit drops a client that stops reading soon.</summary>
public sealed class BadInputNode : IAsyncLifetime
{
    internal ChatTestNode Node => Cluster[0];

    internal ChatTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await ChatTestCluster.StartAsync(1, TwoNodeCluster.Hocon);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>
/// Bad input to the chat service, as issue #7 lists it: every class of bad bytes explicitly, then seeded random mixes
/// (the seed is printed; <c>CHAT_FUZZ_SEED=N</c> replays one), and clients that flood commands. Each test checks the
/// protocol's answer to every line, that two other clients chat through it all, and that no session holds more input
/// than one line.
/// </summary>
public sealed class ChatBadInputTests(BadInputNode fixture, ITestOutputHelper output) : IClassFixture<BadInputNode>
{
    private const int MaxLine = 4096;
    private const string TooLong = "ERR line longer than 4096 bytes; discarded";
    private const string InvalidUtf8 = "ERR invalid UTF-8; line discarded";

    // A session holds at most one incomplete line, plus the few reads (64 KiB each) that raced a suspension while a
    // command waited for the registry.
    private const long HeldInputBound = MaxLine + 1 + (4 * 64 * 1024);

    private ChatTestNode Node => fixture.Node;

    [Fact]
    public async Task Each_kind_of_bad_input_gets_its_answer_and_two_others_keep_chatting()
    {
        using ChatTestClient bad = await ChatTestClient.ConnectAsync(Node.Chat, "bad", "badroom");
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(Node.Chat, "ann", "badroom");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(Node.Chat, "bob", "badroom");

        async Task OthersSee(string text)
        {
            Assert.Equal($"[badroom] bad: {text}", await ann.ReadLineAsync());
            Assert.Equal($"[badroom] bad: {text}", await bob.ReadLineAsync());
        }

        // NUL, a lone CR and other control characters are text: they reach the others escaped, on one line.
        await bad.SendAsync(Encoding.UTF8.GetBytes("a\0b\nx\ry\n\r\r\nz\u0085\u2028\u2029\u001b[1A\r\n"));
        await OthersSee("a\\x00b");
        await OthersSee("x\\x0dy");
        await OthersSee("\\x0d");
        await OthersSee("z\\x85\\u2028\\u2029\\x1b[1A");

        // Invalid and truncated UTF-8: ERR, line discarded, connection kept.
        byte[][] invalid =
        [
            [0xFF], [0xC3, 0x28], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80],
            [(byte)'a', 0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xE2], [(byte)'/', (byte)'w', 0xFF],
        ];
        foreach (byte[] line in invalid)
        {
            await bad.SendAsync((byte[])[.. line, (byte)'\n']);
            Assert.Equal(InvalidUtf8, await bad.ReadLineAsync());
        }

        // A character cut by the end of its line is not completed by the next line.
        await bad.SendAsync(new byte[] { 0xE2, (byte)'\n', 0x82, 0xAC, (byte)'\n' });
        Assert.Equal(InvalidUtf8, await bad.ReadLineAsync());
        Assert.Equal(InvalidUtf8, await bad.ReadLineAsync());

        // Multi-byte characters sent one byte per write (so split across TCP segments) are accepted whole.
        foreach (byte b in Encoding.UTF8.GetBytes("é € 😀 ü\n")) await bad.SendAsync(new[] { b });
        await OthersSee("é € 😀 ü");

        // 1 MiB without a newline: ERR as soon as it passes the limit; the rest is dropped as it comes, never held.
        var random = new Random(1);
        byte[] piece = new byte[64 * 1024];
        for (int i = 0; i < 16; i++)
        {
            random.NextBytes(piece);
            piece.AsSpan().Replace((byte)'\n', (byte)' ');
            await bad.SendAsync(piece);
            if (i == 0) Assert.Equal(TooLong, await bad.ReadLineAsync());
            if (i % 4 == 3) Assert.InRange(await Node.LargestBufferedInputAsync(), 0, MaxLine + 1);
        }

        await bad.SendAsync("\n/who\n"u8.ToArray());
        Assert.Equal("WHO badroom: ann, bad, bob", await bad.ReadLineAsync());

        // Nothing reached the others on the way; they still chat.
        await ann.SendLineAsync("still here");
        Assert.Equal("[badroom] ann: still here", await bob.ReadLineAsync());
        Assert.Equal("[badroom] ann: still here", await bad.ReadLineAsync());
        await bob.SendLineAsync("me too");
        Assert.Equal("[badroom] bob: me too", await ann.ReadLineAsync());
        Assert.Equal("[badroom] bob: me too", await bad.ReadLineAsync());

        // Nothing after /quit is answered or sent on.
        await bad.SendAsync("/quit\n/who\nlast words\n"u8.ToArray());
        Assert.Equal("BYE", await bad.ReadLineAsync());
        Assert.True(await bad.ClosedByServerAsync());
        Assert.StartsWith("WHO badroom: ann, ", await ann.CommandAsync("/who"));
        await Eventually.AnswersAsync(bob, "/who", "WHO badroom: ann, bob");
    }

    [Fact]
    public async Task Random_mixes_of_bytes_and_commands_get_the_protocols_answers_and_never_disturb_others()
    {
        int seed = FuzzSeed();
        output.WriteLine($"fuzz seed {seed} (replay: CHAT_FUZZ_SEED={seed})");
        var random = new Random(seed);
        using ChatTestClient mixer = await ChatTestClient.ConnectAsync(Node.Chat, "mixer", "mixroom");
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(Node.Chat, "ann2", "mixroom");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(Node.Chat, "bob2", "mixroom");

        var input = new List<byte>();
        var answers = new List<string>();
        var messages = new List<string>();
        const int Lines = 600;
        for (int i = 0; i < Lines; i++) AddRandomLine(random, input, answers, messages);
        input.AddRange("/nick mixer\n"u8.ToArray());
        answers.Add("OK you are mixer");
        output.WriteLine($"{input.Count} bytes in {Lines} lines; {answers.Count} answers and {messages.Count} messages expected");

        Task<List<string>> mixerGets = ReadUntilAsync(mixer, answers[^1], answers.Count + 100);
        Task<List<string>> annGets = ReadUntilAsync(ann, "[mixroom] bob2: done", messages.Count + 100);
        Task<List<string>> bobGets = ReadUntilAsync(bob, "[mixroom] ann2: done", messages.Count + 100);

        // Sent in random pieces (characters and "\r\n" cut anywhere), with ann and bob chatting meanwhile.
        byte[] bytes = [.. input];
        int sent = 0;
        for (int round = 0; sent < bytes.Length; round++)
        {
            int n = Math.Min(bytes.Length - sent, random.Next(1, 3000));
            await mixer.SendAsync(bytes.AsMemory(sent, n));
            sent += n;
            if (round % 25 == 0)
            {
                await ann.SendLineAsync($"ann {round}");
                await bob.SendLineAsync($"bob {round}");
            }

            if (round % 100 == 0) Assert.InRange(await Node.LargestBufferedInputAsync(), 0, HeldInputBound);
        }

        // mixer's answers, in order (the chat from ann and bob interleaves).
        List<string> got = await mixerGets;
        Assert.Equal(answers, got.Where(l => !IsChatFrom(l, "ann2", "bob2")).Select(l => l.StartsWith("ROOMS ", StringComparison.Ordinal) ? "ROOMS" : l));

        // Once mixer is done, ann and bob say so: each has every message of mixer, escaped as sent, and all of the other's.
        await ann.SendLineAsync("done");
        await bob.SendLineAsync("done");
        foreach ((Task<List<string>> gets, string other) in new[] { (annGets, "bob2"), (bobGets, "ann2") })
        {
            List<string> lines = await gets;
            Assert.Equal(messages, lines.Where(l => IsChatFrom(l, "mixer")));
            List<string> chat = [.. lines.Where(l => IsChatFrom(l, other))];
            Assert.Equal(chat.Count, lines.Count - messages.Count);
            Assert.Equal($"[mixroom] {other}: done", chat[^1]);
        }

        Assert.InRange(await Node.LargestBufferedInputAsync(), 0, HeldInputBound);
        Assert.Equal("WHO mixroom: ann2, bob2, mixer", await ann.CommandAsync("/who"));
    }

    [Fact]
    public async Task A_client_that_pipelines_thousands_of_commands_is_answered_in_order_and_one_that_never_reads_is_dropped()
    {
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(Node.Chat, "ann3", "floodroom");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(Node.Chat, "bob3", "floodroom");
        using ChatTestClient asker = await ChatTestClient.ConnectAsync(Node.Chat, "asker", "floodroom");
        using ChatTestClient deaf = await ChatTestClient.ConnectAsync(Node.Chat, "deaf", "floodroom", receiveBufferSize: 4096);

        // asker sends 2,000 /who in one write and reads; deaf sends /help (seven lines each) 20,000 times and never reads.
        const int Asks = 2000;
        Task<List<string>> whos = ReadUntilAsync(asker, "[floodroom] ann3: after", Asks + 100);
        await asker.SendAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("/who\n", Asks))));
        Task flood = deaf.SendAsync(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("/help\n", 20_000))))
            .ContinueWith(_ => { }, TaskScheduler.Default); // ends with a reset once the server drops deaf

        for (int i = 0; i < 20; i++)
        {
            await ann.SendLineAsync($"during {i}");
            Assert.Equal($"[floodroom] ann3: during {i}", await bob.ReadLineAsync());
            if (i % 10 == 0) Assert.InRange(await Node.LargestBufferedInputAsync(), 0, HeldInputBound);
        }

        await Eventually.AnswersAsync(bob, "/who", "WHO floodroom: ann3, asker, bob3");
        Assert.True(await deaf.ClosedByServerAsync(), "the client that never reads was not dropped");
        await flood;

        await ann.SendLineAsync("after");
        List<string> lines = await whos;
        string[] answers = [.. lines.Where(l => l.StartsWith("WHO ", StringComparison.Ordinal))];
        Assert.Equal(Asks, answers.Length);
        Assert.All(answers, a => Assert.Matches(@"^WHO floodroom: ann3, asker, bob3(, deaf)?$", a));
        Assert.All(lines.Except(answers), l => Assert.StartsWith("[floodroom] ann3: ", l));
        Assert.Equal("[floodroom] ann3: after", await bob.ReadLineAsync());
        Assert.InRange(await Node.LargestBufferedInputAsync(), 0, HeldInputBound);
    }

    [Fact]
    public async Task Nobody_can_speak_as_someone_else_or_forge_a_line_at_other_clients()
    {
        using ChatTestClient alice = await ChatTestClient.ConnectAsync(Node.Chat, "alice", "forge");
        using ChatTestClient mallory = await ChatTestClient.ConnectAsync(Node.Chat, "mallory", "forge");

        // A newline ends mallory's line: what follows is another line, also from mallory.
        await mallory.SendLineAsync("hi\n[forge] alice: my password is swordfish");
        Assert.Equal("[forge] mallory: hi", await alice.ReadLineAsync());
        Assert.Equal("[forge] mallory: [forge] alice: my password is swordfish", await alice.ReadLineAsync());

        // Anything else that a terminal could take for a line break or a cursor move is escaped.
        (string Sent, string Shown)[] forgeries =
        [
            ("hi\r[forge] alice: x", "hi\\x0d[forge] alice: x"),
            ("hi\0[forge] alice: x", "hi\\x00[forge] alice: x"),
            ("hi\u0085[forge] alice: x", "hi\\x85[forge] alice: x"),
            ("hi\u2028[forge] alice: x", "hi\\u2028[forge] alice: x"),
            ("hi\u2029[forge] alice: x", "hi\\u2029[forge] alice: x"),
            ("hi\v\f\u001b[2K\r[forge] alice: x", "hi\\x0b\\x0c\\x1b[2K\\x0d[forge] alice: x"),
            ("\u202e[forge] alice: x", "\\u202e[forge] alice: x"),
        ];
        foreach ((string sent, string shown) in forgeries)
        {
            await mallory.SendLineAsync(sent);
            Assert.Equal("[forge] mallory: " + shown, await alice.ReadLineAsync());
        }

        // Names are letters, digits, _ and -: nothing that could end a line, look like a prefix, or pass for another's name.
        Assert.Equal("ERR nickname alice is taken", await mallory.CommandAsync("/nick alice\r"));
        Assert.Equal("ERR nickname ALICE is taken", await mallory.CommandAsync("/nick\tALICE"));
        (string Tried, string Shown)[] badNames =
        [
            ("ali\rce", "ali\\x0dce"), ("alice\0", "alice\\x00"), ("alice\u2028", "alice\\u2028"), ("alice\u0085", "alice\\x85"),
            ("[forge]", "[forge]"), ("alice:", "alice:"), ("\u202ealice", "\\u202ealice"), ("аlice", "аlice"),
        ];
        foreach ((string tried, string shown) in badNames)
        {
            Assert.Equal(
                $"ERR bad name '{shown}': use 1 to 32 letters (a-z, A-Z), digits, _ or -",
                await mallory.CommandAsync("/nick " + tried));
        }

        // alice got nothing else: her next line answers her own command.
        Assert.Equal("WHO forge: alice, mallory", await alice.CommandAsync("/who"));
    }

    private static int FuzzSeed() =>
        Environment.GetEnvironmentVariable("CHAT_FUZZ_SEED") is { Length: > 0 } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Random.Shared.Next();

    private static bool IsChatFrom(string line, params string[] nicks) =>
        nicks.Any(n => line.StartsWith($"[mixroom] {n}: ", StringComparison.Ordinal) || line.StartsWith($"[floodroom] {n}: ", StringComparison.Ordinal));

    /// <summary>Reads lines up to and including <paramref name="last"/>; every line must be one the server may send.</summary>
    private static async Task<List<string>> ReadUntilAsync(ChatTestClient client, string last, int atMost)
    {
        var lines = new List<string>();
        while (lines.Count < atMost)
        {
            string line = await client.ReadLineAsync(TimeSpan.FromSeconds(30));
            Assert.DoesNotContain(line, c => IsForbidden(c));
            lines.Add(line);
            if (line == last) return lines;
        }

        throw new InvalidOperationException($"{client.Nick}: no '{last}' in {atMost} lines");
    }

    // What the server never sends raw: control characters but tab, line and paragraph separators, bidi overrides.
    private static bool IsForbidden(char c) =>
        (c < ' ' && c != '\t') || c is (>= '\u007f' and <= '\u009f') or '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>
    /// Adds one random line to <paramref name="input"/> and what the protocol makes of it: the sender's answers, or the
    /// line the room's others get.
    /// </summary>
    private static void AddRandomLine(Random random, List<byte> input, List<string> answers, List<string> messages)
    {
        byte[][] pieces =
        [
            "hello"u8.ToArray(), " "u8.ToArray(), "é"u8.ToArray(), "€"u8.ToArray(), "😀"u8.ToArray(), "\0"u8.ToArray(),
            "\r"u8.ToArray(), "\t"u8.ToArray(), "\u2028"u8.ToArray(), "\u2029"u8.ToArray(), "\u0085"u8.ToArray(),
            "\u001b[2K"u8.ToArray(), "\u202e"u8.ToArray(), "[mixroom] ann2: "u8.ToArray(), "//"u8.ToArray(),
            [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xC0, 0xAF],
        ];
        (string Line, string[] Answers)[] commands =
        [
            ("/who", ["WHO mixroom: ann2, bob2, mixer"]),
            ("/rooms", ["ROOMS"]),
            ("/help", ChatText.Help(MaxLine)),
            ("/nick", ["ERR /nick needs one NAME"]),
            ("/join", ["ERR /join needs one ROOM"]),
            ("/join MixRoom", ["OK you are in mixroom"]),
            ("/fly \u2028", ["ERR unknown command /fly; /help lists the commands"]),
            ("/nick a\rb", [ChatText.BadName("name", "a\rb")]),
            ("/join x\u0085", [ChatText.BadName("room", "x\u0085")]),
        ];

        var line = new List<byte>();
        int kind = random.Next(100);
        if (kind < 10)
        {
            (string command, string[] answer) = commands[random.Next(commands.Length)];
            line.AddRange(Encoding.UTF8.GetBytes(command));
            answers.AddRange(answer);
        }
        else if (kind < 13)
        {
            // Past the limit, in characters of every width.
            while (line.Count <= MaxLine) line.AddRange(pieces[random.Next(5)]);
            answers.Add(TooLong);
        }
        else if (kind < 20)
        {
            // Random bytes, but for the newline that would end the line and a leading '/' that would make a command.
            for (int n = random.Next(1, 200); n > 0; n--) line.Add((byte)random.Next(256));
            line.RemoveAll(b => b == (byte)'\n');
            if (line.Count > 0 && line[0] == (byte)'/') line[0] = (byte)'#';
            Expect(line);
        }
        else
        {
            for (int n = random.Next(0, 12); n > 0; n--) line.AddRange(pieces[random.Next(pieces.Length)]);
            if (line.Count > 0 && line[0] == (byte)'/' && (line.Count == 1 || line[1] != (byte)'/')) line.Insert(0, (byte)'x');
            Expect(line);
        }

        // "\r\n" or "\n" (the server drops one '\r' before the '\n', so a line that ends in '\r' gets "\r\n").
        input.AddRange(line);
        if (random.Next(2) == 0 || line is [.., (byte)'\r']) input.Add((byte)'\r');
        input.Add((byte)'\n');

        void Expect(List<byte> bytes)
        {
            byte[] content = [.. bytes];
            if (!Utf8.IsValid(content))
            {
                answers.Add(InvalidUtf8);
                return;
            }

            string text = Encoding.UTF8.GetString(content);
            if (text.StartsWith("//", StringComparison.Ordinal)) text = text[1..];
            if (text.Length > 0) messages.Add("[mixroom] mixer: " + ChatText.Sanitize(text));
        }
    }
}
