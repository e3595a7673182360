using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>
/// The per-event receive budget: with <c>receive-batch-size = 2</c> and <c>receive-budget-per-event = 4</c>, a backlog
/// of datagrams is read four per readiness event (two per system call), re-arming in between, and arrives whole and in
/// order over many events.
/// </summary>
public sealed class UdpReceiveBudgetTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Backlog = 300;
    private const int Budget = 4;
    private readonly ITestOutputHelper _output;

    public UdpReceiveBudgetTests(ITestOutputHelper output)
        : base(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.udp.receive-batch-size = 2\nactors-io.udp.receive-budget-per-event = 4"), output: output) =>
        _output = output;

    [Fact]
    public void A_backlog_is_read_a_budget_per_readiness_event_and_arrives_in_order()
    {
        TestProbe handler = CreateTestProbe();
        TestProbe commander = CreateTestProbe();

        // Room for the backlog in the kernel (a small datagram takes under 1 KiB of it).
        Sys.Io().Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0), [new UdpMsg.SO.ReceiveBufferSize(1024 * 1024)]), commander);
        var local = (IPEndPoint)commander.ExpectMsg<UdpMsg.Bound>(TestWaits.Expect).LocalAddress;
        IActorRef socket = commander.LastSender;
        socket.Tell(UdpMsg.SuspendReading.Instance);

        using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));

        // A send answered by the socket proves the suspend was handled before the backlog is sent.
        socket.Tell(new UdpMsg.Send(Akka.IO.ByteString.FromString("sync"), peer.LocalEndPoint!, new Sent()));
        ExpectMsg<Sent>(TestWaits.Expect);
        byte[] datagram = new byte[4];
        for (int i = 0; i < Backlog; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(datagram, i);
            peer.SendTo(datagram, local);
        }

        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        SelectorCounters counters = ActorsIo.Get(Sys).Selector(0).Counters;
        long events = Interlocked.Read(ref counters.EventsDispatched);
        long received = Interlocked.Read(ref counters.ReceivedMessages);

        socket.Tell(UdpMsg.ResumeReading.Instance);
        for (int i = 0; i < Backlog; i++)
        {
            UdpMsg.Received message = handler.ExpectMsg<UdpMsg.Received>(TestWaits.Expect);
            Assert.Equal(i, BinaryPrimitives.ReadInt32LittleEndian(message.Data.ToArray()));
        }

        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        long rounds = Interlocked.Read(ref counters.EventsDispatched) - events;
        _output.WriteLine($"{Backlog} datagrams in {rounds} readiness events (budget {Budget})");
        Assert.Equal(Backlog, Interlocked.Read(ref counters.ReceivedMessages) - received);
        Assert.True(rounds >= Backlog / Budget, $"{Backlog} datagrams were read in {rounds} readiness events; a budget of {Budget} needs at least {Backlog / Budget}");
    }

    private sealed class Sent : UdpMsg.Event
    {
    }
}
