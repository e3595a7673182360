using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Stress;

[Collection(SerialCollection.Name)]
[Trait("Category", "Stress")]
public sealed class TerminateUnderLoadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Terminate_with_a_thousand_active_connections_is_prompt_and_closes_every_client()
    {
        using var timer = new StressTimer(output, nameof(Terminate_with_a_thousand_active_connections_is_prompt_and_closes_every_client));
        // A plain Terminate does not drain (drain-on-terminate = off): the clients are reset at once.
        ActorSystem system = ActorSystem.Create(
            "terminate-load",
            TestConfigs.With(TestConfigs.Quiet));
        var bound = new TaskCompletionSource<IPEndPoint>();
        system.ActorOf(Props.Create(() => new StressEchoServer(system.ActorOf(Props.Create(() => new BoundReporter(bound)), null))));
        IPEndPoint endpoint = await bound.Task.WaitAsync(TimeSpan.FromSeconds(10));

        var clients = new Socket[1000];
        try
        {
            byte[] ping = "ping"u8.ToArray();
            byte[] buffer = new byte[16];
            for (int i = 0; i < clients.Length; i++)
            {
                clients[i] = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
                await clients[i].ConnectAsync(endpoint);
            }

            // Every connection is active: it has echoed a message.
            foreach (Socket client in clients) client.Send(ping);
            foreach (Socket client in clients)
            {
                int got = 0;
                while (got < ping.Length) got += client.Receive(buffer, got, ping.Length - got, SocketFlags.None);
            }

            var stopwatch = Stopwatch.StartNew();
            await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10));
            output.WriteLine($"terminated with 1,000 connections in {stopwatch.ElapsedMilliseconds} ms");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");

            foreach (Socket client in clients)
            {
                try
                {
                    Assert.Equal(0, client.Receive(buffer));
                }
                catch (SocketException e)
                {
                    Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
                }
            }
        }
        finally
        {
            foreach (Socket? client in clients) client?.Dispose();
            await system.Terminate();
        }
    }

    private sealed class BoundReporter(TaskCompletionSource<IPEndPoint> bound) : UntypedActor
    {
        protected override void OnReceive(object message)
        {
            if (message is TcpMsg.Bound b) bound.TrySetResult((IPEndPoint)b.LocalAddress);
            else if (message is TcpMsg.CommandFailed f) bound.TrySetException(f.Cause ?? new InvalidOperationException("bind failed"));
        }
    }
}
