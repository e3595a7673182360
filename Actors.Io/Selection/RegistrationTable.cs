namespace Actors.Io.Selection;

/// <summary>
/// The selector's slots. A token is slot index (low 32 bits) + generation (high 32 bits); a slot's generation moves on
/// each time it is freed, so an event carrying the token of a registration that is gone (its descriptor number perhaps
/// already reused by a new channel) finds no match and is dropped. Selector thread only.
/// </summary>
internal sealed class RegistrationTable
{
    private readonly Stack<int> _free = new();
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

    /// <summary>Fills a reserved slot.</summary>
    public void Fill(ChannelRegistration registration)
    {
        _slots[registration.Slot] = registration;
        Live++;
    }

    /// <summary>Frees the slot of <paramref name="registration"/> if it still holds it; false when already freed.</summary>
    public bool Free(ChannelRegistration registration)
    {
        int slot = registration.Slot;
        if ((uint)slot >= (uint)_count || _slots[slot] != registration) return false;
        _slots[slot] = null;
        _free.Push(slot);
        Live--;
        return true;
    }

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
}
