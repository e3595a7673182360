using System.Text;
using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class MaxClientsTests
{
    [Fact]
    public async Task Past_max_clients_a_client_gets_err_server_full_and_is_closed_and_a_leaving_client_frees_its_place()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.max-clients = 2");
        ChatTestNode node = cluster[0];
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(node.Chat, "ann");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(node.Chat, "bob");

        for (int i = 0; i < 3; i++)
        {
            using ChatTestClient refused = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
            Assert.Equal(ChatText.ServerFull, await refused.ReadLineAsync());
            Assert.True(await refused.ClosedByServerAsync(), "a refused client's connection stayed open");
        }

        // The clients inside are not disturbed.
        await ann.SendLineAsync("still two of us");
        Assert.Equal("[lobby] ann: still two of us", await bob.ReadLineAsync());

        // A client that quits frees its place, and so does one that just disconnects.
        Assert.Equal("BYE", await bob.CommandAsync("/quit"));
        Assert.True(await bob.ClosedByServerAsync());
        using ChatTestClient cat = await ConnectOnceFreeAsync(node);
        ann.Dispose();
        using ChatTestClient dan = await ConnectOnceFreeAsync(node);
        Assert.Equal($"WHO lobby: {cat.Nick}, {dan.Nick}", await cat.CommandAsync("/who"));
    }

    [Fact]
    public async Task A_refused_client_that_talks_first_still_reads_err_server_full_and_an_orderly_close()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.max-clients = 1");
        ChatTestNode node = cluster[0];
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(node.Chat, "ann");

        for (int i = 0; i < 3; i++)
        {
            // Input the server never reads: closing over it would reset the connection and could discard the answer.
            using ChatTestClient refused = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
            await refused.SendAsync(Encoding.UTF8.GetBytes("/nick zed\n" + new string('x', 64 * 1024) + "\n"));
            Assert.Equal(ChatText.ServerFull, await refused.ReadLineAsync());
            refused.ShutdownSend();
            Assert.True(await refused.EndOfStreamAsync(), "a refused client's connection was reset or stayed open");
        }

        Assert.Equal("WHO lobby: ann", await ann.CommandAsync("/who"));
    }

    [Fact]
    public async Task A_refused_client_that_sends_and_half_closes_at_once_still_reads_err_server_full()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.max-clients = 1");
        ChatTestNode node = cluster[0];
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(node.Chat, "ann");

        // The EOF can reach the server before its answer is queued: the answer must still go out before the close.
        for (int i = 0; i < 20; i++)
        {
            using ChatTestClient refused = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
            await refused.SendLineAsync("/who");
            refused.ShutdownSend();
            Assert.Equal(ChatText.ServerFull, await refused.ReadLineAsync());
            Assert.True(await refused.EndOfStreamAsync(), "a refused client's connection was reset or stayed open");
        }
    }

    [Fact]
    public async Task A_refused_client_that_never_closes_reads_the_end_of_stream_and_is_dropped_after_the_linger_time()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.max-clients = 1");
        ChatTestNode node = cluster[0];
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(node.Chat, "ann");

        using ChatTestClient refused = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
        await refused.SendLineAsync("/who");
        Assert.Equal(ChatText.ServerFull, await refused.ReadLineAsync());
        Assert.True(await refused.EndOfStreamAsync(), "a refused client's connection was reset or stayed open");

        // The server's side is gone after actors-io.tcp.close-linger: what the client sends from then on meets a reset.
        TimeSpan linger = ActorsIo.Get(node.System).Settings.Tcp.CloseLinger;
        Assert.True(await refused.ResetWhileSendingAsync(linger * 3), $"a refused client that keeps its side open was still lingering after {linger * 3}");
    }

    // The place frees when the session has stopped, a moment after the client sees its connection close.
    private static async Task<ChatTestClient> ConnectOnceFreeAsync(ChatTestNode node)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            ChatTestClient client = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
            string first = await client.ReadLineAsync();
            if (first.StartsWith("WELCOME ", StringComparison.Ordinal))
            {
                client.Nick = first.Split(' ', ',')[1];
                return client;
            }

            client.Dispose();
            Assert.Equal(ChatText.ServerFull, first);
            if (DateTime.UtcNow > deadline) throw new TimeoutException("no place freed within 10 s");
            await Task.Delay(100);
        }
    }
}
