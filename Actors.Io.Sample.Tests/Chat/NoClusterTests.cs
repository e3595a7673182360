using System.Net;
using System.Net.Sockets;
using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;
using Akka.Actor;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>A node that never reaches its cluster, as a new user meets it by starting one with a wrong seed (issue #17).</summary>
public sealed class NoClusterTests
{
    [Fact]
    public async Task A_client_that_typed_before_the_answer_still_reads_that_the_chat_is_not_available_then_an_orderly_close()
    {
        // A seed that accepts connections and never answers them: the node never joins, so the registry never answers.
        using var deadSeed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        deadSeed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        deadSeed.Listen();
        var seed = new Address("akka.tcp", ChatNode.SystemName, "127.0.0.1", ((IPEndPoint)deadSeed.LocalEndPoint!).Port);
        ChatTestNode node = await ChatTestNode.StartAsync(seed);
        try
        {
            // Three clients at once, each typing before the answer: the server never reads what they typed.
            await Task.WhenAll(Enumerable.Range(0, 3).Select(async _ =>
            {
                using ChatTestClient client = await ChatTestClient.ConnectWithoutGreetingAsync(node.Chat);
                await client.SendLineAsync("/nick zed");
                Assert.Equal(ChatText.NotAvailable, await client.ReadLineAsync());
                Assert.True(await client.EndOfStreamAsync(), "the connection was reset or stayed open after the answer");
            }));
        }
        finally
        {
            await node.StopAsync();
        }
    }
}
