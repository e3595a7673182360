using Akka.Actor;
using Akka.IO;

namespace Actors.Io.TestKit;

/// <summary>One write command a <see cref="TestConnection"/> accepted, in the order the handler sent them.</summary>
public sealed class RecordedWrite
{
    /// <summary>Records <paramref name="command"/> sent by <paramref name="writer"/>.</summary>
    public RecordedWrite(Tcp.WriteCommand command, IActorRef writer)
    {
        Command = command ?? throw new ArgumentNullException(nameof(command));
        Writer = writer ?? throw new ArgumentNullException(nameof(writer));
        ByteString data = ByteString.Empty;
        foreach (Tcp.Write part in command) data = data.Concat(part.Data);
        Data = data;
    }

    /// <summary>The <see cref="Tcp.Write"/> or <see cref="Tcp.CompoundWrite"/> as it was sent.</summary>
    public Tcp.WriteCommand Command { get; }

    /// <summary>Every byte of the command, its parts joined in order.</summary>
    public ByteString Data { get; }

    /// <summary>Who sent it (and is told its acks).</summary>
    public IActorRef Writer { get; }

    /// <inheritdoc/>
    public override string ToString() => $"RecordedWrite({Data.Count} bytes from {Writer.Path})";
}
