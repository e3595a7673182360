using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace Actors.Io.TestKit;

/// <summary>
/// One TCP connection without a socket, for testing a connection handler by messages. <see cref="Connection"/> is an
/// actor that plays the library's side of the connection with the same rules as a real one; this object is what the
/// test holds to play the peer (<see cref="PushReceived(string)"/>, <see cref="PushPeerClosed"/>,
/// <see cref="PushErrorClosed"/>), to control how fast the "kernel" takes writes, and to assert on what the handler
/// wrote and how the connection ended. A handler that breaks a rule of the protocol is reported with the rule's name:
/// every expectation here fails on a violation it has not been told to expect (<see cref="ExpectViolation"/>).
/// </summary>
/// <remarks>
/// Differences from a real connection, by design: after it closed, the test connection stays alive (so a late command is
/// reported as a violation instead of becoming a dead letter), and a write is recorded when the connection accepts it,
/// not when the kernel takes it.
/// </remarks>
public sealed class TestConnection
{
    private readonly TestKitBase _kit;
    private readonly ITestKitAssertions _assertions;
    private readonly TestProbe _writes;
    private readonly TestProbe _lifecycle;
    private readonly ViolationLog _violations;
    private ByteString _unread = ByteString.Empty;

    private TestConnection(TestKitBase kit, TestConnectionSettings settings, string? name)
    {
        _kit = kit;
        // The kit's own assertions (xUnit, NUnit, MSTest...): a failure here is a failure of the test's framework.
        _assertions = TestKitAssertionsExtension.For(kit.Sys).Assertions;
        Settings = settings;
        _writes = kit.CreateTestProbe();
        _lifecycle = kit.CreateTestProbe();
        _violations = new ViolationLog(kit.CreateTestProbe(), _assertions);
        Props props = Props.Create(() => new TestConnectionActor(settings, _writes.Ref, _lifecycle.Ref, _violations.Ref));
        Connection = name is null ? kit.Sys.ActorOf(props) : kit.Sys.ActorOf(props, name);
        Connected = new Tcp.Connected(settings.RemoteAddress, settings.LocalAddress);
    }

    /// <summary>The connection actor: what the handler sends Register, writes and closes to.</summary>
    public IActorRef Connection { get; }

    /// <summary>The settings it runs with.</summary>
    public TestConnectionSettings Settings { get; }

    /// <summary>The Connected event this connection announces itself with.</summary>
    public Tcp.Connected Connected { get; }

    /// <summary>The violations reported so far and not yet expected with <see cref="ExpectViolation"/>.</summary>
    public IReadOnlyList<ProtocolViolation> Violations => _violations.Unexpected;

    /// <summary>Starts a test connection in <paramref name="kit"/>'s actor system (default settings: <see cref="TestConnectionSettings.Default"/>).</summary>
    public static TestConnection Create(TestKitBase kit, TestConnectionSettings? settings = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(kit);
        return new TestConnection(kit, settings ?? TestConnectionSettings.Default, name);
    }

    /// <summary>Tells <paramref name="to"/> <see cref="Connected"/>, sent by the connection, as a listener or a Connect would.</summary>
    public void Announce(IActorRef to) => to.Tell(Connected, Connection);

    /// <summary>
    /// Waits for the connection's Register and returns it. A Register of props (<see cref="Tcp.Register.HandlerProps"/>)
    /// starts the handler as the real connection does, as the connection's child (on the props' own dispatcher, so the
    /// kit's), and is returned naming it in <see cref="Tcp.Register.Handler"/>.
    /// </summary>
    public Tcp.Register ExpectRegistered(TimeSpan? timeout = null)
    {
        AssertNoViolations();
        return _lifecycle.FishForMessage<Registered>(_ => true, timeout).Register;
    }

    /// <summary>The peer sends <paramref name="data"/>: delivered as <see cref="Tcp.Received"/> when the handler reads.</summary>
    public void PushReceived(ByteString data) => Connection.Tell(new PushData(data ?? throw new ArgumentNullException(nameof(data))), ActorRefs.NoSender);

    /// <summary>The peer sends <paramref name="bytes"/>.</summary>
    public void PushReceived(byte[] bytes) => PushReceived(ByteString.FromBytes(bytes));

    /// <summary>The peer sends <paramref name="text"/> as UTF-8.</summary>
    public void PushReceived(string text) => PushReceived(ByteString.FromString(text, Encoding.UTF8));

    /// <summary>The peer closes its side: <see cref="Tcp.PeerClosed"/> once everything pushed before it was read.</summary>
    public void PushPeerClosed() => Connection.Tell(new PushEof(), ActorRefs.NoSender);

    /// <summary>The connection fails with <paramref name="cause"/>: the handler is told <see cref="Tcp.ErrorClosed"/> at once.</summary>
    public void PushErrorClosed(string cause, SocketError error = SocketError.ConnectionReset) =>
        Connection.Tell(new PushError(cause ?? throw new ArgumentNullException(nameof(cause)), error), ActorRefs.NoSender);

