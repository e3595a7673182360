using System.Globalization;
using System.Net;
using System.Text;
using Actors.Io.Hosting;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Tools.PublishSubscribe;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;

namespace Actors.Io.Sample.Chat;

/// <summary>What the command line says about a chat node; a null value keeps the node's HOCON.</summary>
internal sealed record ChatNodeOverrides(
    IPAddress? Host = null,
    int? Port = null,
    int? ClusterPort = null,
    IReadOnlyList<DnsEndPoint>? Seeds = null,
    int? MaxClients = null,
    Tcp.TlsServerSettings? Tls = null);

/// <summary>Sets up one chat node on an Akka.Hosting builder: the program and the tests start nodes with this.</summary>
internal static class ChatNode
{
    /// <summary>The actor system's name; every node of one cluster must use the same.</summary>
    public const string SystemName = "actors-io-chat";

    /// <summary>The node configuration the program loads unless told otherwise: <c>HOCON/chat-node.conf</c> beside it.</summary>
    public static string DefaultConfigPath => Path.Combine(AppContext.BaseDirectory, "HOCON", "chat-node.conf");

    /// <summary>Reads a node configuration file (HOCON).</summary>
    public static Config LoadConfig(string? path = null)
    {
        path ??= DefaultConfigPath;
        if (!File.Exists(path)) throw new FileNotFoundException($"the node configuration {path} does not exist", path);
        return ConfigurationFactory.ParseString(File.ReadAllText(path));
    }

    /// <summary>The cluster address of a seed given as host and port.</summary>
    public static string SeedAddress(DnsEndPoint seed) =>
        seed.Host.Contains(':', StringComparison.Ordinal)
            ? $"akka.tcp://{SystemName}@[{seed.Host}]:{seed.Port}"
            : $"akka.tcp://{SystemName}@{seed.Host}:{seed.Port}";

    /// <summary>
    /// Configures a chat node: <paramref name="nodeConfig"/> is the base, <paramref name="overrides"/> win over it, then
    /// remoting and clustering, distributed pub/sub (the rooms), the nickname registry singleton, Actors.Io, the
    /// <see cref="ChatServer"/> with its CoordinatedShutdown tasks, and <see cref="ClusterNotices"/>. A node given no seed
    /// joins itself.
    /// </summary>
    public static AkkaConfigurationBuilder WithChatNode(this AkkaConfigurationBuilder akka, Config nodeConfig, ChatNodeOverrides overrides)
    {
        akka.AddHocon(nodeConfig, HoconAddMode.Append);
        var commandLine = new StringBuilder();
        if (overrides.Host is { } host) commandLine.Append("chat.host = \"").Append(host).Append("\"\n");
        if (overrides.Port is { } port) commandLine.Append("chat.port = ").Append(port.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (overrides.MaxClients is { } max) commandLine.Append("chat.max-clients = ").Append(max.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (commandLine.Length > 0) akka.AddHocon(commandLine.ToString(), HoconAddMode.Prepend);

        return akka
            .WithRemoting(new RemoteOptions { HostName = overrides.Host?.ToString(), Port = overrides.ClusterPort })
            .WithClustering(new ClusterOptions
            {
                SeedNodes = overrides.Seeds is { Count: > 0 } seeds ? [.. seeds.Select(SeedAddress)] : null,
            })
            .WithDistributedPubSub(string.Empty)
            .WithSingleton<ChatRegistry>(
                "chat-registry",
                (system, _, _) => ChatRegistry.Props(ChatSettings.FromConfig(system.Settings.Config).RecoveryTimeout),
                new ClusterSingletonOptions { BufferSize = 10000 })
            .WithActorsIo()
            .WithActors((system, registry) =>
            {
                ChatSettings settings = ChatSettings.FromConfig(system.Settings.Config);
                var cluster = Akka.Cluster.Cluster.Get(system);
                string node = ClusterNotices.Node(cluster.SelfAddress);
                IActorRef server = system.ActorOf(
                    ChatServer.Props(settings, registry.Get<ChatRegistry>(), registry.Get<DistributedPubSub>(), node, overrides.Tls),
                    ChatServer.ActorName);
                registry.Register<ChatServer>(server);
                system.ActorOf(ClusterNotices.Props(server), "cluster-notices");

                // Shutdown needs no task of its own: Actors.Io's drain (CoordinatedShutdown's service phases, before the
                // node leaves the cluster) closes the listener and tells each session Draining, which says goodbye.
                if (cluster.Settings.SeedNodes.Count == 0) cluster.Join(cluster.SelfAddress);
            });
    }
}
