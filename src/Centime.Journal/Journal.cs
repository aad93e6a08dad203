using System.Buffers;
using Centime.Ledger;
using Microsoft.Win32.SafeHandles;

namespace Centime.Journal;

/// <summary>
/// The durable journal (DESIGN.md §3, docs/journal.md): a directory of segment files holding one record per
/// block, plus periodic snapshots of the ledger state. <see cref="Open"/> recovers the state; then one writer
/// thread calls <see cref="Append"/> (queue a block) and <see cref="Commit"/> (make everything appended
/// durable; group commit = several appends, one commit). Readers on any thread may call
/// <see cref="ReadHeader"/>, <see cref="ReadBlock"/>, <see cref="Height"/> and <see cref="LastHash"/>; a
/// background thread may call <see cref="WriteSnapshot"/>.
/// </summary>
public sealed partial class Journal : BlockStore
{
    /// <summary>Small pieces (record headers, trailers, small blocks) gather here and go down in one write.</summary>
    private const int StagingBytes = 1 << 20;

    /// <summary>Payloads at least this large are written straight from the caller's span: no copy.</summary>
    private const int DirectWriteBytes = 64 << 10;

    /// <summary>How long <see cref="ReadBlock"/> waits for an appended block to become durable.</summary>

    private readonly string _directory;
    private readonly JournalOptions _options;
    private readonly SafeFileHandle _lockFile;
    private readonly ChunkedList<BlockHeader> _headers = new();
    private readonly ChunkedList<RecordLocation> _locations = new();
    private readonly Lock _segmentsLock = new();
    private readonly Lock _snapshotLock = new();
    private Segment[] _segments = new Segment[16];
    private int _segmentCount;
    private readonly List<string> _skippedSnapshots = [];

    // Writer state: touched only by the writer thread (and by Open before the journal is handed out).
    private readonly byte[] _staging = GC.AllocateUninitializedArray<byte>(StagingBytes);
    private SafeFileHandle? _writeHandle;
    private Segment? _current;
    private long _writePosition; // end of the data in the current segment, staged bytes included
    private long _committedPosition; // end of the last committed record in the current segment
    private long _stagedStart;   // file offset of _staging[0]
    private int _stagedLength;
    private ZeroFill? _zeroFill;  // zero-filled space ahead of the writer (opt-in, with fsync only)

    private volatile Tip _tip = new(0, Hash32.Zero);
    private LedgerState _state;
    private RecoveryInfo _recovery;
    private volatile Exception? _fault;
    private volatile bool _disposed;

    private static LedgerState NewState(JournalOptions options) => new(options.CreateModules?.Invoke());

    private Journal(string directory, JournalOptions options, SafeFileHandle lockFile)
    {
        _directory = directory;
        _options = options;
        _lockFile = lockFile;
        _state = NewState(options);
        _recovery = new RecoveryInfo(0, 0, 0, TimeSpan.Zero, null);
    }

    /// <summary>The recovered state (newest valid snapshot plus replay of later blocks). The sequencer owns it
    /// from here on and keeps applying blocks to it.</summary>
    public override LedgerState State => _state;

    /// <summary>Height of the last appended block (0 = empty journal). After <see cref="Open"/> it is the last
    /// durable block; <see cref="Append"/> advances it at once, <see cref="Commit"/> makes it durable.</summary>
    public override ulong Height => _tip.Height;

    /// <summary>Header hash of the block at <see cref="Height"/>, or <see cref="Hash32.Zero"/>.</summary>
    public override Hash32 LastHash => _tip.Hash;

    /// <summary>What recovery found and did.</summary>
    public override RecoveryInfo Recovery => _recovery;

    /// <summary>Snapshots recovery passed over, with the reason (for logs and tests).</summary>
    internal IReadOnlyList<string> SkippedSnapshots => _skippedSnapshots;

