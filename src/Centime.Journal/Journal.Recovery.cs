using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using Centime.Ledger;
using Microsoft.Win32.SafeHandles;

namespace Centime.Journal;

public sealed partial class Journal
{
    private const int ScanChunkBytes = 4 << 20;
    private const long ScanProgressBytes = 64L << 20;

    /// <summary>Read-ahead buffer size for the scan and the replay: <see cref="ScanChunkBytes"/>, or the size of
    /// the journal if that is smaller.</summary>
    private int _readChunkBytes = ScanChunkBytes;

    /// <summary>
    /// Opens (creating if needed) the journal in <paramref name="directory"/> and recovers: verifies every
    /// record, the heights and the hash chain; cuts a torn tail off the last segment; loads the newest snapshot
    /// that verifies and matches the journal; replays the later blocks and checks that they reproduce their
    /// recorded results. Throws <see cref="JournalCorruptException"/> on anything else that fails verification,
    /// and <see cref="IOException"/> if another journal has the directory open.
    /// </summary>
    public static Journal Open(string directory, JournalOptions? options = null, IProgress<RecoveryProgress>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        options ??= new JournalOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.SegmentBytes);
        var clock = Stopwatch.StartNew();
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        if (!System.IO.Directory.Exists(full))
        {
            System.IO.Directory.CreateDirectory(full);
            if (options.Fsync && Path.GetDirectoryName(full) is { Length: > 0 } parent)
            {
                Durability.FlushDirectory(parent);
            }
        }

