using System.Net;
using System.Text;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;

namespace Actors.Io.TestKit;

/// <summary>
/// One bound UDP socket without a socket, for testing a datagram handler by messages. <see cref="Socket"/> is an actor
/// that plays the library's side of a socket opened with <see cref="Udp.Bind"/>, with the same rules as a real one; this
/// object is what the test holds to play the peers (<see cref="PushReceived(string, EndPoint)"/>), to control how fast
/// the "kernel" takes sends, and to assert on what the handler sent. A handler that breaks a rule of the protocol is
/// reported with the rule's name: every expectation here fails on a violation it has not been told to expect
/// (<see cref="ExpectViolation"/>).
/// </summary>
/// <remarks>
/// The socket is bound by a <see cref="Udp.Bind"/> sent to <see cref="Socket"/> (pass it where the handler expects the
/// manager, <c>system.Io()</c>), answered with <see cref="Udp.Bound"/>; or by <see cref="BindTo"/> for a handler given
/// its socket. Differences from a real socket, by design: datagrams pushed before it is bound wait for the bind, and
/// while reading is suspended every pushed datagram waits (a kernel drops those past its receive buffer); after it
/// closed it stays alive, so a late command is reported instead of becoming a dead letter; a send is recorded when the
/// socket accepts it, not when the kernel takes it.
/// </remarks>
public sealed class TestUdpSocket
{
    private readonly ITestKitAssertions _assertions;
    private readonly TestProbe _sends;
    private readonly TestProbe _lifecycle;
    private readonly ViolationLog _violations;

    private TestUdpSocket(TestKitBase kit, TestUdpSocketSettings settings, string? name)
    {
        _assertions = TestKitAssertionsExtension.For(kit.Sys).Assertions;
        Settings = settings;
        _sends = kit.CreateTestProbe();
        _lifecycle = kit.CreateTestProbe();
        _violations = new ViolationLog(kit.CreateTestProbe(), _assertions);
        Props props = Props.Create(() => new TestUdpSocketActor(settings, _sends.Ref, _lifecycle.Ref, _violations.Ref));
        Socket = name is null ? kit.Sys.ActorOf(props) : kit.Sys.ActorOf(props, name);
    }

    /// <summary>The socket actor: what the handler sends Bind (in the manager's stead), Send, Unbind and the rest to.</summary>
    public IActorRef Socket { get; }

    /// <summary>The settings it runs with.</summary>
    public TestUdpSocketSettings Settings { get; }

    /// <summary>The violations reported so far and not yet expected with <see cref="ExpectViolation"/>.</summary>
    public IReadOnlyList<ProtocolViolation> Violations => _violations.Unexpected;

    /// <summary>Starts a test socket in <paramref name="kit"/>'s actor system (default settings: <see cref="TestUdpSocketSettings.Default"/>).</summary>
    public static TestUdpSocket Create(TestKitBase kit, TestUdpSocketSettings? settings = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(kit);
        return new TestUdpSocket(kit, settings ?? TestUdpSocketSettings.Default, name);
    }

    /// <summary>
    /// Binds the socket for <paramref name="handler"/> as if its Bind succeeded: the handler is told <see cref="Udp.Bound"/>
    /// (<see cref="TestUdpSocketSettings.LocalAddress"/>) from the socket, and receives its datagrams.
    /// </summary>
    public void BindTo(IActorRef handler) => Socket.Tell(new BindFor(handler ?? throw new ArgumentNullException(nameof(handler))), ActorRefs.NoSender);

    /// <summary>Waits until the socket is bound (by a Bind or <see cref="BindTo"/>) and returns the Bound it reported.</summary>
    public Udp.Bound ExpectBound(TimeSpan? timeout = null)
    {
        AssertNoViolations();
        return _lifecycle.FishForMessage<SocketBound>(_ => true, timeout).Bound;
    }

