using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class NodeCrashTests
{
    [Fact]
    public async Task Members_of_a_crashed_node_disappear_once_the_split_brain_resolver_downs_it()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(3, """
            akka.coordinated-shutdown.run-by-actor-system-terminate = off
            akka.cluster.failure-detector {
              heartbeat-interval = 500ms
              acceptable-heartbeat-pause = 2s
            }
            akka.cluster.split-brain-resolver.stable-after = 2s
            """);
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(cluster[0].Chat, "ann");
        using ChatTestClient bea = await ChatTestClient.ConnectAsync(cluster[1].Chat, "bea");
        using ChatTestClient cid = await ChatTestClient.ConnectAsync(cluster[2].Chat, "cid");
        Assert.Equal("WHO lobby: ann, bea, cid", await ann.CommandAsync("/who"));

        // No goodbye and no leaving: the node is gone. Once it is downed and removed, its members and names are free.
        await cluster.CrashAsync(cluster[2]);
        Assert.True(await cid.ClosedByServerAsync());
        await Eventually.AnswersAsync(ann, "/who", "WHO lobby: ann, bea", TimeSpan.FromSeconds(30));
        await cluster.ConvergedAsync(2);
        Assert.Equal("OK you are cid", await bea.CommandAsync("/nick cid"));
    }
}
