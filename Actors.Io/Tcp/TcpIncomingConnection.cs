using System.Net.Sockets;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Transport;

/// <summary>A connection accepted by a listener: tells the bind handler <see cref="Tcp.Connected"/> and waits for Register.</summary>
internal sealed class TcpIncomingConnection : TcpConnection
{
    private readonly SafeSocketHandle _handle;
    private readonly IActorRef _bindHandler;

    public TcpIncomingConnection(TcpSettings settings, SelectorShared home, SafeSocketHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
        : base(settings, home, pullMode, options)
    {
        _handle = handle;
        _bindHandler = bindHandler;
    }

    public static Props Props(TcpSettings settings, SelectorShared home, SafeSocketHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options) =>
        Akka.Actor.Props.Create(() => new TcpIncomingConnection(settings, home, handle, bindHandler, pullMode, options));

    protected override void PreStart()
    {
        Socket socket;
        try
        {
            socket = new Socket(_handle) { Blocking = false };
            Socket = socket;
            ApplyAfterConnectOptions(socket);
            RemoteAddress = socket.RemoteEndPoint;
            _bindHandler.Tell(new Tcp.Connected(socket.RemoteEndPoint!, socket.LocalEndPoint!), Self);
            CountOpen();
            Home.Trace?.Debug("Accepted connection {0} -> {1}", socket.RemoteEndPoint, socket.LocalEndPoint);
        }
        catch (SocketException e)
        {
            // The peer went away between accept and now (reset): nothing to report to anyone.
            Log.Debug("Accepted connection failed before it was announced: {0}", e.SocketErrorCode);
            Context.Stop(Self);
            return;
        }

        AwaitRegistration();
    }
}
