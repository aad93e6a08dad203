using Centime.Ledger;
using Xunit.Abstractions;
using static Centime.Journal.Tests.JournalTesting;

namespace Centime.Journal.Tests;

public sealed class JournalWriteTests(ITestOutputHelper output)
{
    private int Seed(int seed)
    {
        output.WriteLine($"seed {seed}");
        return seed;
    }

    [Fact]
    public void ChainBuilder_RandomBlocks_CoverTheInterestingOutcomes()
    {
        var builder = new ChainBuilder(Seed(1));
        var codes = new HashSet<ResultCode>();
        for (var i = 0; i < 60; i++)
        {
            codes.UnionWith(Block.Decode(builder.Next().Encoded).Results);
        }

        var expiredOrResolved = new HashSet<HoldState>();
        foreach (var t in builder.State.Transfers)
        {
            expiredOrResolved.Add(t.Hold);
        }

        output.WriteLine(string.Join(", ", codes.Order()));
        Assert.Contains(ResultCode.Ok, codes);
        Assert.Contains(ResultCode.ExceedsBalance, codes);
        Assert.Contains(ResultCode.LinkedEventFailed, codes);
        Assert.Contains(ResultCode.Exists, codes);
        Assert.Contains(ResultCode.AmountMustNotBeZero, codes);
        Assert.Contains(HoldState.Expired, expiredOrResolved);
        Assert.Contains(HoldState.Posted, expiredOrResolved);
        Assert.Contains(HoldState.Voided, expiredOrResolved);
    }

