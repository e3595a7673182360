using System.Net;
using Akka.Actor;
using Akka.IO;

namespace Actors.Io.TestKit;

/// <summary>One <see cref="Udp.Send"/> a <see cref="TestUdpSocket"/> accepted, in the order the handler sent them.</summary>
public sealed class RecordedSend
{
    /// <summary>Records <paramref name="command"/> sent by <paramref name="sentBy"/>.</summary>
    public RecordedSend(Udp.Send command, IActorRef sentBy)
    {
        Command = command ?? throw new ArgumentNullException(nameof(command));
        SentBy = sentBy ?? throw new ArgumentNullException(nameof(sentBy));
    }

    /// <summary>The <see cref="Udp.Send"/> as it was sent.</summary>
    public Udp.Send Command { get; }

    /// <summary>The datagram's bytes.</summary>
    public ByteString Payload => Command.Payload;

    /// <summary>Where it was sent.</summary>
    public EndPoint Target => Command.Target;

    /// <summary>Who sent it (and is told its ack).</summary>
    public IActorRef SentBy { get; }

    /// <inheritdoc/>
    public override string ToString() => $"RecordedSend({Payload.Count} bytes to {Target} from {SentBy.Path})";
}
