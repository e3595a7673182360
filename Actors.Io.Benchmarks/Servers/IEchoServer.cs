namespace Actors.Io.Benchmarks.Servers;

/// <summary>One echo server implementation: listens on 127.0.0.1 and writes back every byte it reads, in order.</summary>
internal interface IEchoServer : IDisposable
{
    /// <summary>Starts listening on <paramref name="port"/> (0: any free port) and returns the port.</summary>
    int Start(int port);
}

/// <summary>The server kinds the comparison runs, by name.</summary>
internal static class EchoServers
{
    public const string ActorsIo = "actors-io";
    public const string ActorsIoLeased = "actors-io-leased";
    public const string ActorsIoReadme = "actors-io-readme";
    public const string ActorsIoPorted = "actors-io-ported";
    public const string AkkaIo = "akka-io";
    public const string Sockets = "sockets";
    public const string Epoll = "epoll";
    public const string ActorsIoTls = "actors-io-tls";
    public const string ActorsIoTlsLeased = "actors-io-tls-leased";
    public const string ActorsIoTlsReadme = "actors-io-tls-readme";
    public const string SocketsTls = "sockets-tls";

    /// <summary>Every kind, in the order the tables list them.</summary>
    public static readonly IReadOnlyList<string> All = [ActorsIo, ActorsIoLeased, ActorsIoReadme, ActorsIoPorted, AkkaIo, Sockets, Epoll];

    /// <summary>The TLS servers: run only when named (<c>--servers actors-io-tls,sockets-tls</c>), against each other.</summary>
    public static readonly IReadOnlyList<string> Tls = [ActorsIoTls, ActorsIoTlsLeased, ActorsIoTlsReadme, SocketsTls];

    /// <summary>Every kind a command may name.</summary>
    public static IEnumerable<string> Known => All.Concat(Tls);

    /// <summary>True for a server the load generator must speak TLS to.</summary>
    public static bool IsTls(string kind) => Tls.Contains(kind);

    /// <summary>The backlog every server listens with (the kernel caps it at net.core.somaxconn).</summary>
    public const int Backlog = 4096;

    /// <summary>
    /// HOCON from the environment variable <c>ECHO_SERVER_HOCON</c>, laid over the Akka-based servers' configuration
    /// (for experiments such as <c>actors-io.loop-dispatcher.throughput = 128</c>; the comparison itself sets nothing).
    /// </summary>
    public static Akka.Configuration.Config ExtraConfig() =>
        Akka.Configuration.ConfigurationFactory.ParseString(Environment.GetEnvironmentVariable("ECHO_SERVER_HOCON") ?? string.Empty);

    public static IEchoServer Create(string kind) => kind switch
    {
        ActorsIo => new ActorsIoEchoServer(Tcp.ReceiveMode.Copied),
        ActorsIoLeased => new ActorsIoEchoServer(Tcp.ReceiveMode.Leased),
        ActorsIoReadme => new ActorsIoEchoServer(Tcp.ReceiveMode.Copied, HandlerPlacement.Props),
        ActorsIoPorted => new ActorsIoEchoServer(Tcp.ReceiveMode.Copied, HandlerPlacement.DefaultDispatcher),
        AkkaIo => new AkkaIoEchoServer(),
        Sockets => new SocketsEchoServer(),
        Epoll => new EpollEchoServer(),
        ActorsIoTls => new ActorsIoEchoServer(Tcp.ReceiveMode.Copied, tls: true),
        ActorsIoTlsLeased => new ActorsIoEchoServer(Tcp.ReceiveMode.Leased, tls: true),
        ActorsIoTlsReadme => new ActorsIoEchoServer(Tcp.ReceiveMode.Copied, HandlerPlacement.Props, tls: true),
        SocketsTls => new SocketsTlsEchoServer(),
        _ => throw new ArgumentException($"Unknown server kind '{kind}'; known: {string.Join(", ", Known)}."),
    };
}
