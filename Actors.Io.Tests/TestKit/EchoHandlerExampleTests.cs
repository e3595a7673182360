using System.Text;
using Actors.Io;
using Actors.Io.TestKit;
using Akka.Actor;
using Akka.TestKit.Xunit2;

// The example a user copies: a connection handler tested by messages through TestConnection, no sockets, no ports. It
// lives outside the Actors.Io namespaces on purpose, as a user's code would (inside them, the name TestKit means the
// Actors.Io.TestKit namespace before Akka's class).
namespace MyServer.Tests;

/// <summary>The handler under test: echoes what it receives, closes on "bye", and stops when the connection ends.</summary>
public sealed class EchoHandler : ReceiveActor
{
    public EchoHandler(IActorRef connection)
    {
        Receive<Tcp.Received>(received =>
        {
            if (received.Data.ToString(Encoding.UTF8).Trim() == "bye")
            {
                connection.Tell(Tcp.Close.Instance);
                return;
            }

            connection.Tell(Tcp.Write.Create(received.Data));
        });
        Receive<Tcp.ConnectionClosed>(_ => Context.Stop(Self));
    }

    public static Props Props(IActorRef connection) => Akka.Actor.Props.Create(() => new EchoHandler(connection));
}

public sealed class EchoHandlerTests : TestKit
{
    [Fact]
    public void Echoes_what_the_peer_sends()
    {
        TestConnection connection = TestConnection.Create(this);
        IActorRef handler = Sys.ActorOf(EchoHandler.Props(connection.Connection));
        connection.Connection.Tell(new Tcp.Register(handler));

        connection.PushReceived("hello\n");
        connection.PushReceived("world\n");

        connection.ExpectWrittenText("hello\nworld\n");
        connection.ExpectNoWrite(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void Closes_on_bye_and_stops()
    {
        TestConnection connection = TestConnection.Create(this);
        IActorRef handler = Sys.ActorOf(EchoHandler.Props(connection.Connection));
        Watch(handler);
        connection.Connection.Tell(new Tcp.Register(handler));

        connection.PushReceived("bye\n");

        connection.ExpectClosedWith<Tcp.Closed>();
        ExpectTerminated(handler);
    }

    [Fact]
    public void Stops_when_the_peer_closes()
    {
        TestConnection connection = TestConnection.Create(this);
        IActorRef handler = Sys.ActorOf(EchoHandler.Props(connection.Connection));
        Watch(handler);
        connection.Connection.Tell(new Tcp.Register(handler));

        connection.PushPeerClosed();

        connection.ExpectClosedWith<Tcp.PeerClosed>();
        ExpectTerminated(handler);
        connection.AssertNoViolations();
    }
}