    /// <summary>
    /// Queues one block record. <paramref name="encodedBlock"/> is the encoding from <see cref="Block.Seal"/>
    /// and must start with <paramref name="header"/>; the header must follow the previous one
    /// (height + 1, previous hash = <see cref="LastHash"/>), else <see cref="ArgumentException"/> and nothing
    /// changes. Not durable until <see cref="Commit"/> returns. Writer thread only.
    /// </summary>
    internal override void Append(ReadOnlySpan<byte> encodedBlock, in BlockHeader header)
    {
        ThrowIfUnusable();
        var tip = _tip;
        if (header.Height != tip.Height + 1)
        {
            throw new ArgumentException($"Block height {header.Height} does not follow the journal's height {tip.Height}.", nameof(header));
        }

        if (header.PreviousHash != tip.Hash)
        {
            throw new ArgumentException($"Block {header.Height} names previous hash {header.PreviousHash}, but the journal's last hash is {tip.Hash}.", nameof(header));
        }

        if (encodedBlock.Length is < RecordFormat.MinPayload or > RecordFormat.MaxPayload)
        {
            throw new ArgumentException($"A block encoding is {RecordFormat.MinPayload}..{RecordFormat.MaxPayload} bytes, not {encodedBlock.Length}.", nameof(encodedBlock));
        }

        Span<byte> encodedHeader = stackalloc byte[BlockHeader.EncodedSize];
        header.WriteTo(encodedHeader);
        if (!encodedBlock[..BlockHeader.EncodedSize].SequenceEqual(encodedHeader))
        {
            throw new ArgumentException("The block encoding does not start with the given header.", nameof(encodedBlock));
        }

        var hash = Hash32.Sha256(encodedHeader);
        try
        {
            var recordSize = RecordFormat.RecordSize(encodedBlock.Length);
            EnsureRoom(header.Height, recordSize);
            var offset = _writePosition;
            _zeroFill?.BeforeWrite(offset, recordSize);
            Span<byte> piece = stackalloc byte[RecordFormat.HeaderSize];
            var headerCrc = RecordFormat.WriteHeader(piece, header.Height, encodedBlock);
            Put(piece);
            Put(encodedBlock);
            RecordFormat.WriteTrailer(piece, header.Height, encodedBlock.Length, headerCrc);
            Put(piece[..RecordFormat.TrailerSize]);

            _locations.Add(new RecordLocation(_current!.Id, encodedBlock.Length, offset));
            _headers.Add(header);
            _tip = new Tip(header.Height, hash);
            _zeroFill?.AfterWrite(_writePosition, recordSize);
        }
        catch (Exception ex)
        {
            // A half-written record or index: nothing more may be appended or acknowledged (crash-only).
            _fault = ex;
            throw;
        }
    }

    /// <summary>
    /// Writes every appended record and flushes it to stable storage (fdatasync); returns only when they are
    /// durable. An I/O failure here is final: the journal refuses further use (a failed fsync cannot be
    /// retried safely), and the node must restart and recover. Writer thread only.
    /// </summary>
    internal override void Commit()
    {
        ThrowIfUnusable();
        var height = _tip.Height;
        if (height == CommittedHeight)
        {
            return;
        }

        try
        {
            FlushStaging();
            if (_options.Fsync)
            {
                // Only the current segment can hold uncommitted records: a roll flushed the previous one.
                Durability.FlushData(_writeHandle!);
            }
        }
        catch (Exception ex)
        {
            _fault = ex;
            throw;
        }

        _committedPosition = _writePosition;
        MarkCommitted(height);
    }

    /// <summary>Header of the block at <paramref name="height"/> (1..<see cref="Height"/>), from memory.</summary>
    public override BlockHeader ReadHeader(ulong height)
    {
        if (height == 0 || height > (ulong)_headers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, $"No block at height {height} (the journal holds 1..{_headers.Count}).");
        }

