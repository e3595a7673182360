using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.Serialization;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// Akka.IO's specs run with <c>serialize-messages = on</c>. The library's internal messages (readiness, registration,
/// watches, timers, name resolution) carry sockets and registrations that no serializer can copy, so each of them must
/// opt out of the check. Every other message is bound to <see cref="RefusingSerializer"/>, so a message that would be
/// checked fails the test instead of passing by chance through a serializer that happens to copy it.
/// </summary>
public sealed class SerializeMessagesTests(ITestOutputHelper output)
    : LoopbackTestKit(output, """
        akka.actor.serialize-messages = on
        akka.actor.serializers.refuse = "Actors.Io.Tests.AkkaIoCompatibility.RefusingSerializer, Actors.Io.Tests"
        akka.actor.serialization-bindings { "System.Object" = refuse }
        actors-io.tcp.register-timeout = 300ms
        """)
{
    [Fact]
    public void Connect_to_a_host_name_and_echo()
    {
        TestProbe server = CreateTestProbe();
        TestProbe client = CreateTestProbe();
        var bound = (IPEndPoint)BindTo(new IPEndPoint(IPAddress.Loopback, 0), server).Address;
        Pair pair = ConnectPair(Sys.Io(), new DnsEndPoint("localhost", bound.Port, AddressFamily.InterNetwork), server, client);

        pair.Outgoing.Tell(Tcp.Write.Create(ByteString.FromString("ping")), client);
        Assert.Equal("ping", server.ExpectMsg<Tcp.Received>(TestWaits.Expect).Data.ToString());
        pair.Incoming.Tell(Tcp.Write.Create(ByteString.FromString("pong")), server);
        Assert.Equal("pong", client.ExpectMsg<Tcp.Received>(TestWaits.Expect).Data.ToString());
        pair.Outgoing.Tell(Tcp.Close.Instance, client);
        client.ExpectMsg<Tcp.Closed>(TestWaits.Expect);
        server.ExpectMsg<Tcp.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void Udp_round_trip()
    {
        TestProbe server = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(server, new IPEndPoint(IPAddress.Loopback, 0)), server);
        EndPoint bound = server.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;
        IActorRef listener = server.LastSender;

        TestProbe client = CreateTestProbe();
        Sys.Io().Tell(new Udp.Bind(client, new IPEndPoint(IPAddress.Loopback, 0)), client);
        client.ExpectMsg<Udp.Bound>(TestWaits.Expect);
        client.LastSender.Tell(Udp.Send.Create(ByteString.FromString("ping"), bound), client);
        var received = server.ExpectMsg<Udp.Received>(TestWaits.Expect);
        listener.Tell(Udp.Send.Create(ByteString.FromString("pong"), received.Sender), server);
        Assert.Equal("pong", client.ExpectMsg<Udp.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void A_connection_never_registered_times_out()
    {
        IPEndPoint bound = Bind();
        (Socket client, _) = AcceptUnregistered(bound);
        client.ReceiveTimeout = TestWaits.ExpectMilliseconds;
        AssertEof(client);
    }
}

/// <summary>A serializer that refuses everything: bound to <c>System.Object</c>, it fails any serialization check.</summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    /// <inheritdoc />
    public override int Identifier => 7_716_001;

    /// <inheritdoc />
    public override bool IncludeManifest => false;

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) =>
        throw new InvalidOperationException($"{obj.GetType()} was checked by serialize-messages; it should opt out.");

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, Type? type) => throw new InvalidOperationException("Nothing is serialized here.");
}
