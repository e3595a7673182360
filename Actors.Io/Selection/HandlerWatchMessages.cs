using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// From a channel's owner to its selector: watch <see cref="Handler"/> for me and tell me <see cref="HandlerTerminated"/>
/// when it dies. The selector holds one watch per handler however many channels it serves, so a connection does not pay
/// for a watch of its own (Akka keeps a watcher dictionary and more in every actor that watches). Answered with
/// <see cref="HandlerWatchRefused"/> when the selector does not know the owner's channel, unless
/// <see cref="WithoutChannel"/>: then the owner (a TLS stage, a child of the selector) is kept by itself in
/// <see cref="StageWatches"/> and must send <see cref="UnwatchHandler"/> when it stops.
/// </summary>
internal sealed record WatchHandler(IActorRef Handler, bool WithoutChannel = false) : INoSerializationVerificationNeeded;

/// <summary>From an owner that asked <see cref="WatchHandler"/> without a channel, when it stops: forget me.</summary>
internal sealed record UnwatchHandler(IActorRef Handler) : INoSerializationVerificationNeeded;

/// <summary>The handler that <see cref="WatchHandler"/> asked about has stopped.</summary>
internal sealed class HandlerTerminated : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly HandlerTerminated Instance = new();

    private HandlerTerminated()
    {
    }
}

/// <summary>The selector has no channel of the sender to hang a <see cref="WatchHandler"/> on: watch it yourself.</summary>
internal sealed class HandlerWatchRefused : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly HandlerWatchRefused Instance = new();

    private HandlerWatchRefused()
    {
    }
}
