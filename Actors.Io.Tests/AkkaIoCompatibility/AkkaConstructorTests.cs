using System.Net;
using Actors.Io.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// Akka.NET builds <c>Tcp.Bind</c>, <c>Tcp.Connect</c>, <c>Udp.Bind</c> and <c>UdpConnected.Connect</c> with a list of
/// <see cref="Inet.SocketOption"/>; those calls compile here and carry the options over, while calls with the
/// protocol's own options, or <c>null</c>, still reach the original constructors.
/// </summary>
public sealed class AkkaConstructorTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    private static readonly IPEndPoint Address = new(IPAddress.Loopback, 1234);

    [Fact]
    public void Tcp_commands_take_a_list_of_Inet_options()
    {
        Inet.SocketOption[] options = [new Inet.SO.ReceiveBufferSize(4096), new Tcp.SO.NoDelay(true)];
        var bind = new Tcp.Bind(TestActor, Address, 100, options, pullMode: false);
        Assert.Equal<Tcp.SocketOption>([new Tcp.SO.ReceiveBufferSize(4096), new Tcp.SO.NoDelay(true)], bind.Options);
        var connect = new Tcp.Connect(Address, options: options);
        Assert.Equal<Tcp.SocketOption>([new Tcp.SO.ReceiveBufferSize(4096), new Tcp.SO.NoDelay(true)], connect.Options);

        // The original constructors keep their defaults and take null.
        Assert.Equal(1024, new Tcp.Bind(TestActor, Address).Backlog);
        Assert.Empty(new Tcp.Bind(TestActor, Address, 100, null, false).Options);
        Assert.Empty(new Tcp.Connect(Address, null, null, null, false).Options);
    }

    [Fact]
    public void Udp_commands_take_a_list_of_Inet_options()
    {
        Inet.SocketOption[] options = [new Inet.SO.ReceiveBufferSize(4096)];
        Assert.Equal<Udp.SocketOption>([new Udp.SO.ReceiveBufferSize(4096)], new Udp.Bind(TestActor, Address, options).Options);
        Assert.Equal<Udp.SocketOption>([new Udp.SO.ReceiveBufferSize(4096)], new UdpConnected.Connect(TestActor, Address, options: options).Options);
        Assert.Empty(new Udp.Bind(TestActor, Address, null).Options);
        Assert.Empty(new UdpConnected.Connect(TestActor, Address, null, null).Options);
    }
}
