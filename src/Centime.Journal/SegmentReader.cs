using Microsoft.Win32.SafeHandles;

namespace Centime.Journal;

/// <summary>
/// Sequential, read-ahead access to one segment for recovery: large preads into a reused buffer, handing out
/// spans over it. A span is valid until the next <see cref="Read"/>.
/// </summary>
internal sealed class SegmentReader(int chunkBytes)
{
    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(chunkBytes);
    private SafeFileHandle? _handle;
    private long _length;
    private long _start;
    private int _count;

    public void Reset(SafeFileHandle handle, long length)
    {
        _handle = handle;
        _length = length;
        _start = 0;
        _count = 0;
    }

    /// <summary><paramref name="count"/> bytes at <paramref name="offset"/>, fewer if the file ends first.</summary>
    public ReadOnlySpan<byte> Read(long offset, int count)
    {
        var available = (int)Math.Min(count, _length - offset);
        if (offset >= _start && offset + available <= _start + _count)
        {
            return _buffer.AsSpan((int)(offset - _start), available);
        }

        if (_buffer.Length < available)
        {
            _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(available, _buffer.Length * 2));
        }

        var want = (int)Math.Min(_buffer.Length, _length - offset);
        var filled = 0;
        while (filled < want)
        {
            var n = RandomAccess.Read(_handle!, _buffer.AsSpan(filled, want - filled), offset + filled);
            if (n <= 0)
            {
                throw new IOException($"The journal segment shrank while it was being read (offset {offset + filled}).");
            }

            filled += n;
        }

        _start = offset;
        _count = want;
        return _buffer.AsSpan(0, available);
    }
}
