using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.AkkaIoCompatibility;

/// <summary>
/// The scenarios of Akka.NET's <c>UdpIntegrationSpec</c> and <c>UdpConnectedIntegrationSpec</c>, written the way
/// Akka.IO-shaped code is (through <see cref="UdpMessage"/> and <see cref="UdpConnectedMessage"/>) and under the settings
/// those specs run with. Their option-hook scenarios (a user subclass of <c>Inet.SocketOption</c> called before and after
/// bind, a custom channel creator) have no counterpart: Actors.Io's options cannot be subclassed (see
/// <see cref="Inet.SocketOption"/>), and its no-leak scenario counts Akka's buffer pool, which Actors.Io does not have.
/// </summary>
public sealed class UdpIntegrationCompatibilityTests(ITestOutputHelper output)
    : LoopbackTestKit(output, TestConfigs.AkkaIoSpecs)
{
    private (IActorRef Socket, IPEndPoint Address) BindUdp(IActorRef handler, IPEndPoint? address = null)
    {
        TestProbe commander = CreateTestProbe();
        commander.Send(Sys.Io(), UdpMessage.Bind(handler, address ?? new IPEndPoint(IPAddress.Loopback, 0)));
        var bound = (IPEndPoint)commander.ExpectMsg<Udp.Bound>(TestWaits.Expect).LocalAddress;
        return (commander.LastSender, bound);
    }

    private IActorRef ConnectUdp(IActorRef handler, IPEndPoint remote, IPEndPoint? local = null)
    {
        TestProbe commander = CreateTestProbe();
        commander.Send(Sys.Io(), UdpConnectedMessage.Connect(handler, remote, local, null));
        commander.ExpectMsg<UdpConnected.Connected>(TestWaits.Expect);
        return commander.LastSender;
    }

    // Mirrors UdpIntegrationSpec.The_UDP_Fire_and_Forget_implementation_must_be_able_to_send_without_binding.
    [Fact]
    public void Sends_without_binding()
    {
        (_, IPEndPoint server) = BindUdp(TestActor);
        TestProbe commander = CreateTestProbe();
        commander.Send(Sys.Io(), UdpMessage.SimpleSender());
        commander.ExpectMsg<Udp.SimpleSenderReady>(TestWaits.Expect);
        var data = ByteString.FromString("To infinity and beyond!");
        commander.LastSender.Tell(UdpMessage.Send(data, server));
        Assert.Equal(data, ExpectMsg<Udp.Received>(TestWaits.Expect).Data);
    }

    // Mirrors UdpIntegrationSpec.The_UDP_Fire_and_Forget_implementation_must_be_able_to_send_several_packet_back_and_forth_with_binding.
    [Fact]
    public void Sends_packets_back_and_forth_with_binding()
    {
        (IActorRef server, IPEndPoint serverAddress) = BindUdp(TestActor);
        (IActorRef client, IPEndPoint clientAddress) = BindUdp(TestActor);
        var data = ByteString.FromString("Fly little packet!");

        void Check(IActorRef from, IPEndPoint fromAddress, IPEndPoint to)
        {
            from.Tell(UdpMessage.Send(data, to));
            var received = ExpectMsg<Udp.Received>(TestWaits.Expect);
            Assert.Equal(data, received.Data);
            Assert.Equal(fromAddress, received.Sender);
        }

        for (int i = 0; i < 20; i++) Check(client, clientAddress, serverAddress);
        for (int i = 0; i < 20; i++) Check(server, serverAddress, clientAddress);
        for (int i = 0; i < 20; i++)
        {
            if (i % 2 == 0) Check(client, clientAddress, serverAddress);
            else Check(server, serverAddress, clientAddress);
        }
    }

    // Mirrors UdpConnectedIntegrationSpec.The_UDP_connection_oriented_implementation_must_be_able_to_send_and_receive_without_binding.
    [Fact]
    public void Connected_sends_and_receives_without_binding()
    {
        (IActorRef server, IPEndPoint serverAddress) = BindUdp(TestActor);
        IActorRef client = ConnectUdp(TestActor, serverAddress);
        var data1 = ByteString.FromString("To infinity and beyond!");
        var data2 = ByteString.FromString("All your datagram belong to us");
        client.Tell(UdpConnectedMessage.Send(data1));
        var received = ExpectMsg<Udp.Received>(TestWaits.Expect);
        Assert.Equal(data1, received.Data);
        server.Tell(UdpMessage.Send(data2, received.Sender));
        Assert.Equal(data2, ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data);
    }

    // Mirrors UdpConnectedIntegrationSpec.The_UDP_connection_oriented_implementation_must_be_able_to_send_and_receive_with_binding.
    [Fact]
    public void Connected_sends_and_receives_with_a_local_address()
    {
        TestProbe serverProbe = CreateTestProbe();
        (IActorRef server, IPEndPoint serverAddress) = BindUdp(serverProbe);
        (IActorRef placeholder, IPEndPoint clientAddress) = BindUdp(TestActor);
        placeholder.Tell(UdpMessage.Unbind());
        ExpectMsg<Udp.Unbound>(TestWaits.Expect);

        TestProbe clientProbe = CreateTestProbe();
        IActorRef client = ConnectUdp(clientProbe, serverAddress, clientAddress);
        var data1 = ByteString.FromString("To infinity") + ByteString.FromString(" and beyond!");
        client.Tell(UdpConnectedMessage.Send(data1));
        var received = serverProbe.ExpectMsg<Udp.Received>(TestWaits.Expect);
        Assert.Equal(data1, received.Data);
        Assert.Equal(clientAddress, received.Sender);
        server.Tell(UdpMessage.Send(ByteString.FromString("All your datagram belong to us"), clientAddress));
        Assert.Equal("All your datagram belong to us", clientProbe.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data.ToString());
    }

    // Mirrors UdpConnectedIntegrationSpec.The_UDP_connection_oriented_implementation_must_to_send_batch_writes_and_reads.
    [Fact]
    public void Connected_batch_writes_and_reads()
    {
        TestProbe server = CreateTestProbe();
        (IActorRef s, IPEndPoint serverAddress) = BindUdp(server);
        s.Tell(UdpMessage.Unbind(), server);
        server.ExpectMsg<Udp.Unbound>(TestWaits.Expect);
        TestProbe client = CreateTestProbe();
        (IActorRef c, IPEndPoint clientAddress) = BindUdp(client);
        c.Tell(UdpMessage.Unbind(), client);
        client.ExpectMsg<Udp.Unbound>(TestWaits.Expect);

        IActorRef serverEnd = ConnectUdp(server, clientAddress, serverAddress);
        IActorRef clientEnd = ConnectUdp(client, serverAddress, clientAddress);
        var data = ByteString.FromString("Fly little packet!");
        for (int i = 0; i < 3; i++) clientEnd.Tell(UdpConnectedMessage.Send(data));
        for (int i = 0; i < 3; i++) Assert.Equal(data, server.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data);
        server.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        for (int i = 0; i < 3; i++) serverEnd.Tell(UdpConnectedMessage.Send(data));
        for (int i = 0; i < 3; i++) Assert.Equal(data, client.ExpectMsg<UdpConnected.Received>(TestWaits.Expect).Data);
    }

    // Mirrors UdpIntegrationSpec's option scenarios in what Actors.Io offers: Inet.SO options on Bind and SimpleSender.
    [Fact]
    public void Inet_options_apply_to_udp()
    {
        TestProbe commander = CreateTestProbe();
        Inet.SocketOption[] options = [new Inet.SO.ReceiveBufferSize(64 * 1024), new Inet.SO.ReuseAddress(true), new Udp.SO.Broadcast(true)];
        commander.Send(Sys.Io(), UdpMessage.Bind(commander, new IPEndPoint(IPAddress.Loopback, 0), options));
        commander.ExpectMsg<Udp.Bound>(TestWaits.Expect);
        commander.Send(Sys.Io(), UdpMessage.SimpleSender(options));
        commander.ExpectMsg<Udp.SimpleSenderReady>(TestWaits.Expect);
    }
}
