using Actors.Io.Tests.Support;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The protocol as a handler sees it, run against the real connection (<see cref="RealConnectionProtocolTests"/>) and
/// the test kit's (<see cref="TestConnectionProtocolTests"/>), so the test kit cannot drift from the library. The
/// handler is a probe; the same assertions run on both.
/// </summary>
public abstract class ConnectionProtocolTests(ITestOutputHelper output)
    : LoopbackTestKit(output, $"actors-io.tcp.max-pending-write-bytes = {MaxPendingWriteBytes}")
{
    /// <summary>The bound on queued bytes both connections run with.</summary>
    protected const int MaxPendingWriteBytes = 64 * 1024;

    private const int ChunkSize = 16 * 1024;
    private const int Chunks = 32;
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    /// <summary>Opens a connection registered to <paramref name="handler"/>.</summary>
    protected abstract IConnectionUnderTest Open(TestProbe handler, ConnectionOptions options);

    [Fact]
    public void A_write_is_acked_and_its_bytes_reach_the_peer()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions());
        connection.Connection.Tell(AckedWrite("hello"u8.ToArray(), 1), handler);
        handler.ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("hello"u8.ToArray(), connection.ReadFromPeer(5));
    }

    [Fact]
    public void A_compound_write_acks_each_part_in_order()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions());
        TcpMsg.CompoundWrite compound = TcpMsg.WriteCommand.Create(
            AckedWrite("one "u8.ToArray(), 1), TcpMsg.Write.Create(ByteString.FromString("two ")), AckedWrite("three"u8.ToArray(), 3));
        connection.Connection.Tell(compound, handler);
        handler.ExpectMsg(new Ack(1), TestWaits.Expect);
        handler.ExpectMsg(new Ack(3), TestWaits.Expect);
        Assert.Equal("one two three"u8.ToArray(), connection.ReadFromPeer(13));
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void Close_reports_Closed_to_the_closer_and_the_handler_after_the_writes()
    {
        TestProbe handler = CreateTestProbe();
        TestProbe closer = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions());
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("bye")), handler);
        connection.Connection.Tell(TcpMsg.Close.Instance, closer);
        closer.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        Assert.Equal("bye"u8.ToArray(), connection.ReadFromPeer(3));
        connection.AssertPeerSawClose();
    }

    [Fact]
    public void A_handler_that_closes_and_stops_at_once_still_gets_its_last_bytes_to_the_peer_then_the_end()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(SlowPeer: true));
        byte[] last = new byte[Chunks * ChunkSize];
        Random.Shared.NextBytes(last);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(last)), handler);
        connection.Connection.Tell(TcpMsg.Close.Instance, handler);

        // Stopped while its write still waits for the peer: the close goes on, it is not turned into an abort.
        Watch(handler.Ref);
        Sys.Stop(handler.Ref);
        ExpectTerminated(handler.Ref, TestWaits.Expect);
        Assert.Equal(last, connection.ReadFromPeer(last.Length));
        connection.AssertPeerSawClose();
    }

    [Fact]
    public void The_peers_close_is_reported_as_PeerClosed_and_closes_the_connection()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions());
        connection.SendFromPeer("last"u8.ToArray());
        connection.CloseFromPeer();
        Assert.Equal("last", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        handler.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        connection.AssertPeerSawClose();
    }

    [Fact]
    public void With_keepOpenOnPeerClosed_the_handler_still_writes_after_PeerClosed()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(KeepOpenOnPeerClosed: true));
        connection.CloseFromPeer();
        handler.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        connection.Connection.Tell(AckedWrite("after"u8.ToArray(), 7), handler);
        handler.ExpectMsg(new Ack(7), TestWaits.Expect);
        Assert.Equal("after"u8.ToArray(), connection.ReadFromPeer(5));
        connection.Connection.Tell(TcpMsg.Close.Instance, handler);
        handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        connection.AssertPeerSawClose();
    }

    [Fact]
    public void SuspendReading_holds_the_peers_data_until_ResumeReading()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions());
        connection.Connection.Tell(TcpMsg.SuspendReading.Instance, handler);

        // The ack of a write sent after SuspendReading by the same sender proves the suspend was handled.
        connection.Connection.Tell(AckedWrite([], 1), handler);
        handler.ExpectMsg(new Ack(1), TestWaits.Expect);
        connection.SendFromPeer("held"u8.ToArray());
        handler.ExpectNoMsg(Quiet);

        connection.Connection.Tell(TcpMsg.ResumeReading.Instance, handler);
        Assert.Equal("held", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void In_pull_mode_each_ResumeReading_delivers_one_Received()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(PullMode: true));
        connection.SendFromPeer("first"u8.ToArray());
        handler.ExpectNoMsg(Quiet);

        connection.Connection.Tell(TcpMsg.ResumeReading.Instance, handler);
        Assert.Equal("first", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        connection.SendFromPeer("second"u8.ToArray());
        handler.ExpectNoMsg(Quiet);

        connection.Connection.Tell(TcpMsg.ResumeReading.Instance, handler);
        Assert.Equal("second", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void Past_the_pending_bound_a_write_is_NACKed_and_ResumeWriting_is_answered_once_the_queue_is_sent()
    {
        TestProbe handler = CreateTestProbe();
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(SlowPeer: true));
        for (int i = 0; i < Chunks; i++) connection.Connection.Tell(AckedWrite(Pattern(ChunkSize, (long)i * ChunkSize), i), handler);

        // The peer reads nothing: the queue fills and a write is NACKed; with useResumeWriting so is every later one.
        var acked = new List<int>();
        var nacked = new List<int>();
        while (!nacked.Contains(Chunks - 1))
        {
            switch (handler.ReceiveOne(TestWaits.Expect))
            {
                case Ack ack:
                    acked.Add(ack.Id);
                    break;
                case TcpMsg.CommandFailed failed:
                    nacked.Add(((Ack)((TcpMsg.Write)failed.Cmd).Ack).Id);
                    break;
                case var other:
                    Assert.Fail($"unexpected {other?.ToString() ?? "timeout"}");
                    break;
            }
        }

        int firstNack = nacked[0];
        Assert.Equal(Enumerable.Range(firstNack, Chunks - firstNack), nacked);
        Assert.InRange(firstNack, 1, Chunks - 1);

        // ResumeWriting waits for the queue; the peer reads everything accepted, then WritingResumed follows the acks.
        connection.Connection.Tell(TcpMsg.ResumeWriting.Instance, handler);
        Assert.Equal(Pattern(firstNack * ChunkSize), connection.ReadFromPeer(firstNack * ChunkSize));
        while (true)
        {
            object message = handler.ReceiveOne(TestWaits.Expect) ?? throw new TimeoutException("no WritingResumed");
            if (message is TcpMsg.WritingResumed) break;
            acked.Add(Assert.IsType<Ack>(message).Id);
        }

        Assert.Equal(Enumerable.Range(0, firstNack), acked);
        connection.Connection.Tell(AckedWrite("again"u8.ToArray(), 100), handler);
        Assert.Equal("again"u8.ToArray(), connection.ReadFromPeer(5));
        handler.ExpectMsg(new Ack(100), TestWaits.Expect);
    }

    [Fact]
    public void An_idle_side_is_told_once_per_period_and_activity_starts_a_new_one()
    {
        TestProbe handler = CreateTestProbe();
        TimeSpan timeout = TimeSpan.FromMilliseconds(300);
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(IdleTimeout: new TcpMsg.IdleTimeout(reader: timeout)));
        connection.LetIdle(timeout);
        Assert.Same(TcpMsg.Idle.Reader, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));

        connection.LetIdle(timeout * 2);
        handler.ExpectNoMsg(timeout * 2);

        connection.SendFromPeer("ping"u8.ToArray());
        handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        connection.LetIdle(timeout);
        Assert.Same(TcpMsg.Idle.Reader, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public void Close_on_idle_reports_IdleClosed_after_the_writes_and_the_peer_sees_the_end()
    {
        TestProbe handler = CreateTestProbe();
        TimeSpan timeout = TimeSpan.FromMilliseconds(300);
        IConnectionUnderTest connection = Open(handler, new ConnectionOptions(IdleTimeout: new TcpMsg.IdleTimeout(both: timeout, action: TcpMsg.IdleAction.Close)));
        connection.Connection.Tell(AckedWrite("bye"u8.ToArray(), 1), handler);
        handler.ExpectMsg(new Ack(1), TestWaits.Expect);
        connection.LetIdle(timeout);

        var closed = handler.ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect);
        Assert.Equal(TcpMsg.IdleSide.Both, closed.Side);
        Assert.Equal(timeout, closed.Timeout);
        Assert.Equal("bye"u8.ToArray(), connection.ReadFromPeer(3));
        connection.AssertPeerSawClose();
    }
}
