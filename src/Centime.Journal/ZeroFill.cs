using Microsoft.Win32.SafeHandles;

namespace Centime.Journal;

/// <summary>
/// Keeps zero-filled, flushed space ahead of the writer in the current segment, so that a commit overwrites
/// blocks that already exist: fdatasync then flushes the data alone, with no file-size change or block
/// allocation to commit to the file-system journal (fallocate would not do: its unwritten extents still need a
/// metadata commit on first write). That is most of the cost of a small commit. Large records gain little and
/// would pay twice the bandwidth, so they do not trigger it; neither does a journal without fsync. Opt-in:
/// <see cref="JournalOptions.ZeroFillAhead"/>.
/// <para>The zeros are written and fdatasynced on a pool thread through a handle of its own: Linux reports a
/// writeback error to every open file description, so this flush can never swallow an error the writer's own
/// fdatasync must see. The writer never writes into a range being filled: it waits for the fill first.</para>
/// <para>Recovery reads zeros after the last record as the end of the journal (docs/journal.md).</para>
/// </summary>
internal sealed class ZeroFill(string path, long zeroedEnd, long limit) : IDisposable
{
    /// <summary>Zeros added per step.</summary>
    public const int Chunk = 1 << 20;

    /// <summary>Records larger than this do not start a fill.</summary>
    public const int MaxRecord = 64 << 10;

    private static readonly byte[] Zeros = new byte[Chunk];

    private Task? _fill;
    private long _start;
    private long _end;
    private bool _failed;

    /// <summary>The segment is zero-filled and flushed up to here (beyond the data).</summary>
    public long ZeroedEnd { get; private set; } = zeroedEnd;

    /// <summary>Call before writing [<paramref name="position"/>, +<paramref name="size"/>).</summary>
    public void BeforeWrite(long position, long size)
    {
        if (_fill is not null && position + size > _start)
        {
            Complete();
        }
    }

    /// <summary>Call after a record of <paramref name="recordSize"/> bytes ended at <paramref name="position"/>.</summary>
    public void AfterWrite(long position, long recordSize)
    {
        if (_fill is { IsCompleted: true })
        {
            Complete();
        }

        if (_fill is not null || _failed || recordSize > MaxRecord || position <= ZeroedEnd - (Chunk / 2))
        {
            return;
        }

        // Leave room for the next couple of records, which are written meanwhile, before the filled range.
        var start = Math.Max(ZeroedEnd, position + (2L * MaxRecord));
        var end = Math.Min(start + Chunk, limit);
        if (end <= start)
        {
            return;
        }

        (_start, _end) = (start, end);
        _fill = Task.Run(() => Fill(start, end));
    }

    /// <summary>Waits for a fill under way (before a roll trims the file, or on dispose).</summary>
    public void Complete()
    {
        if (_fill is not { } fill)
        {
            return;
        }

        _fill = null;
        try
        {
            fill.GetAwaiter().GetResult();
            ZeroedEnd = Math.Max(ZeroedEnd, _end);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Disk full or similar: stop filling this segment; writes simply grow the file, and the writer's
            // own fdatasync reports anything that affects records.
            _failed = true;
        }
    }

    private void Fill(long start, long end)
    {
        using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        for (var offset = start; offset < end; offset += Chunk)
        {
            RandomAccess.Write(handle, Zeros.AsSpan(0, (int)Math.Min(Chunk, end - offset)), offset);
        }

        Durability.FlushData(handle);
    }

    public void Dispose() => Complete();
}
