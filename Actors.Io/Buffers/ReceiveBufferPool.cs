namespace Actors.Io.Buffers;

/// <summary>
/// One selector's receive buffers for leased receive (<see cref="Tcp.ReceiveMode.Leased"/>). Buffers come in size
/// classes doubling from <see cref="SmallestClass"/> up to <c>max-received-message-size</c> (the last class is exactly
/// that), each buffer with its <see cref="Tcp.LeasedReceived"/>, so a lent buffer costs no allocation. Each class keeps
/// at most its share of <c>pool-size</c> bytes of given-back buffers; one given back to a full class is left to the GC,
/// and an empty class allocates. So the pool never holds more than <c>pool-size</c> and a buffer never given back costs
/// one allocation. Rented on the loop thread, given back from any thread.
/// </summary>
internal sealed class ReceiveBufferPool
{
    /// <summary>The smallest buffer.</summary>
    public const int SmallestClass = 512;

    /// <summary>The class a connection's first read uses.</summary>
    private const int FirstReadBytes = 2048;

    private const byte Poison = 0xDB;

    private readonly SizeClass[] _classes;
    private long _outstanding;

    public ReceiveBufferPool(int maxMessageSize, long poolBytes, bool debugChecks)
    {
        int count = 1;
        while ((long)SmallestClass << (count - 1) < maxMessageSize) count++;
        _classes = new SizeClass[count];
        long share = poolBytes / count;
        for (int i = 0; i < count; i++)
        {
            int size = (int)Math.Min((long)SmallestClass << i, maxMessageSize);
            _classes[i] = new SizeClass(size, (int)Math.Min(share / size, int.MaxValue));
        }

        DebugChecks = debugChecks;
        FirstClass = ClassFor(FirstReadBytes);
    }

    /// <summary>Given-back buffers are poisoned and their lease objects never reused.</summary>
    public bool DebugChecks { get; }

    /// <summary>The class of a connection's first leased read.</summary>
    public int FirstClass { get; }

    /// <summary>Buffers rented and not given back (a forgotten one counts until the end).</summary>
    public long Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Bytes held by given-back buffers now.</summary>
    public long RetainedBytes
    {
        get
        {
            long total = 0;
            foreach (SizeClass c in _classes) total += (long)c.Count * c.Size;
            return total;
        }
    }

    /// <summary>The smallest class holding <paramref name="bytes"/> (the largest class when none does).</summary>
    public int ClassFor(int bytes)
    {
        int c = 0;
        while (c < _classes.Length - 1 && _classes[c].Size < bytes) c++;
        return c;
    }

    /// <summary>
    /// The class for the next read after one that got <paramref name="read"/> bytes into <paramref name="sizeClass"/>:
    /// one up after a read that filled its buffer (more was probably waiting), one down after a read that would have
    /// fitted in half of the class below; the gap between the two keeps a steady message size in one class.
    /// </summary>
    public int NextClass(int sizeClass, int read)
    {
        if (read >= _classes[sizeClass].Size) return Math.Min(sizeClass + 1, _classes.Length - 1);
        if (sizeClass > 0 && read <= _classes[sizeClass - 1].Size / 2) return sizeClass - 1;
        return sizeClass;
    }

    /// <summary>A buffer of <paramref name="sizeClass"/>, not yet lent (<see cref="Tcp.LeasedReceived.Lend"/>).</summary>
    public Tcp.LeasedReceived Rent(int sizeClass)
    {
        SizeClass c = _classes[sizeClass];
        Interlocked.Increment(ref _outstanding);
        return c.TryTake() ?? new Tcp.LeasedReceived(this, sizeClass, GC.AllocateUninitializedArray<byte>(c.Size));
    }

    /// <summary>Takes back a buffer a read did not use.</summary>
    public void ReturnUnused(Tcp.LeasedReceived lease)
    {
        Interlocked.Decrement(ref _outstanding);
        _classes[lease.SizeClass].TryPut(lease);
    }

    /// <summary>Takes back a buffer given back by its holder (the lease's state says so already).</summary>
    public void Return(Tcp.LeasedReceived lease)
    {
        Interlocked.Decrement(ref _outstanding);
        SizeClass c = _classes[lease.SizeClass];
        if (DebugChecks)
        {
            // The old lease object stays given back for good, so any later use of it throws.
            lease.Buffer.AsSpan().Fill(Poison);
            lease = new Tcp.LeasedReceived(this, lease.SizeClass, lease.Buffer);
        }

        c.TryPut(lease);
    }

    private sealed class SizeClass(int size, int capacity)
    {
        private readonly Lock _gate = new();
        private Tcp.LeasedReceived?[] _items = [];
        private int _count;

        public int Size { get; } = size;

        public int Count => Volatile.Read(ref _count);

        public Tcp.LeasedReceived? TryTake()
        {
            lock (_gate)
            {
                if (_count == 0) return null;
                Tcp.LeasedReceived? lease = _items[--_count];
                _items[_count] = null;
                return lease;
            }
        }

        public void TryPut(Tcp.LeasedReceived lease)
        {
            lock (_gate)
            {
                if (_count == _items.Length)
                {
                    if (_count >= capacity) return;
                    Array.Resize(ref _items, Math.Min(capacity, Math.Max(4, _count * 2)));
                }

                _items[_count++] = lease;
            }
        }
    }
}
