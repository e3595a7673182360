using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Actors.Io;
using Actors.Io.Hosting;
using Actors.Io.Sample;
using Actors.Io.Sample.Chat;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// dotnet run --project Actors.Io.Sample [-- chat ... | echo ...]   (SampleOptions.Usage says it all)
// A chat node (the default) or an echo server, each an Akka.NET actor system in a .NET generic host; Ctrl-C stops it
// through CoordinatedShutdown.
SampleOptions options;
try
{
    options = SampleOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"Actors.Io.Sample: {e.Message}");
    Console.Error.WriteLine(SampleOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(SampleOptions.Usage);
    return 0;
}

return options.Mode == "echo" ? await RunEcho(options) : await RunChat(options);

static async Task<int> RunChat(SampleOptions options)
{
    Config nodeConfig;
    ChatSettings settings;
    try
    {
        nodeConfig = ChatNode.LoadConfig(options.ConfigPath);
        settings = ChatSettings.FromConfig(nodeConfig);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigurationException or ArgumentException)
    {
        Console.Error.WriteLine($"Actors.Io.Sample: {e.Message}");
        return 2;
    }

    IPAddress chatHost = options.Host ?? settings.Host;
    int chatPort = options.Port ?? settings.Port;
    IPAddress clusterHost = options.Host ?? (IPAddress.TryParse(nodeConfig.GetString("akka.remote.dot-netty.tcp.hostname"), out IPAddress? h) ? h : IPAddress.Any);
    int clusterPort = options.ClusterPort ?? nodeConfig.GetInt("akka.remote.dot-netty.tcp.port");
    foreach ((string what, IPAddress ip, int port) in new[] { ("chat", chatHost, chatPort), ("cluster", clusterHost, clusterPort) })
    {
        if (PortCheck.IsListening(ip, port))
        {
            Console.Error.WriteLine($"Actors.Io.Sample: the {what} port {ip}:{port} is in use (another node?); choose another with --{(what == "chat" ? "port" : "cluster-port")}");
            return 1;
        }
    }

    if (!TryLoadTls(options, out Tcp.TlsServerSettings? tls)) return 2;
    var overrides = new ChatNodeOverrides(options.Host, options.Port, options.ClusterPort, options.Seeds, options.MaxClients, tls);
    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddAkka(ChatNode.SystemName, akka => akka.WithChatNode(nodeConfig, overrides));
    using IHost host = builder.Build();

    ChatServer.Binding? binding = await StartAsync(host, async system =>
        await ActorRegistry.For(system).Get<ChatServer>().Ask<ChatServer.Binding>(ChatServer.GetBinding.Instance, TimeSpan.FromSeconds(10)));
    if (binding?.Address is not { } address)
    {
        Console.Error.WriteLine($"Actors.Io.Sample: the chat node did not start{(binding?.Failure is { } why ? ": " + why : string.Empty)}");
        await StopAsync(host);
        return 1;
    }

    ActorSystem system = host.Services.GetRequiredService<ActorSystem>();
    Akka.Actor.Address self = Akka.Cluster.Cluster.Get(system).SelfAddress;
    bool seedsItself = Akka.Cluster.Cluster.Get(system).Settings.SeedNodes.Count == 0;
    Console.WriteLine($"Chat node {self} ({(seedsItself ? "a cluster of one, seeding itself" : "joining its seeds")}).");
    Console.WriteLine(tls is null
        ? $"Chat clients connect to {address}: nc {address.Address} {address.Port}"
        : $"Chat clients connect to {address} over TLS: openssl s_client -quiet -connect {address.Address}:{address.Port}");
    Console.WriteLine($"Another node joins with: dotnet run --project Actors.Io.Sample -- chat --port {NextPort(address.Port)} --cluster-port {NextPort(self.Port ?? 4053)} --seed {self.Host}:{self.Port}");
    Console.WriteLine("Ctrl-C says goodbye to the clients, leaves the cluster and stops the node.");
    await host.WaitForShutdownAsync();
    return 0;
}

static async Task<int> RunEcho(SampleOptions options)
{
    var endpoint = new IPEndPoint(options.Host ?? IPAddress.Loopback, options.Port ?? 4000);
    if (!TryLoadTls(options, out Tcp.TlsServerSettings? tls)) return 2;
    HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Services.AddAkka("actors-io-echo", akka => akka
        .AddHocon("akka.loglevel = INFO", HoconAddMode.Prepend)
        .WithActorsIo()
        .WithActors((system, registry) => registry.Register<EchoServer>(system.ActorOf(Props.Create(() => new EchoServer(endpoint, options.Receive, tls)), "echo"))));
    using IHost host = builder.Build();

    Tcp.Event? bound = await StartAsync(host, async system =>
        await ActorRegistry.For(system).Get<EchoServer>().Ask<Tcp.Event>(EchoServer.GetBinding.Instance, TimeSpan.FromSeconds(10)));
    if (bound is not Tcp.Bound { LocalAddress: IPEndPoint address })
    {
        Console.Error.WriteLine($"Actors.Io.Sample: could not listen on {endpoint}{(bound is Tcp.CommandFailed failed ? ": " + failed.Cause?.Message : string.Empty)}");
        await StopAsync(host);
        return 1;
    }

    ActorsIo io = ActorsIo.Get(host.Services.GetRequiredService<ActorSystem>());
    Console.WriteLine($"Echo server on {address} ({io.Backend.ToString().ToLowerInvariant()}, {io.Settings.NrOfSelectors} selector(s), {options.Receive.ToString().ToLowerInvariant()} receive{(tls is null ? string.Empty : ", TLS")}).");
    Console.WriteLine(tls is null
        ? $"Try: nc {address.Address} {address.Port}   (Ctrl-C stops the server)"
        : $"Try: openssl s_client -quiet -connect {address.Address}:{address.Port}   (Ctrl-C stops the server)");
    await host.WaitForShutdownAsync();
    return 0;
}

// The --tls-cert certificate (PEM with --tls-key, or PKCS#12 with an optional --tls-password); false after saying why.
static bool TryLoadTls(SampleOptions options, out Tcp.TlsServerSettings? tls)
{
    tls = null;
    if (options.TlsCertificate is not { } certificateFile) return true;
    try
    {
        tls = new Tcp.TlsServerSettings(options.TlsKey is { } keyFile
            ? X509Certificate2.CreateFromPemFile(certificateFile, keyFile)
            : X509CertificateLoader.LoadPkcs12FromFile(certificateFile, options.TlsPassword));
        return true;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
    {
        Console.Error.WriteLine($"Actors.Io.Sample: cannot load the TLS certificate {certificateFile}: {e.Message}");
        return false;
    }
}

// Starts the host and asks the started system; null when the actor system did not start (Akka.Hosting logged why).
static async Task<T?> StartAsync<T>(IHost host, Func<ActorSystem, Task<T>> ask)
    where T : class
{
    try
    {
        await host.StartAsync();
        return await ask(host.Services.GetRequiredService<ActorSystem>());
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"Actors.Io.Sample: {e.GetBaseException().Message}");
        return null;
    }
}

static async Task StopAsync(IHost host)
{
    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
    try
    {
        await host.StopAsync(timeout.Token);
    }
    catch (Exception e)
    {
        Console.Error.WriteLine($"Actors.Io.Sample: stopping failed: {e.GetBaseException().Message}");
    }
}

static int NextPort(int port) => port is 0 or 65535 ? 0 : port + 1;
