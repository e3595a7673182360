using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Channels;
using Actors.Io.Selection;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Streams;

/// <summary>A connection accepted by a listener: tells the bind handler <see cref="Tcp.Connected"/> and waits for Register.</summary>
internal sealed class TcpIncomingConnection : TcpConnection
{
    private readonly SafeHandle _handle;
    private readonly IActorRef _bindHandler;

    public TcpIncomingConnection(TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
        : base(settings, selector, placementHeld: false, pullMode, options)
    {
        _handle = handle;
        _bindHandler = bindHandler;
    }

    public static Props Props(TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options) =>
        new IncomingProps(settings, selector, handle, bindHandler, pullMode, options);

    protected override void PreStart()
    {
        Handle = _handle;

        // A Socket view of the descriptor for the options and the addresses, dropped afterwards: kept, it would cost the
        // connection its endpoints and state for as long as it lives. It does not own the descriptor.
        var view = new Socket(new SafeSocketHandle(_handle.DangerousGetHandle(), ownsHandle: false));
        try
        {
            ApplyAfterConnectOptions(view);
            EndPoint remote = view.RemoteEndPoint!, local = view.LocalEndPoint!;
            RemoteAddress = remote;
            Announce(_bindHandler, new Tcp.Connected(remote, local));
            Selector.Trace?.Debug("Accepted connection {0} -> {1}", remote, local);
        }
        catch (SocketException e)
        {
            // The peer went away between accept and now (reset): nothing to report to anyone.
            Log.Debug("Accepted connection failed before it was announced: {0}", e.SocketErrorCode);
            Context.Stop(Self);
            return;
        }
        finally
        {
            GC.SuppressFinalize(view);
        }
    }

    private sealed class IncomingProps : ChannelProps
    {
        private readonly TcpSettings _settings;
        private readonly Selector _selector;
        private readonly SafeHandle _handle;
        private readonly IActorRef _bindHandler;
        private readonly bool _pullMode;
        private readonly IReadOnlyList<Tcp.SocketOption> _options;

        public IncomingProps(TcpSettings settings, Selector selector, SafeHandle handle, IActorRef bindHandler, bool pullMode, IReadOnlyList<Tcp.SocketOption> options)
            : base(selector, typeof(TcpIncomingConnection))
        {
            (_settings, _selector, _handle, _bindHandler, _pullMode, _options) = (settings, selector, handle, bindHandler, pullMode, options);
        }

#pragma warning disable AK1000 // Akka calls NewActor inside ActorOf: this is the props' factory.
        public override ActorBase NewActor() => new TcpIncomingConnection(_settings, _selector, _handle, _bindHandler, _pullMode, _options);
#pragma warning restore AK1000
    }
}
