using System.Net;
using Actors.Io.Sample.Chat;
using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Actors.Io.Sample.Tests.Support;

/// <summary>
/// One chat node in this process: a generic host with the sample's own <see cref="ChatNode.WithChatNode"/> setup and
/// <c>HOCON/chat-node.conf</c>, on free ports (chat and cluster port 0), with <see cref="TestHocon"/> on top.
/// </summary>
internal sealed class ChatTestNode
{
    /// <summary>Quiet logs and short cluster intervals, so that joining, leaving and hand-over take a second or two.</summary>
    public const string TestHocon = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        akka.cluster {
          gossip-interval = 200ms
          leader-actions-interval = 200ms
          periodic-tasks-initial-delay = 100ms
          unreachable-nodes-reaper-interval = 250ms
          seed-node-timeout = 2s
          retry-unsuccessful-join-after = 1s
          shutdown-after-unsuccessful-join-seed-nodes = off
          split-brain-resolver.stable-after = 3s
          singleton.hand-over-retry-interval = 200ms
          singleton-proxy.singleton-identification-interval = 200ms
          pub-sub.gossip-interval = 200ms
        }
        chat {
          registry-timeout = 3s
          recovery-timeout = 2s
        }
        """;

    private static readonly Config NodeConfig = ChatNode.LoadConfig();

    private ChatTestNode(IHost host, ActorSystem system, IPEndPoint chat)
    {
        Host = host;
        System = system;
        Chat = chat;
    }

    public IHost Host { get; }

    public ActorSystem System { get; }

    /// <summary>Where chat clients connect.</summary>
    public IPEndPoint Chat { get; }

    /// <summary>The node's cluster address.</summary>
    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>Starts a node that joins <paramref name="seed"/>, or seeds itself.</summary>
    public static async Task<ChatTestNode> StartAsync(Address? seed = null, string extraHocon = "")
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var overrides = new ChatNodeOverrides(
            IPAddress.Loopback,
            Port: 0,
            ClusterPort: 0,
            Seeds: seed is null ? null : [new DnsEndPoint(seed.Host!, seed.Port!.Value)]);
        builder.Services.AddAkka(ChatNode.SystemName, akka => akka
            .WithChatNode(NodeConfig, overrides)
            .AddHocon(ConfigurationFactory.ParseString(extraHocon).WithFallback(ConfigurationFactory.ParseString(TestHocon)), HoconAddMode.Prepend));
        IHost host = builder.Build();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StartAsync(cts.Token);
        ActorSystem system = host.Services.GetRequiredService<ActorSystem>();
        ChatServer.Binding binding = await ActorRegistry.For(system).Get<ChatServer>()
            .Ask<ChatServer.Binding>(ChatServer.GetBinding.Instance, TimeSpan.FromSeconds(10));
        Assert.True(binding.Address is not null, binding.Failure);
        return new ChatTestNode(host, system, binding.Address);
    }

    /// <summary>The most received bytes any client session of this node holds now (<see cref="ClientSession.GetBufferedInput"/>).</summary>
    public async Task<long> LargestBufferedInputAsync()
    {
        ChatServer.Clients clients = await ActorRegistry.For(System).Get<ChatServer>()
            .Ask<ChatServer.Clients>(ChatServer.GetClients.Instance, TimeSpan.FromSeconds(10));

        long largest = 0;
        foreach (IActorRef session in clients.Sessions)
        {
            try
            {
                largest = Math.Max(largest, (await session.Ask<ClientSession.BufferedInput>(ClientSession.GetBufferedInput.Instance, TimeSpan.FromSeconds(5))).Bytes);
            }
            catch (AskTimeoutException)
            {
                // A session that stopped meanwhile holds nothing.
            }
        }

        return largest;
    }

    /// <summary>Stops the node as Ctrl-C does: CoordinatedShutdown, leaving the cluster.</summary>
    public async Task StopAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Host.StopAsync(cts.Token);
        }
        finally
        {
            Host.Dispose();
        }
    }
}

/// <summary>A cluster of <see cref="ChatTestNode"/>s: the first seeds itself, the others join it.</summary>
internal sealed class ChatTestCluster : IAsyncDisposable
{
    private readonly List<ChatTestNode> _running;

    private ChatTestCluster(IReadOnlyList<ChatTestNode> nodes)
    {
        Nodes = nodes;
        _running = [.. nodes];
    }

    public IReadOnlyList<ChatTestNode> Nodes { get; }

    public ChatTestNode this[int index] => Nodes[index];

    public static async Task<ChatTestCluster> StartAsync(int size, string extraHocon = "")
    {
        ChatTestNode first = await ChatTestNode.StartAsync(extraHocon: extraHocon);
        ChatTestNode[] others = await Task.WhenAll(Enumerable.Range(1, size - 1).Select(_ => ChatTestNode.StartAsync(first.Address, extraHocon)));
        var cluster = new ChatTestCluster([first, .. others]);
        await cluster.ConvergedAsync(size);
        return cluster;
    }

    /// <summary>Waits until every running node sees <paramref name="members"/> members, all Up.</summary>
    public Task ConvergedAsync(int members) =>
        Eventually.MatchAsync(
            () => Task.FromResult(_running.All(n => Cluster.Get(n.System).State.Members.Count(m => m.Status == MemberStatus.Up) == members
                && Cluster.Get(n.System).State.Members.Count == members)),
            converged => converged,
            TimeSpan.FromSeconds(30),
            $"cluster converging on {members} Up members");

    /// <summary>Stops one node gracefully (it leaves the cluster).</summary>
    public async Task StopAsync(ChatTestNode node)
    {
        _running.Remove(node);
        await node.StopAsync();
    }

    /// <summary>
    /// Kills one node as a crash would: its actor system stops without leaving the cluster (with
    /// <c>akka.coordinated-shutdown.run-by-actor-system-terminate = off</c> in the cluster's HOCON), so the others see it
    /// unreachable until the split brain resolver downs it.
    /// </summary>
    public async Task CrashAsync(ChatTestNode node)
    {
        _running.Remove(node);
        await node.System.Terminate().WaitAsync(TimeSpan.FromSeconds(30));
        node.Host.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        ChatTestNode[] running = [.. _running];
        _running.Clear();
        await Task.WhenAll(running.Select(n => n.StopAsync()));
    }
}
