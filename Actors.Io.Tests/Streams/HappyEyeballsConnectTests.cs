using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Connect to a name with several addresses (RFC 8305, Happy Eyeballs): each address in turn, the next at once after a
/// failure or after the attempt delay, the first to connect wins and the others are closed; connect-timeout covers the
/// resolution and every attempt, and a failure names each address and why. The names resolve through the settings'
/// resolver seam to loopback addresses.
/// </summary>
public sealed class HappyEyeballsConnectTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    private const string Name = "several.test";

    [Theory]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    public void A_refused_first_address_gives_way_to_the_next_at_once(string dead)
    {
        UseResolver(IPAddress.Parse(dead), IPAddress.Loopback);
        (IPEndPoint live, Akka.TestKit.TestProbe server) = Listen();

        // Longer than the timeout: the second address gets its turn only because the first failed.
        var connect = new TcpMsg.Connect(new DnsEndPoint(Name, live.Port), timeout: TimeSpan.FromSeconds(2));
        Sys.Io().Tell(connect);
        var connected = ExpectMsg<TcpMsg.Connected>();
        Assert.Equal(live, connected.RemoteAddress);
        AssertBytesFlow(LastSender, server);

        // The listener, the accepted connection and the outgoing one: the refused attempt's place is back.
        AwaitAssert(() => Assert.Equal(3, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void An_address_that_gets_no_answer_is_joined_by_the_next_after_the_attempt_delay_and_then_closed()
    {
        UseResolver(IPAddress.Parse("127.0.0.2"), IPAddress.Loopback);
        (IPEndPoint live, Akka.TestKit.TestProbe server, BlackHole hole) = ListenBesideABlackHole(IPAddress.Parse("127.0.0.2"));
        using (hole)
        {
            int hanging = BlackHole.ConnectsUnderWay(hole.EndPoint);

            var started = Stopwatch.StartNew();
            Sys.Io().Tell(new TcpMsg.Connect(new DnsEndPoint(Name, live.Port)));
            var connected = ExpectMsg<TcpMsg.Connected>();
            TimeSpan took = started.Elapsed;
            Assert.Equal(live, connected.RemoteAddress);

            // The delay is the behaviour: the second attempt waited for it (250 ms, with a margin for the clock).
            Assert.True(took >= TimeSpan.FromMilliseconds(200), $"connected after {took.TotalMilliseconds} ms, before the attempt delay");
            AssertBytesFlow(LastSender, server);

            // The hanging attempt is closed: no connect to the black hole is under way beyond the test's own filler, and
            // only the listener, the accepted and the outgoing connection hold places.
            AwaitAssert(() => Assert.Equal(hanging, BlackHole.ConnectsUnderWay(hole.EndPoint)), TestWaits.Expect);
            AwaitAssert(() => Assert.Equal(3, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
        }
    }

    [Fact]
    public void When_every_address_fails_CommandFailed_names_each_address_and_why_in_order()
    {
        // Bound but not listening: connects to it are refused, and so are those to the same port elsewhere on loopback.
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        UseResolver(IPAddress.Loopback, IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback);

        var connect = new TcpMsg.Connect(new DnsEndPoint(Name, port));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        Assert.Same(connect, failed.Cmd);
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.ConnectionRefused, cause.SocketErrorCode);
        Assert.Contains($"Connecting to {Name}:{port} failed on each of its 3 addresses", cause.Message);
        // Tried with the families interleaved: the IPv6 address second.
        AssertNamedInOrder(cause.Message, $"127.0.0.1:{port} failed: ", $"[::1]:{port} failed: ", $"127.0.0.2:{port} failed: ");
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public async Task The_connect_timeout_covers_the_resolution_and_cancels_it()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        AdjustedIo.Start(Sys, settings => settings.Resolver = async (_, cancel) =>
        {
            using CancellationTokenRegistration registration = cancel.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, cancel);
            return [];
        });

        var connect = new TcpMsg.Connect(new DnsEndPoint(Name, 9), timeout: TimeSpan.FromMilliseconds(200));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        var cause = Assert.IsType<TimeoutException>(failed.Cause);
        Assert.Contains($"{Name}:9", cause.Message);
        await cancelled.Task.WaitAsync(TestWaits.Expect);
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void The_connect_timeout_covers_every_attempt_and_names_each_address()
    {
        using BlackHole first = BlackHole.TryOpen(IPAddress.Parse("127.0.0.2"))!;
        int port = first.EndPoint.Port;
        using BlackHole? second = BlackHole.TryOpen(IPAddress.Parse("127.0.0.3"), port);
        Assert.NotNull(second);
        UseResolver(IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4"));
        int hanging = BlackHole.ConnectsUnderWay(first.EndPoint) + BlackHole.ConnectsUnderWay(second.EndPoint);

        // Attempts at 0 and 250 ms; the third would start at 500 ms, after the timeout.
        var connect = new TcpMsg.Connect(new DnsEndPoint(Name, port), timeout: TimeSpan.FromMilliseconds(400));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>();
        var cause = Assert.IsType<TimeoutException>(failed.Cause);
        Assert.Contains($"Connecting to {Name}:{port} timed out after", cause.Message);
        AssertNamedInOrder(cause.Message, $"127.0.0.2:{port} got no answer", $"127.0.0.3:{port} ", $"127.0.0.4:{port} not tried");
        AwaitAssert(() => Assert.Equal(0, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
        AwaitAssert(
            () => Assert.Equal(hanging, BlackHole.ConnectsUnderWay(first.EndPoint) + BlackHole.ConnectsUnderWay(second.EndPoint)),
            TestWaits.Expect);
    }

    private void UseResolver(params IPAddress[] addresses) =>
        AdjustedIo.Start(Sys, settings => settings.Resolver = (host, _) =>
            Task.FromResult(host == Name ? addresses : throw new SocketException((int)SocketError.HostNotFound)));

    private (IPEndPoint Live, Akka.TestKit.TestProbe Server) Listen()
    {
        var server = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(server.Ref, new IPEndPoint(IPAddress.Loopback, 0)));
        return ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress, server);
    }

    /// <summary>A listener on 127.0.0.1 and a black hole on <paramref name="hole"/> with the same port.</summary>
    private (IPEndPoint Live, Akka.TestKit.TestProbe Server, BlackHole Hole) ListenBesideABlackHole(IPAddress hole)
    {
        for (int i = 0; i < 5; i++)
        {
            BlackHole? opened = BlackHole.TryOpen(hole, 0);
            if (opened is null) continue;
            var server = CreateTestProbe();
            Sys.Io().Tell(new TcpMsg.Bind(server.Ref, new IPEndPoint(IPAddress.Loopback, opened.EndPoint.Port)));
            object answer = ExpectMsg<object>(m => m is TcpMsg.Bound or TcpMsg.CommandFailed);
            if (answer is TcpMsg.Bound bound) return ((IPEndPoint)bound.LocalAddress, server, opened);
            opened.Dispose();
        }

        throw new InvalidOperationException("No port was free on both addresses.");
    }

    private void AssertBytesFlow(IActorRef outgoing, Akka.TestKit.TestProbe server)
    {
        server.ExpectMsg<TcpMsg.Connected>();
        server.LastSender.Tell(new TcpMsg.Register(server.Ref));
        outgoing.Tell(new TcpMsg.Register(TestActor));
        outgoing.Tell(TcpMsg.Write.Create(ByteString.FromString("ping")));
        Assert.Equal("ping", server.ExpectMsg<TcpMsg.Received>().Data.ToString());
    }

    private static void AssertNamedInOrder(string message, params string[] parts)
    {
        int at = -1;
        foreach (string part in parts)
        {
            int next = message.IndexOf(part, StringComparison.Ordinal);
            Assert.True(next > at, $"'{part}' is not named after the previous address in: {message}");
            at = next;
        }
    }
}
