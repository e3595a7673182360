using System.Net;
using System.Net.Sockets;
using Actors.Io.Native;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// The read and write paths allocate nothing per event beyond the payload: an echo handler on the loop measures the
/// loop thread's allocations over thousands of round trips and compares them with what the payload alone costs, which
/// is nothing in leased receive.
/// </summary>
public sealed class TcpAllocationTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Size = 64;
    private readonly ITestOutputHelper _output;

    public TcpAllocationTests(ITestOutputHelper output)
        : base(TestConfigs.With(TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public void Echo_round_trips_allocate_only_the_payload()
    {
        IActorRef server = EchoRoundTrips(TcpMsg.ReceiveMode.Copied);
        byte[] buffer = new byte[Size];
        double payload = LoopAllocations.BytesPerCall(() => TcpMsg.Write.Create(new TcpMsg.Received(ByteString.CopyFrom(buffer, 0, Size)).Data));
        LoopAllocations.AssertOnlyThePayload(ExpectMsg<long>(TimeSpan.FromSeconds(10)), payload, _output, "Received + its ByteString + the handler's Write");
        Sys.Stop(server);
    }

    [Fact]
    public void Leased_echo_round_trips_allocate_nothing()
    {
        // The lease is the message, its write is reused, and the buffer goes back to the pool when the write completes.
        IActorRef server = EchoRoundTrips(TcpMsg.ReceiveMode.Leased);
        double perRoundTrip = (double)ExpectMsg<long>(TimeSpan.FromSeconds(10)) / LoopAllocations.Measured;
        _output.WriteLine($"loop thread: {perRoundTrip:F2} B per leased round trip");
        Assert.True(perRoundTrip < 1, $"{perRoundTrip:F2} B per leased round trip");
        Sys.Stop(server);
    }

    [Fact]
    public void Leased_echo_round_trips_with_an_idle_timeout_allocate_nothing()
    {
        // Each read and write stamps the idle entry: a field store, no clock read, no allocation.
        var idle = new TcpMsg.IdleTimeout(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        IActorRef server = EchoRoundTrips(TcpMsg.ReceiveMode.Leased, idle);
        double perRoundTrip = (double)ExpectMsg<long>(TimeSpan.FromSeconds(10)) / LoopAllocations.Measured;
        _output.WriteLine($"loop thread: {perRoundTrip:F2} B per leased round trip with an idle timeout");
        Assert.True(perRoundTrip < 1, $"{perRoundTrip:F2} B per leased round trip with an idle timeout");
        Assert.Equal(1, ActorsIo.Get(Sys).Selector(0).IdleSweep.Count);
        Sys.Stop(server);
    }

    /// <summary>Drives the measured round trips through an echo handler on the loop; the handler reports the bytes.</summary>
    private IActorRef EchoRoundTrips(TcpMsg.ReceiveMode mode, TcpMsg.IdleTimeout? idleTimeout = null)
    {
        ActorsIo io = ActorsIo.Get(Sys);
        IActorRef server = Sys.ActorOf(Props.Create(() => new Server(TestActor, io.LoopDispatcherIds[0], mode, idleTimeout)));
        int port = ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress).Port;

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = TestWaits.ExpectMilliseconds };
        client.Connect(IPAddress.Loopback, port);
        byte[] message = new byte[Size];
        byte[] echo = new byte[Size];
        for (int i = 0; i < LoopAllocations.RoundTrips; i++)
        {
            message[0] = (byte)i;
            client.Send(message);
            int got = 0;
            while (got < Size) got += client.Receive(echo, got, Size - got, SocketFlags.None);
            Assert.Equal((byte)i, echo[0]);
        }

        return server;
    }

    [Fact]
    public void The_discarding_reads_of_a_lingering_close_allocate_nothing()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (local)
        using (peer)
        {
            byte[] chunk = new byte[Size];
            long discarded = 0;
            long before = 0;
            for (int i = 0; i < LoopAllocations.RoundTrips; i++)
            {
                if (i == LoopAllocations.Warmup) before = GC.GetAllocatedBytesForCurrentThread();
                // Plain checks: an assertion on each turn would allocate itself.
                if (Descriptors.Write(peer, chunk) != Size) Assert.Fail($"the write of turn {i} was short");
                ReadEnd end = StreamReads.Discard(local, 64 * 1024, 256 * 1024, ref discarded, out _);
                if (end != ReadEnd.Drained) Assert.Fail($"the discarding read of turn {i} ended {end}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal((long)LoopAllocations.RoundTrips * Size, discarded);
            Assert.True(allocated == 0, $"{allocated} B allocated over {LoopAllocations.Measured + 1} discarding reads");
        }
    }

    private sealed class Server : ReceiveActor
    {
        public Server(IActorRef probe, string loopDispatcher, TcpMsg.ReceiveMode mode, TcpMsg.IdleTimeout? idleTimeout)
        {
            Context.System.Io().Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0)));
            Receive<TcpMsg.Bound>(bound => probe.Tell(bound));
            Receive<TcpMsg.Connected>(_ =>
            {
                IActorRef handler = Context.ActorOf(Props.Create(() => new MeasuringEcho(Sender, probe)).WithDispatcher(loopDispatcher));
                Sender.Tell(new TcpMsg.Register(handler, receiveMode: mode, idleTimeout: idleTimeout));
            });
        }
    }

    private sealed class MeasuringEcho(IActorRef connection, IActorRef probe) : UntypedActor
    {
        private readonly LoopAllocations.Meter _meter = new(probe);

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case TcpMsg.Received received:
                    _meter.Count();
                    connection.Tell(TcpMsg.Write.Create(received.Data));
                    break;
                case TcpMsg.LeasedReceived leased:
                    _meter.Count();
                    connection.Tell(leased.Write());
                    break;
            }
        }
    }
}
