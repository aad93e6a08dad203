namespace Centime.Journal;

/// <summary>
/// The journal failed verification somewhere other than a torn tail (DESIGN.md §3, §5.3): a checksum mismatch
/// in the middle, a broken hash chain, a gap in heights, a missing segment, or a replay that did not reproduce
/// the recorded results. Recovery never repairs this: the node must not start until an operator has looked.
/// Not transient: retrying the open gives the same answer.
/// </summary>
public sealed class JournalCorruptException : Exception
{
    public JournalCorruptException(string file, long offset, string reason)
        : base($"journal corrupt: {file} at offset {offset}: {reason}")
    {
        File = file;
        Offset = offset;
        Reason = reason;
    }

    internal JournalCorruptException(string file, long offset, string reason, Exception inner)
        : base($"journal corrupt: {file} at offset {offset}: {reason}", inner)
    {
        File = file;
        Offset = offset;
        Reason = reason;
    }

    /// <summary>Full path of the file that failed verification.</summary>
    public string File { get; }

    /// <summary>Byte offset in <see cref="File"/> of the record (or structure) that failed.</summary>
    public long Offset { get; }

    /// <summary>What failed, in words.</summary>
    public string Reason { get; }
}
