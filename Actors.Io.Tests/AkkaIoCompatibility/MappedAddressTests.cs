using System.Net;
using Actors.Io.Tests.Support;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// A dual-mode .NET socket reports IPv4 peers as IPv4-mapped IPv6 addresses (<c>::ffff:127.0.0.1</c>); code that passes
/// such an address on to Connect must reach the IPv4 peer, as Akka.IO's dual-mode sockets do.
/// </summary>
public sealed class MappedAddressTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public void Tcp_connect_to_an_ipv4_mapped_address_reaches_the_ipv4_listener()
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        var bound = (IPEndPoint)BindTo(new IPEndPoint(IPAddress.Loopback, 0), server).Address;
        var mapped = new IPEndPoint(IPAddress.Loopback.MapToIPv6(), bound.Port);

        Pair pair = ConnectPair(Sys.Io(), mapped, server, client);
        pair.Outgoing.Tell(Tcp.Write.Create(ByteString.FromString("mapped")), client);
        Assert.Equal("mapped", server.ExpectMsg<Tcp.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Udp_connect_to_an_ipv4_mapped_address_reaches_the_ipv4_socket()
    {
        TestProbe server = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(server, new IPEndPoint(IPAddress.Loopback, 0)), server);
        var bound = (IPEndPoint)server.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;

        TestProbe client = CreateTestProbe();
        Sys.Io().Tell(new UdpConnected.Connect(client, new IPEndPoint(IPAddress.Loopback.MapToIPv6(), bound.Port)), client);
        client.ExpectMsg<UdpConnected.Connected>(TestWaits.Expect);
        client.LastSender.Tell(UdpConnected.Send.Create(ByteString.FromString("mapped")), client);
        Assert.Equal("mapped", server.ExpectMsg<Udp.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Udp_send_to_an_ipv4_mapped_address_reaches_the_ipv4_socket()
    {
        TestProbe server = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(server, new IPEndPoint(IPAddress.Loopback, 0)), server);
        var bound = (IPEndPoint)server.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;

        TestProbe sender = CreateTestProbe();
        Sys.Io().Tell(Udp.SimpleSender.Instance, sender);
        sender.ExpectMsg<Udp.SimpleSenderReady>(TestWaits.Expect);
        sender.LastSender.Tell(Udp.Send.Create(ByteString.FromString("mapped"), new IPEndPoint(IPAddress.Loopback.MapToIPv6(), bound.Port)), sender);
        Assert.Equal("mapped", server.ExpectMsg<Udp.Received>(TestWaits.Expect).Data.ToString());
    }
}
