using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// Manager to selector: tell every connection (the selector's children) <see cref="Tcp.Draining"/>, and report
/// <see cref="ChannelsDrained"/> to <paramref name="ReportTo"/> once the selector has none left.
/// </summary>
internal sealed record DrainChannels(Tcp.Draining Notice, IActorRef ReportTo) : INoSerializationVerificationNeeded;

/// <summary>Manager to selector: the drain's deadline passed; close (or abort) the connections still there.</summary>
internal sealed record CloseDrainedChannels(bool Abort) : INoSerializationVerificationNeeded;

/// <summary>Selector to manager: selector <paramref name="Index"/> has no connection left.</summary>
internal sealed record ChannelsDrained(int Index) : INoSerializationVerificationNeeded;

/// <summary>Selector to connection: what the drain asks of it. Three shared instances.</summary>
internal sealed class DrainSignal : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    /// <summary>Tell the handler <see cref="Tcp.Draining"/> (the selector's <see cref="Selector.Draining"/>).</summary>
    public static readonly DrainSignal Notify = new();

    /// <summary>The deadline passed: close as <see cref="Tcp.Close"/> does.</summary>
    public static readonly DrainSignal Close = new();

    /// <summary>The deadline passed: abort as <see cref="Tcp.Abort"/> does.</summary>
    public static readonly DrainSignal Abort = new();

    private DrainSignal()
    {
    }
}

/// <summary>Manager to listener: the drain's unbind. Close the listening socket, tell the bind commander, stop.</summary>
internal sealed class StopAccepting : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly StopAccepting Instance = new();

    private StopAccepting()
    {
    }
}
