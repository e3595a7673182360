using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Support;

/// <summary>
/// What the connection tests share: a listener on a loopback port, plain <see cref="Socket"/> peers (blocking, with
/// timeouts, so every wait on them is bounded), byte patterns that expose any reordering, and a way to know that bytes a
/// peer sent are in the other side's kernel.
/// </summary>
public abstract class ConnectionTestKit(string hocon, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(hocon + "\n" + TestConfigs.Quiet), output: output)
{
    /// <summary>The longest any single step of a test may take.</summary>
    protected static readonly TimeSpan Step = TimeSpan.FromSeconds(3);

    private readonly List<IDisposable> _disposables = [];

    /// <summary>An ack event carrying a number, so acks can be told apart and their order checked.</summary>
    protected sealed class Ack(int id) : TcpMsg.Event
    {
        public int Id { get; } = id;

        public override bool Equals(object? obj) => obj is Ack other && other.Id == Id;

        public override int GetHashCode() => Id;

        public override string ToString() => $"Ack({Id})";
    }

    /// <summary>Binds a listener on a free loopback port; <paramref name="handler"/> (default: the test actor) gets Connected.</summary>
    protected IPEndPoint Bind(IActorRef? handler = null, bool pullMode = false, IEnumerable<TcpMsg.SocketOption>? options = null)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(handler ?? TestActor, new IPEndPoint(IPAddress.Loopback, 0), options: options, pullMode: pullMode), commander);
        var bound = commander.ExpectMsg<TcpMsg.Bound>(Step);
        return (IPEndPoint)bound.LocalAddress;
    }

    /// <summary>A blocking IPv4 client socket with 5 s send and receive timeouts, closed when the test ends.</summary>
    protected Socket NewClient(int receiveBufferSize = 0)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = 5000,
            SendTimeout = 5000,
            NoDelay = true,
        };
        if (receiveBufferSize > 0) socket.ReceiveBufferSize = receiveBufferSize;
        return Track(socket);
    }

    /// <summary>
    /// Connects a plain client to <paramref name="server"/> (whose bind handler is the test actor), answers the
    /// Connected with Register, and returns the client and the connection actor.
    /// </summary>
    protected (Socket Client, IActorRef Connection) Accept(
        IPEndPoint server, IActorRef? handler = null, bool keepOpenOnPeerClosed = false, bool useResumeWriting = true, int clientReceiveBufferSize = 0)
    {
        (Socket client, IActorRef connection) = AcceptUnregistered(server, clientReceiveBufferSize);
        connection.Tell(new TcpMsg.Register(handler ?? TestActor, keepOpenOnPeerClosed, useResumeWriting));
        return (client, connection);
    }

    /// <summary>Connects a plain client and returns it with the connection actor, which still waits for Register.</summary>
    protected (Socket Client, IActorRef Connection) AcceptUnregistered(IPEndPoint server, int clientReceiveBufferSize = 0)
    {
        Socket client = NewClient(clientReceiveBufferSize);
        client.Connect(server);
        ExpectMsg<TcpMsg.Connected>(Step);
        return (client, LastSender);
    }

    /// <summary>
    /// Opens an Actors.Io connection (Connect, answered with Register for <paramref name="handler"/>, default the test
    /// actor) to a plain listener, and returns it with the peer socket that listener accepted.
    /// </summary>
    protected (IActorRef Connection, Socket Peer) ConnectOutgoing(bool pullMode = false, IActorRef? handler = null, bool keepOpenOnPeerClosed = false)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Sys.Io().Tell(new TcpMsg.Connect(listener.LocalEndPoint!, pullMode: pullMode));
        ExpectMsg<TcpMsg.Connected>(Step);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(handler ?? TestActor, keepOpenOnPeerClosed));
        Socket peer = Track(listener.Accept());
        peer.ReceiveTimeout = 5000;
        peer.SendTimeout = 5000;
        return (connection, peer);
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

    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded by the socket's receive timeout).</summary>
    protected static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException($"EOF after {got} of {count} bytes");
            got += n;
        }

        return buffer;
    }

    /// <summary>Asserts the peer closed its side: the next read returns 0.</summary>
    protected static void AssertEof(Socket socket)
    {
        var one = new byte[1];
        Assert.Equal(0, socket.Receive(one));
    }

    /// <summary>Asserts the connection was reset or closed: the next read sees a reset or EOF.</summary>
    protected static void AssertResetOrEof(Socket socket)
    {
        var one = new byte[1];
        try
        {
            Assert.Equal(0, socket.Receive(one));
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }
    }

    /// <summary>Waits (polling every 2 ms, at most <see cref="Step"/>) until <paramref name="condition"/> holds.</summary>
    protected void AwaitTrue(Func<bool> condition, string? what = null) =>
        AwaitCondition(condition, Step, TimeSpan.FromMilliseconds(2), what);

    /// <summary>
    /// Waits until the kernel of the other side has acknowledged everything <paramref name="sender"/> sent (its data and
    /// any FIN are then in the other side's kernel), read from Linux <c>TCP_INFO</c> (<c>tcpi_unacked</c>, offset 24).
    /// </summary>
    protected void AwaitDelivered(Socket sender) =>
        AwaitCondition(() => Unacked(sender) == 0, Step, TimeSpan.FromMilliseconds(5), "the peer's kernel acknowledges what was sent");

    private static int Unacked(Socket socket)
    {
        Span<byte> info = stackalloc byte[256];
        int length = socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
        Assert.True(length >= 28, $"TCP_INFO returned {length} bytes");
        return BitConverter.ToInt32(info[24..28]);
    }

    /// <summary>A write of <paramref name="data"/> acked with <see cref="Ack"/>(<paramref name="id"/>).</summary>
    protected static TcpMsg.Write AckedWrite(byte[] data, int id) => TcpMsg.Write.Create(ByteString.FromBytes(data), new Ack(id));
}
