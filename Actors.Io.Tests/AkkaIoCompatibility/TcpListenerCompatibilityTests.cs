using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// The scenarios of Akka.NET's <c>TcpListenerSpec</c> that are about what a user sees, written through
/// <see cref="TcpMessage"/> under the settings that spec runs with. The spec builds Akka's internal listener actor under
/// a test parent; here the Bind goes through the manager, as user code does, and the listener is the sender of
/// <c>Bound</c>. Covered: 3 of its 4 scenarios. Not covered:
/// <list type="bullet">
/// <item><c>A_TCP_Listener_must_provide_metrics</c>: it asks the listener for statistics with Akka.NET's
/// <c>Tcp.SubscribeToTcpListenerStats</c>, a message Actors.Io does not have; its counters (accepted connections among
/// them) go to the <c>System.Diagnostics.Metrics</c> meter <c>Actors.Io</c> instead (README, "Metrics").</item>
/// </list>
/// </summary>
public sealed class TcpListenerCompatibilityTests(ITestOutputHelper output)
    : LoopbackTestKit(output, TestConfigs.AkkaIoSpecs)
{
    private (IPEndPoint Address, IActorRef Listener) Bind(TestProbe handler)
    {
        TestProbe commander = CreateTestProbe();
        // Built as the spec builds it: Akka.NET's constructor, with a list of Inet.SocketOption.
        commander.Send(Sys.Io(), new Tcp.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0), 100, new Inet.SocketOption[] { new Inet.SO.ReuseAddress(true) }, pullMode: false));
        var bound = commander.ExpectMsg<Tcp.Bound>(TestWaits.Expect);
        return ((IPEndPoint)bound.LocalAddress, commander.LastSender);
    }

    // Mirrors TcpListenerSpec.A_TCP_Listener_must_let_the_bind_commander_know_when_binding_is_complete.
    [Fact]
    public void Tells_the_bind_commander_when_binding_is_complete()
    {
        (IPEndPoint address, _) = Bind(CreateTestProbe());
        Assert.Equal(IPAddress.Loopback, address.Address);
        Assert.NotEqual(0, address.Port);
    }

    // Mirrors TcpListenerSpec.A_TCP_Listener_must_continue_to_accept_connections_after_a_previous_accept.
    [Fact]
    public void Continues_to_accept_connections_after_a_previous_accept()
    {
        TestProbe handler = CreateTestProbe();
        (IPEndPoint address, _) = Bind(handler);
        var clients = new List<Socket>();
        try
        {
            // One at a time, each accepted before the next connects: every accept must leave the listener accepting.
            for (int i = 0; i < 3; i++)
            {
                clients.Add(Loopback.Connect(address));
                var connected = handler.ExpectMsg<Tcp.Connected>(TestWaits.Expect);
                Assert.Equal(clients[i].LocalEndPoint, connected.RemoteAddress);
            }
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
    }

    // Mirrors TcpListenerSpec.A_TCP_Listener_must_react_to_unbind_commands_by_replying_with_unbound_and_stopping_itself.
    [Fact]
    public void Answers_Unbind_with_Unbound_and_stops()
    {
        (IPEndPoint address, IActorRef listener) = Bind(CreateTestProbe());
        TestProbe watcher = CreateTestProbe();
        watcher.Watch(listener);

        TestProbe unbindCommander = CreateTestProbe();
        unbindCommander.Send(listener, TcpMessage.Unbind());
        unbindCommander.ExpectMsg<Tcp.Unbound>(TestWaits.Expect);
        watcher.ExpectTerminated(listener, TestWaits.Expect);

        // The port is closed by then: a connect is refused.
        using Socket client = Loopback.NewClient(AddressFamily.InterNetwork);
        var refused = Assert.Throws<SocketException>(() => client.Connect(address));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }
}
