using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>
/// The selector's slots. A token is slot index (low 32 bits) + generation (high 32 bits); a slot's generation moves on
/// each time it is freed, so an event carrying the token of a registration that is gone (its descriptor number perhaps
/// already reused by a new channel) finds no match and is dropped. The table also indexes the registrations by owner:
/// one entry per owner, its registrations chained through <see cref="ChannelRegistration.NextOfOwner"/> (touched by
/// this class only), its first registration at the head while it lasts. Selector thread only.
/// </summary>
internal sealed class RegistrationTable
{
    private readonly Stack<int> _free = new();
    private readonly Dictionary<IActorRef, ChannelRegistration> _byOwner = [];
    private ChannelRegistration?[] _slots = new ChannelRegistration?[64];
    private uint[] _generations = new uint[64];
    private int _count;

    /// <summary>Registrations currently held.</summary>
    public int Live { get; private set; }

    /// <summary>Slots ever used (the bound for <see cref="At"/>).</summary>
    public int Capacity => _count;

    /// <summary>Reserves a slot and returns it with its new generation (never 0, never the wake token's).</summary>
    public (int Slot, uint Generation) Reserve()
    {
        int slot;
        if (_free.Count > 0) slot = _free.Pop();
        else
        {
            if (_count == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }

            slot = _count++;
        }

        uint generation = _generations[slot] + 1;
        if (generation >= uint.MaxValue) generation = 1;
        _generations[slot] = generation;
        return (slot, generation);
    }

    /// <summary>Puts back a slot reserved but not filled.</summary>
    public void Unreserve(int slot) => _free.Push(slot);

    /// <summary>
    /// Fills a reserved slot and files the registration under its owner. Returns true when it is the owner's first
    /// (the selector then watches an owner that is not its child).
    /// </summary>
    public bool Fill(ChannelRegistration registration)
    {
        _slots[registration.Slot] = registration;
        Live++;
        if (_byOwner.TryGetValue(registration.Owner, out ChannelRegistration? first))
        {
            registration.NextOfOwner = first.NextOfOwner;
            first.NextOfOwner = registration;
            return false;
        }

        _byOwner[registration.Owner] = registration;
        return true;
    }

    /// <summary>
    /// Frees the slot of <paramref name="registration"/> if it still holds it and takes it out of its owner's entry;
    /// false when already freed. <paramref name="lastOfOwner"/> is true when the owner has no registration left.
    /// </summary>
    public bool Free(ChannelRegistration registration, out bool lastOfOwner)
    {
        lastOfOwner = false;
        int slot = registration.Slot;
        if ((uint)slot >= (uint)_count || _slots[slot] != registration) return false;
        _slots[slot] = null;
        _free.Push(slot);
        Live--;
        lastOfOwner = Unlink(registration);
        return true;
    }

    /// <summary>The registration at the head of <paramref name="owner"/>'s entry (its first while it lasts), or null.</summary>
    public ChannelRegistration? FirstOf(IActorRef owner) => _byOwner.GetValueOrDefault(owner);

    /// <summary>The live registration the token names, or null for a stale or unknown token.</summary>
    public ChannelRegistration? Find(ulong token)
    {
        uint slot = (uint)token;
        if (slot >= (uint)_count) return null;
        ChannelRegistration? registration = _slots[slot];
        return registration is not null && registration.Generation == (uint)(token >> 32) ? registration : null;
    }

    /// <summary>The registration in <paramref name="slot"/>, if any.</summary>
    public ChannelRegistration? At(int slot) => _slots[slot];

    /// <summary>Takes <paramref name="registration"/> out of its owner's chain; true when the chain is now empty.</summary>
    private bool Unlink(ChannelRegistration registration)
    {
        IActorRef owner = registration.Owner;
        if (!_byOwner.TryGetValue(owner, out ChannelRegistration? first)) return false;
        if (first == registration)
        {
            ChannelRegistration? next = registration.NextOfOwner;
            registration.NextOfOwner = null;
            if (next is not null)
            {
                _byOwner[owner] = next;
                return false;
            }

            _byOwner.Remove(owner);
            return true;
        }

        for (ChannelRegistration r = first; r.NextOfOwner is { } candidate; r = candidate)
        {
            if (candidate == registration)
            {
                r.NextOfOwner = registration.NextOfOwner;
                registration.NextOfOwner = null;
                break;
            }
        }

        return false;
    }
}
