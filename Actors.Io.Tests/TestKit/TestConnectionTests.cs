using System.Net.Sockets;
using Actors.Io.TestKit;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using Xunit.Sdk;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The test connection's own rules beyond the shared protocol tests: what only a test can make happen (a register
/// timeout, a held kernel, an error close) and the violations it reports, each naming its rule.
/// </summary>
public sealed class TestConnectionTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(TestConfigs.Quiet, output: output)
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(100);

    [Fact]
    public void Writes_before_Register_are_accepted_acked_and_recorded_in_order()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("a"), new TcpMsg.NoAck("first")), handler);
        connection.Connection.Tell(TcpMsg.WriteCommand.Create(TcpMsg.Write.Create(ByteString.FromString("b"), Ack("b")), TcpMsg.Write.Create(ByteString.FromString("c"))), handler);
        handler.ExpectMsg<Acked>(TestWaits.Expect);

        Assert.Equal("a", connection.ExpectWrite(TestWaits.Expect).Data.ToString());
        RecordedWrite compound = connection.ExpectWrite(TestWaits.Expect);
        Assert.IsType<TcpMsg.CompoundWrite>(compound.Command);
        Assert.Equal("bc", compound.Data.ToString());
        Assert.Equal(handler.Ref, compound.Writer);
        Assert.Empty(connection.TakeWrites());
    }

    [Fact]
    public void The_default_settings_are_the_reference_configurations()
    {
        TcpSettings reference = ActorsIoSettings.Create(ActorsIo.ReferenceConfig).Tcp;
        Assert.Equal(reference.MaxPendingWriteBytes, TestConnectionSettings.Default.MaxPendingWriteBytes);
        Assert.Equal(reference.RegisterTimeout, TestConnectionSettings.Default.RegisterTimeout);
        Assert.Same(reference.IdleTimeout, TestConnectionSettings.Default.IdleTimeout);
        Assert.True(TestConnectionSettings.Default.KernelTakesWrites);
        Assert.False(TestConnectionSettings.Default.PullMode);
    }

    [Fact]
    public void A_second_Register_is_a_violation_that_fails_the_next_expectation()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.ExpectRegistered(TestWaits.Expect);

        ProtocolViolation violation = connection.ExpectViolation("one Register per connection", TestWaits.Expect);
        Assert.Contains("second Register", violation.Message);
        connection.AssertNoViolations();

        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.PushReceived("x");
        handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        var failure = Assert.ThrowsAny<XunitException>(() => connection.ExpectNoWrite(Quiet));
        Assert.Contains("one Register per connection", failure.Message);
    }

    [Fact]
    public void A_write_while_closing_is_refused_and_a_violation_and_one_after_the_close_too()
    {
        TestConnection connection = TestConnection.Create(this, new TestConnectionSettings { KernelTakesWrites = false });
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("queued"), Ack("queued")), handler);
        connection.Connection.Tell(TcpMsg.Close.Instance, handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("late")), handler);
        Assert.Contains("closing", handler.ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);
        Assert.Contains("sent Write", connection.ExpectViolation("no Write after Close", TestWaits.Expect).Message);

        // The queued write still goes out before the close completes.
        connection.AckPending();
        handler.ExpectMsg<Acked>(TestWaits.Expect);
        handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        connection.ExpectClosedWith<TcpMsg.Closed>(TestWaits.Expect);

        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("later")), handler);
        Assert.Contains("closed with", connection.ExpectViolation("no Write after Close", TestWaits.Expect).Message);
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void A_write_that_races_the_peers_close_is_dropped_without_a_violation()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.PushReceived("ping");
        connection.PushPeerClosed();
        handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        handler.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);

        // The reply to the data was on its way when the connection closed: a dead letter for the real one, no broken rule.
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("pong"), Ack("pong")), handler);
        connection.ExpectNoWrite(Quiet);
        handler.ExpectNoMsg(Quiet);
        Assert.Empty(connection.Violations);
    }

    [Fact]
    public void ResumeWriting_without_a_NACK_is_answered_and_reported()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(TcpMsg.ResumeWriting.Instance, handler);
        handler.ExpectMsg<TcpMsg.WritingResumed>(TestWaits.Expect);
        connection.ExpectViolation("ResumeWriting only after a NACK", TestWaits.Expect);
    }

    [Fact]
    public void Without_Register_the_connection_times_out_as_configured_and_reports_it()
    {
        TestConnection connection = TestConnection.Create(this, new TestConnectionSettings { RegisterTimeout = TimeSpan.FromMilliseconds(50) });
        connection.ExpectViolation("Register within the register timeout", TestWaits.Expect);
        connection.ExpectClosedWith<TcpMsg.Closed>(TestWaits.Expect);
    }

    [Fact]
    public void ConfirmedClose_waits_for_the_peers_close_and_reports_ConfirmedClosed()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(TcpMsg.ConfirmedClose.Instance, handler);
        handler.ExpectNoMsg(Quiet);

        // Half closed: the handler still reads what the peer sends before its close.
        connection.PushReceived("tail");
        Assert.Equal("tail", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        connection.PushPeerClosed();
        handler.ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
        connection.ExpectClosedWith<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
    }

    [Fact]
    public void Abort_drops_the_pending_writes_and_reports_Aborted_at_once()
    {
        TestConnection connection = TestConnection.Create(this, new TestConnectionSettings { KernelTakesWrites = false });
        TestProbe handler = CreateTestProbe();
        TestProbe closer = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("dropped"), Ack("dropped")), handler);
        connection.Connection.Tell(TcpMsg.Abort.Instance, closer);
        closer.ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        handler.ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        connection.ExpectClosedWith<TcpMsg.Aborted>(TestWaits.Expect);
        connection.AckPending();
        handler.ExpectNoMsg(Quiet);
    }

    [Fact]
    public void An_error_close_reaches_the_handler_with_its_cause()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.PushErrorClosed("peer reset", SocketError.ConnectionReset);
        var closed = handler.ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        Assert.Equal("peer reset", closed.Cause);
        Assert.Equal(SocketError.ConnectionReset, closed.Error);
        Assert.Equal("peer reset", connection.ExpectClosedWith<TcpMsg.ErrorClosed>(TestWaits.Expect).Cause);
    }

    [Fact]
    public void Without_useResumeWriting_a_write_is_accepted_again_once_the_queue_has_room()
    {
        TestConnection connection = TestConnection.Create(this, new TestConnectionSettings { KernelTakesWrites = false, MaxPendingWriteBytes = 10 });
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler, useResumeWriting: false), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("12345678"), Ack("1")), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("abcdef"), Ack("2")), handler);
        Assert.Contains("max-pending-write-bytes", handler.ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect).Cause!.Message);

        connection.AckPending();
        Assert.Equal("1", handler.ExpectMsg<Acked>(TestWaits.Expect).Id);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("abcdef"), Ack("3")), handler);
        connection.AckPending();
        Assert.Equal("3", handler.ExpectMsg<Acked>(TestWaits.Expect).Id);
        connection.ExpectWrittenText("12345678abcdef", TestWaits.Expect);
    }

    [Fact]
    public void ExpectWrittenText_reads_across_writes_and_names_what_was_written_on_a_mismatch()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("hel")), handler);
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("lo wor")), handler);
        connection.ExpectWrittenText("hello", TestWaits.Expect);
        var failure = Assert.ThrowsAny<XunitException>(() => connection.ExpectWrittenText("_wor", TestWaits.Expect));
        Assert.Contains("\" wor\"", failure.Message);
    }

    [Fact]
    public void A_handler_that_stops_leaves_the_connection_aborted()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.ExpectRegistered(TestWaits.Expect);
        Sys.Stop(handler.Ref);
        connection.ExpectClosedWith<TcpMsg.Aborted>(TestWaits.Expect);
    }

    [Fact]
    public void In_pull_mode_the_peers_close_waits_behind_unread_data_but_not_behind_a_pull()
    {
        TestConnection connection = TestConnection.Create(this, new TestConnectionSettings { PullMode = true });
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.PushReceived("unread");
        connection.PushPeerClosed();
        handler.ExpectNoMsg(Quiet);
        connection.Connection.Tell(TcpMsg.ResumeReading.Instance, handler);
        Assert.Equal("unread", handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        handler.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }

    [Fact]
    public void A_Register_of_props_starts_the_handler_as_the_connections_child_and_stops_it_after_the_final_event()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe events = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(Akka.Actor.Props.Create(() => new Relay(events.Ref))));
        IActorRef handler = connection.ExpectRegistered(TestWaits.Expect).Handler;
        Assert.Equal(connection.Connection, events.ExpectMsg<IActorRef>(TestWaits.Expect));
        Watch(handler);

        connection.PushReceived("ping");
        connection.ExpectWrittenText("ping", TestWaits.Expect);
        connection.PushPeerClosed();
        events.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        ExpectTerminated(handler, TestWaits.Expect);
        connection.AssertNoViolations();
    }

    private static Acked Ack(string id) => new(id);

    /// <summary>Tells the probe its parent, echoes, and tells the probe the close events.</summary>
    private sealed class Relay : ReceiveActor
    {
        public Relay(IActorRef events)
        {
            events.Tell(Context.Parent);
            Receive<TcpMsg.Received>(received => Sender.Tell(TcpMsg.Write.Create(received.Data)));
            Receive<TcpMsg.ConnectionClosed>(closed => events.Tell(closed));
        }
    }

    private sealed class Acked(string id) : TcpMsg.Event
    {
        public string Id { get; } = id;
    }

    [Fact]
    public void ElapseIdle_tells_each_side_once_and_a_write_or_a_read_starts_its_new_period()
    {
        var idle = new TcpMsg.IdleTimeout(reader: TimeSpan.FromSeconds(10), writer: TimeSpan.FromSeconds(20), both: TimeSpan.FromSeconds(30));
        TestConnection connection = TestConnection.Create(this, TestConnectionSettings.Default with { IdleTimeout = idle });
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler), handler);
        connection.ExpectRegistered(TestWaits.Expect);

        connection.ElapseIdle(TimeSpan.FromSeconds(9));
        handler.ExpectNoMsg(Quiet);
        connection.ElapseIdle(TimeSpan.FromSeconds(1));
        Assert.Same(TcpMsg.Idle.Reader, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        connection.ElapseIdle(TimeSpan.FromSeconds(20));
        Assert.Same(TcpMsg.Idle.Writer, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.Same(TcpMsg.Idle.Both, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        connection.ElapseIdle(TimeSpan.FromMinutes(5));
        handler.ExpectNoMsg(Quiet);

        // A write starts a new writer period, and a new both-sides one; the reader stays told.
        connection.Connection.Tell(TcpMsg.Write.Create(ByteString.FromString("x")), handler);
        connection.ExpectWrittenText("x", TestWaits.Expect);
        connection.ElapseIdle(TimeSpan.FromSeconds(30));
        Assert.Same(TcpMsg.Idle.Writer, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.Same(TcpMsg.Idle.Both, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));

        connection.PushReceived("y");
        handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        connection.ElapseIdle(TimeSpan.FromSeconds(10));
        Assert.Same(TcpMsg.Idle.Reader, handler.ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        handler.ExpectNoMsg(Quiet);
        connection.AssertNoViolations();
    }

    [Fact]
    public void Without_a_timeout_or_once_closed_ElapseIdle_does_nothing()
    {
        TestConnection connection = TestConnection.Create(this);
        TestProbe handler = CreateTestProbe();
        connection.Connection.Tell(new TcpMsg.Register(handler, idleTimeout: new TcpMsg.IdleTimeout(reader: TimeSpan.FromSeconds(1), action: TcpMsg.IdleAction.Close)), handler);
        connection.Connection.Tell(TcpMsg.Close.Instance, handler);
        handler.ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
        connection.ElapseIdle(TimeSpan.FromHours(1));
        handler.ExpectNoMsg(Quiet);

        TestConnection untimed = TestConnection.Create(this);
        untimed.Connection.Tell(new TcpMsg.Register(handler), handler);
        untimed.ElapseIdle(TimeSpan.FromDays(300));
        handler.ExpectNoMsg(Quiet);
        Assert.Throws<ArgumentOutOfRangeException>(() => untimed.ElapseIdle(TimeSpan.FromSeconds(-1)));
        untimed.AssertNoViolations();
    }
}
