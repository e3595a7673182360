using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The addresses Connected names, connects that cannot succeed, options that do not apply to Unix sockets, and the
/// descriptors afterwards.</summary>
public sealed class UnixConnectAndOptionTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    /// <summary>The options a Unix socket refuses, by name.</summary>
    public static TheoryData<string> RefusedOptions => new("NoDelay", "KeepAlive", "ReuseAddress", "ReusePort", "Linger");

    private static TcpMsg.SocketOption Option(string name) => name switch
    {
        "NoDelay" => new TcpMsg.SO.NoDelay(true),
        "KeepAlive" => new TcpMsg.SO.KeepAlive(true),
        "ReuseAddress" => new TcpMsg.SO.ReuseAddress(true),
        "ReusePort" => new TcpMsg.SO.ReusePort(true),
        "Linger" => new TcpMsg.SO.Linger(TimeSpan.FromSeconds(1)),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    [Fact]
    public void Connected_names_the_socket_file_and_an_unnamed_client_without_throwing()
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        Pair pair = OpenPair("unix", server, client);
        string path = SocketPath();

        var incomingRemote = Assert.IsType<UnixDomainSocketEndPoint>(pair.IncomingConnected.RemoteAddress);
        Assert.Equal(string.Empty, incomingRemote.ToString());
        Assert.Equal(path, pair.IncomingConnected.LocalAddress.ToString());
        Assert.Equal(path, pair.OutgoingConnected.RemoteAddress.ToString());
        var outgoingLocal = Assert.IsType<UnixDomainSocketEndPoint>(pair.OutgoingConnected.LocalAddress);
        Assert.Equal(string.Empty, outgoingLocal.ToString());
        Assert.Equal(AddressFamily.Unix, pair.OutgoingConnected.LocalAddress.AddressFamily);
    }

    [Fact]
    public void Connecting_to_a_missing_path_says_there_is_no_socket_file()
    {
        string path = SocketPath("missing");
        var failed = ExpectFailure(new TcpMsg.Connect(new UnixDomainSocketEndPoint(path)));
        Assert.Contains($"there is no socket file {path}", failed.Cause!.Message);
    }

    [Fact]
    public void Connecting_to_a_stale_socket_file_says_nothing_listens()
    {
        string path = SocketPath();
        LeaveStaleSocketFile(path);
        var failed = ExpectFailure(new TcpMsg.Connect(SocketFile()));
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(failed.Cause).SocketErrorCode);
        Assert.Contains($"nothing listens on {path}", failed.Cause!.Message);
    }

    [Fact]
    public void Connecting_to_a_listener_with_a_full_backlog_fails_at_once_saying_so()
    {
        Socket listener = NewClient(AddressFamily.Unix);
        listener.Bind(SocketFile());
        listener.Listen(1);
        bool full = false;
        for (int i = 0; i < 16 && !full; i++)
        {
            Socket waiting = Track(new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false });
            try
            {
                waiting.Connect(SocketFile());
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionRefused)
            {
                full = true;
            }
        }

        Assert.True(full, "the listener's backlog never filled");
        var failed = ExpectFailure(new TcpMsg.Connect(SocketFile()));
        if (OperatingSystem.IsLinux()) Assert.Contains("has a full backlog", failed.Cause!.Message);
    }

    [Theory]
    [MemberData(nameof(RefusedOptions))]
    public void An_option_that_does_not_apply_fails_Bind_and_Connect_before_any_socket_exists(string name)
    {
        string path = SocketPath();
        TcpMsg.SocketOption[] options = [Option(name)];

        var bind = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile(), options: options));
        Assert.IsType<NotSupportedException>(bind.Cause);
        Assert.Contains($"Bind to {path}: Tcp.SO.{name} does not apply to Unix domain sockets", bind.Cause!.Message);
        Assert.False(File.Exists(path), "a refused bind created the socket file");

        var connect = ExpectFailure(new TcpMsg.Connect(SocketFile(), options: options));
        Assert.Contains($"Connect to {path}: Tcp.SO.{name} does not apply to Unix domain sockets", connect.Cause!.Message);
    }

    [Fact]
    public void ReplaceStaleSocketFile_is_refused_for_TCP_and_for_Connect()
    {
        TcpMsg.SocketOption[] options = [new TcpMsg.SO.ReplaceStaleSocketFile()];
        var tcp = ExpectFailure(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), options: options));
        Assert.Contains("Tcp.SO.ReplaceStaleSocketFile applies only to Unix domain socket paths", tcp.Cause!.Message);
        var connect = ExpectFailure(new TcpMsg.Connect(SocketFile(), options: options));
        Assert.Contains("Tcp.SO.ReplaceStaleSocketFile applies only to Bind", connect.Cause!.Message);
    }
}

/// <summary>Counts the process's descriptors, so it runs alone.</summary>
[Collection(SerialCollection.Name)]
public sealed class UnixDescriptorTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public void Every_descriptor_is_released_once_connections_and_the_listener_are_gone()
    {
        Sys.Io().Tell(new TcpMsg.Connect(SocketFile("missing")));
        ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        int before = Descriptors.OpenSocketsAndPollers();

        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        (EndPoint bound, IActorRef listener) = BindTo(SocketFile(), server);
        for (int i = 0; i < 3; i++)
        {
            Pair pair = ConnectPair(Sys.Io(), bound, server, client);
            pair.Outgoing.Tell(AckedWrite("x"u8.ToArray(), i), client);
            client.ExpectMsg(new Ack(i), TestWaits.Expect);
            server.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
            pair.Outgoing.Tell(TcpMsg.Close.Instance, client);
            client.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
            server.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        }

        ExpectFailure(new TcpMsg.Connect(SocketFile("missing")));
        listener.Tell(TcpMsg.Unbind.Instance, server);
        server.ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        AwaitTrue(() => Descriptors.OpenSocketsAndPollers() == before, $"descriptors back to {before} (now {Descriptors.OpenSocketsAndPollers()})");
    }
}