    /// <summary>
    /// <paramref name="elapsed"/> passes with no activity, for the idle timeout (the Register's <c>idleTimeout</c>, else
    /// <see cref="TestConnectionSettings.IdleTimeout"/>): each side idle for its timeout since its last activity (a
    /// <c>Received</c> delivered, a write accepted or taken by the kernel) is told to the handler as <see cref="Tcp.Idle"/>,
    /// once per idle period, or closes the connection with <see cref="Tcp.IdleClosed"/>, as the real connection does. No
    /// real time passes: the test decides when the connection is idle.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="elapsed"/> is negative.</exception>
    public void ElapseIdle(TimeSpan elapsed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elapsed, TimeSpan.Zero);
        Connection.Tell(new ElapseIdle(elapsed), ActorRefs.NoSender);
    }

    /// <summary>From now on the kernel holds writes (a slow peer): they are acked only by <see cref="AckPending"/> or <see cref="ReleaseWrites"/>.</summary>
    public void HoldWrites() => Connection.Tell(new KernelTakesWrites(false), ActorRefs.NoSender);

    /// <summary>The kernel takes every held write (acked in order) and, from now on, every write at once.</summary>
    public void ReleaseWrites() => Connection.Tell(new KernelTakesWrites(true), ActorRefs.NoSender);

    /// <summary>The kernel takes every write held now (acked in order); later writes are held again.</summary>
    public void AckPending() => Connection.Tell(new TakePendingWrites(), ActorRefs.NoSender);

    /// <summary>Waits for the next write command the connection accepted and returns it.</summary>
    public RecordedWrite ExpectWrite(TimeSpan? timeout = null)
    {
        AssertNoViolations();
        if (!_unread.IsEmpty)
        {
            _assertions.Fail("ExpectWrite: {0} bytes of an earlier write are still unread by ExpectWrittenBytes/ExpectWrittenText.", _unread.Count);
        }

        RecordedWrite write = _writes.ExpectMsg<RecordedWrite>(timeout);
        AssertNoViolations();
        return write;
    }

    /// <summary>
    /// Reads the next <paramref name="count"/> bytes the handler wrote, across writes, as the peer would read them (a
    /// write's bytes beyond them are kept for the next read).
    /// </summary>
    public ByteString ExpectWrittenBytes(int count, TimeSpan? timeout = null)
    {
        AssertNoViolations();
        TimeSpan limit = _kit.RemainingOrDilated(timeout);
        DateTime deadline = DateTime.UtcNow + limit;
        while (_unread.Count < count)
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left < TimeSpan.Zero) left = TimeSpan.Zero;
            if (_writes.ReceiveOne(left) is not RecordedWrite write)
            {
                _assertions.Fail(
                    "Expected {0} written bytes within {1}; the handler wrote {2}: \"{3}\".", count, limit, _unread.Count, _unread.ToString(Encoding.UTF8));
                return ByteString.Empty;
            }

            _unread = _unread.Concat(write.Data);
        }

        ByteString taken = _unread.Slice(0, count);
        _unread = _unread.Slice(count);
        AssertNoViolations();
        return taken;
    }

    /// <summary>Asserts the handler's next written bytes are <paramref name="text"/> in UTF-8.</summary>
    public void ExpectWrittenText(string text, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] expected = Encoding.UTF8.GetBytes(text);
        ByteString actual = ExpectWrittenBytes(expected.Length, timeout);
        if (!actual.ToReadOnlySpan().SequenceEqual(expected))
        {
            _assertions.Fail("Expected the handler to write \"{0}\" but it wrote \"{1}\".", text, actual.ToString(Encoding.UTF8));
        }
    }

    /// <summary>Asserts the handler writes nothing (beyond what was read already) within <paramref name="within"/>.</summary>
    public void ExpectNoWrite(TimeSpan within)
    {
        AssertNoViolations();
        if (!_unread.IsEmpty) _assertions.Fail("Expected no write, but {0} written bytes are unread: \"{1}\".", _unread.Count, _unread.ToString(Encoding.UTF8));
        _writes.ExpectNoMsg(within);
        AssertNoViolations();
    }

    /// <summary>The writes accepted so far and not yet taken by an expectation, without waiting.</summary>
    public IReadOnlyList<RecordedWrite> TakeWrites()
    {
        var taken = new List<RecordedWrite>();
        while (_writes.HasMessages && _writes.ReceiveOne(TimeSpan.Zero) is RecordedWrite write) taken.Add(write);
        return taken;
    }

    /// <summary>
    /// Waits until the connection ends and asserts it ended with a <typeparamref name="T"/> (the event the closer and
    /// the handler were told, or for a handler that stopped or never registered, how the peer saw it end).
    /// </summary>
    public T ExpectClosedWith<T>(TimeSpan? timeout = null)
        where T : Tcp.ConnectionClosed
    {
        AssertNoViolations();
        Tcp.ConnectionClosed closed = _lifecycle.FishForMessage<ConnectionEnded>(_ => true, timeout).Event;
        if (closed is not T expected)
        {
            _assertions.Fail("Expected the connection to close with {0} but it closed with {1}.", typeof(T).Name, closed);
            throw new InvalidOperationException("unreachable: the assertion failed");
        }

        AssertNoViolations();
        return expected;
    }

    /// <summary>Waits for a violation of <paramref name="rule"/> (see <see cref="ProtocolViolation.Rule"/>) and returns it.</summary>
    public ProtocolViolation ExpectViolation(string rule, TimeSpan? timeout = null) => _violations.Expect(rule, timeout);

    /// <summary>Fails the test if the handler broke a rule of the protocol that was not expected.</summary>
    public void AssertNoViolations() => _violations.AssertNone();
}
