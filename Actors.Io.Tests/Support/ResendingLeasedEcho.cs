using Akka.Actor;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Support;

/// <summary>How many writes a <see cref="ResendingLeasedEcho"/> had refused (read from the test's thread).</summary>
public sealed class NackCounter
{
    private int _nacks;

    public int Nacks => Volatile.Read(ref _nacks);

    public void OnNack() => Interlocked.Increment(ref _nacks);
}

/// <summary>
/// Echoes leases; on a NACK suspends reading, asks for ResumeWriting and keeps the refused writes (each buffer is its
/// own again) in the order they were refused, which is the order they were sent; leases that arrive meanwhile wait
/// behind them. After WritingResumed (which the connection sends only once every earlier write was taken or refused)
/// it sends both, in that order, and resumes reading. On its connection's close it gives back what it holds. Plain and
/// TLS connections alike.
/// </summary>
public sealed class ResendingLeasedEcho : ReceiveActor
{
    public ResendingLeasedEcho(IActorRef connection, NackCounter stats)
    {
        var refused = new Queue<TcpMsg.LeasedWrite>();
        var waiting = new Queue<TcpMsg.LeasedWrite>();
        bool resuming = false;
        Receive<TcpMsg.LeasedReceived>(lease =>
        {
            if (resuming) waiting.Enqueue(lease.Write());
            else connection.Tell(lease.Write());
        });
        Receive<TcpMsg.CommandFailed>(failed =>
        {
            stats.OnNack();
            if (!resuming)
            {
                resuming = true;
                connection.Tell(TcpMsg.SuspendReading.Instance);
                connection.Tell(TcpMsg.ResumeWriting.Instance);
            }

            refused.Enqueue((TcpMsg.LeasedWrite)failed.Cmd);
        });
        Receive<TcpMsg.WritingResumed>(_ =>
        {
            resuming = false;
            while (refused.TryDequeue(out TcpMsg.LeasedWrite? write)) connection.Tell(write);
            while (waiting.TryDequeue(out TcpMsg.LeasedWrite? write)) connection.Tell(write);
            connection.Tell(TcpMsg.ResumeReading.Instance);
        });
        Receive<TcpMsg.ConnectionClosed>(_ =>
        {
            foreach (TcpMsg.LeasedWrite write in refused.Concat(waiting)) write.Lease.Return();
            Context.Stop(Self);
        });
    }
}
