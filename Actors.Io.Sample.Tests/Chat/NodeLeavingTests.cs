using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class NodeLeavingTests
{
    [Fact]
    public async Task Members_of_a_leaving_node_are_announced_and_disappear_and_the_registry_survives_the_oldest_node_leaving()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(3);
        ChatTestNode a = cluster[0]; // the oldest: it hosts the registry singleton
        ChatTestNode b = cluster[1];
        ChatTestNode c = cluster[2];
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(a.Chat, "ann");
        using ChatTestClient bea = await ChatTestClient.ConnectAsync(b.Chat, "bea");
        using ChatTestClient cid = await ChatTestClient.ConnectAsync(c.Chat, "cid");
        using ChatTestClient cyd = await ChatTestClient.ConnectAsync(c.Chat, "cyd", "cside");
        Assert.Equal("WHO lobby: ann, bea, cid", await bea.CommandAsync("/who"));
        Assert.Equal("ROOMS cside (1), lobby (3)", await ann.CommandAsync("/rooms"));

        // Node C leaves (as on Ctrl-C): its clients are told and closed, the other nodes' clients hear that it left,
        // and its clients leave /who on the other nodes.
        string nodeC = ClusterNotices.Node(c.Address);
        Task leaving = cluster.StopAsync(c);
        Assert.Equal("BYE the server is shutting down", await cid.ReadLineAsync());
        Assert.Equal("BYE the server is shutting down", await cyd.ReadLineAsync());
        Assert.True(await cid.ClosedByServerAsync());
        await leaving;
        Assert.Equal($"NOTICE node {nodeC} left the chat; its users are gone", await ann.ReadLineAsync());
        Assert.Equal(ChatText.NoticeNodeLeft(nodeC), await bea.ReadLineAsync());
        await Eventually.AnswersAsync(ann, "/who", "WHO lobby: ann, bea");
        Assert.Equal("ROOMS lobby (2)", await bea.CommandAsync("/rooms"));
        Assert.Equal("OK you are cid", await bea.CommandAsync("/nick cid"));
        await bea.RenameAsync("bea");

        // The oldest node leaves: the registry moves to B and rebuilds itself from B's sessions.
        string nodeA = ClusterNotices.Node(a.Address);
        await cluster.StopAsync(a);
        Assert.Equal("BYE the server is shutting down", await ann.ReadLineAsync());
        Assert.Equal(ChatText.NoticeNodeLeft(nodeA), await bea.ReadLineAsync());
        await cluster.ConvergedAsync(1);
        await Eventually.AnswersAsync(bea, "/who", "WHO lobby: bea");

        // The rebuilt registry still knows bea's name, hands out fresh guest names and carries the room.
        using ChatTestClient newcomer = await ChatTestClient.ConnectAsync(b.Chat);
        Assert.NotEqual("bea", newcomer.Nick);
        Assert.Equal("ERR nickname bea is taken", await newcomer.CommandAsync("/nick bea"));
        Assert.Equal("OK you are ann", await newcomer.CommandAsync("/nick ann"));
        await newcomer.SendLineAsync("still here");
        Assert.Equal("[lobby] ann: still here", await bea.ReadLineAsync());
        Assert.Equal("WHO lobby: ann, bea", await bea.CommandAsync("/who"));
    }
}
