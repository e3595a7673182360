using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Bind: the reply for port 0 on IPv4 and IPv6, and the failures (port in use, address not on this machine).</summary>
public sealed class ListenerBindTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void Bind_to_port_zero_replies_Bound_with_the_actual_port(string address)
    {
        IPAddress ip = IPAddress.Parse(address);
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(ip, 0)));

        var bound = ExpectMsg<TcpMsg.Bound>();
        var local = Assert.IsType<IPEndPoint>(bound.LocalAddress);
        Assert.Equal(ip, local.Address);
        Assert.NotEqual(0, local.Port);

        // The port in Bound is the one really listening.
        using Socket client = Loopback.Connect(local);
        var connected = ExpectMsg<TcpMsg.Connected>();
        Assert.Equal(client.LocalEndPoint, connected.RemoteAddress);
        Assert.Equal(local, connected.LocalAddress);
        LastSender.Tell(new TcpMsg.Register(TestActor));
    }

    [Fact]
    public void Bind_to_a_port_in_use_fails_naming_the_address()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        var taken = (IPEndPoint)holder.LocalEndPoint!;

        var bind = new TcpMsg.Bind(TestActor, taken);
        Sys.Io().Tell(bind);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(bind, failed.Cmd);
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.AddressAlreadyInUse, cause.SocketErrorCode);
        Assert.Contains(taken.ToString(), cause.Message);
        Assert.Contains(nameof(SocketError.AddressAlreadyInUse), cause.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Bind_to_an_address_not_on_this_machine_fails_with_a_cause()
    {
        // TEST-NET-3: never assigned to a local interface. Binding sends nothing.
        var foreign = new IPEndPoint(IPAddress.Parse("203.0.113.7"), 0);
        var bind = new TcpMsg.Bind(TestActor, foreign);
        Sys.Io().Tell(bind);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(bind, failed.Cmd);
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.AddressNotAvailable, cause.SocketErrorCode);
        Assert.Contains("203.0.113.7", cause.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }
}
