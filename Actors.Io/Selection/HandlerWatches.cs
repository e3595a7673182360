using System.Diagnostics.CodeAnalysis;
using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>
/// The handlers a selector watches for its channels' owners (see <see cref="WatchHandler"/>): one entry per handler
/// however many channels ask, the channels of one handler chained through their <see cref="ChannelRegistration.HandlerLink"/>
/// (touched by this class only), so a watch costs a connection no object. The selector does the actor side: it watches a
/// handler when <see cref="TryAdd"/> says it is new and unwatches it when <see cref="Remove"/> says its last channel went.
/// Selector thread only; allocates nothing beyond the dictionary's growth.
/// </summary>
internal sealed class HandlerWatches
{
    private readonly Dictionary<IActorRef, ChannelRegistration> _byHandler = [];

    /// <summary>
    /// Watches <paramref name="handler"/> for <paramref name="registration"/>. Returns false (and changes nothing) when the
    /// registration already has a handler; <paramref name="newHandler"/> is true when no channel watched the handler
    /// before, and the caller must watch it.
    /// </summary>
    public bool TryAdd(ChannelRegistration registration, IActorRef handler, out bool newHandler)
    {
        newHandler = false;
        ref Link link = ref registration.HandlerLink;
        if (link.Handler is not null) return false;

        link.Handler = handler;
        if (_byHandler.TryGetValue(handler, out ChannelRegistration? first))
        {
            link.Next = first;
            first.HandlerLink.Previous = registration;
        }
        else
        {
            newHandler = true;
        }

        _byHandler[handler] = registration;
        return true;
    }

    /// <summary>
    /// Stops watching for <paramref name="registration"/> (a closed channel). Returns true, with the handler in
    /// <paramref name="unwatch"/>, when that was the handler's last channel and the caller must unwatch it.
    /// </summary>
    public bool Remove(ChannelRegistration registration, [NotNullWhen(true)] out IActorRef? unwatch)
    {
        unwatch = null;
        ref Link link = ref registration.HandlerLink;
        if (link.Handler is not { } handler) return false;

        ChannelRegistration? previous = link.Previous, next = link.Next;
        if (next is not null) next.HandlerLink.Previous = previous;
        if (previous is not null) previous.HandlerLink.Next = next;
        else if (next is not null) _byHandler[handler] = next;
        else
        {
            _byHandler.Remove(handler);
            unwatch = handler;
        }

        link = default;
        return unwatch is not null;
    }

    /// <summary>True while some channel's owner has <paramref name="handler"/> watched here.</summary>
    public bool Watches(IActorRef handler) => _byHandler.ContainsKey(handler);

    /// <summary>
    /// <paramref name="handler"/> stopped: tells the owner of each channel that watched it <see cref="HandlerTerminated"/>
    /// and forgets them. Returns the owners told (0 for an actor that is not a watched handler).
    /// </summary>
    public int HandlerDied(IActorRef handler)
    {
        if (!_byHandler.Remove(handler, out ChannelRegistration? registration)) return 0;
        int told = 0;
        for (ChannelRegistration? r = registration; r is not null;)
        {
            ChannelRegistration? next = r.HandlerLink.Next;
            r.HandlerLink = default;
            r.Owner.Tell(HandlerTerminated.Instance, ActorRefs.NoSender);
            told++;
            r = next;
        }

        return told;
    }

    /// <summary>A registration's place among the channels watching the same handler.</summary>
    internal struct Link
    {
        /// <summary>The handler watched for the registration's owner.</summary>
        public IActorRef? Handler;

        /// <summary>The neighbours in the handler's chain.</summary>
        public ChannelRegistration? Previous;

        /// <inheritdoc cref="Previous"/>
        public ChannelRegistration? Next;
    }
}
