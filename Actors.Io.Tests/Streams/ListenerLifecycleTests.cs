using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The end of a listener: Unbind (port free, connections stay) and the death of the bind handler.</summary>
public sealed class ListenerLifecycleTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    [Fact]
    public void Unbind_replies_Unbound_and_frees_the_port()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        IActorRef listener = LastSender;
        Watch(listener);

        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>();
        Assert.Equal(listener, LastSender);
        ExpectTerminated(listener);

        // Free at once: a plain socket can listen there, then Actors.Io can bind it again.
        using (var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            plain.Bind(local);
            plain.Listen();
        }

        Sys.Io().Tell(new TcpMsg.Bind(TestActor, local));
        Assert.Equal(local, ExpectMsg<TcpMsg.Bound>().LocalAddress);
        AwaitAssert(() => Assert.Equal(1, ActorsIo.Get(Sys).Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Connections_accepted_before_Unbind_keep_working()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        IActorRef listener = LastSender;

        using Socket client = Loopback.Connect(local);
        ExpectMsg<TcpMsg.Connected>();
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));

        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>();

        // No more listening...
        using (Socket late = Loopback.NewClient(AddressFamily.InterNetwork))
        {
            var refused = Assert.Throws<SocketException>(() => late.Connect(local));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // ...but the accepted connection still carries bytes both ways.
        client.Send("after unbind"u8);
        var received = ExpectMsg<TcpMsg.Received>();
        Assert.Equal("after unbind", received.Data.ToString());
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("still here")));
        Assert.Equal("still here", Loopback.ReceiveAscii(client, "still here".Length));
    }

    [Fact]
    public void Death_of_the_bind_handler_closes_the_listening_socket()
    {
        var handler = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(handler.Ref, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        IActorRef listener = LastSender;
        Watch(listener);

        // Listening until then.
        using (Socket before = Loopback.Connect(local))
        {
            handler.ExpectMsg<TcpMsg.Connected>();
            handler.LastSender.Tell(new TcpMsg.Register(handler.Ref));
        }

        Sys.Stop(handler.Ref);
        ExpectTerminated(listener);
        AwaitAssert(
            () =>
            {
                using Socket after = Loopback.NewClient(AddressFamily.InterNetwork);
                var refused = Assert.Throws<SocketException>(() => after.Connect(local));
                Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
            },
            TestWaits.Expect,
            TimeSpan.FromMilliseconds(50));
    }
}
