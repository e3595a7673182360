using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>10,000 numbered datagrams through one bound socket, paced in windows the receiver confirms; every loss and
/// duplicate is counted. On loopback at this pace none may be lost.</summary>
public sealed class UdpVolumeTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Total = 10_000;
    private const int Window = 64;
    private const int Size = 100;
    private readonly ITestOutputHelper _output;

    public UdpVolumeTests(ITestOutputHelper output)
        : base(TestConfigs.With(TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public void Ten_thousand_paced_datagrams_arrive_without_loss()
    {
        var counter = Sys.ActorOf(Props.Create(() => new Counter(TestActor)));
        Sys.Io().Tell(new UdpMsg.Bind(counter, new IPEndPoint(IPAddress.Loopback, 0)));
        var target = (IPEndPoint)ExpectMsg<UdpMsg.Bound>().LocalAddress;
        Sys.Io().Tell(UdpMsg.SimpleSender.Instance);
        ExpectMsg<UdpMsg.SimpleSenderReady>();
        IActorRef sender = LastSender;

        int late = 0;
        var clock = Stopwatch.StartNew();
        for (int start = 0; start < Total; start += Window)
        {
            int end = Math.Min(start + Window, Total);
            for (int i = start; i < end; i++)
            {
                byte[] payload = new byte[Size];
                BinaryPrimitives.WriteInt32LittleEndian(payload, i);
                sender.Tell(new UdpMsg.Send(ByteString.FromBytes(payload), target, i == end - 1 ? new Sent(end) : null));
            }

            // The sender acks the window's last datagram, then the counter reports the window complete; a lost datagram
            // leaves the window short and the report never comes.
            ExpectMsg<Sent>(s => Assert.Equal(end, s.Count), TestWaits.Expect);
            if (ReceiveOne(TimeSpan.FromSeconds(2)) is not WindowDone) late++;
        }

        counter.Tell(Report.Instance);
        Tally tally = ExpectMsg<Tally>(TestWaits.Expect);
        _output.WriteLine($"{Total} datagrams of {Size} B in windows of {Window}: received {tally.Distinct}, lost {Total - tally.Distinct}, duplicates {tally.Duplicates}, windows short {late}, {clock.ElapsedMilliseconds} ms");
        Assert.Equal(0, tally.Duplicates);
        Assert.Equal(Total, tally.Distinct);
        Assert.Equal(0, late);
    }

    private sealed class Sent(int count) : UdpMsg.Event
    {
        public int Count { get; } = count;
    }

    private sealed class WindowDone
    {
        public static readonly WindowDone Instance = new();
    }

    private sealed class Report
    {
        public static readonly Report Instance = new();
    }

    private sealed record Tally(int Distinct, int Duplicates);

    private sealed class Counter : ReceiveActor
    {
        private readonly bool[] _seen = new bool[Total];
        private int _distinct;
        private int _duplicates;

        public Counter(IActorRef probe)
        {
            Receive<UdpMsg.Received>(received =>
            {
                int index = BinaryPrimitives.ReadInt32LittleEndian(received.Data.ToArray());
                if (_seen[index])
                {
                    _duplicates++;
                    return;
                }

                _seen[index] = true;
                _distinct++;
                if (_distinct % Window == 0 || _distinct == Total) probe.Tell(WindowDone.Instance);
            });
            Receive<Report>(_ => Sender.Tell(new Tally(_distinct, _duplicates)));
        }
    }
}
