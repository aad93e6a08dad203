using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Centime.Ledger;

/// <summary>How a <see cref="KeyIndex{TKey, TSource}"/> hashes keys and finds the key behind a stored value (its
/// position in a record store).</summary>
internal interface IKeySource<TKey>
{
    /// <summary>A well-mixed hash of <paramref name="key"/>; only its low 31 bits are used.</summary>
    uint Hash(in TKey key);

    /// <summary>True when the record at <paramref name="value"/> holds <paramref name="key"/>.</summary>
    bool Holds(int value, in TKey key);
}

/// <summary>
/// Key → record position (transfer id → transfer, (coin, address) → account), as an open-addressing hash
/// table with linear probing over 8-byte slots: a 31-bit hash tag and the position. The key itself lives only
/// in the record, which is read when a tag matches (to confirm the key: the record is then needed anyway, or, with odds of 2^-31 per probed slot, a
/// different key shares the tag). Keeping the key out of the slot makes the table a third of its former size
/// (8 instead of 24 bytes a slot), so more of it stays in cache, a probe run usually sits in one cache line,
/// and growing it rehashes from the tags alone (a Dictionary needs two misses a lookup, bucket then entry,
/// and about 50 bytes an entry). <see cref="Prefetch"/> lets the ledger request the slots of a whole batch
/// before applying it, overlapping the misses.
/// A value of -1 marks a reserved slot (<see cref="GetValueRefOrAddDefault"/>) whose record is not written yet:
/// lookups pass over it and only <see cref="RemoveReserved"/> removes it.
/// </summary>
internal sealed class KeyIndex<TKey, TSource>
    where TSource : struct, IKeySource<TKey>
{
    private const int MinCapacity = 1 << 10;
    private const uint Occupied = 0x8000_0000; // tag bit: never 0 in a used slot; home = tag & mask (mask < 2^31)

    private readonly TSource _source;
    private Slot[] _slots = new Slot[MinCapacity];
    private int _mask = MinCapacity - 1;
    private int _count;
    private int _growAt = MinCapacity * 7 / 10;

    // The next, doubled table: allocated and faulted in on a pool thread once the table is 15/16 of the way to
    // growing (at tens of millions of keys it is hundreds of megabytes; touching fresh pages on the writer's
    // thread cost a page fault per 4 KiB). Not earlier: until the grow it is memory held for nothing.
    private Slot[]? _next;
    private int _nextRequested;

    public KeyIndex(TSource source) => _source = source;

    public int Count => _count;

    private struct Slot
    {
        public uint Tag; // 0 = empty
        public int Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint TagOf(in TKey key) => _source.Hash(key) | Occupied;

    /// <summary>Asks the CPU to start loading the slot where <paramref name="key"/> would be.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(in TKey key)
    {
        if (Sse.IsSupported)
        {
            fixed (Slot* p = &_slots[(int)(TagOf(key) & (uint)_mask)])
            {
                Sse.Prefetch0(p);
            }
        }
    }

    public bool TryGetValue(in TKey key, out int value)
    {
        var tag = TagOf(key);
        var slots = _slots;
        var mask = _mask;
        var i = (int)(tag & (uint)mask);
        while (true)
        {
            ref var s = ref slots[i];
            if (s.Tag == tag && s.Value >= 0 && _source.Holds(s.Value, key))
            {
                value = s.Value;
                return true;
            }

            if (s.Tag == 0)
            {
                value = 0;
                return false;
            }

            i = (i + 1) & mask;
        }
    }

    public bool ContainsKey(in TKey key) => TryGetValue(key, out _);

    /// <summary>The value slot of <paramref name="key"/>, inserted (as -1, reserved) if absent. The caller must
    /// set it to the position of a record holding <paramref name="key"/>, or call <see cref="RemoveReserved"/>,
    /// before any other call. Valid until the next insert or removal.</summary>
    public ref int GetValueRefOrAddDefault(in TKey key, out bool exists)
    {
        if (_count >= _growAt)
        {
            Grow();
        }
        else if (_count >= _growAt - (_growAt >> 4) && _slots.Length >= 1 << 16 && _nextRequested == 0)
        {
            RequestNext();
        }

        var tag = TagOf(key);
        var slots = _slots;
        var mask = _mask;
        var i = (int)(tag & (uint)mask);
        while (true)
        {
            ref var s = ref slots[i];
            if (s.Tag == 0)
            {
                s.Tag = tag;
                s.Value = -1;
                _count++;
                exists = false;
                return ref s.Value;
            }

            if (s.Tag == tag && s.Value >= 0 && _source.Holds(s.Value, key))
            {
                exists = true;
                return ref s.Value;
            }

            i = (i + 1) & mask;
        }
    }

    public void Add(in TKey key, int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        ref var slot = ref GetValueRefOrAddDefault(key, out var exists);
        if (exists)
        {
            throw new ArgumentException("Key already present.", nameof(key));
        }

        slot = value;
    }

    /// <summary>Removes <paramref name="key"/> (whose record must still hold it).</summary>
    public bool Remove(in TKey key)
    {
        var i = Find(key, reserved: false);
        if (i < 0)
        {
            return false;
        }

        RemoveAt(i);
        return true;
    }

    /// <summary>Removes the reserved (still -1) slot of <paramref name="key"/>.</summary>
    public bool RemoveReserved(in TKey key)
    {
        var i = Find(key, reserved: true);
        if (i < 0)
        {
            return false;
        }

        RemoveAt(i);
        return true;
    }

    private int Find(in TKey key, bool reserved)
    {
        var tag = TagOf(key);
        var i = (int)(tag & (uint)_mask);
        while (true)
        {
            ref var s = ref _slots[i];
            if (s.Tag == 0)
            {
                return -1;
            }

            if (s.Tag == tag && (reserved ? s.Value == -1 : s.Value >= 0 && _source.Holds(s.Value, key)))
            {
                return i;
            }

            i = (i + 1) & _mask;
        }
    }

    private void RemoveAt(int i)
    {
        // Backward-shift deletion: move each following entry into the hole if its home slot does not lie
        // cyclically in (hole, current]; stop at the first empty slot.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            ref var next = ref _slots[j];
            if (next.Tag == 0)
            {
                break;
            }

            var home = (int)(next.Tag & (uint)_mask);
            var stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays)
            {
                _slots[hole] = next;
                hole = j;
            }
        }

        _slots[hole] = default;
        _count--;
    }

    private void RequestNext()
    {
        _nextRequested = 1;
        var size = _slots.Length * 2;
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (self, size) = state;
            var next = new Slot[size];
            FreshMemory.Prefault(next);
            Volatile.Write(ref self._next, next);
        }, (this, size), preferLocal: false);
    }

    public void EnsureCapacity(int count)
    {
        while (count >= _growAt)
        {
            Grow();
        }
    }

    private void Grow()
    {
        var old = _slots;
        var size = old.Length * 2;
        if (size > 1 << 30)
        {
            throw new InvalidOperationException("Index full.");
        }

        var next = Interlocked.Exchange(ref _next, null);
        _slots = next is not null && next.Length == size ? next : new Slot[size];
        _nextRequested = 0;
        _mask = size - 1;
        _growAt = (int)Math.Min(int.MaxValue, (long)size * 7 / 10);
        foreach (ref readonly var s in old.AsSpan())
        {
            if (s.Tag == 0)
            {
                continue;
            }

            var i = (int)(s.Tag & (uint)_mask);
            while (_slots[i].Tag != 0)
            {
                i = (i + 1) & _mask;
            }

            _slots[i] = s;
        }
    }
}
