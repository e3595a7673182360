using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Support;

/// <summary>
/// The actor side of the loopback kit, for tests of stream listeners and connections: binds on 127.0.0.1:0 or a socket
/// file (in a short per-test directory, as sun_path holds 108 bytes, deleted at the end), plain peers from
/// <see cref="Loopback"/> closed when the test ends, Actors.Io connection pairs, byte patterns that expose any
/// reordering, and a way to know that bytes a peer sent are in the other side's kernel. A test that reads the meter names
/// its own <paramref name="systemName"/>: the meter's <c>system</c> tag tells its measurements from those of tests alongside.
/// </summary>
public abstract class LoopbackTestKit(ITestOutputHelper output, string hocon = "", string? systemName = null)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(hocon + "\n" + TestConfigs.Quiet), systemName, output)
{
    private readonly List<IDisposable> _disposables = [];
    private readonly Lazy<DirectoryInfo> _directory = new(() => Directory.CreateTempSubdirectory("aio"));

    /// <summary>TCP on loopback and a Unix socket file: what a behaviour common to both stream transports runs over.</summary>
    public static TheoryData<string> TcpAndUnix => new("tcp", "unix");

    /// <summary>Every stream transport: <see cref="TcpAndUnix"/>, and Linux abstract names where they exist.</summary>
    public static TheoryData<string> Transports =>
        OperatingSystem.IsLinux() ? new TheoryData<string>("tcp", "unix", "abstract") : new TheoryData<string>("tcp", "unix");

    /// <summary>An ack event carrying a number, so acks can be told apart and their order checked.</summary>
    protected sealed class Ack(int id) : TcpMsg.Event
    {
        public int Id { get; } = id;

        public override bool Equals(object? obj) => obj is Ack other && other.Id == Id;

        public override int GetHashCode() => Id;

        public override string ToString() => $"Ack({Id})";
    }

    /// <summary>Both ends of an Actors.Io connection: the one opened by Connect and the one the listener accepted.</summary>
    protected sealed record Pair(IActorRef Outgoing, TcpMsg.Connected OutgoingConnected, IActorRef Incoming, TcpMsg.Connected IncomingConnected);

    protected string SocketPath(string name = "s") => Path.Combine(_directory.Value.FullName, name);

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

    /// <summary>Binds a listener on a free loopback port; <paramref name="handler"/> (default: the test actor) gets Connected.</summary>
    protected IPEndPoint Bind(IActorRef? handler = null, bool pullMode = false, IEnumerable<TcpMsg.SocketOption>? options = null) =>
        (IPEndPoint)Bind("tcp", handler, pullMode, options);

    /// <summary>Binds a listener on <paramref name="transport"/>; <paramref name="handler"/> (default: the test actor) gets Connected.</summary>
    protected EndPoint Bind(string transport, IActorRef? handler = null, bool pullMode = false, IEnumerable<TcpMsg.SocketOption>? options = null) =>
        BindTo(AddressFor(transport), handler ?? TestActor, pullMode, options?.ToArray() ?? []).Address;

