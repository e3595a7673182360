using System.Net;
using System.Net.Sockets;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Between Connected and Register data is kept (the default 5 s register timeout, so a slow machine cannot race it).</summary>
public sealed class ConnectionRegistrationTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Data_that_arrives_before_Register_is_delivered_after_it(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        client.Send("early bytes"u8);
        AwaitDelivered(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));

        connection.Tell(new TcpMsg.Register(TestActor));
        Assert.Equal("early bytes", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        // A register timer that fires after Register changes nothing.
        connection.Tell(TcpConnection.RegisterTimedOut.Instance);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("reply"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("reply", System.Text.Encoding.ASCII.GetString(ReadExactly(client, 5)));
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Data_and_EOF_that_arrive_before_Register_are_delivered_in_order_after_it(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        client.Send("last words"u8);
        client.Shutdown(SocketShutdown.Send);
        AwaitDelivered(client);

        connection.Tell(new TcpMsg.Register(TestActor));
        Assert.Equal("last words", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        AssertEof(client);
    }
}

/// <summary>A connection nobody registers is closed when the register timeout ends.</summary>
public sealed class RegisterTimeoutTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.register-timeout = 300ms")
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_connection_not_registered_within_the_register_timeout_is_closed(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = AcceptUnregistered(server);
        Watch(connection);
        ExpectTerminated(connection, TestWaits.Expect);

        // A graceful close: the client reads EOF.
        AssertEof(client);

        // Nothing is reported to the bind handler beyond the Connected it never answered.
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
