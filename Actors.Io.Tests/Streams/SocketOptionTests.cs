using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Socket options of Bind and Connect, read back from the sockets of the listener and connection actors; buffer sizes
/// over TCP and a Unix socket file alike.</summary>
public sealed class SocketOptionTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private const int BufferSize = 32 * 1024;

    [Fact]
    public void Connect_applies_its_options()
    {
        using Socket server = PlainListener(out IPEndPoint target);
        Sys.Io().Tell(new TcpMsg.Connect(
            target,
            options: [new TcpMsg.SO.KeepAlive(true), new TcpMsg.SO.ReceiveBufferSize(BufferSize), new TcpMsg.SO.SendBufferSize(BufferSize), new TcpMsg.SO.NoDelay(false)]));
        Socket socket = Loopback.SocketOf(ExpectMsg<TcpMsg.Connected>());
        LastSender.Tell(new TcpMsg.Register(TestActor));

        Assert.NotEqual(0, Loopback.IntOption(socket, SocketOptionLevel.Socket, SocketOptionName.KeepAlive));
        Assert.False(socket.NoDelay);

        // Linux reports twice the size asked (it counts its bookkeeping); the BSDs report it as asked.
        Assert.Contains(socket.ReceiveBufferSize, new[] { BufferSize, 2 * BufferSize });
        Assert.Contains(socket.SendBufferSize, new[] { BufferSize, 2 * BufferSize });
    }

    [Fact]
    public void NoDelay_is_on_by_default_for_outgoing_and_accepted_connections()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;

        Sys.Io().Tell(new TcpMsg.Connect(local));
        var sockets = new List<Socket>();
        for (int i = 0; i < 2; i++)
        {
            // One Connected from the outgoing connection, one from the accepted one (both to TestActor).
            sockets.Add(Loopback.SocketOf(ExpectMsg<TcpMsg.Connected>()));
            LastSender.Tell(new TcpMsg.Register(TestActor));
        }

        Assert.All(sockets, s => Assert.True(s.NoDelay));
        Assert.All(sockets, s => Assert.Equal(0, Loopback.IntOption(s, SocketOptionLevel.Socket, SocketOptionName.KeepAlive)));
    }

    [Fact]
    public void Bind_options_apply_to_every_accepted_connection()
    {
        Sys.Io().Tell(new TcpMsg.Bind(
            TestActor,
            new IPEndPoint(IPAddress.Loopback, 0),
            options: [new TcpMsg.SO.KeepAlive(true), new TcpMsg.SO.NoDelay(false)]));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;

        using Socket client = Loopback.Connect(local);
        Socket accepted = Loopback.SocketOf(ExpectMsg<TcpMsg.Connected>());
        LastSender.Tell(new TcpMsg.Register(TestActor));
        Assert.NotEqual(0, Loopback.IntOption(accepted, SocketOptionLevel.Socket, SocketOptionName.KeepAlive));
        Assert.False(accepted.NoDelay);
    }

    [Fact]
    public void Bind_with_ReuseAddress_sets_it_and_listens()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), options: [new TcpMsg.SO.ReuseAddress(true)]));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        Socket listening = Loopback.ListeningSocketOf(local);
        // SO_REUSEADDR (2 on Linux) read raw: .NET's own ReuseAddress option also involves SO_REUSEPORT there.
        byte[] reuseAddress = new byte[4];
        listening.GetRawSocketOption(1, 2, reuseAddress);
        Assert.NotEqual(0, BitConverter.ToInt32(reuseAddress));

        // Only SO_REUSEADDR: the port is not shared with another listener (SO_REUSEPORT, 15 on Linux, stays off).
        byte[] reusePort = new byte[4];
        listening.GetRawSocketOption(1, 15, reusePort);
        Assert.Equal(0, BitConverter.ToInt32(reusePort));

        using Socket client = Loopback.Connect(local);
        ExpectMsg<TcpMsg.Connected>();
        LastSender.Tell(new TcpMsg.Register(TestActor));
    }

    [Fact]
    public void Bind_with_ReusePort_twice_on_the_same_port_binds_both()
    {
        TcpMsg.SocketOption[] reusePort = [new TcpMsg.SO.ReusePort(true)];
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), options: reusePort));
        var first = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        IActorRef firstListener = LastSender;

        Sys.Io().Tell(new TcpMsg.Bind(TestActor, first, options: reusePort));
        var second = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        Assert.Equal(first, second);
        Assert.NotEqual(firstListener, LastSender);

        using Socket client = Loopback.Connect(first);
        ExpectMsg<TcpMsg.Connected>();
        LastSender.Tell(new TcpMsg.Register(TestActor));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Buffer_sizes_apply_to_both_transports(string transport)
    {
        TcpMsg.SocketOption[] buffers = [new TcpMsg.SO.ReceiveBufferSize(64 * 1024), new TcpMsg.SO.SendBufferSize(64 * 1024)];
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        (EndPoint bound, _) = BindTo(AddressFor(transport), server, options: buffers);
        Sys.Io().Tell(new TcpMsg.Connect(bound, options: buffers), client);
        client.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        client.LastSender.Tell(new TcpMsg.Register(client), client);
        server.ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        server.LastSender.Tell(new TcpMsg.Register(server), server);
        client.LastSender.Tell(AckedWrite("sized"u8.ToArray(), 1), client);
        client.ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("sized", server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    private static Socket PlainListener(out IPEndPoint local)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        local = (IPEndPoint)listener.LocalEndPoint!;
        return listener;
    }
}
