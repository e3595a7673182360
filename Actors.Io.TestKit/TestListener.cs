using System.Net;
using Akka.Actor;
using Akka.TestKit;

namespace Actors.Io.TestKit;

/// <summary>
/// A listener without a socket, for testing a server actor (the handler of a <c>Bind</c>) by messages: the test makes
/// it accept <see cref="TestConnection"/>s, each announced to the server with <c>Connected</c> as a real listener would.
/// <see cref="Listener"/> takes what a server sends its listener: <c>ResumeAccepting</c> (pull mode) and <c>Unbind</c>
/// (answered with <c>Unbound</c>).
/// </summary>
public sealed class TestListener
{
    private readonly TestKitBase _kit;
    private readonly ITestKitAssertions _assertions;
    private readonly TestProbe _replies;
    private int _accepted;

    private TestListener(TestKitBase kit, IActorRef server, EndPoint localAddress, bool pullMode)
    {
        _kit = kit;
        _assertions = TestKitAssertionsExtension.For(kit.Sys).Assertions;
        _replies = kit.CreateTestProbe();
        Server = server;
        PullMode = pullMode;
        Bound = new Tcp.Bound(localAddress);
        Listener = kit.Sys.ActorOf(Props.Create(() => new TestListenerActor(pullMode)));
    }

    /// <summary>The listener actor: what the server sends ResumeAccepting and Unbind to.</summary>
    public IActorRef Listener { get; }

    /// <summary>The server actor every accepted connection is announced to.</summary>
    public IActorRef Server { get; }

    /// <summary>As if bound in pull mode: a connection is accepted only against the server's <c>ResumeAccepting</c>.</summary>
    public bool PullMode { get; }

    /// <summary>The Bound event this listener reports.</summary>
    public Tcp.Bound Bound { get; }

    /// <summary>
    /// Starts a listener for <paramref name="server"/> in <paramref name="kit"/>'s actor system; it reports
    /// <paramref name="localAddress"/> (default 127.0.0.1:50000) as bound.
    /// </summary>
    public static TestListener Create(TestKitBase kit, IActorRef server, EndPoint? localAddress = null, bool pullMode = false)
    {
        ArgumentNullException.ThrowIfNull(kit);
        ArgumentNullException.ThrowIfNull(server);
        return new TestListener(kit, server, localAddress ?? new IPEndPoint(IPAddress.Loopback, 50000), pullMode);
    }

    /// <summary>Tells <paramref name="to"/> (default: the server) <see cref="Bound"/>, sent by the listener, as the Bind's answer.</summary>
    public void AnnounceBound(IActorRef? to = null) => (to ?? Server).Tell(Bound, Listener);

    /// <summary>
    /// A peer connects: a new <see cref="TestConnection"/> is announced to the server with <c>Connected</c>, from the
    /// connection. In pull mode it fails the test unless the server asked for it with <c>ResumeAccepting</c>; after
    /// <c>Unbind</c> it always fails. Each connection gets its own remote port unless <paramref name="settings"/> names one.
    /// </summary>
    public TestConnection Accept(TestConnectionSettings? settings = null, TimeSpan? timeout = null)
    {
        Listener.Tell(TestListenerActor.TakeAccept.Instance, _replies.Ref);
        var answer = _replies.ExpectMsg<TestListenerActor.AcceptAnswer>(timeout);
        if (answer.Refusal is { } refusal) _assertions.Fail("{0}", refusal);

        _accepted++;
        settings ??= TestConnectionSettings.Default with
        {
            RemoteAddress = new IPEndPoint(IPAddress.Loopback, 40000 + _accepted),
            LocalAddress = Bound.LocalAddress,
        };
        if (PullMode && !settings.PullMode) settings = settings with { PullMode = true };
        TestConnection connection = TestConnection.Create(_kit, settings);
        connection.Announce(Server);
        return connection;
    }

    /// <summary>Waits until the server unbound the listener (its <c>Unbind</c> was answered with <c>Unbound</c>).</summary>
    public void ExpectUnbound(TimeSpan? timeout = null)
    {
        Listener.Tell(TestListenerActor.NotifyWhenUnbound.Instance, _replies.Ref);
        _replies.ExpectMsg<Tcp.Unbound>(timeout);
    }
}

/// <summary>The listener's actor: counts ResumeAccepting credit in pull mode, answers Unbind.</summary>
internal sealed class TestListenerActor : ReceiveActor
{
    private int _credit;
    private bool _unbound;
    private IActorRef? _unboundWatcher;

    public TestListenerActor(bool pullMode)
    {
        Receive<Tcp.ResumeAccepting>(resume => _credit += resume.BatchSize);
        Receive<Tcp.Unbind>(_ =>
        {
            _unbound = true;
            Sender.Tell(Tcp.Unbound.Instance, Self);
            _unboundWatcher?.Tell(Tcp.Unbound.Instance, Self);
        });
        Receive<NotifyWhenUnbound>(_ =>
        {
            if (_unbound) Sender.Tell(Tcp.Unbound.Instance, Self);
            else _unboundWatcher = Sender;
        });
        Receive<TakeAccept>(_ =>
        {
            if (_unbound)
            {
                Sender.Tell(new AcceptAnswer("The listener is unbound: it accepts no more connections."), Self);
            }
            else if (pullMode && _credit == 0)
            {
                Sender.Tell(new AcceptAnswer("The listener is in pull mode and the server has not asked for a connection with ResumeAccepting."), Self);
            }
            else
            {
                if (pullMode) _credit--;
                Sender.Tell(new AcceptAnswer(null), Self);
            }
        });
    }

    /// <summary>May a connection be accepted now?</summary>
    internal sealed class TakeAccept : INoSerializationVerificationNeeded
    {
        public static readonly TakeAccept Instance = new();
    }

    /// <summary>Null: accepted; otherwise why not.</summary>
    internal sealed record AcceptAnswer(string? Refusal) : INoSerializationVerificationNeeded;

    /// <summary>Tell the sender Unbound once the listener is unbound.</summary>
    internal sealed class NotifyWhenUnbound : INoSerializationVerificationNeeded
    {
        public static readonly NotifyWhenUnbound Instance = new();
    }
}
