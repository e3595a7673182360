using System.Net;
using System.Net.Sockets;
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
}
