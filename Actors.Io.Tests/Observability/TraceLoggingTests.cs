using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Observability;

public sealed class TraceLoggingTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With("""
    actors-io.trace-logging = on
    akka.loglevel = DEBUG
    akka.stdout-loglevel = WARNING
    """))
{
    [Fact]
    public void Trace_logging_reports_registration_interest_changes_and_close_with_endpoints()
    {
        TestProbe log = CreateTestProbe();
        Sys.EventStream.Subscribe(log.Ref, typeof(Debug));
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        int port = ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress).Port;
        ExpectLog(log, "Registered channel");

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        ExpectMsg<TcpMsg.Connected>();
        ExpectLog(log, $"Accepted connection 127.0.0.1:{((IPEndPoint)client.LocalEndPoint!).Port} -> 127.0.0.1:{port}");
        LastSender.Tell(new TcpMsg.Register(TestActor));
        ExpectLog(log, "interest Read");
        client.Close();
        ExpectMsg<TcpMsg.PeerClosed>();
        ExpectLog(log, "deregistered and closed");
    }

    [Fact]
    public void Trace_logging_is_off_by_default()
    {
        Assert.True(ActorsIo.Get(Sys).Settings.TraceLogging);
        Assert.False(ActorsIoSettings.Create(ActorsIo.ReferenceConfig).TraceLogging);
    }

    private static void ExpectLog(TestProbe log, string text) =>
        log.FishForMessage(m => m is Debug d && d.Message.ToString()!.Contains(text, StringComparison.Ordinal), TestWaits.Expect);
}