    /// <summary>A peer at <paramref name="sender"/> sends <paramref name="data"/>: delivered as <see cref="Udp.Received"/> while reading is on.</summary>
    public void PushReceived(ByteString data, EndPoint sender)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sender);
        Socket.Tell(new PushDatagram(data, sender), ActorRefs.NoSender);
    }

    /// <summary>A peer at <paramref name="sender"/> sends <paramref name="bytes"/>.</summary>
    public void PushReceived(byte[] bytes, EndPoint sender) => PushReceived(ByteString.FromBytes(bytes), sender);

    /// <summary>A peer at <paramref name="sender"/> sends <paramref name="text"/> as UTF-8.</summary>
    public void PushReceived(string text, EndPoint sender) => PushReceived(ByteString.FromString(text, Encoding.UTF8), sender);

    /// <summary>From now on the kernel's send buffer is full: sends wait (acked only by <see cref="AckPending"/> or <see cref="ReleaseSends"/>).</summary>
    public void HoldSends() => Socket.Tell(new KernelTakesSends(false), ActorRefs.NoSender);

    /// <summary>The kernel takes every held send (acked in order) and, from now on, every send at once.</summary>
    public void ReleaseSends() => Socket.Tell(new KernelTakesSends(true), ActorRefs.NoSender);

    /// <summary>The kernel takes every send held now (acked in order); later sends are held again.</summary>
    public void AckPending() => Socket.Tell(new TakePendingSends(), ActorRefs.NoSender);

    /// <summary>Waits for the next send the socket accepted and returns it.</summary>
    public RecordedSend ExpectSend(TimeSpan? timeout = null)
    {
        AssertNoViolations();
        RecordedSend send = _sends.ExpectMsg<RecordedSend>(timeout);
        AssertNoViolations();
        return send;
    }

    /// <summary>Asserts the handler's next send is the datagram <paramref name="payload"/> to <paramref name="target"/>.</summary>
    public RecordedSend ExpectSentBytes(byte[] payload, EndPoint target, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(target);
        RecordedSend send = ExpectSend(timeout);
        if (!send.Payload.ToReadOnlySpan().SequenceEqual(payload) || !send.Target.Equals(target))
        {
            _assertions.Fail(
                "Expected the handler to send {0} bytes to {1} but it sent {2} bytes to {3}: \"{4}\".", payload.Length, target, send.Payload.Count, send.Target, send.Payload.ToString(Encoding.UTF8));
        }

        return send;
    }

    /// <summary>Asserts the handler's next send is <paramref name="text"/> in UTF-8 to <paramref name="target"/>.</summary>
    public RecordedSend ExpectSentText(string text, EndPoint target, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(target);
        RecordedSend send = ExpectSend(timeout);
        if (send.Payload.ToString(Encoding.UTF8) != text || !send.Target.Equals(target))
        {
            _assertions.Fail("Expected the handler to send \"{0}\" to {1} but it sent \"{2}\" to {3}.", text, target, send.Payload.ToString(Encoding.UTF8), send.Target);
        }

        return send;
    }

    /// <summary>Asserts the handler sends nothing within <paramref name="within"/>.</summary>
    public void ExpectNoSend(TimeSpan within)
    {
        AssertNoViolations();
        _sends.ExpectNoMsg(within);
        AssertNoViolations();
    }

    /// <summary>The sends accepted so far and not yet taken by an expectation, without waiting.</summary>
    public IReadOnlyList<RecordedSend> TakeSends()
    {
        var taken = new List<RecordedSend>();
        while (_sends.HasMessages && _sends.ReceiveOne(TimeSpan.Zero) is RecordedSend send) taken.Add(send);
        return taken;
    }

    /// <summary>Waits until the socket closed on an <see cref="Udp.Unbind"/> (answered with <see cref="Udp.Unbound"/>); fails if its handler's death closed it.</summary>
    public void ExpectUnbound(TimeSpan? timeout = null)
    {
        AssertNoViolations();
        SocketClosed closed = _lifecycle.FishForMessage<SocketClosed>(_ => true, timeout);
        if (closed.DeadHandler is { } handler) _assertions.Fail("Expected the socket to be unbound, but it closed because its handler {0} stopped.", handler.Path);
        AssertNoViolations();
    }

    /// <summary>Waits for a violation of <paramref name="rule"/> (see <see cref="ProtocolViolation.Rule"/>) and returns it.</summary>
    public ProtocolViolation ExpectViolation(string rule, TimeSpan? timeout = null) => _violations.Expect(rule, timeout);

    /// <summary>Fails the test if the handler broke a rule of the protocol that was not expected.</summary>
    public void AssertNoViolations() => _violations.AssertNone();
}
