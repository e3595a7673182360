using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// A Bind to the IPv6 any-address (<c>[::]</c>) listens on IPv6 only, as Akka.NET's listeners do: Akka.NET's
/// <c>TcpListener</c> and <c>UdpListener</c> create their socket for the bound address's family and leave
/// <c>DualMode</c> alone, and .NET makes such a socket IPv6-only (<c>IPV6_V6ONLY</c> on, whatever the kernel's default).
/// Serving IPv4 and IPv6 clients takes two Binds, <c>0.0.0.0</c> and <c>[::]</c>, on the same port.
/// </summary>
public sealed class Ipv6AnyAddressTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private static bool IsIpv6Only(EndPoint bound) =>
        Loopback.IntOption(Loopback.ListeningSocketOf(bound), SocketOptionLevel.IPv6, SocketOptionName.IPv6Only) != 0;

    [Fact]
    public void Tcp_bind_to_the_ipv6_any_address_is_ipv6_only_as_in_akka_io()
    {
        TestProbe commander = CreateTestProbe();
        commander.Send(Sys.Io(), TcpMessage.Bind(CreateTestProbe(), new IPEndPoint(IPAddress.IPv6Any, 0)));
        EndPoint bound = commander.ExpectMsg<Tcp.Bound>(TestWaits.Expect).LocalAddress;
        Assert.True(IsIpv6Only(bound));
    }

    [Fact]
    public void Udp_bind_to_the_ipv6_any_address_is_ipv6_only_as_in_akka_io()
    {
        TestProbe commander = CreateTestProbe();
        commander.Send(Sys.Io(), UdpMessage.Bind(CreateTestProbe(), new IPEndPoint(IPAddress.IPv6Any, 0)));
        EndPoint bound = commander.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;
        Assert.True(IsIpv6Only(bound));
    }
}
