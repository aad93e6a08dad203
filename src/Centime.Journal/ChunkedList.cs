namespace Centime.Journal;

/// <summary>
/// An append-only list with one writer and any number of concurrent readers, O(1) by index. Items live in
/// fixed chunks that never move, so growing never copies items and never invalidates what a reader holds;
/// the writer publishes <see cref="Count"/> only after the item is in place.
/// </summary>
internal sealed class ChunkedList<T>
    where T : struct
{
    private const int Shift = 14;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;

    private T[][] _chunks = new T[4][];
    private long _count;

    public long Count => Volatile.Read(ref _count);

    /// <summary>Writer only.</summary>
    public void Add(in T item)
    {
        var index = _count;
        var chunk = (int)(index >> Shift);
        if (chunk == _chunks.Length)
        {
            var grown = new T[_chunks.Length * 2][];
            Array.Copy(_chunks, grown, _chunks.Length);
            Volatile.Write(ref _chunks, grown);
        }

        var items = _chunks[chunk] ??= new T[ChunkSize];
        items[(int)(index & Mask)] = item;
        Volatile.Write(ref _count, index + 1);
    }

    /// <summary>Item <paramref name="index"/>; the caller checked it against <see cref="Count"/>.</summary>
    public ref readonly T this[long index] => ref Volatile.Read(ref _chunks)[(int)(index >> Shift)][(int)(index & Mask)];
}
