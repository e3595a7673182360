using System.Net;
using Akka.Actor;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Stress;

/// <summary>
/// An echo server written as a careful user would: every Received is written back; a NACK (the connection's queue is
/// full because the client is not reading) suspends reading, waits for WritingResumed and resends, so nothing is lost.
/// It counts the NACKs its handlers got and how their connections ended (<see cref="GetStats"/>).
/// </summary>
internal sealed class StressEchoServer : ReceiveActor
{
    private readonly Dictionary<string, int> _closes = [];
    private int _handlers;
    private int _nacks;

    public StressEchoServer(IActorRef reportTo)
        : this(reportTo, [])
    {
    }

    /// <summary>Binds with <paramref name="options"/> (inherited by the accepted connections).</summary>
    public StressEchoServer(IActorRef reportTo, TcpMsg.SocketOption[] options)
    {
        Context.System.Io().Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0), backlog: 4096, options: options));
        Receive<TcpMsg.Bound>(bound => reportTo.Tell(bound));
        Receive<TcpMsg.CommandFailed>(failed => reportTo.Tell(failed));
        Receive<TcpMsg.Connected>(_ =>
        {
            IActorRef handler = Context.ActorOf(Props.Create(() => new Handler(Sender)));
            Context.Watch(handler);
            _handlers++;
            Sender.Tell(new TcpMsg.Register(handler, keepOpenOnPeerClosed: true));
        });
        Receive<Terminated>(_ => _handlers--);
        Receive<CountHandlers>(_ => Sender.Tell(_handlers));
        Receive<Nacked>(_ => _nacks++);
        Receive<ClosedAs>(closed => _closes[closed.Kind] = _closes.GetValueOrDefault(closed.Kind) + 1);
        Receive<GetStats>(_ => Sender.Tell(new Stats(_handlers, _nacks, new Dictionary<string, int>(_closes))));
    }

    internal sealed class CountHandlers
    {
        public static readonly CountHandlers Instance = new();
    }

    /// <summary>Asks for <see cref="Stats"/>.</summary>
    internal sealed class GetStats
    {
        public static readonly GetStats Instance = new();
    }

    /// <summary>Live handlers, NACKs received so far, and connection ends by kind (event name, and the socket error of an ErrorClosed).</summary>
    internal sealed record Stats(int Handlers, int Nacks, IReadOnlyDictionary<string, int> Closes);

    private sealed record ClosedAs(string Kind);

    private sealed class Nacked
    {
        public static readonly Nacked Instance = new();
    }

    /// <summary>
    /// Echoes with acks: every write is acked or NACKed. NACKed writes (and what arrives meanwhile) are resent in order
    /// after WritingResumed; the connection is closed after the client's EOF only once every write is acked.
    /// </summary>
    private sealed class Handler : ReceiveActor
    {
        private readonly IActorRef _connection;
        private readonly Queue<TcpMsg.Write> _nacked = new();
        private readonly Queue<TcpMsg.Write> _held = new();
        private int _unacked;
        private bool _suspended;
        private bool _peerClosed;

        public Handler(IActorRef connection)
        {
            _connection = connection;
            Receive<TcpMsg.Received>(received =>
            {
                TcpMsg.Write write = TcpMsg.Write.Create(received.Data, Ack.Instance);
                if (_suspended) _held.Enqueue(write);
                else Send(write);
            });
            Receive<Ack>(_ =>
            {
                _unacked--;
                CloseIfDone();
            });
            Receive<TcpMsg.CommandFailed>(failed => failed.Cmd is TcpMsg.Write, failed =>
            {
                _unacked--;
                _nacked.Enqueue((TcpMsg.Write)failed.Cmd);
                Context.Parent.Tell(Nacked.Instance);
                if (_suspended) return;
                _suspended = true;
                _connection.Tell(TcpMsg.SuspendReading.Instance);
                _connection.Tell(TcpMsg.ResumeWriting.Instance);
            });
            Receive<TcpMsg.WritingResumed>(_ =>
            {
                _suspended = false;
                while (_nacked.Count > 0) Send(_nacked.Dequeue());
                while (_held.Count > 0) Send(_held.Dequeue());
                _connection.Tell(TcpMsg.ResumeReading.Instance);
                CloseIfDone();
            });
            Receive<TcpMsg.PeerClosed>(_ =>
            {
                _peerClosed = true;
                CloseIfDone();
            });
            Receive<TcpMsg.ConnectionClosed>(closed =>
            {
                Context.Parent.Tell(new ClosedAs(closed is TcpMsg.ErrorClosed error ? $"ErrorClosed:{error.Error}" : closed.GetType().Name));
                Context.Stop(Self);
            });
        }

        private void Send(TcpMsg.Write write)
        {
            _unacked++;
            _connection.Tell(write);
        }

        private void CloseIfDone()
        {
            if (_peerClosed && !_suspended && _unacked == 0 && _nacked.Count == 0 && _held.Count == 0) _connection.Tell(TcpMsg.Close.Instance);
        }
    }

    private sealed class Ack : TcpMsg.Event
    {
        public static readonly Ack Instance = new();
    }
}