        return _headers[(long)height - 1];
    }

    /// <summary>
    /// Reads, verifies and decodes the block at <paramref name="height"/> from disk. Safe on any thread while
    /// the writer runs. A block that is appended but not yet committed is returned once its commit completes
    /// (waiting up to 10 s), so a caller never sees a block a crash could take back.
    /// </summary>
    public override Block ReadBlock(ulong height)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (height == 0 || height > (ulong)_locations.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, $"No block at height {height} (the journal holds 1..{_locations.Count}).");
        }

        WaitForCommit(height);
        var location = _locations[(long)height - 1];
        Segment segment;
        lock (_segmentsLock)
        {
            segment = _segments[location.Segment];
        }

        var size = (int)RecordFormat.RecordSize(location.PayloadLength);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var record = buffer.AsSpan(0, size);
            ReadExactly(segment.ReadHandle, record, location.Offset);
            var status = RecordFormat.ReadHeader(record, out var header);
            if (status == RecordStatus.Valid)
            {
                status = header.Height != height || header.PayloadLength != location.PayloadLength
                    ? RecordStatus.BadHeaderChecksum
                    : RecordFormat.VerifyBody(record[RecordFormat.HeaderSize..], header);
            }

            if (status != RecordStatus.Valid)
            {
                throw new JournalCorruptException(segment.Path, location.Offset, $"{RecordFormat.Describe(status)} reading block {height}");
            }

            return Block.Decode(record.Slice(RecordFormat.HeaderSize, location.PayloadLength));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Stores a snapshot of the state after block <paramref name="height"/> whose header hash is
    /// <paramref name="blockHash"/>; <paramref name="stateBytes"/> is <see cref="LedgerState.WriteSnapshot"/>
    /// output at that height. Atomic: written to a temporary file, fsynced, renamed, directory fsynced. Keeps
    /// the two newest snapshots. Safe on a background thread while the writer appends and commits.
    /// </summary>
    internal override void WriteSnapshot(ulong height, Hash32 blockHash, ReadOnlyMemory<byte> stateBytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (height == 0 || height > (ulong)_headers.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, $"No block at height {height} to snapshot (the journal holds 1..{_headers.Count}).");
        }

        var expected = _headers[(long)height - 1].ComputeHash();
        if (expected != blockHash)
        {
            throw new ArgumentException($"Block {height} hashes to {expected}, not {blockHash}.", nameof(blockHash));
        }

        if (stateBytes.IsEmpty)
        {
            throw new ArgumentException("The state encoding is empty.", nameof(stateBytes));
        }

        lock (_snapshotLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var path = Path.Combine(_directory, SnapshotFormat.FileName(height));
            var temp = Path.Combine(_directory, SnapshotFormat.FileName(height)[..^SnapshotFormat.Extension.Length] + SnapshotFormat.TempExtension);
            Span<byte> header = stackalloc byte[SnapshotFormat.HeaderSize];
            SnapshotFormat.WriteHeader(header, height, blockHash, stateBytes.Span);
            using (var file = File.OpenHandle(temp, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.None,
                       SnapshotFormat.HeaderSize + (long)stateBytes.Length))
            {
                RandomAccess.Write(file, header, 0);
                RandomAccess.Write(file, stateBytes.Span, SnapshotFormat.HeaderSize);
                if (_options.Fsync)
                {
                    Durability.FlushAll(file);
                }
            }

            // Rename only after the bytes are durable, and make the name durable before older snapshots go.
            File.Move(temp, path, overwrite: true);
            if (_options.Fsync)
            {
                Durability.FlushDirectory(_directory);
            }

            var snapshots = ListSnapshots(_directory);
            for (var i = 2; i < snapshots.Count; i++)
            {
                File.Delete(snapshots[i].Path);
            }
        }
    }

    /// <summary>
    /// Closes the files. Appended records that were not committed are dropped, and so is zero-filled space
    /// after the last committed record: after a clean close a segment ends exactly at its last record.
    /// </summary>
    protected override void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        _zeroFill?.Dispose();
        if (_writeHandle is { } handle)
        {
            try
            {
                if (_fault is null && RandomAccess.GetLength(handle) > _committedPosition)
                {
                    // Not flushed: if this cut is lost, recovery reads zeros or unacknowledged records there.
                    RandomAccess.SetLength(handle, _committedPosition);
                }
            }
            catch (IOException)
            {
                // Tidiness only; recovery copes with whatever is there.
            }

            handle.Dispose();
        }

        lock (_segmentsLock)
        {
            for (var i = 0; i < _segmentCount; i++)
            {
                _segments[i].Dispose();
            }
        }

        lock (_snapshotLock)
        {
            _lockFile.Dispose();
        }

        WakeCommitWaiters();
    }

    /// <summary>Test hook: where the zero-filled space ahead of the writer ends, once any fill under way is done.</summary>
    internal long ZeroedEnd()
    {
        _zeroFill?.Complete();
        return _zeroFill?.ZeroedEnd ?? -1;
    }

    /// <summary>Test hook: end of the data in the current segment.</summary>
    internal long WritePosition => _writePosition;

    protected override void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_fault is { } fault)
        {
            throw new InvalidOperationException("The journal stopped after an I/O failure; restart to recover. Cause: " + fault.Message, fault);
        }
    }

    /// <summary>Makes sure a record of <paramref name="recordSize"/> bytes for <paramref name="height"/> has a
    /// segment: the first segment, or a new one when this record would take the current past its size.</summary>
    private void EnsureRoom(ulong height, long recordSize)
    {
        if (_writeHandle is null)
        {
            StartSegment(height);
        }
        else if (_writePosition > 0 && _writePosition + recordSize > _options.SegmentBytes)
        {
            FinishSegment();
            StartSegment(height);
        }
    }

    /// <summary>
    /// Seals the current segment before the next exists: its data, trimmed length and all are made durable
    /// first. So a segment that is not the last is always complete on disk, and recovery may treat any damage
    /// in it as corruption rather than a torn write.
    /// </summary>
    private void FinishSegment()
    {
        FlushStaging();
        _zeroFill?.Dispose();
        _zeroFill = null;
        var handle = _writeHandle!;
        if (RandomAccess.GetLength(handle) > _writePosition)
        {
            RandomAccess.SetLength(handle, _writePosition); // drop the unused zero-filled space
        }

        if (_options.Fsync)
        {
            Durability.FlushAll(handle);
        }

        handle.Dispose();
        _writeHandle = null;
    }

    private void StartSegment(ulong firstHeight)
    {
        var path = Path.Combine(_directory, SegmentNames.FileName(firstHeight));
        File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite).Dispose();

        if (_options.Fsync)
        {
            Durability.FlushDirectory(_directory);
        }

        var segment = AddSegment(path, firstHeight);
        OpenForWriting(segment, 0);
    }

    private void OpenForWriting(Segment segment, long position)
    {
        _writeHandle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        _current = segment;
        _writePosition = position;
        _committedPosition = position;
        _stagedStart = position;
        _stagedLength = 0;
        if (_options.Fsync && _options.ZeroFillAhead)
        {
            // Everything after the recovered data is zeros (or nothing): the cut of a torn tail made sure.
            _zeroFill = new ZeroFill(segment.Path, RandomAccess.GetLength(_writeHandle), _options.SegmentBytes);
        }
    }

    private Segment AddSegment(string path, ulong firstHeight)
    {
        lock (_segmentsLock)
        {
            if (_segmentCount == _segments.Length)
            {
                Array.Resize(ref _segments, _segments.Length * 2);
            }

            var segment = new Segment(_segmentCount, path, firstHeight);
            _segments[_segmentCount++] = segment;
            return segment;
        }
    }

    private void Put(ReadOnlySpan<byte> data)
    {
        if (data.Length >= DirectWriteBytes)
        {
            FlushStaging();
            RandomAccess.Write(_writeHandle!, data, _writePosition);
            _writePosition += data.Length;
            _stagedStart = _writePosition;
            return;
        }

        if (_stagedLength + data.Length > _staging.Length)
        {
            FlushStaging();
        }

        data.CopyTo(_staging.AsSpan(_stagedLength));
        _stagedLength += data.Length;
        _writePosition += data.Length;
    }

    private void FlushStaging()
    {
        if (_stagedLength > 0)
        {
            RandomAccess.Write(_writeHandle!, _staging.AsSpan(0, _stagedLength), _stagedStart);
        }

        _stagedStart = _writePosition;
        _stagedLength = 0;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (!destination.IsEmpty)
        {
            var n = RandomAccess.Read(handle, destination, offset);
            if (n <= 0)
            {
                throw new EndOfStreamException($"The journal file ended at offset {offset} inside a record.");
            }

            destination = destination[n..];
            offset += n;
        }
    }

    private sealed record Tip(ulong Height, Hash32 Hash);
}

/// <summary>Where a block's record is: segment id, offset of the record header, payload length.</summary>
internal readonly record struct RecordLocation(int Segment, int PayloadLength, long Offset);

/// <summary>One segment file; readers share a lazily opened read-only handle (pread is thread-safe).</summary>
internal sealed class Segment(int id, string path, ulong firstHeight) : IDisposable
{
    private readonly Lock _lock = new();
    private SafeFileHandle? _read;
    private bool _disposed;

    public int Id { get; } = id;
    public string Path { get; } = path;
    public ulong FirstHeight { get; } = firstHeight;

    public SafeFileHandle ReadHandle
    {
        get
        {
            if (Volatile.Read(ref _read) is { } handle)
            {
                return handle;
            }

            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _read ??= File.OpenHandle(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            _read?.Dispose();
        }
    }
}