        var journal = new Journal(full, options, AcquireLock(full));
        try
        {
            journal.Recover(progress, clock);
            return journal;
        }
        catch
        {
            journal.Dispose();
            throw;
        }
    }

    private static SafeFileHandle AcquireLock(string directory)
    {
        var path = Path.Combine(directory, SegmentNames.LockName);
        try
        {
            // FileShare.None takes an exclusive flock on Unix: a second writer would interleave records.
            return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The journal in {directory} is already open, by this process or another.", ex);
        }
    }

    private void Recover(IProgress<RecoveryProgress>? progress, Stopwatch clock)
    {
        RemoveLeftovers();
        var scan = ScanSegments(ListSegments(_directory), progress);
        var height = (ulong)_headers.Count;
        var (state, snapshotHeight) = LoadSnapshot(height, progress);
        var replayed = Replay(state, snapshotHeight, height, progress);

        _state = state;
        if (height > 0)
        {
            _tip = new Tip(height, _headers[(long)height - 1].ComputeHash());
        }

        MarkCommitted(height);
        if (_segmentCount > 0)
        {
            OpenForWriting(_segments[_segmentCount - 1], scan.LastSegmentEnd);
        }

        _recovery = new RecoveryInfo(snapshotHeight, replayed, scan.TruncatedBytes, clock.Elapsed, scan.TruncatedFile);
    }

    /// <summary>A temporary snapshot never got its name, so it was never part of the durable state.</summary>
    private void RemoveLeftovers()
    {
        foreach (var temp in System.IO.Directory.EnumerateFiles(_directory, SnapshotFormat.Prefix + "*" + SnapshotFormat.TempExtension))
        {
            File.Delete(temp);
        }
    }

    private static List<(ulong FirstHeight, string Path)> ListSegments(string directory)
    {
        var list = new List<(ulong FirstHeight, string Path)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, SegmentNames.Prefix + "*" + SegmentNames.Extension))
        {
            if (SegmentNames.TryParse(Path.GetFileName(path), out var first))
            {
                list.Add((first, path));
            }
        }

        list.Sort((a, b) => a.FirstHeight.CompareTo(b.FirstHeight));
        return list;
    }

    /// <summary>Snapshot files, newest first.</summary>
    private static List<(ulong Height, string Path)> ListSnapshots(string directory)
    {
        var list = new List<(ulong Height, string Path)>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, SnapshotFormat.Prefix + "*" + SnapshotFormat.Extension))
        {
            if (SnapshotFormat.TryParseFileName(Path.GetFileName(path), out var height))
            {
                list.Add((height, path));
            }
        }

        list.Sort((a, b) => b.Height.CompareTo(a.Height));
        return list;
    }

    private readonly record struct ScanOutcome(long LastSegmentEnd, long TruncatedBytes, string? TruncatedFile);

    /// <summary>
    /// Verifies every segment in height order and fills the in-memory headers and record index. A record that
    /// fails verification ends the scan of its segment; it is a torn tail (cut away) only if it lies in the
    /// last segment, is damage a crash can cause, and no valid record follows it. Otherwise: corruption.
    /// </summary>
    private ScanOutcome ScanSegments(List<(ulong FirstHeight, string Path)> files, IProgress<RecoveryProgress>? progress)
    {
        long total = 0;
        foreach (var (_, path) in files)
        {
            total += new FileInfo(path).Length;
        }

        progress?.Report(new RecoveryProgress("scan", 0, total));
        long done = 0;
        var nextReport = ScanProgressBytes;
        var previousHash = Hash32.Zero;
        var nextHeight = 1UL;
        var outcome = default(ScanOutcome);
        _readChunkBytes = (int)Math.Clamp(total, 64 << 10, ScanChunkBytes); // a small journal gets a small buffer
        var reader = new SegmentReader(_readChunkBytes);
        for (var i = 0; i < files.Count; i++)
        {
            var (first, path) = files[i];
            var isLast = i == files.Count - 1;
            if (first != nextHeight)
            {
                ThrowCorrupt(path, 0, i == 0
                    ? $"the first segment starts at height {first}, not 1 (missing segment?)"
                    : $"the segment starts at height {first} but the previous segment ends at height {nextHeight - 1} (missing segment?)");
            }

            var segment = AddSegment(path, first);
            using var handle = File.OpenHandle(path, FileMode.Open, isLast ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite);
            var length = RandomAccess.GetLength(handle);
            reader.Reset(handle, length);
            long position = 0;
            var status = RecordStatus.Valid;
            RecordHeader? failedHeader = null; // the header of the record that failed, if that header verified
            while (position < length)
            {
                status = RecordFormat.ReadHeader(reader.Read(position, RecordFormat.HeaderSize), out var rh);
                if (status == RecordStatus.Valid)
                {
                    failedHeader = rh;
                    if (rh.RecordSize > length - position)
                    {
                        status = RecordStatus.Incomplete;
                    }
                }

                if (status != RecordStatus.Valid)
                {
                    break;
                }

                var record = reader.Read(position, (int)rh.RecordSize);
                status = RecordFormat.VerifyBody(record[RecordFormat.HeaderSize..], rh);
                if (status != RecordStatus.Valid)
                {
                    break;
                }

                failedHeader = null;

                // The record is intact, so from here any mismatch is what was written: corruption, never torn.
                if (rh.Height != nextHeight)
                {
                    ThrowCorrupt(path, position, $"record for height {rh.Height} where height {nextHeight} was expected");
                }

                var payload = record.Slice(RecordFormat.HeaderSize, rh.PayloadLength);
                var header = ReadBlockHeader(payload, path, position, nextHeight);
                if (header.PreviousHash != previousHash)
                {
                    ThrowCorrupt(path, position,
                        $"hash chain broken at height {header.Height}: the block names previous hash {header.PreviousHash}, but block {header.Height - 1} hashes to {previousHash}");
                }

                previousHash = header.ComputeHash();
                _headers.Add(header);
                _locations.Add(new RecordLocation(segment.Id, rh.PayloadLength, position));
                position += rh.RecordSize;
                nextHeight++;
                if (done + position >= nextReport)
                {
                    progress?.Report(new RecoveryProgress("scan", done + position, total));
                    nextReport = done + position + ScanProgressBytes;
                }
            }

            if (position < length && EndOfRecords(handle, path, position, length, status, failedHeader, nextHeight, isLast) is { } cut)
            {
                outcome = outcome with { TruncatedBytes = cut, TruncatedFile = path };
            }

            if (position == 0 && !isLast)
            {
                ThrowCorrupt(path, 0, "the segment holds no records but is not the last");
            }

            if (isLast)
            {
                outcome = outcome with { LastSegmentEnd = position };
            }

            done += length;
        }

        progress?.Report(new RecoveryProgress("scan", total, total));
        return outcome;
    }

    /// <summary>Decides what the bytes from the first record that did not verify to the end of the file are.
    /// Returns the number of bytes cut (a torn tail), or null when they are zero-filled space.
    /// <paramref name="header"/> is the failed record's header when that header verified (its payload or
    /// trailer did not).</summary>
    private long? EndOfRecords(SafeFileHandle handle, string path, long position, long length, RecordStatus status, RecordHeader? header, ulong height, bool isLast)
    {
        var what = $"{RecordFormat.Describe(status)} (record for height {height})";
        if (!RecordFormat.CanBeTorn(status))
        {
            ThrowCorrupt(path, position, what);
        }

        var (allZero, validAt) = ExamineTail(handle, position, length);
        if (validAt >= 0)
        {
            ThrowCorrupt(path, position, $"{what}, and a valid record follows at offset {validAt}, so this is not a torn tail");
        }

        if (allZero)
        {
            return null; // zero-filled space after the last record: the end, not damage
        }

        if (!isLast)
        {
            ThrowCorrupt(path, position, $"{what} in a segment that is not the last, so this is not a torn tail");
        }

        if (WrittenInFull(handle, position, length, status, header, height) is { } evidence)
        {
            ThrowCorrupt(path, position, $"{what}, but {evidence}: the record was written in full, so this is corruption, not a torn write");
        }

        // A torn tail: the write of this record (and of nothing durable after it) was cut by a crash. Nothing
        // from here on was acknowledged, because commit returns only after the whole write is flushed.
        RandomAccess.SetLength(handle, position);
        if (_options.Fsync)
        {
            Durability.FlushAll(handle);
        }

        return length - position;
    }

    /// <summary>
    /// Evidence that the record at <paramref name="position"/> was written to its last byte, or null. A torn
    /// write is a record cut short: its trailer, the last thing written, is missing, or zero-filled space the
    /// write never reached. So a record whose trailer is there is complete, and damage anywhere in it is
    /// corruption that recovery must not cut away (it may hold an acknowledged block):
    /// <list type="bullet">
    /// <item>header verified, payload hash wrong: the trailer at the place the header names verifies;</item>
    /// <item>header and payload verified, trailer wrong: the trailer bytes are not an unwritten trailer
    /// (<see cref="RecordFormat.IsUnwrittenTrailer"/>);</item>
    /// <item>header damaged (bad magic or CRC, which may have hit its length field): a trailer for this height
    /// verifies on its own at the offset its own length field names.</item>
    /// </list>
    /// A single damaged byte leaves the other two parts intact, so one of these always fires for it, while a
    /// record cut at any byte never has a complete trailer.
    /// </summary>
    private static string? WrittenInFull(SafeFileHandle handle, long position, long length, RecordStatus status, RecordHeader? header, ulong height)
    {
        Span<byte> trailer = stackalloc byte[RecordFormat.TrailerSize];
        if (header is { } h)
        {
            var at = position + RecordFormat.HeaderSize + h.PayloadLength;
            if (at + RecordFormat.TrailerSize > length)
            {
                return null;
            }

            ReadExactly(handle, trailer, at);
            return status switch
            {
                RecordStatus.BadPayloadChecksum when RecordFormat.VerifyTrailer(trailer, h) => $"its commit marker at offset {at} verifies",
                RecordStatus.BadTrailer when !RecordFormat.IsUnwrittenTrailer(trailer, h) => $"its payload verifies and its commit marker at offset {at} is present but damaged",
                _ => null,
            };
        }

        var found = FindTrailerFor(handle, position, length, height);
        return found >= 0 ? $"a commit marker for height {height} verifies at offset {found}, where the record it names would end" : null;
    }

    /// <summary>Offset of a trailer that verifies on its own, names <paramref name="height"/>, and sits exactly
    /// where its own payload length puts it for a record starting at <paramref name="recordStart"/>; -1 if none.</summary>
    private static long FindTrailerFor(SafeFileHandle handle, long recordStart, long length, ulong height)
    {
        var first = recordStart + RecordFormat.HeaderSize + RecordFormat.MinPayload;
        var end = Math.Min(length, recordStart + RecordFormat.RecordSize(RecordFormat.MaxPayload)); // a trailer must end by here
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, RecordFormat.TrailerMagic);
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunkBytes);
        try
        {
            var position = first;
            while (position + RecordFormat.TrailerSize <= end)
            {
                var n = (int)Math.Min(buffer.Length, end - position);
                ReadExactly(handle, buffer.AsSpan(0, n), position);
                var chunk = buffer.AsSpan(0, n);
                for (var i = 0; i + RecordFormat.TrailerSize <= n;)
                {
                    var k = chunk[i..].IndexOf(magic);
                    if (k < 0 || i + k + RecordFormat.TrailerSize > n)
                    {
                        break;
                    }

                    var candidate = position + i + k;
                    if (RecordFormat.TryReadTrailer(chunk.Slice(i + k, RecordFormat.TrailerSize), out var named, out var payloadLength)
                        && named == height
                        && candidate == recordStart + RecordFormat.HeaderSize + payloadLength)
                    {
                        return candidate;
                    }

                    i += k + 1;
                }

                // Step back so a trailer that straddles two chunks is read whole from the next one.
                position = position + n >= end ? end : position + n - (RecordFormat.TrailerSize - 1);
            }

            return -1;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether [<paramref name="from"/>, <paramref name="length"/>) is all zero, and the offset of
    /// the first fully valid record that starts after <paramref name="from"/> (-1 if none).</summary>
    internal static (bool AllZero, long ValidRecordAt) ExamineTail(SafeFileHandle handle, long from, long length)
    {
        Span<byte> magic = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(magic, RecordFormat.HeaderMagic);
        var buffer = ArrayPool<byte>.Shared.Rent(ScanChunkBytes);
        try
        {
            var allZero = true;
            var position = from;
            while (position < length)
            {
                var n = (int)Math.Min(buffer.Length, length - position);
                ReadExactly(handle, buffer.AsSpan(0, n), position);
                var chunk = buffer.AsSpan(0, n);
                allZero &= chunk.IndexOfAnyExcept((byte)0) < 0;
                for (var i = 0; i < n;)
                {
                    var k = chunk[i..].IndexOf(magic);
                    if (k < 0)
                    {
                        break;
                    }

                    var candidate = position + i + k;
                    if (candidate > from && IsValidRecordAt(handle, candidate, length))
                    {
                        return (false, candidate);
                    }

                    i += k + 1;
                }

                // Step back a little so a magic that straddles two chunks is still seen.
                position = position + n >= length ? length : position + n - (magic.Length - 1);
            }

            return (allZero, -1);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsValidRecordAt(SafeFileHandle handle, long offset, long length)
    {
        Span<byte> head = stackalloc byte[RecordFormat.HeaderSize];
        if (length - offset < RecordFormat.HeaderSize)
        {
            return false;
        }

        ReadExactly(handle, head, offset);
        if (RecordFormat.ReadHeader(head, out var header) != RecordStatus.Valid || header.RecordSize > length - offset)
        {
            return false;
        }

        var rest = ArrayPool<byte>.Shared.Rent(header.PayloadLength + RecordFormat.TrailerSize);
        try
        {
            var span = rest.AsSpan(0, header.PayloadLength + RecordFormat.TrailerSize);
            ReadExactly(handle, span, offset + RecordFormat.HeaderSize);
            return RecordFormat.VerifyBody(span, header) == RecordStatus.Valid;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rest);
        }
    }

    private static BlockHeader ReadBlockHeader(ReadOnlySpan<byte> payload, string path, long position, ulong height)
    {
        BlockHeader header;
        try
        {
            header = BlockHeader.ReadFrom(payload);
        }
        catch (FormatException ex)
        {
            throw new JournalCorruptException(path, position, $"block {height} has an unreadable header: {ex.Message}", ex);
        }

        if (header.Height != height)
        {
            ThrowCorrupt(path, position, $"the record for height {height} holds block {header.Height}");
        }

        if (header.CommandCount is < 0 or > LedgerState.MaxBatchSize)
        {
            ThrowCorrupt(path, position, $"block {height} claims {header.CommandCount} commands");
        }

        // The chain and the snapshots use ComputeHash (of the re-encoded header), so the stored bytes must be
        // exactly that encoding: Append only ever writes it, and ReadFrom skips the reserved bytes.
        Span<byte> canonical = stackalloc byte[BlockHeader.EncodedSize];
        header.WriteTo(canonical);
        if (!payload[..BlockHeader.EncodedSize].SequenceEqual(canonical))
        {
            ThrowCorrupt(path, position, $"block {height} has a header that is not in canonical form (reserved bytes set?)");
        }

        return header;
    }

    private (LedgerState State, ulong Height) LoadSnapshot(ulong journalHeight, IProgress<RecoveryProgress>? progress)
    {
        foreach (var (height, path) in ListSnapshots(_directory))
        {
            var problem = TryLoadSnapshot(height, path, journalHeight, progress, out var state);
            if (problem is null)
            {
                return (state!, height);
            }

            _skippedSnapshots.Add($"{Path.GetFileName(path)}: {problem}");
        }

        return (NewState(_options), 0);
    }

    /// <summary>Loads one snapshot; returns why it cannot be used, or null with the state.</summary>
    private string? TryLoadSnapshot(ulong height, string path, ulong journalHeight, IProgress<RecoveryProgress>? progress, out LedgerState? state)
    {
        state = null;
        if (height == 0 || height > journalHeight)
        {
            return $"the journal ends at height {journalHeight}, so block {height} cannot be checked";
        }

        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            Span<byte> head = stackalloc byte[SnapshotFormat.HeaderSize];
            if (file.ReadAtLeast(head, SnapshotFormat.HeaderSize, throwOnEndOfStream: false) < SnapshotFormat.HeaderSize)
            {
                return "shorter than its header";
            }

            if (!SnapshotFormat.TryReadHeader(head, out var header, out var problem))
            {
                return problem;
            }

            if (header.Height != height)
            {
                return $"the header says height {header.Height}";
            }

            var expected = _headers[(long)height - 1].ComputeHash();
            if (header.BlockHash != expected)
            {
                return $"taken after block hash {header.BlockHash}, but the journal's block {height} hashes to {expected}";
            }

            if (file.Length != SnapshotFormat.HeaderSize + header.StateLength)
            {
                return $"the file is {file.Length} bytes, the header says {SnapshotFormat.HeaderSize + header.StateLength}";
            }

            // Verify before parsing: a damaged count must never drive an allocation.
            if (HashState(file, header.StateLength, progress) != header.StateHash)
            {
                return "state checksum mismatch";
            }

            file.Position = SnapshotFormat.HeaderSize;
            var loaded = LedgerState.ReadSnapshot(file, _options.CreateModules?.Invoke());
            if (loaded.Height != height)
            {
                return $"the state is at height {loaded.Height}";
            }

            if (file.Position != file.Length)
            {
                return "bytes left over after the state";
            }

            state = loaded;
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    private static UInt128 HashState(FileStream file, long length, IProgress<RecoveryProgress>? progress)
    {
        var hash = new XxHash128();
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long done = 0;
            progress?.Report(new RecoveryProgress("snapshot", 0, length));
            while (done < length)
            {
                var n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, length - done));
                if (n <= 0)
                {
                    throw new EndOfStreamException("The snapshot ended early.");
                }

                hash.Append(buffer.AsSpan(0, n));
                done += n;
            }

            progress?.Report(new RecoveryProgress("snapshot", length, length));
            return hash.GetCurrentHashAsUInt128();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Applies blocks <paramref name="from"/>+1..<paramref name="to"/> and checks each recorded result code
    /// against the recomputed one: the state machine is deterministic, so any difference means the journal,
    /// the snapshot or the code is not what wrote them. Reading and decoding run on a second thread a few blocks
    /// ahead of apply (about a fifth of replay time, so this is what the second core buys).
    /// </summary>
    private ulong Replay(LedgerState state, ulong from, ulong to, IProgress<RecoveryProgress>? progress)
    {
        if (from >= to)
        {
            return 0;
        }

        var total = (long)(to - from);
        var step = Math.Max(1, total / 100);
        progress?.Report(new RecoveryProgress("replay", 0, total));
        var results = new CommandResult[LedgerState.MaxBatchSize];
        using var stop = new CancellationTokenSource();
        using var decoded = new BlockingCollection<DecodedBlock>(boundedCapacity: 4);
        var reader = Task.Run(() => ReadAhead(from, to, decoded, stop.Token));
        try
        {
            foreach (var item in decoded.GetConsumingEnumerable())
            {
                var height = item.Height;
                var segment = _segments[item.Location.Segment];
                if (item.Error is { } error)
                {
                    throw new JournalCorruptException(segment.Path, item.Location.Offset, $"replay failed at height {height}: {error.Message}", error);
                }

                if (ReplayBlock(state, item.Block!, results) is { } problem)
                {
                    ThrowCorrupt(segment.Path, item.Location.Offset, problem);
                }

                var done = (long)(height - from);
                if (done % step == 0 || height == to)
                {
                    progress?.Report(new RecoveryProgress("replay", done, total));
                }
            }
        }
        finally
        {
            stop.Cancel();
            reader.GetAwaiter().GetResult(); // it ends on cancel; its files are closed before we go on
        }

        if (state.Height != to)
        {
            throw new InvalidOperationException($"Replay stopped at height {state.Height}, expected {to}.");
        }

        return to - from;
    }

    /// <summary>Reads and decodes blocks for <see cref="Replay"/>; a block that does not decode is passed on
    /// as an error, in order, so the message names the right height.</summary>
    private void ReadAhead(ulong from, ulong to, BlockingCollection<DecodedBlock> output, CancellationToken cancel)
    {
        var reader = new SegmentReader(_readChunkBytes);
        SafeFileHandle? handle = null;
        var open = -1;
        try
        {
            for (var height = from + 1; height <= to; height++)
            {
                var location = _locations[(long)height - 1];
                DecodedBlock item;
                try
                {
                    if (location.Segment != open)
                    {
                        handle?.Dispose();
                        handle = File.OpenHandle(_segments[location.Segment].Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                        reader.Reset(handle, RandomAccess.GetLength(handle));
                        open = location.Segment;
                    }

                    var payload = reader.Read(location.Offset + RecordFormat.HeaderSize, location.PayloadLength);
                    item = new DecodedBlock(height, location, Block.Decode(payload), null);
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or IOException)
                {
                    item = new DecodedBlock(height, location, null, ex);
                }

                output.Add(item, cancel);
                if (item.Error is not null)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Apply stopped first (corruption found): nothing more to hand over.
        }
        finally
        {
            handle?.Dispose();
            output.CompleteAdding();
        }
    }

    private sealed record DecodedBlock(ulong Height, RecordLocation Location, Block? Block, Exception? Error);

    [DoesNotReturn]
    private static void ThrowCorrupt(string file, long offset, string reason) => throw new JournalCorruptException(file, offset, reason);
}
