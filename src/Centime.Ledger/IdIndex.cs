using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Centime.Ledger;

/// <summary>
/// Transfer id → position, as an open-addressing hash table with linear probing. At millions of transfers
/// the index no longer fits in cache, so each probe is a cache miss: this table needs one miss per lookup
/// (a <see cref="Dictionary{TKey,TValue}"/> needs two: bucket, then entry), and <see cref="Prefetch"/> lets
/// the ledger request the slots of a whole batch at once before applying it, overlapping the misses.
/// Id 0 is reserved as the empty-slot marker (the ledger never stores it).
/// </summary>
internal sealed class IdIndex
{
    private const int MinCapacity = 1 << 10;

    private Slot[] _slots = new Slot[MinCapacity];
    private int _mask = MinCapacity - 1;
    private int _count;
    private int _growAt = MinCapacity * 7 / 10;

    public int Count => _count;

    private struct Slot
    {
        public ulong Low;
        public ulong High;
        public int Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(UInt128 id)
    {
        // Ids are often sequential: mix both halves so neighbours spread over the table. Wrapping
        // multiplication is the point of a multiplicative hash, hence unchecked.
        unchecked
        {
            var h = ((ulong)id * 0x9E3779B97F4A7C15UL) ^ ((ulong)(id >> 64) * 0xC2B2AE3D27D4EB4FUL);
            return h ^ (h >> 29);
        }
    }

    /// <summary>Asks the CPU to start loading the slot where <paramref name="id"/> would be.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Prefetch(UInt128 id)
    {
        if (Sse.IsSupported)
        {
            fixed (Slot* p = &_slots[(int)(Mix(id) & (uint)_mask)])
            {
                Sse.Prefetch0(p);
            }
        }
    }

    public bool TryGetValue(UInt128 id, out int value)
    {
        var low = unchecked((ulong)id); // the low 64 bits
        var high = (ulong)(id >> 64);
        var slots = _slots;
        var i = (int)(Mix(id) & (uint)_mask);
        while (true)
        {
            ref var s = ref slots[i];
            if (s.Low == low && s.High == high && (low | high) != 0)
            {
                value = s.Value;
                return true;
            }

            if ((s.Low | s.High) == 0)
            {
                value = 0;
                return false;
            }

            i = (i + 1) & _mask;
        }
    }

    public bool ContainsKey(UInt128 id) => TryGetValue(id, out _);

    /// <summary>The value slot of <paramref name="id"/>, inserted (as 0) if absent. Valid until the next insert or removal.</summary>
    public ref int GetValueRefOrAddDefault(UInt128 id, out bool exists)
    {
        if (id == UInt128.Zero)
        {
            throw new ArgumentException("Id 0 is reserved.", nameof(id));
        }

        if (_count >= _growAt)
        {
            Grow();
        }

        var low = unchecked((ulong)id); // the low 64 bits
        var high = (ulong)(id >> 64);
        var i = (int)(Mix(id) & (uint)_mask);
        while (true)
        {
            ref var s = ref _slots[i];
            if (s.Low == low && s.High == high)
            {
                exists = true;
                return ref s.Value;
            }

            if ((s.Low | s.High) == 0)
            {
                s.Low = low;
                s.High = high;
                s.Value = 0;
                _count++;
                exists = false;
                return ref s.Value;
            }

            i = (i + 1) & _mask;
        }
    }

    public void Add(UInt128 id, int value)
    {
        ref var slot = ref GetValueRefOrAddDefault(id, out var exists);
        if (exists)
        {
            throw new ArgumentException("Id already present.", nameof(id));
        }

        slot = value;
    }

    /// <summary>Removes <paramref name="id"/>, shifting later entries of its probe run back so lookups still find them.</summary>
    public bool Remove(UInt128 id)
    {
        var low = unchecked((ulong)id); // the low 64 bits
        var high = (ulong)(id >> 64);
        var i = (int)(Mix(id) & (uint)_mask);
        while (true)
        {
            ref var s = ref _slots[i];
            if ((s.Low | s.High) == 0)
            {
                return false;
            }

            if (s.Low == low && s.High == high)
            {
                break;
            }

            i = (i + 1) & _mask;
        }

        // Backward-shift deletion: move each following entry into the hole if its home slot does not lie
        // cyclically in (hole, current]; stop at the first empty slot.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            ref var next = ref _slots[j];
            if ((next.Low | next.High) == 0)
            {
                break;
            }

            var home = (int)(Mix(new UInt128(next.High, next.Low)) & (uint)_mask);
            var stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays)
            {
                _slots[hole] = next;
                hole = j;
            }
        }

        _slots[hole] = default;
        _count--;
        return true;
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
        _slots = new Slot[size];
        _mask = size - 1;
        _growAt = (int)Math.Min(int.MaxValue, (long)size * 7 / 10);
        foreach (ref readonly var s in old.AsSpan())
        {
            if ((s.Low | s.High) == 0)
            {
                continue;
            }

            var i = (int)(Mix(new UInt128(s.High, s.Low)) & (uint)_mask);
            while ((_slots[i].Low | _slots[i].High) != 0)
            {
                i = (i + 1) & _mask;
            }

            _slots[i] = s;
        }
    }
}
