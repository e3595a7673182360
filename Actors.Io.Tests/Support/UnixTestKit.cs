using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Support;

/// <summary>
/// What the Unix socket tests share: a short per-test directory for socket files (sun_path holds 108 bytes), deleted at
/// the end; the transports a test can run over (TCP, a socket file, a Linux abstract name); and an Actors.Io connection
/// pair, both ends driven through the protocol.
/// </summary>
public abstract class UnixTestKit(ITestOutputHelper output, string hocon = "") : ConnectionTestKit(hocon, output)
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("aio");

    /// <summary>The transports every round trip runs over; abstract names only where they exist (Linux).</summary>
    public static TheoryData<string> Transports =>
        OperatingSystem.IsLinux() ? new TheoryData<string>("tcp", "unix", "abstract") : new TheoryData<string>("tcp", "unix");

    /// <summary>Both ends of an Actors.Io connection: the one opened by Connect and the one the listener accepted.</summary>
    protected sealed record Pair(IActorRef Outgoing, TcpMsg.Connected OutgoingConnected, IActorRef Incoming, TcpMsg.Connected IncomingConnected);

    protected string SocketPath(string name = "s") => Path.Combine(_directory.FullName, name);

    protected UnixDomainSocketEndPoint SocketFile(string name = "s") => new(SocketPath(name));

    protected static UnixDomainSocketEndPoint AbstractName() => new("\0aio-" + Guid.NewGuid().ToString("N"));

    /// <summary>An address to bind for <paramref name="transport"/> (one of <see cref="Transports"/>).</summary>
    protected EndPoint AddressFor(string transport) => transport switch
    {
        "tcp" => new IPEndPoint(IPAddress.Loopback, 0),
        "unix" => SocketFile(),
        "abstract" => AbstractName(),
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "tcp, unix or abstract"),
    };

    /// <summary>Binds <paramref name="address"/> with <paramref name="handler"/>; returns the bound address and the listener.</summary>
    protected (EndPoint Address, IActorRef Listener) BindTo(
        EndPoint address, IActorRef handler, bool pullMode = false, params TcpMsg.SocketOption[] options)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(handler, address, options: options, pullMode: pullMode), commander);
        EndPoint bound = commander.ExpectMsg<TcpMsg.Bound>(Step).LocalAddress;
        return (bound, commander.LastSender);
    }

    /// <summary>Sends <paramref name="command"/> to the manager and returns its failure.</summary>
    protected TcpMsg.CommandFailed ExpectFailure(TcpMsg.Command command)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(command, commander);
        var failed = commander.ExpectMsg<TcpMsg.CommandFailed>(Step);
        Assert.Same(command, failed.Cmd);
        Assert.NotNull(failed.Cause);
        return failed;
    }

    /// <summary>
    /// Connects to <paramref name="server"/> (a listener whose bind handler is <paramref name="serverHandler"/>) and
    /// registers both ends: <paramref name="serverHandler"/> handles the accepted one, <paramref name="clientHandler"/> the other.
    /// </summary>
    protected static Pair ConnectPair(
        IActorRef manager, EndPoint server, TestProbe serverHandler, TestProbe clientHandler, bool pullMode = false, bool keepOpenOnPeerClosed = false)
    {
        manager.Tell(new TcpMsg.Connect(server, pullMode: pullMode), clientHandler);
        var outgoingConnected = clientHandler.ExpectMsg<TcpMsg.Connected>(Step);
        IActorRef outgoing = clientHandler.LastSender;
        var incomingConnected = serverHandler.ExpectMsg<TcpMsg.Connected>(Step);
        IActorRef incoming = serverHandler.LastSender;
        outgoing.Tell(new TcpMsg.Register(clientHandler, keepOpenOnPeerClosed), clientHandler);
        incoming.Tell(new TcpMsg.Register(serverHandler, keepOpenOnPeerClosed), serverHandler);
        return new Pair(outgoing, outgoingConnected, incoming, incomingConnected);
    }

    /// <summary>Binds <paramref name="transport"/>'s address and connects a registered pair to it.</summary>
    protected Pair OpenPair(string transport, TestProbe server, TestProbe client, bool pullMode = false)
    {
        (EndPoint bound, _) = BindTo(AddressFor(transport), server);
        return ConnectPair(Sys.Io(), bound, server, client, pullMode);
    }

    /// <summary>A blocking Unix stream socket with 5 s timeouts, closed when the test ends.</summary>
    protected Socket NewUnixSocket() =>
        Track(new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 5000, SendTimeout = 5000 });

    /// <summary>
    /// Leaves a socket file nobody listens on at <paramref name="path"/>, as a process that died would: a socket bound
    /// under another name, renamed to <paramref name="path"/>, then closed (the runtime deletes only the name it bound).
    /// </summary>
    protected void LeaveStaleSocketFile(string path)
    {
        using (Socket dead = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path + ".tmp"));
            dead.Listen();
            File.Move(path + ".tmp", path);
        }

        Assert.True(File.Exists(path), $"the stale socket file {path} was not left behind");
    }

    protected override void AfterAll()
    {
        base.AfterAll();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Removed already.
        }
    }
}