    /// <summary>Binds <paramref name="address"/> with <paramref name="handler"/>; returns the bound address and the listener.</summary>
    protected (EndPoint Address, IActorRef Listener) BindTo(
        EndPoint address, IActorRef handler, bool pullMode = false, params TcpMsg.SocketOption[] options)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(handler, address, options: options, pullMode: pullMode), commander);
        EndPoint bound = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
        return (bound, commander.LastSender);
    }

    /// <summary>Sends <paramref name="command"/> to the manager and returns its failure.</summary>
    protected TcpMsg.CommandFailed ExpectFailure(TcpMsg.Command command)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(command, commander);
        var failed = commander.ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(command, failed.Cmd);
        Assert.NotNull(failed.Cause);
        return failed;
    }

    /// <summary>A plain IPv4 client socket (see <see cref="Loopback.NewClient"/>), closed when the test ends.</summary>
    protected Socket NewClient(int receiveBufferSize = 0) => NewClient(AddressFamily.InterNetwork, receiveBufferSize);

    /// <summary>A plain client socket of <paramref name="family"/> (see <see cref="Loopback.NewClient"/>), closed when the test ends.</summary>
    protected Socket NewClient(AddressFamily family, int receiveBufferSize = 0) => Track(Loopback.NewClient(family, receiveBufferSize));

    /// <summary>
    /// Connects a plain client to <paramref name="server"/> (whose bind handler is the test actor), answers the
    /// Connected with Register, and returns the client and the connection actor.
    /// </summary>
    protected (Socket Client, IActorRef Connection) Accept(
        EndPoint server, IActorRef? handler = null, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true, int clientReceiveBufferSize = 0)
    {
        (Socket client, IActorRef connection) = AcceptUnregistered(server, clientReceiveBufferSize);
        connection.Tell(new TcpMsg.Register(handler ?? TestActor, keepOpenOnPeerClosed, useResumeWriting));
        return (client, connection);
    }

    /// <summary>Connects a plain client and returns it with the connection actor, which still waits for Register.</summary>
    protected (Socket Client, IActorRef Connection) AcceptUnregistered(EndPoint server, int clientReceiveBufferSize = 0)
    {
        Socket client = NewClient(server.AddressFamily, clientReceiveBufferSize);
        client.Connect(server);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        return (client, LastSender);
    }

    /// <summary>
    /// Opens an Actors.Io connection (Connect, answered with Register for <paramref name="handler"/>, default the test
    /// actor) to a plain listener, and returns it with the peer socket that listener accepted.
    /// </summary>
    protected (IActorRef Connection, Socket Peer) ConnectOutgoing(
        bool pullMode = false, IActorRef? handler = null, bool keepOpenOnPeerClosed = false, TcpMsg.ReceiveMode receiveMode = TcpMsg.ReceiveMode.Copied)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Sys.Io().Tell(new TcpMsg.Connect(listener.LocalEndPoint!, pullMode: pullMode));
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(handler ?? TestActor, keepOpenOnPeerClosed, receiveMode: receiveMode));
        Socket peer = Track(listener.Accept());
        peer.ReceiveTimeout = TestWaits.ExpectMilliseconds;
        peer.SendTimeout = TestWaits.ExpectMilliseconds;
        return (connection, peer);
    }

    /// <summary>
    /// Connects to <paramref name="server"/> (a listener whose bind handler is <paramref name="serverHandler"/>) and
    /// registers both ends: <paramref name="serverHandler"/> handles the accepted one, <paramref name="clientHandler"/> the other.
    /// </summary>
    protected static Pair ConnectPair(
        IActorRef manager, EndPoint server, TestProbe serverHandler, TestProbe clientHandler, bool pullMode = false, bool keepOpenOnPeerClosed = false)
    {
        manager.Tell(new TcpMsg.Connect(server, pullMode: pullMode), clientHandler);
        var outgoingConnected = clientHandler.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef outgoing = clientHandler.LastSender;
        var incomingConnected = serverHandler.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
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

    /// <summary>
    /// Leaves a socket file nobody listens on at <paramref name="path"/>, as a process that died would: a socket bound
    /// under another name, renamed to <paramref name="path"/>, then closed (the runtime deletes only the name it bound).
    /// </summary>
    protected static void LeaveStaleSocketFile(string path)
    {
        using (Socket dead = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            dead.Bind(new UnixDomainSocketEndPoint(path + ".tmp"));
            dead.Listen();
            File.Move(path + ".tmp", path);
        }

        Assert.True(File.Exists(path), $"the stale socket file {path} was not left behind");
    }

    /// <summary>Disposes <paramref name="resource"/> when the test ends.</summary>
    protected T Track<T>(T resource)
        where T : IDisposable
    {
        lock (_disposables) _disposables.Add(resource);
        return resource;
    }

    protected override void AfterAll()
    {
        lock (_disposables)
        {
            foreach (IDisposable d in _disposables)
            {
                try
                {
                    d.Dispose();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Already gone.
                }
            }

            _disposables.Clear();
        }

        base.AfterAll();
        if (!_directory.IsValueCreated) return;
        try
        {
            _directory.Value.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Removed already.
        }
    }

    /// <summary>Byte <paramref name="position"/> of stream <paramref name="seed"/>: no short period, so a lost, repeated or
    /// reordered chunk shows.</summary>
    protected static byte PatternByte(long position, int seed = 0) =>
        (byte)((((ulong)position * 2654435761UL) >> 11) ^ ((ulong)position >> 16) ^ (ulong)(seed * 131));

    protected static byte[] Pattern(int length, long offset = 0, int seed = 0)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = PatternByte(offset + i, seed);
        return bytes;
    }

    /// <summary>Asserts <paramref name="actual"/> is <paramref name="expected"/>, naming the first differing offset.</summary>
    protected static void AssertSameBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        int at = expected.CommonPrefixLength(actual);
        Assert.True(at == expected.Length, $"bytes differ at offset {at} of {expected.Length}");
    }

    protected static byte[] ReadExactly(Socket socket, int count) => Loopback.ReadExactly(socket, count);

    protected static void AssertEof(Socket socket) => Loopback.AssertEof(socket);

    protected static void AssertResetOrEof(Socket socket) => Loopback.AssertResetOrEof(socket);

    /// <summary>Waits (polling every 2 ms, at most <see cref="TestWaits.Expect"/>) until <paramref name="condition"/> holds.</summary>
    protected void AwaitTrue(Func<bool> condition, string? what = null) =>
        AwaitCondition(condition, TestWaits.Expect, TimeSpan.FromMilliseconds(2), what);

    /// <summary>Waits until everything <paramref name="sender"/> sent (its data and any FIN) is in the other side's kernel.</summary>
    protected void AwaitDelivered(Socket sender) =>
        AwaitCondition(() => Loopback.Unacked(sender) == 0, TestWaits.Expect, TimeSpan.FromMilliseconds(5), "the peer's kernel acknowledges what was sent");

    /// <summary>A write of <paramref name="data"/> acked with <see cref="Ack"/>(<paramref name="id"/>).</summary>
    protected static TcpMsg.Write AckedWrite(byte[] data, int id) => TcpMsg.Write.Create(ByteString.FromBytes(data), new Ack(id));
}
