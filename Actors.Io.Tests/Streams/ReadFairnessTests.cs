using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Tests that measure time or load a connection hard run alone, so other tests do not skew them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConnectionLoadCollection
{
    public const string Name = "Tcp connection load";
}

/// <summary>A connection that always has data cannot keep its selector from serving the others.</summary>
[Collection(ConnectionLoadCollection.Name)]
public sealed class ReadFairnessTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.nr-of-selectors = 1")
{
    private readonly ITestOutputHelper _output = output;

    [Fact]
    public void A_flooded_connection_does_not_starve_another_on_the_same_selector()
    {
        IPEndPoint server = Bind();
        var flooded = new ByteCount();
        IActorRef sink = Sys.ActorOf(Props.Create(() => new CountingHandler(flooded)));
        (Socket floodClient, _) = Accept(server, sink);
        TestProbe quietHandler = CreateTestProbe();
        (Socket quietClient, _) = Accept(server, quietHandler);

        using var stop = new CancellationTokenSource();
        Task flood = Task.Factory.StartNew(
            () =>
            {
                byte[] block = Pattern(64 * 1024);
                while (!stop.IsCancellationRequested) floodClient.Send(block);
            },
            TaskCreationOptions.LongRunning);
        try
        {
            // The flood is well under way: the flooded connection has a full kernel buffer at every read.
            AwaitCondition(() => flooded.Bytes > 32L << 20, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(5));
            long before = flooded.Bytes;
            var latency = Stopwatch.StartNew();
            quietClient.Send("ping"u8);
            Assert.Equal("ping", quietHandler.ExpectMsg<TcpMsg.Received>(TimeSpan.FromSeconds(1)).Data.ToString());
            latency.Stop();
            long during = flooded.Bytes - before;
            _output.WriteLine($"quiet connection's Received after {latency.Elapsed.TotalMilliseconds:F1} ms while {during >> 10} KiB were read from the flooded one");

            // It was served while the flood went on, not after it.
            AwaitCondition(() => flooded.Bytes > before + during + (1 << 20), TestWaits.Expect, TimeSpan.FromMilliseconds(5));
            Assert.False(flood.IsCompleted, flood.Exception?.ToString());
        }
        finally
        {
            stop.Cancel();
            AwaitTrue(() => flood.IsCompleted);
            Assert.Null(flood.Exception);
        }
    }

    private sealed class ByteCount
    {
        private long _bytes;

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Add(int n) => Interlocked.Add(ref _bytes, n);
    }

    private sealed class CountingHandler : ReceiveActor
    {
        public CountingHandler(ByteCount count)
        {
            Receive<TcpMsg.Received>(r => count.Add(r.Data.Count));
            Receive<TcpMsg.ConnectionClosed>(_ => Context.Stop(Self));
        }
    }
}
