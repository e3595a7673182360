using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The connection actor and its handler: either one's end ends the connection.</summary>
public sealed class ConnectionLifecycleTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void The_death_of_the_handler_aborts_the_connection(string transport)
    {
        EndPoint server = Bind(transport);
        TestProbe handler = CreateTestProbe();
        (Socket client, IActorRef connection) = Accept(server, handler);
        client.Send("x"u8);
        handler.ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Watch(connection);

        Sys.Stop(handler.Ref);
        ExpectTerminated(connection, TestWaits.Expect);
        AssertResetOrEof(client);
    }

    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void A_connection_actor_stopped_from_outside_closes_its_socket_and_tells_the_handler(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, IActorRef connection) = Accept(server);
        client.Send("x"u8);
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Watch(connection);

        Sys.Stop(connection);
        var closed = ExpectMsg<TcpMsg.ConnectionClosed>(TestWaits.Expect);
        Assert.True(closed.IsErrorClosed, closed.ToString());
        Assert.NotNull(closed.GetErrorCause());
        ExpectTerminated(connection, TestWaits.Expect);
        AssertResetOrEof(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
