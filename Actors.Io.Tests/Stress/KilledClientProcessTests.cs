using System.Net;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Stress;

/// <summary>
/// A client process killed (SIGKILL) in the middle of sending, with echoed bytes it never read: the kernel resets every
/// one of its connections, and the server sees each reset, ends the connection and frees everything it held.
/// </summary>
[Collection(SerialCollection.Name)]
[Trait("Category", "Stress")]
public sealed class KilledClientProcessTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Count = 100;
    private readonly ITestOutputHelper _output;

    // A small write queue, so the server holds little per connection while the client does not read.
    public KilledClientProcessTests(ITestOutputHelper output)
        : base(TestConfigs.With("actors-io.tcp.max-pending-write-bytes = 64 KiB\n" + TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public async Task A_client_process_killed_mid_transfer_resets_its_connections_and_the_server_cleans_up()
    {
        using var timer = new StressTimer(_output, nameof(A_client_process_killed_mid_transfer_resets_its_connections_and_the_server_cleans_up));
        IActorRef server = Sys.ActorOf(Props.Create(() => new StressEchoServer(TestActor)));
        int port = ((IPEndPoint)(await ExpectMsgAsync<TcpMsg.Bound>()).LocalAddress).Port;
        int baselineFds = Descriptors.OpenSocketsAndPollers();
        int baselineActors = await ChannelActors.Count(Sys);

        using var clients = ClientProcess.Start("flood", Count, port);
        Assert.Equal($"FLOODING {Count}", clients.WaitFor("FLOODING", TimeSpan.FromSeconds(30)));
        var during = await server.Ask<StressEchoServer.Stats>(StressEchoServer.GetStats.Instance, TestWaits.Expect);
        Assert.Equal(Count, during.Handlers);
        Assert.Empty(during.Closes);
        Assert.Equal(Count + 1, ActorsIo.Get(Sys).SelectorLoads().Sum());
        Assert.Equal(baselineActors + Count, await ChannelActors.Count(Sys));

        clients.Process.Kill(entireProcessTree: true);
        Assert.True(clients.Process.WaitForExit(10_000));

        // Every connection ends with the reset, as an ErrorClosed, and its handler stops.
        StressEchoServer.Stats after = during;
        await AwaitAssertAsync(
            async () =>
            {
                after = await server.Ask<StressEchoServer.Stats>(StressEchoServer.GetStats.Instance, TestWaits.Expect);
                Assert.Equal(0, after.Handlers);
                Assert.Equal(Count, after.Closes.Values.Sum());
            },
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));
        _output.WriteLine($"{after.Nacks} NACKs before the kill; ends: {string.Join(", ", after.Closes.Select(c => $"{c.Key} x{c.Value}"))}");
        // A reset ends a connection as ConnectionReset; where the killed side's FIN came first (nothing unread on that
        // connection at the kill) the kernel reports the reset to the next write as EPIPE, which is SocketError.Shutdown.
        int resets = after.Closes.GetValueOrDefault("ErrorClosed:ConnectionReset");
        Assert.Equal(Count, resets + after.Closes.GetValueOrDefault("ErrorClosed:Shutdown"));
        Assert.True(resets >= Count / 2, $"only {resets} of {Count} connections were reset");

        // The library let go of everything: registrations, connection actors, descriptors.
        Assert.Equal(1, ActorsIo.Get(Sys).SelectorLoads().Sum());
        await AwaitAssertAsync(async () => Assert.Equal(baselineActors, await ChannelActors.Count(Sys)), TimeSpan.FromSeconds(10));
        await AwaitAssertAsync(
            () => Assert.True(Descriptors.OpenSocketsAndPollers() <= baselineFds, $"{Descriptors.OpenSocketsAndPollers()} sockets and pollers open, {baselineFds} before"),
            TimeSpan.FromSeconds(10));
    }
}
