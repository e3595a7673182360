using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class NodeCrashTests
{
    [Fact]
    public async Task Members_of_a_crashed_node_are_announced_lost_and_disappear_once_the_split_brain_resolver_downs_it()
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

        // No goodbye and no leaving: the node is gone. The others' clients hear that it stopped responding, then that
        // it was lost, once it is downed and removed; its members and names are then free.
        string crashed = ClusterNotices.Node(cluster[2].Address);
        await cluster.CrashAsync(cluster[2]);
        Assert.True(await cid.ClosedByServerAsync());
        foreach (ChatTestClient survivor in new[] { ann, bea })
        {
            Assert.Equal(
                $"NOTICE node {crashed} is not responding; its users may miss messages until it is back or removed",
                await survivor.ReadLineAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal($"NOTICE node {crashed} was lost (it crashed or was cut off); its users are gone", await survivor.ReadLineAsync(TimeSpan.FromSeconds(30)));
        }

        await Eventually.AnswersAsync(ann, "/who", "WHO lobby: ann, bea", TimeSpan.FromSeconds(30));
        await cluster.ConvergedAsync(2);
        Assert.Equal("OK you are cid", await bea.CommandAsync("/nick cid"));
    }
}
