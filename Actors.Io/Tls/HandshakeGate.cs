using Akka.Actor;

namespace Actors.Io.Tls;

/// <summary>
/// Bounds the TLS handshakes one listener runs at once (<c>actors-io.tcp.tls.max-concurrent-handshakes</c>). The
/// listener counts each connection it accepts in and stops accepting while the gate is full (new clients wait in the
/// kernel's backlog); each <see cref="TlsStage"/> counts itself out when its handshake ends, and the one that frees a
/// parked listener tells it <see cref="Freed"/>. Stages and their listener may run on different loops.
/// </summary>
internal sealed class HandshakeGate(int limit, IActorRef listener)
{
    private int _active;
    private int _parked;

    public bool Full => Volatile.Read(ref _active) >= limit;

    public void Enter() => Interlocked.Increment(ref _active);

    /// <summary>Called when a handshake ends (or its connection never got one).</summary>
    public void Exit()
    {
        Interlocked.Decrement(ref _active);
        if (Volatile.Read(ref _parked) == 1 && Interlocked.Exchange(ref _parked, 0) == 1) listener.Tell(Freed.Instance, ActorRefs.NoSender);
    }

    /// <summary>The listener stops accepting; false when a handshake ended meanwhile and it may go on at once.</summary>
    public bool Park()
    {
        Volatile.Write(ref _parked, 1);
        return Full || Interlocked.Exchange(ref _parked, 0) == 0;
    }

    /// <summary>Tells a parked listener to accept again.</summary>
    public sealed class Freed : INoSerializationVerificationNeeded
    {
        public static readonly Freed Instance = new();
    }
}
