using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Loop;
using Actors.Io.Native;
using Actors.Io.Selection;
using Actors.Io.Streams;
using Akka.Actor;
using Akka.Actor.Internal;
using Akka.Configuration;
using Akka.TestKit;
using Akka.TestKit.Configs;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>
/// A real <see cref="TcpIncomingConnection"/> actor on one end of a loopback TCP connection, driven synchronously on the
/// benchmark's thread: it is created on the calling-thread dispatcher, registered on a real <see cref="EpollPoller"/>,
/// and each message is handed to its cell with <see cref="ActorCell.Invoke"/> (what a mailbox run does per message),
/// so a benchmark measures the actor's own read or write path without a thread hop or a mailbox. Its handler is a
/// <see cref="CountingActorRef"/>.
/// </summary>
internal sealed unsafe class ConnectionHarness : IDisposable
{
    private readonly ActorSystem _system;
    private readonly ActorCell _cell;
    private readonly EventLoop _loop;
    private readonly EpollPoller _poller;
    private readonly Socket _listener;

    public ConnectionHarness(Tcp.ReceiveMode receive = Tcp.ReceiveMode.Copied)
    {
        Config config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.stdout-loglevel = WARNING
                akka.log-dead-letters = off
                """)
            .WithFallback(TestConfigs.DefaultConfig)
            .WithFallback(ActorsIo.ReferenceConfig);
        _system = ActorSystem.Create("bench-connection", config);
        TcpSettings settings = ActorsIoSettings.Create(_system.Settings.Config).Tcp;
        _loop = new EventLoop("bench-connection-loop", 0, _ => { });
        var selector = new Selector(0, _loop, new ChannelBudget(16));

        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(1);
        Client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Client.Connect(_listener.LocalEndPoint!);
        Client.Blocking = false;
        ClientFd = (int)Client.SafeHandle.DangerousGetHandle();
        int fd = Sockets.Accept4(_listener.SafeHandle, null, null, Sockets.Accept4Flags);
        if (fd < 0) throw new IOException($"accept4 failed: {Errno.Describe(Errno.Last)}");
        var handle = new SafeSocketHandle(fd, ownsHandle: true);
        ServerFd = fd;

        Handler = new CountingActorRef("handler");
        Props props = TcpIncomingConnection.Props(settings, selector, handle, new CountingActorRef("bind-handler"), pullMode: false, [])
            .WithDispatcher(CallingThreadDispatcher.Id);
        Connection = _system.ActorOf(props, "connection");
        // A top-level actor starts behind a placeholder cell that the guardian swaps for the real one.
        var started = Stopwatch.StartNew();
        while (((ActorRefWithCell)Connection).Underlying is not ActorCell)
        {
            if (started.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("the connection actor did not start");
            Thread.Sleep(1);
        }

        _cell = (ActorCell)((ActorRefWithCell)Connection).Underlying;

        _poller = new EpollPoller(16);
        var table = new RegistrationTable();
        (int slot, uint generation) = table.Reserve();
        Registration = new ChannelRegistration(_poller, selector, slot, generation, handle, Connection);
        int rc = Registration.Register(Interest.None);
        if (rc != 0) throw new IOException($"register failed: {Errno.Describe(rc)}");
        table.Fill(Registration);
        Invoke(new ChannelRegistered(Registration));
        Invoke(new Tcp.Register(Handler, receiveMode: receive));
    }

    public IActorRef Connection { get; }

    public ChannelRegistration Registration { get; }

    public CountingActorRef Handler { get; }

    public Socket Client { get; }

    public int ClientFd { get; }

    public int ServerFd { get; }

    /// <summary>Runs the connection actor on <paramref name="message"/> now, on this thread.</summary>
    public void Invoke(object message, IActorRef? sender = null)
    {
        InternalCurrentActorCellKeeper.Current = _cell;
        _cell.Invoke(new Envelope(message, sender ?? ActorRefs.NoSender));
    }

    public void Dispose()
    {
        Client.Dispose();
        _listener.Dispose();
        _system.Terminate().Wait(TimeSpan.FromSeconds(10));
        _poller.Dispose();
        _loop.Stop();
    }
}
