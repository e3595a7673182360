using System.Net;
using System.Net.Sockets;
using Actors.Io.Channels;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Channels;

/// <summary>
/// One resolve helper serves TCP Connect and UdpConnected.Connect: a name that does not resolve and a name the resolver
/// refuses at once are both answered with the command's own CommandFailed naming the host, and nothing stays placed.
/// </summary>
public sealed class NameResolutionTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    private static readonly string TooLong = new string('a', 300) + ".example";

    public static TheoryData<string, string> Cases => new()
    {
        { "tcp", "no-such-host.invalid" },
        { "tcp", TooLong },
        { "udp", "no-such-host.invalid" },
        { "udp", TooLong },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_name_that_does_not_resolve_fails_the_command_naming_the_host(string protocol, string host)
    {
        var name = new DnsEndPoint(host, 9);
        object command = protocol == "tcp" ? new TcpMsg.Connect(name) : new UdpConnected.Connect(TestActor, name);
        Sys.Io().Tell(command);

        // The resolver answers a bad name within its own timeouts; a refused one at once.
        Exception? cause = protocol == "tcp"
            ? ExpectMsg<TcpMsg.CommandFailed>(f => ReferenceEquals(f.Cmd, command), TimeSpan.FromSeconds(10)).Cause
            : ExpectMsg<UdpConnected.CommandFailed>(f => ReferenceEquals(f.Cmd, command), TimeSpan.FromSeconds(10)).Cause;

        var socketError = Assert.IsType<SocketException>(cause);
        Assert.Equal(SocketError.HostNotFound, socketError.SocketErrorCode);
        Assert.Contains($"{host}:9", socketError.Message);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Theory]
    [InlineData("::1 ::2 127.0.0.1 127.0.0.2 127.0.0.3", "::1 127.0.0.1 ::2 127.0.0.2 127.0.0.3")]
    [InlineData("127.0.0.1 ::1 ::2 ::3", "127.0.0.1 ::1 ::2 ::3")]
    [InlineData("127.0.0.1 127.0.0.2 ::1", "127.0.0.1 ::1 127.0.0.2")]
    [InlineData("::1 ::1 127.0.0.1 ::1", "::1 127.0.0.1")]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("", "")]
    public void Addresses_are_interleaved_by_family_starting_with_the_first_ones(string resolved, string ordered)
    {
        List<IPAddress> result = NameResolution.Interleave(Parse(resolved));
        Assert.Equal(Parse(ordered), result);
    }

    [Fact]
    public void Candidates_keep_the_family_the_name_and_the_local_address_ask_for()
    {
        IPAddress[] addresses = Parse("::1 127.0.0.1 ::2 127.0.0.2");
        var any = new NameResolution.Resolved(new DnsEndPoint("h", 80), addresses, null);
        var v4 = new NameResolution.Resolved(new DnsEndPoint("h", 80, AddressFamily.InterNetwork), addresses, null);

        Assert.Equal(
            [new IPEndPoint(IPAddress.IPv6Loopback, 80), new IPEndPoint(IPAddress.Loopback, 80), new IPEndPoint(IPAddress.Parse("::2"), 80), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 80)],
            any.Candidates());
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 80), new IPEndPoint(IPAddress.Parse("127.0.0.2"), 80)], v4.Candidates());
        Assert.Equal([new IPEndPoint(IPAddress.IPv6Loopback, 80), new IPEndPoint(IPAddress.Parse("::2"), 80)], any.Candidates(AddressFamily.InterNetworkV6));
        Assert.Empty(v4.Candidates(AddressFamily.InterNetworkV6));
    }

    private static IPAddress[] Parse(string addresses) =>
        addresses.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(IPAddress.Parse).ToArray();
}
