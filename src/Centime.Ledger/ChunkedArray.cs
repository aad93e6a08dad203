using System.Runtime.CompilerServices;

namespace Centime.Ledger;

/// <summary>
/// A growable array of structs stored in fixed-size chunks. Growing never copies existing elements (a plain
/// array doubling would copy gigabytes at 10 million transfers and stall the sequencer), and references to
/// elements stay valid across growth.
/// </summary>
internal sealed class ChunkedArray<T>
    where T : struct
{
    private const int Shift = 14;
    private const int ChunkSize = 1 << Shift; // 16,384 elements
    private const int Mask = ChunkSize - 1;

    private T[][] _chunks = [];
    private int _allocated;

    // The next chunk, allocated and faulted in (Prefault) on a pool thread while the writer fills the current
    // one: first touch of fresh memory is otherwise a page fault per 4 KiB on the writer's thread.
    private T[]? _spare;
    private int _spareRequested;

    /// <summary>Elements that can be addressed without growing.</summary>
    public int Capacity => _allocated << Shift;

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _chunks[index >> Shift][index & Mask];
    }

    /// <summary>Makes indexes below <paramref name="count"/> addressable.</summary>
    public void EnsureCapacity(int count)
    {
        if (count <= Capacity)
        {
            return;
        }

        var needed = (count + ChunkSize - 1) >> Shift;
        if (needed > _chunks.Length)
        {
            // Only the small table of chunk references is copied, never the elements.
            var chunks = new T[Math.Max(needed, _chunks.Length * 2)][];
            Array.Copy(_chunks, chunks, _allocated);
            _chunks = chunks;
        }

        for (var i = _allocated; i < needed; i++)
        {
            _chunks[i] = Interlocked.Exchange(ref _spare, null) ?? new T[ChunkSize];
        }

        _allocated = needed;
        if (Interlocked.Exchange(ref _spareRequested, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self =>
            {
                var chunk = new T[ChunkSize];
                FreshMemory.Prefault(chunk);
                Volatile.Write(ref self._spare, chunk);
                Volatile.Write(ref self._spareRequested, 0);
            }, this, preferLocal: false);
        }
    }
}

internal static class FreshMemory
{
    /// <summary>
    /// Writes one byte of every 4 KiB page of <paramref name="array"/> (still all zero, so its contents do not
    /// change). The GC does not clear memory it has just taken from the OS, so a new large array's pages are
    /// only mapped on first touch; touching them here moves those page faults off the writer's thread.
    /// </summary>
    public static void Prefault<T>(T[] array)
        where T : struct
    {
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            return;
        }

        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(array.AsSpan());
        for (var i = 0; i < bytes.Length; i += 4096)
        {
            Volatile.Write(ref bytes[i], 0);
        }
    }
}

/// <summary>A read-only view of the first <see cref="Length"/> elements of a chunked store, in order.</summary>
public readonly struct StoreView<T>
    where T : struct
{
    private readonly ChunkedArray<T> _store;

    internal StoreView(ChunkedArray<T> store, int length)
    {
        _store = store;
        Length = length;
    }

    public int Length { get; }

    public ref readonly T this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index));
            }

            return ref _store[index];
        }
    }

    public Enumerator GetEnumerator() => new(this);

    /// <summary>Copies the elements into a new array.</summary>
    public T[] ToArray()
    {
        var array = new T[Length];
        for (var i = 0; i < array.Length; i++)
        {
            array[i] = _store[i];
        }

        return array;
    }

    /// <summary>Enumerates by reference, without copying the view.</summary>
    public ref struct Enumerator
    {
        private readonly StoreView<T> _view;
        private int _index;

        internal Enumerator(StoreView<T> view)
        {
            _view = view;
            _index = -1;
        }

        public readonly ref readonly T Current => ref _view[_index];

        public bool MoveNext() => ++_index < _view.Length;
    }
}
