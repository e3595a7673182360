using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>A handler the connection started on its loop (<c>Register(Props)</c>) that blocks is reported by the loop's stall watch.</summary>
public sealed class RegisterPropsStallTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.loop-stall-warning = 200ms")
{
    [Fact]
    public void A_started_handler_that_blocks_its_loop_is_reported_by_its_path()
    {
        TestProbe log = CreateTestProbe();
        Sys.EventStream.Subscribe(log, typeof(Warning));
        (Socket client, IActorRef connection) = AcceptUnregistered(Bind());
        connection.Tell(new TcpMsg.Register(Props.Create(() => new Blocking())));

        client.Send("block"u8);
        Assert.Equal("block", Loopback.ReceiveAscii(client, 5));
        string warning = log.FishForMessage<Warning>(w => w.Message.ToString()!.Contains("stalled for", StringComparison.Ordinal), TestWaits.Expect).Message.ToString()!;
        Assert.Contains(connection.Path + "/handler", warning, StringComparison.Ordinal);
    }

    /// <summary>What a synchronous call in a handler does: the loop's thread waits (400 ms, over the 200 ms threshold).</summary>
    private sealed class Blocking : UntypedActor
    {
        private readonly ManualResetEventSlim _never = new();

        protected override void OnReceive(object message)
        {
            if (message is not TcpMsg.Received received) return;
            _never.Wait(TimeSpan.FromMilliseconds(400));
            Sender.Tell(TcpMsg.Write.Create(received.Data));
        }

        protected override void PostStop() => _never.Dispose();
    }
}
