using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Connect: host names, IPv6, and the failures (refused, unresolvable, timed out), each naming host and port.</summary>
public sealed class OutgoingConnectTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    [Fact]
    public void Connect_to_a_port_nobody_listens_on_fails_naming_host_and_port()
    {
        // Bound but not listening: the port stays ours and every SYN to it is answered with a reset.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var target = (IPEndPoint)holder.LocalEndPoint!;

        var connect = new TcpMsg.Connect(target);
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(connect, failed.Cmd);
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.ConnectionRefused, cause.SocketErrorCode);
        Assert.Contains($"127.0.0.1:{target.Port}", cause.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Connect_to_an_unresolvable_name_fails_naming_the_host()
    {
        var connect = new TcpMsg.Connect(new DnsEndPoint("no-such-host.invalid", 80));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TimeSpan.FromSeconds(8));
        Assert.Same(connect, failed.Cmd);
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.HostNotFound, cause.SocketErrorCode);
        Assert.Contains("no-such-host.invalid:80", cause.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Connect_that_gets_no_answer_times_out_naming_host_and_port()
    {
        using BlackHole hole = BlackHole.TryOpen(IPAddress.Loopback)!;
        IPEndPoint target = hole.EndPoint;

        var connect = new TcpMsg.Connect(target, timeout: TimeSpan.FromMilliseconds(200));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(connect, failed.Cmd);
        var cause = Assert.IsType<TimeoutException>(failed.Cause);
        Assert.Contains($"127.0.0.1:{target.Port}", cause.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Connect_to_localhost_by_name_resolves_and_connects()
    {
        var server = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(server.Ref, new IPEndPoint(IPAddress.Loopback, 0)));
        int port = ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress).Port;

        Sys.Io().Tell(new TcpMsg.Connect(new DnsEndPoint("localhost", port)));
        var connected = ExpectMsg<TcpMsg.Connected>();
        IActorRef outgoing = LastSender;
        var remote = Assert.IsType<IPEndPoint>(connected.RemoteAddress);
        Assert.True(IPAddress.IsLoopback(remote.Address), $"{remote} is not a loopback address");
        Assert.Equal(port, remote.Port);

        var accepted = server.ExpectMsg<TcpMsg.Connected>();
        Assert.Equal(connected.LocalAddress, accepted.RemoteAddress);
        server.LastSender.Tell(new TcpMsg.Register(server.Ref));
        outgoing.Tell(new TcpMsg.Register(TestActor));
        AssertBytesFlow(outgoing, server);
    }

    [Fact]
    public void Connect_to_the_IPv6_loopback()
    {
        var server = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(server.Ref, new IPEndPoint(IPAddress.IPv6Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;

        Sys.Io().Tell(new TcpMsg.Connect(local));
        var connected = ExpectMsg<TcpMsg.Connected>();
        IActorRef outgoing = LastSender;
        Assert.Equal(local, connected.RemoteAddress);
        Assert.Equal(IPAddress.IPv6Loopback, ((IPEndPoint)connected.LocalAddress).Address);

        var accepted = server.ExpectMsg<TcpMsg.Connected>();
        Assert.Equal(connected.LocalAddress, accepted.RemoteAddress);
        server.LastSender.Tell(new TcpMsg.Register(server.Ref));
        outgoing.Tell(new TcpMsg.Register(TestActor));
        AssertBytesFlow(outgoing, server);
    }

    private void AssertBytesFlow(IActorRef outgoing, Akka.TestKit.TestProbe server)
    {
        outgoing.Tell(TcpMsg.Write.Create(ByteString.FromString("ping")));
        Assert.Equal("ping", server.ExpectMsg<TcpMsg.Received>().Data.ToString());
        server.LastSender.Tell(TcpMsg.Write.Create(ByteString.FromString("pong")));
        Assert.Equal("pong", ExpectMsg<TcpMsg.Received>().Data.ToString());
    }
}
