using Akka.Actor;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// A connection whose handler is a test probe, seen from the peer's side: what <see cref="ConnectionProtocolTests"/>
/// needs to hold a real connection and a <see cref="Actors.Io.TestKit.TestConnection"/> to one behaviour.
/// </summary>
public interface IConnectionUnderTest
{
    /// <summary>The connection actor, registered to the handler.</summary>
    IActorRef Connection { get; }

    /// <summary>The peer sends <paramref name="data"/>; returns once it is in the connection's reach (the kernel, or the actor's mailbox).</summary>
    void SendFromPeer(byte[] data);

    /// <summary>The peer reads the next <paramref name="count"/> bytes the handler wrote; the kernel then takes what was queued.</summary>
    byte[] ReadFromPeer(int count);

    /// <summary>The peer closes its side.</summary>
    void CloseFromPeer();

    /// <summary>Asserts the peer saw the connection closed in order (EOF after everything written).</summary>
    void AssertPeerSawClose();

    /// <summary>
    /// <paramref name="time"/> passes with no activity, for the idle timeout: on a real connection it passes by itself
    /// (this returns at once and the expectation that follows waits), on a test connection it is elapsed on demand.
    /// </summary>
    void LetIdle(TimeSpan time);
}

/// <summary>How to open the connection under test.</summary>
/// <param name="PullMode">Opened in pull mode.</param>
/// <param name="KeepOpenOnPeerClosed">The handler's Register keeps the connection open after the peer's close.</param>
/// <param name="SlowPeer">The peer reads only when told (<see cref="IConnectionUnderTest.ReadFromPeer"/>), so writes queue.</param>
/// <param name="IdleTimeout">The Register's idle timeout.</param>
public sealed record ConnectionOptions(bool PullMode = false, bool KeepOpenOnPeerClosed = false, bool SlowPeer = false, Actors.Io.Tcp.IdleTimeout? IdleTimeout = null);