    [Fact]
    public void Append_WrongHeight_ThrowsAndChangesNothing()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);
        var builder = new ChainBuilder(Seed(2));
        AppendBlocks(journal, builder, 2);
        var skipped = builder.Next();
        var third = builder.Next();

        var ex = Assert.Throws<ArgumentException>(() => journal.Append(third.Encoded, third.Header));

        Assert.Contains("does not follow", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2UL, journal.Height);
        journal.Append(skipped.Encoded, skipped.Header);
        journal.Append(third.Encoded, third.Header);
        journal.Commit();
        Assert.Equal(4UL, journal.Height);
    }

    [Fact]
    public void Append_WrongPreviousHash_Throws()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);
        var builder = new ChainBuilder(Seed(3));
        AppendBlocks(journal, builder, 1);
        var buffer = new byte[256];
        var header = Block.Seal(2, builder.State.NextTimestamp, Hash32.Sha256("elsewhere"u8), [], [], ref buffer, out var length);

        Assert.Throws<ArgumentException>(() => journal.Append(buffer.AsSpan(0, length), header));
        Assert.Equal(1UL, journal.Height);
        Assert.Equal(builder.LastHash, journal.LastHash);
    }

    [Fact]
    public void Append_EncodingThatDoesNotStartWithTheHeader_Throws()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);
        var block = new ChainBuilder(Seed(4)).Next();
        var encoded = (byte[])block.Encoded.Clone();
        encoded[20] ^= 1; // the timestamp inside the encoded header

        Assert.Throws<ArgumentException>(() => journal.Append(encoded, block.Header));
        Assert.Throws<ArgumentException>(() => journal.Append(block.Encoded.AsSpan(0, 100), block.Header));
        Assert.Equal(0UL, journal.Height);
    }

    [Fact]
    public void Append_UpdatesHeightAndLastHashBeforeCommit()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);
        var builder = new ChainBuilder(Seed(5));
        var block = builder.Next();

        journal.Append(block.Encoded, block.Header);

        Assert.Equal(1UL, journal.Height);
        Assert.Equal(block.Hash, journal.LastHash);
        Assert.Equal(block.Header, journal.ReadHeader(1));
        journal.Commit();
        journal.Commit(); // nothing new: a no-op
    }

    [Fact]
    public void ReadBlock_AfterReopen_ReturnsEveryBlockAsSealed()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(6));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = 8192 }))
        {
            blocks = AppendBlocks(journal, builder, 30, group: 4);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);
        var buffer = new byte[1 << 16];
        for (var h = 1UL; h <= 30; h++)
        {
            var expected = blocks[(int)h - 1];
            var block = reopened.ReadBlock(h);
            Assert.Equal(expected.Header, reopened.ReadHeader(h));
            Assert.Equal(expected.Header, block.Header);

            // Re-sealing the decoded block reproduces the journaled bytes exactly.
            var results = block.Results.Select((code, i) => new CommandResult(code, block.Header.Timestamp + (ulong)i)).ToArray();
            var header = Block.Seal(h, block.Header.Timestamp, block.Header.PreviousHash, block.Commands, results, ref buffer, out var length);
            Assert.Equal(expected.Header, header);
            Assert.Equal(expected.Encoded, buffer.AsSpan(0, length).ToArray());
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => reopened.ReadBlock(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => reopened.ReadBlock(31));
        Assert.Throws<ArgumentOutOfRangeException>(() => reopened.ReadHeader(31));
    }

    [Fact]
    public void ReadBlock_DamagedAfterRecovery_ThrowsCorrupt()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(7));
        using var journal = Journal.Open(dir.Path, NoSync);
        var blocks = AppendBlocks(journal, builder, 3);
        var segment = dir.Segments().Single();

        FlipByte(segment, RecordOffsets(blocks)[1] + RecordFormat.HeaderSize + 140);

        var ex = Assert.Throws<JournalCorruptException>(() => journal.ReadBlock(2));
        Assert.Equal(RecordOffsets(blocks)[1], ex.Offset);
        Assert.Equal(segment, ex.File);
    }

    [Fact]
    public async Task ReadBlock_FromOtherThreadsWhileTheWriterAppends_SeesOnlyIntactCommittedBlocks()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(8));
        using var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = 16384 });
        using var stop = new CancellationTokenSource();
        var reads = 0L;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var rng = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var top = journal.Height;
                if (top == 0)
                {
                    continue;
                }

                var h = (ulong)rng.NextInt64(1, (long)top + 1);
                var block = journal.ReadBlock(h);
                Assert.Equal(journal.ReadHeader(h), block.Header);
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        // Keep writing until the readers have overlapped the writer for a while (bounded for slow machines).
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((journal.Height < 150 || Interlocked.Read(ref reads) < 2000) && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            AppendBlocks(journal, builder, 3, group: 3);
        }

        stop.Cancel();
        await Task.WhenAll(readers);

        output.WriteLine($"{reads} concurrent reads");
        Assert.True(reads > 0);
    }

    [Fact]
    public async Task ReadBlock_AppendedButNotCommitted_WaitsForTheCommit()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);
        var builder = new ChainBuilder(Seed(9));
        AppendBlocks(journal, builder, 1);
        var block = builder.Next();
        journal.Append(block.Encoded, block.Header);

        var read = Task.Run(() => journal.ReadBlock(2));
        await Task.Delay(100);
        Assert.False(read.IsCompleted);
        journal.Commit();

        var result = await read.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(block.Header, result.Header);
    }

    [Fact]
    public void Append_SmallSegmentBytes_RollsOverToSegmentsNamedByFirstHeight()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(10));
        const long segmentBytes = 6000;
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = segmentBytes }))
        {
            blocks = AppendBlocks(journal, builder, 40, group: 3);
            blocks.AddRange(AppendBlocks(journal, builder, 1, maxCommands: 0));
            var big = builder.NextMints(100); // larger than a segment: gets one of its own
            Assert.True(big.Encoded.Length > segmentBytes);
            journal.Append(big.Encoded, big.Header);
            journal.Commit();
            blocks.Add(big);
            blocks.AddRange(AppendBlocks(journal, builder, 5));
        }

        var segments = dir.Segments();
        output.WriteLine(string.Join(Environment.NewLine, segments.Select(s => $"{Path.GetFileName(s)} {new FileInfo(s).Length}")));
        Assert.True(segments.Length > 5);

        // Each segment is named by its first height and holds whole records up to the size limit.
        var height = 1;
        foreach (var segment in segments)
        {
            Assert.Equal(SegmentNames.FileName((ulong)height), Path.GetFileName(segment));
            long size = 0;
            var count = 0;
            while (height <= blocks.Count && size + RecordFormat.RecordSize(blocks[height - 1].Encoded.Length) <= new FileInfo(segment).Length)
            {
                size += RecordFormat.RecordSize(blocks[height - 1].Encoded.Length);
                height++;
                count++;
            }

            Assert.Equal(new FileInfo(segment).Length, size);
            Assert.True(count == 1 || size <= segmentBytes, $"{segment} is {size} bytes with {count} records");
        }

        Assert.Equal(blocks.Count + 1, height);
        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.Equal((ulong)blocks.Count, reopened.Height);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
        for (var h = 1; h <= blocks.Count; h++)
        {
            Assert.Equal(blocks[h - 1].Header, reopened.ReadBlock((ulong)h).Header);
        }
    }

    [Fact]
    public void Append_SmallRecordsWithFsync_KeepZeroFilledSpaceAheadAndRecoverOverIt()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(11));
        const long segmentBytes = 3L << 20;
        var options = new JournalOptions { Fsync = true, SegmentBytes = segmentBytes, ZeroFillAhead = true };
        using (var journal = Journal.Open(dir.Path, options))
        {
            AppendBlocks(journal, builder, 30);
            var zeroedEnd = journal.ZeroedEnd();
            output.WriteLine($"data ends at {journal.WritePosition}, zeros up to {zeroedEnd}");
            Assert.True(zeroedEnd >= journal.WritePosition + ZeroFill.Chunk, $"zeros end at {zeroedEnd}, data at {journal.WritePosition}");
            Assert.Equal(zeroedEnd, new FileInfo(dir.Segments().Single()).Length);
        }

        ChainBuilder next;
        using (var journal = Journal.Open(dir.Path, options))
        {
            Assert.Equal(30UL, journal.Height);
            Assert.Equal(0, journal.Recovery.TruncatedBytes);
            Assert.Equal(builder.State.ComputeStateHash(), journal.State.ComputeStateHash());

            // Carry on over the zeros; big blocks then roll the segment, which is trimmed to its records.
            next = new ChainBuilder(12, journal.State, journal.LastHash);
            AppendBlocks(journal, next, 20);
            for (var i = 0; i < 4; i++)
            {
                var big = next.NextMints(6000);
                journal.Append(big.Encoded, big.Header);
                journal.Commit();
            }

            AppendBlocks(journal, next, 20);
        }

        var segments = dir.Segments();
        Assert.Equal(2, segments.Length);
        Assert.True(new FileInfo(segments[0]).Length <= segmentBytes);
        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.Equal(74UL, reopened.Height);
        Assert.Equal(0, reopened.Recovery.TruncatedBytes);
        Assert.Equal(next.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Open_TornRecordInsideZeroFilledSpace_IsCutAndZeroFillResumes()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(18));
        var options = new JournalOptions { Fsync = true, SegmentBytes = 4L << 20, ZeroFillAhead = true };
        long end;
        using (var journal = Journal.Open(dir.Path, options))
        {
            AppendBlocks(journal, builder, 10);
            end = journal.WritePosition;
            Assert.True(journal.ZeroedEnd() > end);
        }

        // What a crash leaves: zero-filled space after the last record (a clean close trimmed it), and half
        // of the next record written into it.
        var segment = dir.Segments().Single();
        Assert.Equal(end, new FileInfo(segment).Length);
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(end + ZeroFill.Chunk);
        }

        WriteAt(segment, end, RecordFormat.Encode(11, new byte[300]).AsSpan(0, 200));

        using (var journal = Journal.Open(dir.Path, options))
        {
            Assert.Equal(10UL, journal.Height);
            Assert.Equal(ZeroFill.Chunk, journal.Recovery.TruncatedBytes);
            Assert.Equal(end, new FileInfo(dir.Segments().Single()).Length);
            AppendBlocks(journal, builder, 10);
            Assert.True(journal.ZeroedEnd() > journal.WritePosition);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.Equal(20UL, reopened.Height);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Dispose_WithUncommittedAppends_DropsThem()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(19));
        Hash32 committed;
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 5);
            committed = builder.State.ComputeStateHash();
            var small = builder.Next();
            journal.Append(small.Encoded, small.Header);
            var big = builder.NextMints(2000); // written to the file at once, not staged
            journal.Append(big.Encoded, big.Header);
            Assert.Equal(7UL, journal.Height);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(5UL, reopened.Height);
        Assert.Equal(0, reopened.Recovery.TruncatedBytes);
        Assert.Equal(committed, reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Append_ByDefault_SegmentEndsAtTheLastCommittedRecord()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(20));
        using var journal = Journal.Open(dir.Path);
        var blocks = AppendBlocks(journal, builder, 10);

        Assert.Equal(-1, journal.ZeroedEnd());
        Assert.Equal(blocks.Sum(b => RecordFormat.RecordSize(b.Encoded.Length)), new FileInfo(dir.Segments().Single()).Length);
    }

    [Fact]
    public void Open_DirectoryAlreadyOpen_Throws()
    {
        using var dir = new TempDirectory();
        using var journal = Journal.Open(dir.Path, NoSync);

        var ex = Assert.Throws<IOException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Contains("already open", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ThenAppend_Throws()
    {
        using var dir = new TempDirectory();
        var journal = Journal.Open(dir.Path, NoSync);
        var block = new ChainBuilder(Seed(13)).Next();
        journal.Dispose();

        Assert.Throws<ObjectDisposedException>(() => journal.Append(block.Encoded, block.Header));
        Assert.Throws<ObjectDisposedException>(() => journal.Commit());
        journal.Dispose();
    }

    [Fact]
    public void WriteSnapshot_ThreeSnapshots_KeepsTheTwoNewest()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(14));
        using var journal = Journal.Open(dir.Path);
        for (var i = 1; i <= 3; i++)
        {
            AppendBlocks(journal, builder, 4);
            journal.WriteSnapshot(journal.Height, journal.LastHash, SnapshotBytes(builder.State));
        }

        Assert.Equal(
            [SnapshotFormat.FileName(8), SnapshotFormat.FileName(12)],
            dir.Snapshots().Select(s => Path.GetFileName(s)).ToArray());
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void WriteSnapshot_HashOfAnotherBlock_Throws()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(15));
        using var journal = Journal.Open(dir.Path, NoSync);
        var blocks = AppendBlocks(journal, builder, 3);
        var state = SnapshotBytes(builder.State);

        Assert.Throws<ArgumentException>(() => journal.WriteSnapshot(3, blocks[1].Hash, state));
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.WriteSnapshot(4, blocks[2].Hash, state));
        Assert.Throws<ArgumentOutOfRangeException>(() => journal.WriteSnapshot(0, Hash32.Zero, state));
        Assert.Empty(dir.Snapshots());
    }

    [Fact]
    public async Task WriteSnapshot_OnABackgroundThreadWhileAppending_RecoversTheSameState()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(16));
        using (var journal = Journal.Open(dir.Path, new JournalOptions { SegmentBytes = 16384 }))
        {
            var pending = Task.CompletedTask;
            for (var i = 0; i < 60; i++)
            {
                AppendBlocks(journal, builder, 1);
                if (i % 10 == 9 && pending.IsCompleted)
                {
                    await pending;
                    var (height, hash, bytes) = (journal.Height, journal.LastHash, SnapshotBytes(builder.State));
                    pending = Task.Run(() => journal.WriteSnapshot(height, hash, bytes));
                }
            }

            await pending;
        }

        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.True(reopened.Recovery.SnapshotHeight >= 10);
        Assert.Equal(60UL - reopened.Recovery.SnapshotHeight, reopened.Recovery.BlocksReplayed);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Commit_FullSizeBlocks_RoundTrip()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(17));
        using (var journal = Journal.Open(dir.Path))
        {
            for (var i = 0; i < 3; i++)
            {
                var block = builder.NextMints(LedgerState.MaxBatchSize);
                journal.Append(block.Encoded, block.Header);
                journal.Commit();
            }
        }

        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.Equal(3UL, reopened.Height);
        Assert.Equal((3 * LedgerState.MaxBatchSize) - 1, reopened.State.TransferCount);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
        Assert.Equal(LedgerState.MaxBatchSize, reopened.ReadBlock(2).Commands.Length);
    }
}
