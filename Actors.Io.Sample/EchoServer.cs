using System.Net;
using Akka.Actor;

namespace Actors.Io.Sample;

/// <summary>Binds a port and echoes every connection, the way the README writes it.</summary>
internal sealed class EchoServer : ReceiveActor
{
    private Tcp.Event? _binding;
    private readonly List<IActorRef> _waiting = [];

    public EchoServer(EndPoint endpoint, Tcp.ReceiveMode receive = Tcp.ReceiveMode.Copied, Tcp.TlsServerSettings? tls = null)
    {
        Context.System.Io().Tell(new Tcp.Bind(Self, endpoint, tls: tls));
        Receive<Tcp.Bound>(Answer);
        Receive<Tcp.CommandFailed>(Answer);
        Receive<GetBinding>(_ =>
        {
            if (_binding is null) _waiting.Add(Sender);
            else Sender.Tell(_binding);
        });
        Receive<Tcp.Connected>(_ =>
        {
            // The connection starts the handler on its own event loop. Kept open after the client's EOF so the echo of
            // its last bytes still goes out.
            IActorRef connection = Sender;
            connection.Tell(new Tcp.Register(Props.Create(() => new EchoConnection(connection)), keepOpenOnPeerClosed: true, receiveMode: receive));
        });
    }

    private void Answer(Tcp.Event binding)
    {
        _binding = binding;
        foreach (IActorRef waiter in _waiting) waiter.Tell(binding);
        _waiting.Clear();
    }

    /// <summary>Asks for the Bound (or CommandFailed) answer.</summary>
    internal sealed class GetBinding
    {
        public static readonly GetBinding Instance = new();
    }
}

/// <summary>Writes back what it receives; its connection stops it after the final event.</summary>
internal sealed class EchoConnection : ReceiveActor
{
    public EchoConnection(IActorRef connection)
    {
        Receive<Tcp.Received>(received => connection.Tell(Tcp.Write.Create(received.Data)));

        // Leased receive: the buffer goes back out as it came in, and the connection gives it back to the pool once written.
        Receive<Tcp.LeasedReceived>(leased => connection.Tell(leased.Write()));
        Receive<Tcp.PeerClosed>(_ => connection.Tell(Tcp.Close.Instance));
        Receive<Tcp.CommandFailed>(_ => connection.Tell(Tcp.Abort.Instance));
    }
}
