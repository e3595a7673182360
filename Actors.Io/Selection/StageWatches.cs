using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>
/// The handlers a selector watches for owners that have no channel of their own, the TLS stages: a handler maps to its
/// one stage, or to a set of them when one actor handles several connections. The selector watches a handler when
/// <see cref="Add"/> says it is new and unwatches it when <see cref="Remove"/> says its last stage went. Selector thread
/// only.
/// </summary>
internal sealed class StageWatches
{
    // The value is the owner's IActorRef, or a HashSet<IActorRef> once a second owner asks about the same handler.
    private readonly Dictionary<IActorRef, object> _owners = [];

    /// <summary>Watches <paramref name="handler"/> for <paramref name="owner"/>; true when the caller must watch it.</summary>
    public bool Add(IActorRef handler, IActorRef owner)
    {
        if (!_owners.TryGetValue(handler, out object? existing))
        {
            _owners[handler] = owner;
            return true;
        }

        if (existing is HashSet<IActorRef> set) set.Add(owner);
        else if (!existing.Equals(owner)) _owners[handler] = new HashSet<IActorRef> { (IActorRef)existing, owner };
        return false;
    }

    /// <summary>Stops watching <paramref name="handler"/> for <paramref name="owner"/>; true when the caller must unwatch it.</summary>
    public bool Remove(IActorRef handler, IActorRef owner)
    {
        if (!_owners.TryGetValue(handler, out object? existing)) return false;
        if (existing is HashSet<IActorRef> set)
        {
            set.Remove(owner);
            if (set.Count > 0) return false;
        }
        else if (!existing.Equals(owner))
        {
            return false;
        }

        _owners.Remove(handler);
        return true;
    }

    /// <summary>True while some stage has <paramref name="handler"/> watched here.</summary>
    public bool Watches(IActorRef handler) => _owners.ContainsKey(handler);

    /// <summary>
    /// <paramref name="handler"/> stopped: tells each owner that watched it <see cref="HandlerTerminated"/> and forgets
    /// them. Returns the owners told.
    /// </summary>
    public int HandlerDied(IActorRef handler)
    {
        if (!_owners.Remove(handler, out object? existing)) return 0;
        if (existing is not HashSet<IActorRef> set)
        {
            ((IActorRef)existing).Tell(HandlerTerminated.Instance, ActorRefs.NoSender);
            return 1;
        }

        foreach (IActorRef owner in set) owner.Tell(HandlerTerminated.Instance, ActorRefs.NoSender);
        return set.Count;
    }
}
