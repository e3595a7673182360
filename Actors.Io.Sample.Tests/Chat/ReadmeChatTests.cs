using System.Text.RegularExpressions;
using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;
using Akka.Configuration;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>
/// README's "Try the chat" as a user follows it: its commands are valid, and its terminal transcripts, replayed line by
/// line against a fresh two-node cluster, are what the clients really see (ports mapped to the test's free ones).
/// </summary>
public sealed partial class ReadmeChatTests
{
    private static readonly string Section = Readme.Section("## Try the chat");

    [Fact]
    public void The_commands_start_two_nodes_of_one_cluster_and_the_clients_connect_to_them()
    {
        Config defaults = ChatNode.LoadConfig();
        Assert.Equal(4000, defaults.GetInt("chat.port"));
        Assert.Equal(4053, defaults.GetInt("akka.remote.dot-netty.tcp.port"));
        string[] runs = [.. Regex.Matches(Section, @"^dotnet run --project Actors\.Io\.Sample(?: -- (.*))?$", RegexOptions.Multiline).Select(m => m.Groups[1].Value)];
        Assert.Equal(3, runs.Length);
        Assert.Equal(string.Empty, runs[0]);
        Assert.Equal("echo", SampleOptions.Parse(runs[2].Split(' ')).Mode);
        SampleOptions second = SampleOptions.Parse(runs[1].Split(' '));
        Assert.Equal((4001, 4054), (second.Port, second.ClusterPort));
        Assert.Equal("127.0.0.1:4053", $"{second.Seeds.Single().Host}:{second.Seeds.Single().Port}");
        Assert.Equal(["4000", "4000", "4001", "5000"], Regex.Matches(Section, @"^nc 127\.0\.0\.1 (\d+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value));
    }

    [Fact]
    public async Task The_transcripts_are_what_the_clients_see()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(2);
        var chatPorts = new Dictionary<int, ChatTestNode> { [4000] = cluster[0], [4001] = cluster[1] };
        string Real(string line) => line
            .Replace("127.0.0.1:4053", $"127.0.0.1:{cluster[0].Address.Port}", StringComparison.Ordinal)
            .Replace("127.0.0.1:4054", $"127.0.0.1:{cluster[1].Address.Port}", StringComparison.Ordinal);

        var clients = new List<ChatTestClient>();
        try
        {
            ChatTestClient? current = null;
            foreach (Match block in TextBlock().Matches(Section))
            {
                string[] lines = block.Groups["body"].Value.TrimEnd('\n').Split('\n');
                int first = 0;
                if (NcLine().Match(lines[0]) is { Success: true } nc)
                {
                    current = await ChatTestClient.ConnectAsync(chatPorts[int.Parse(nc.Groups[1].Value)].Chat);
                    clients.Add(current);
                    Assert.Equal(Real(lines[1]), current.Greeting);
                    first = 2;
                }
                else
                {
                    // "In ann's terminal:" before the block names whose terminal it is.
                    string owner = Regex.Match(block.Groups["before"].Value, @"In (\w+)'s\s+terminal").Groups[1].Value;
                    current = clients.Single(c => c.Nick == owner);
                }

                Assert.NotNull(current);
                foreach (string line in lines[first..])
                {
                    if (IsServerLine(line))
                    {
                        Assert.Equal(Real(line), await current.ReadLineAsync());
                        if (line.StartsWith("OK you are ", StringComparison.Ordinal) && !line.StartsWith("OK you are in ", StringComparison.Ordinal)) current.Nick = line["OK you are ".Length..];
                    }
                    else
                    {
                        // A message: wait until the room reaches the other node (pub/sub gossip), as a person typing would.
                        if (!line.StartsWith('/')) await Eventually.RoomLinkedAsync(current, [.. clients.Where(c => c != current)]);
                        await current.SendLineAsync(line);
                    }
                }
            }

            // The prose: ann and bob got cat's message; cat got nothing back.
            Assert.Equal(["ann", "bob", "cat"], clients.Select(c => c.Nick));
            string hello = Regex.Match(Section, @"ann and bob both get `([^`]+)`").Groups[1].Value;
            Assert.Equal(hello, await clients[1].ReadLineAsync());
            Assert.Equal("WHO lobby: bob, cat", await clients[2].CommandAsync("/who"));
        }
        finally
        {
            foreach (ChatTestClient client in clients) client.Dispose();
        }
    }

    [Fact]
    public void Every_notice_the_server_can_send_is_listed()
    {
        foreach (string notice in ChatText.Notices) Assert.Contains($"| `{notice}` |", Section);

        // Every NOTICE line is built in ChatText, and ChatText.Notices lists each one it builds.
        string chat = Path.Combine(Readme.RepositoryRoot(), "Actors.Io.Sample", "Chat");
        foreach (string file in Directory.GetFiles(chat, "*.cs").Where(f => Path.GetFileName(f) != "ChatText.cs"))
        {
            Assert.DoesNotContain("\"NOTICE", File.ReadAllText(file).Replace("$\"", "\"", StringComparison.Ordinal));
        }

        string chatText = File.ReadAllText(Path.Combine(chat, "ChatText.cs")).Replace("$\"", "\"", StringComparison.Ordinal);
        Assert.Equal(ChatText.Notices.Count, Regex.Matches(chatText, "\"NOTICE ").Count);
    }

    private static bool IsServerLine(string line) =>
        line.StartsWith('[') || Regex.IsMatch(line, "^(WELCOME|OK|ERR|WHO|ROOMS|HELP|NOTICE|BYE)( |$)");

    [GeneratedRegex(@"(?<before>[^`]*)```text\n(?<body>.*?)```", RegexOptions.Singleline)]
    private static partial Regex TextBlock();

    [GeneratedRegex(@"^\$ nc 127\.0\.0\.1 (\d+)$")]
    private static partial Regex NcLine();
}
