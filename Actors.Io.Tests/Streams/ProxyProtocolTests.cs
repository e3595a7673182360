using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;
using V = Actors.Io.Tcp.ProxyProtocolVersions;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// A listener behind a load balancer (<see cref="TcpMsg.SO.ProxyProtocol"/>): hand-built PROXY headers from plain
/// sockets; the handler sees the client's address and none of the header, and a header that fails never reaches it.
/// </summary>
public sealed class ProxyProtocolTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.proxy-protocol-timeout = 3s", "proxy-" + Guid.NewGuid().ToString("N"))
{
    private const string Failures = "actors-io.connections.failures";
    // Long enough for the tests that send a header in several pieces on a loaded machine (400 ms was not, once in CI).
    private static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(3);
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.9"), 51000);
    private static readonly IPEndPoint Front4 = new(IPAddress.Parse("198.51.100.2"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::9"), 52000);
    private static readonly IPEndPoint Front6 = new(IPAddress.Parse("2001:db8::1"), 443);

    public static TheoryData<string, byte[], string?> Headers => new()
    {
        { "v1 TCP4", ProxyHeaders.V1(Client4, Front4), "203.0.113.9:51000" },
        { "v1 TCP6", ProxyHeaders.V1(Client6, Front6), "[2001:db8::9]:52000" },
        { "v1 UNKNOWN", ProxyHeaders.V1("PROXY UNKNOWN\r\n"), null },
        { "v2 IPv4 with TLVs", ProxyHeaders.V2(Client4, Front4, (0x01, "h2"u8.ToArray()), (0xEA, ProxyHeaders.Filler(200))), "203.0.113.9:51000" },
        { "v2 IPv6 with TLVs", ProxyHeaders.V2(Client6, Front6, (0x02, "example.com"u8.ToArray()), (0x04, ProxyHeaders.Filler(1000))), "[2001:db8::9]:52000" },
        { "v2 LOCAL", ProxyHeaders.V2Local(), null },
    };

    [Theory]
    [MemberData(nameof(Headers))]
    public void The_client_address_reaches_Connected_and_only_the_bytes_after_the_header_reach_the_handler(string name, byte[] header, string? client)
    {
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient();
        socket.Connect(server);
        socket.Send([.. header, .. "hello"u8]);

        var connected = ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        Assert.Equal(socket.LocalEndPoint, connected.ProxyAddress);
        Assert.Equal(client ?? socket.LocalEndPoint!.ToString(), connected.RemoteAddress.ToString());
        Assert.Equal(server, connected.LocalAddress);
        Assert.Contains(" via ", connected.ToString());
        LastSender.Tell(new TcpMsg.Register(TestActor));
        Assert.Equal("hello"u8.ToArray(), ReceiveAll(5));
        _ = name;
    }

    [Theory]
    [InlineData(TcpMsg.ReceiveMode.Copied)]
    [InlineData(TcpMsg.ReceiveMode.Leased)]
    public void Bytes_sent_with_the_header_arrive_first_in_either_receive_mode(TcpMsg.ReceiveMode mode)
    {
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol(V.V2)]);
        Socket socket = NewClient();
        socket.Connect(server);
        byte[] first = Pattern(3000);
        socket.Send([.. ProxyHeaders.V2(Client4, Front4), .. first]);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        IActorRef connection = LastSender;

        // Sent before Register: the kernel holds it behind what came with the header.
        byte[] second = Pattern(2000, offset: 3000);
        socket.Send(second);
        AwaitDelivered(socket);
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: mode));

        var received = new List<byte>();
        while (received.Count < 5000)
        {
            object message = ExpectMsg<TcpMsg.Event>(TestWaits.Expect);
            switch (message)
            {
                case TcpMsg.Received copied when mode == TcpMsg.ReceiveMode.Copied:
                    received.AddRange(copied.Data.ToArray());
                    break;
                case TcpMsg.LeasedReceived lease when mode == TcpMsg.ReceiveMode.Leased:
                    received.AddRange(lease.Data.ToArray());
                    lease.Return();
                    break;
                default:
                    Assert.Fail($"unexpected {message}");
                    break;
            }
        }

        AssertSameBytes(Pattern(5000), received.ToArray());
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public void A_header_split_over_several_sends_is_read_whole(string name, byte[] header, string? client)
    {
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient();
        socket.Connect(server);
        int[] cuts = [1, 6, 13, 16, header.Length - 1];
        int sent = 0;
        foreach (int cut in cuts.Where(c => c < header.Length))
        {
            socket.Send(header.AsSpan(sent, cut - sent));
            sent = cut;
            AwaitDelivered(socket);
            ExpectNoMsg(TimeSpan.Zero);
        }

        socket.Send([.. header.AsSpan(sent), .. "x"u8]);
        var connected = ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        Assert.Equal(client ?? socket.LocalEndPoint!.ToString(), connected.RemoteAddress.ToString());
        LastSender.Tell(new TcpMsg.Register(TestActor));
        Assert.Equal("x"u8.ToArray(), ReceiveAll(1));
        _ = name;
    }

    [Fact]
    public void A_peer_that_closes_right_after_its_header_and_data_is_announced_and_its_close_follows_the_data()
    {
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient();
        socket.Connect(server);
        socket.Send([.. ProxyHeaders.V1(Client4, Front4), .. "last words"u8]);
        socket.Shutdown(SocketShutdown.Send);
        AwaitDelivered(socket);

        Assert.Equal(Client4, ExpectMsg<TcpMsg.Connected>(TestWaits.Expect).RemoteAddress);
        LastSender.Tell(new TcpMsg.Register(TestActor));
        Assert.Equal("last words"u8.ToArray(), ReceiveAll(10));
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void A_header_not_complete_within_the_timeout_closes_the_connection_unannounced()
    {
        using var meter = new MeterRecorder(Sys.Name);
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient();
        var clock = Stopwatch.StartNew();
        socket.Connect(server);
        socket.Send(ProxyHeaders.V1(Client4, Front4).AsSpan(0, 20));

        AssertResetOrEof(socket);
        Assert.True(clock.Elapsed >= HeaderTimeout - TimeSpan.FromMilliseconds(50), $"closed after {clock.Elapsed}, before the timeout");
        AwaitAssert(() => Assert.Equal(1, meter.Counted(Failures, TcpIncomingConnection.ProxyHeaderTimeoutCause)), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        AssertServing(server);
    }

    [Fact]
    public void A_plain_client_without_a_header_is_closed_and_never_announced()
    {
        using var meter = new MeterRecorder(Sys.Name);
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient();
        socket.Connect(server);
        socket.Send("GET / HTTP/1.1\r\nHost: example\r\n\r\n"u8);

        AssertResetOrEof(socket);
        AwaitAssert(() => Assert.Equal(1, meter.Counted(Failures, TcpIncomingConnection.ProxyHeaderInvalidCause)), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    public static TheoryData<string, byte[], V, bool> Refused => new()
    {
        { "v1 bad address", ProxyHeaders.V1("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), V.Any, false },
        { "v1 without CRLF", ProxyHeaders.V1("PROXY UNKNOWN " + new string('x', 120)), V.Any, false },
        { "v1 where only v2", ProxyHeaders.V1(Client4, Front4), V.V2, false },
        { "v2 where only v1", ProxyHeaders.V2(Client4, Front4), V.V1, false },
        { "v2 version 3", ProxyHeaders.V2Raw(0x31, 0x11, new byte[12]), V.Any, false },
        { "v2 block too long", ProxyHeaders.V2Raw(0x21, 0x11, new byte[5000]), V.Any, false },
        { "v2 bad TLV", ProxyHeaders.V2Raw(0x21, 0x11, [.. new byte[12], 0x01, 0x00, 0x09]), V.Any, false },
        { "v2 cut short, then EOF", ProxyHeaders.V2(Client4, Front4)[..20], V.Any, true },
        { "v1 cut short, then EOF", ProxyHeaders.V1(Client4, Front4)[..20], V.Any, true },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void A_refused_header_resets_the_connection_is_counted_and_the_handler_never_hears_of_it(string name, byte[] header, V accepted, bool thenEof)
    {
        using var meter = new MeterRecorder(Sys.Name);
        IPEndPoint server = Bind(options: [new TcpMsg.SO.ProxyProtocol(accepted)]);
        int channels = ActorsIo.Get(Sys).Budget.Open;
        Socket socket = NewClient();
        socket.Connect(server);
        var connection = new TcpMsg.Connected(socket.LocalEndPoint!, server);
        AwaitTrue(() => Loopback.IsOpen(connection), "the server accepted the connection");
        Send(socket, header);
        if (thenEof) socket.Shutdown(SocketShutdown.Send);

        AssertResetOrEof(socket);
        string cause = thenEof ? TcpIncomingConnection.ProxyHeaderIncompleteCause : TcpIncomingConnection.ProxyHeaderInvalidCause;
        AwaitAssert(() => Assert.Equal(1, meter.Counted(Failures, cause)), TestWaits.Expect);
        AwaitTrue(() => !Loopback.IsOpen(connection), $"{name}: the server closed its descriptor");
        AwaitAssert(() => Assert.Equal(channels, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        AssertServing(server, accepted);
    }

    [Fact]
    public void A_unix_socket_listener_reads_the_header_too()
    {
        EndPoint server = Bind("unix", options: [new TcpMsg.SO.ProxyProtocol()]);
        Socket socket = NewClient(AddressFamily.Unix);
        socket.Connect(server);
        socket.Send(ProxyHeaders.V2(Client6, Front6));

        var connected = ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        Assert.Equal(Client6, connected.RemoteAddress);
        Assert.IsType<UnixDomainSocketEndPoint>(connected.ProxyAddress);
    }

    [Fact]
    public void The_option_is_refused_by_Connect_and_with_no_version()
    {
        IPEndPoint server = Bind();
        TcpMsg.CommandFailed connect = ExpectFailure(new TcpMsg.Connect(server, options: [new TcpMsg.SO.ProxyProtocol()]));
        Assert.Contains("Tcp.SO.ProxyProtocol applies only to Bind", connect.Cause!.Message);

        TcpMsg.CommandFailed bind = ExpectFailure(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), options: [new TcpMsg.SO.ProxyProtocol((V)0)]));
        Assert.Contains("accepts V1, V2 or Any", bind.Cause!.Message);
    }

    [Fact]
    public void A_listener_without_the_option_announces_no_proxy()
    {
        IPEndPoint server = Bind();
        Socket socket = NewClient();
        socket.Connect(server);
        var connected = ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        Assert.Null(connected.ProxyAddress);
        Assert.Equal(socket.LocalEndPoint, connected.RemoteAddress);
    }

    /// <summary>Sends what the server takes before it resets (it may refuse at the first bytes).</summary>
    private static void Send(Socket socket, byte[] bytes)
    {
        try
        {
            socket.Send(bytes);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            // Refused already.
        }
    }

    /// <summary>The listener still announces a good connection.</summary>
    private void AssertServing(IPEndPoint server, V accepted = V.Any)
    {
        Socket socket = NewClient();
        socket.Connect(server);
        socket.Send(accepted == V.V2 ? ProxyHeaders.V2(Client4, Front4) : ProxyHeaders.V1(Client4, Front4));
        Assert.Equal(Client4, ExpectMsg<TcpMsg.Connected>(TestWaits.Expect).RemoteAddress);
    }

    private byte[] ReceiveAll(int count)
    {
        var received = new List<byte>();
        while (received.Count < count) received.AddRange(ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToArray());
        return [.. received];
    }
}
