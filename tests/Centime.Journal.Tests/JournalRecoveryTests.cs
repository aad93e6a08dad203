using Centime.Ledger;
using Xunit.Abstractions;
using static Centime.Journal.Tests.JournalTesting;

namespace Centime.Journal.Tests;

public sealed class JournalRecoveryTests(ITestOutputHelper output)
{
    private int Seed(int seed)
    {
        output.WriteLine($"seed {seed}");
        return seed;
    }

    [Fact]
    public void Open_MissingDirectory_CreatesItAndStartsAtGenesis()
    {
        using var dir = new TempDirectory();
        var nested = Path.Combine(dir.Path, "a", "b");

        using var journal = Journal.Open(nested);

        Assert.True(Directory.Exists(nested));
        Assert.Equal(0UL, journal.Height);
        Assert.Equal(Hash32.Zero, journal.LastHash);
        Assert.Equal(0UL, journal.State.Height);
        Assert.Equal(new LedgerState().ComputeStateHash(), journal.State.ComputeStateHash());
        Assert.Equal(0UL, journal.Recovery.SnapshotHeight);
        Assert.Equal(0UL, journal.Recovery.BlocksReplayed);
        Assert.Equal(0, journal.Recovery.TruncatedBytes);
        Assert.Null(journal.Recovery.TruncatedFile);
    }

    [Theory]
    [InlineData(11, 1, true)]
    [InlineData(12, 5, false)]
    [InlineData(13, 40, false)]
    public void Open_AfterAppends_ReplaysFromGenesisToTheLiveStateHash(int seed, int group, bool fsync)
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(seed));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = fsync }))
        {
            blocks = AppendBlocks(journal, builder, 40, group);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(40UL, reopened.Height);
        Assert.Equal(builder.LastHash, reopened.LastHash);
        Assert.Equal(40UL, reopened.Recovery.BlocksReplayed);
        Assert.Equal(0UL, reopened.Recovery.SnapshotHeight);
        Assert.True(builder.State.ComputeStateHash() == reopened.State.ComputeStateHash(), $"state hash differs (seed {seed})");
        Assert.Equal(blocks[^1].Header, reopened.ReadHeader(40));
    }

    /// <summary>A block written before a rule changed (here: coins sent to a coin's verifying contract, refused from
    /// <see cref="LedgerRules.HolderProtections"/> on) replays under its own rules, so the journal still opens and the
    /// stuck coins are where they were; new blocks get the current rules.</summary>
    [Fact]
    public void Open_BlockOfOlderRules_ReplaysAsRecordedAndLaterBlocksGetCurrentRules()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(31));
        var coin = Coin.SupplyAccountOf("NUSD");
        var alice = Address.Derive("holder:alice");
        var contract = Address.Derive("coin:NUSD");
        Transfer Pay(UInt128 id, Address from, Address to) => new() { Id = id, DebitAccount = from, CreditAccount = to, Amount = 40, Coin = 1, Code = 1 };
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            var first = builder.NextUnder(LedgerRules.Original, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")), Command.Of(Pay(1, coin, alice)),
                Command.Of(Pay(2, alice, contract)));
            var second = builder.NextUnder(LedgerRules.Current, Command.Of(Pay(3, alice, contract)));
            Assert.Equal(ResultCode.CreditAccountIsSystemAddress, Block.Decode(second.Encoded).Results[0]);
            journal.Append(first.Encoded, first.Header);
            journal.Append(second.Encoded, second.Header);
            journal.Commit();
        }

        using var reopened = Journal.Open(dir.Path, NoSync);
        Assert.Equal(2UL, reopened.Height);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
        Assert.True(reopened.State.TryGetAccount(1, contract, out var stuck));
        Assert.Equal((Int128)40, stuck.Balance);
    }

    [Fact]
    public void Open_WithSnapshot_ReplaysOnlyLaterBlocks()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(21));
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 25);
            journal.WriteSnapshot(25, journal.LastHash, SnapshotBytes(builder.State));
            AppendBlocks(journal, builder, 10);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(25UL, reopened.Recovery.SnapshotHeight);
        Assert.Equal(10UL, reopened.Recovery.BlocksReplayed);
        Assert.Equal(35UL, reopened.Height);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Open_SnapshotAtTheLastBlock_ReplaysNothing()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(22));
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 12);
            journal.WriteSnapshot(12, journal.LastHash, SnapshotBytes(builder.State));
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(12UL, reopened.Recovery.SnapshotHeight);
        Assert.Equal(0UL, reopened.Recovery.BlocksReplayed);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Open_TornLastRecord_TruncatesToPreviousBlockAndAppendsContinue()
    {
        using var dir = new TempDirectory();
        var seed = Seed(31);
        var builder = new ChainBuilder(seed);
        List<SealedBlock> blocks;
        Hash32 stateAt19;
        using (var journal = Journal.Open(dir.Path))
        {
            blocks = AppendBlocks(journal, builder, 19);
            stateAt19 = builder.State.ComputeStateHash();
            blocks.AddRange(AppendBlocks(journal, builder, 1, maxCommands: 60));
        }

        var segment = dir.Segments().Single();
        var lastOffset = RecordOffsets(blocks)[^1];
        var lastSize = RecordFormat.RecordSize(blocks[^1].Encoded.Length);
        var cut = lastOffset + (lastSize / 2);
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(cut);
        }

        ChainBuilder next;
        using (var journal = Journal.Open(dir.Path))
        {
            Assert.Equal(19UL, journal.Height);
            Assert.Equal(blocks[18].Hash, journal.LastHash);
            Assert.Equal(cut - lastOffset, journal.Recovery.TruncatedBytes);
            Assert.Equal(segment, journal.Recovery.TruncatedFile);
            Assert.Equal(lastOffset, new FileInfo(segment).Length);
            Assert.Equal(stateAt19, journal.State.ComputeStateHash());

            // The sequencer carries on from the recovered state.
            next = new ChainBuilder(seed + 1, journal.State, journal.LastHash);
            AppendBlocks(journal, next, 6);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(25UL, reopened.Height);
        Assert.Equal(0, reopened.Recovery.TruncatedBytes);
        Assert.Null(reopened.Recovery.TruncatedFile);
        Assert.Equal(next.State.ComputeStateHash(), reopened.State.ComputeStateHash());
    }

    [Fact]
    public void Open_CutAnywhere_RecoversTheLongestCompletePrefix()
    {
        using var dir = new TempDirectory();
        var seed = Seed(32);
        var builder = new ChainBuilder(seed);
        var hashes = new List<Hash32> { builder.State.ComputeStateHash() };
        var blocks = new List<SealedBlock>();
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            for (var i = 0; i < 15; i++)
            {
                blocks.AddRange(AppendBlocks(journal, builder, 1));
                hashes.Add(builder.State.ComputeStateHash());
            }
        }

        var segment = dir.Segments().Single();
        var original = File.ReadAllBytes(segment);
        var offsets = RecordOffsets(blocks);
        var rng = new Random(seed);
        for (var trial = 0; trial < 25; trial++)
        {
            var cut = trial == 0 ? 0 : trial == 1 ? original.Length : rng.Next(0, original.Length + 1);
            File.WriteAllBytes(segment, original.AsSpan(0, cut).ToArray());
            var complete = offsets.Count(o => o < cut && o + RecordFormat.RecordSize(blocks[Array.IndexOf(offsets, o)].Encoded.Length) <= cut);
            var boundary = complete == blocks.Count ? original.Length : offsets[complete];

            using var journal = Journal.Open(dir.Path, NoSync);

            Assert.True((ulong)complete == journal.Height, $"cut at {cut}: height {journal.Height}, expected {complete} (seed {seed})");
            Assert.True(hashes[complete] == journal.State.ComputeStateHash(), $"cut at {cut}: state differs (seed {seed})");
            Assert.Equal(cut - boundary, journal.Recovery.TruncatedBytes);
        }
    }

    [Fact]
    public void Open_ZeroFilledTail_IsTheEndNotCorruption()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(33));
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 10);
        }

        var segment = dir.Segments().Single();
        var dataLength = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(dataLength + (3 << 20)); // zero-filled, like preallocated space
        }

        long end;
        using (var journal = Journal.Open(dir.Path))
        {
            Assert.Equal(10UL, journal.Height);
            Assert.Equal(0, journal.Recovery.TruncatedBytes);
            Assert.Null(journal.Recovery.TruncatedFile);
            Assert.Equal(builder.State.ComputeStateHash(), journal.State.ComputeStateHash());
            AppendBlocks(journal, builder, 5); // written over the zeros
            end = journal.WritePosition;
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(15UL, reopened.Height);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
        Assert.Equal(end, new FileInfo(segment).Length); // a clean close trims the zeros after the last record
    }

    [Fact]
    public void Open_GarbageAfterLastRecord_IsCutAsATornTail()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(34));
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 8);
        }

        var segment = dir.Segments().Single();
        var length = new FileInfo(segment).Length;
        var garbage = new byte[777];
        new Random(34).NextBytes(garbage);
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write(garbage);
        }

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(8UL, reopened.Height);
        Assert.Equal(777, reopened.Recovery.TruncatedBytes);
        Assert.Equal(length, new FileInfo(segment).Length);
    }

    /// <summary>A journal of a few blocks in one segment, closed cleanly: the last record ends the file. The
    /// last block holds one command, because the tests below open the journal once per byte.</summary>
    private static (List<SealedBlock> Blocks, Hash32 StateBeforeLast, string Segment, byte[] Bytes, long LastOffset) SmallJournal(TempDirectory dir, int seed)
    {
        var builder = new ChainBuilder(seed);
        List<SealedBlock> blocks;
        Hash32 before;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 3, maxCommands: 8);
            SealedBlock last;
            do
            {
                // Until the last block holds exactly one command: small, but more than a block header.
                before = builder.State.ComputeStateHash();
                last = builder.Next(maxCommands: 2);
                journal.Append(last.Encoded, last.Header);
                journal.Commit();
                blocks.Add(last);
            }
            while (last.Header.CommandCount != 1);
        }

        var segment = dir.Segments().Single();
        return (blocks, before, segment, File.ReadAllBytes(segment), RecordOffsets(blocks)[^1]);
    }

    /// <summary>Offsets in the last record to try with zero-filled space after it: every header and trailer
    /// byte (where the format's own checks live) and a seeded sample of the payload.</summary>
    private static IEnumerable<int> HeaderTrailerAndSomePayload(int size, Random rng) =>
        Enumerable.Range(0, RecordFormat.HeaderSize)
            .Concat(Enumerable.Range(0, 32).Select(_ => rng.Next(RecordFormat.HeaderSize, size - RecordFormat.TrailerSize)))
            .Concat(Enumerable.Range(size - RecordFormat.TrailerSize, RecordFormat.TrailerSize));

    [Fact]
    public void Open_EveryByteOfTheLastRecordFlipped_IsCorruptionNotATornTail()
    {
        // DESIGN.md §5.3: a complete record whose checksum fails is corruption, even at the tail. Cutting it
        // away as a torn write would silently drop a block that was acknowledged.
        using var dir = new TempDirectory();
        var seed = Seed(36);
        var (blocks, _, segment, original, lastOffset) = SmallJournal(dir, seed);
        var size = (int)RecordFormat.RecordSize(blocks[^1].Encoded.Length);
        Assert.Equal(original.Length, lastOffset + size);
        var rng = new Random(seed);
        var zeros = new byte[4096]; // the record followed by zero-filled space (ZeroFillAhead, preallocation)
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var flips = Enumerable.Range(0, size).Select(at => (At: at, Mask: (byte)0xFF, ZeroFilled: false))
            .Concat(Enumerable.Range(0, size).Select(at => (At: at, Mask: (byte)rng.Next(1, 256), ZeroFilled: false)))
            .Concat(HeaderTrailerAndSomePayload(size, rng).Select(at => (At: at, Mask: (byte)rng.Next(1, 256), ZeroFilled: true)))
            .ToList();
        foreach (var (at, mask, zeroFilled) in flips)
        {
            File.WriteAllBytes(segment, zeroFilled ? [.. original, .. zeros] : original);
            FlipByte(segment, lastOffset + at, mask);

            var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync).Dispose());

            var context = $"flip 0x{mask:X2} at byte {at} of the last record{(zeroFilled ? ", zeros after it" : "")} (seed {seed}): {ex.Message}";
            Assert.True(ex.File == segment, context);
            Assert.True(ex.Offset == lastOffset, context);
            Assert.True(new FileInfo(segment).Length == original.Length + (zeroFilled ? zeros.Length : 0), "the file was cut: " + context);
        }

        output.WriteLine($"{flips.Count} flips of a {size}-byte last record (every byte twice, then header, trailer and 32 payload bytes with zeros after): each refused, {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Open_LastRecordCutAtEveryByte_IsATornTailAndEveryEarlierBlockStays()
    {
        using var dir = new TempDirectory();
        var seed = Seed(37);
        var (blocks, before, segment, original, lastOffset) = SmallJournal(dir, seed);
        var size = (int)RecordFormat.RecordSize(blocks[^1].Encoded.Length);
        var record = original.AsSpan((int)lastOffset, size).ToArray();
        var rng = new Random(seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();

        // A crash cuts the write at any byte: the file ends there, or (zero-filled space) zeros follow.
        var cuts = Enumerable.Range(1, size - 1).Select(cut => (Cut: cut, ZeroFilled: false))
            .Concat(HeaderTrailerAndSomePayload(size, rng).Where(cut => cut > 0).Distinct().Select(cut => (Cut: cut, ZeroFilled: true)))
            .ToList();
        var refused = 0;
        foreach (var (cut, zeroFilled) in cuts)
        {
            var bytes = new byte[zeroFilled ? lastOffset + size + 4096 : lastOffset + cut];
            original.AsSpan(0, (int)lastOffset + cut).CopyTo(bytes);
            File.WriteAllBytes(segment, bytes);
            var context = $"cut after byte {cut} of {size}{(zeroFilled ? ", zeros after it" : "")} (seed {seed})";

            // One cut into zero-filled space looks exactly like a flipped byte: the write stopped before the
            // trailer's last nonzero byte, and nothing else was missing. Recovery refuses it rather than guess.
            var missingNonzero = record.AsSpan(cut).Length - record.AsSpan(cut).Count((byte)0);
            if (zeroFilled && cut > size - RecordFormat.TrailerSize && missingNonzero == 1)
            {
                var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync).Dispose());
                Assert.True(ex.Offset == lastOffset, context + ": " + ex.Message);
                refused++;
                continue;
            }

            using var journal = Journal.Open(dir.Path, NoSync);

            context += $": {journal.Recovery}";
            Assert.True(journal.Height == (ulong)blocks.Count - 1, context);
            Assert.True(journal.LastHash == blocks[^2].Hash, context);
            Assert.True(journal.State.ComputeStateHash() == before, context);
            Assert.True(journal.Recovery.TruncatedBytes == bytes.Length - lastOffset, context);
            Assert.True(new FileInfo(segment).Length == lastOffset, context);
        }

        output.WriteLine($"{cuts.Count} cuts of a {size}-byte last record (every byte, then header, trailer and 32 payload bytes with zeros after): "
            + $"{cuts.Count - refused} recovered as a torn tail, {refused} refused (only the trailer's last nonzero byte missing), {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Open_FlippedByteInAMiddleRecord_ThrowsNamingFileAndRecordOffset()
    {
        using var dir = new TempDirectory();
        var seed = Seed(41);
        var builder = new ChainBuilder(seed);
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 12);
        }

        var segment = dir.Segments().Single();
        var original = File.ReadAllBytes(segment);
        var offsets = RecordOffsets(blocks);
        var rng = new Random(seed);
        for (var trial = 0; trial < 30; trial++)
        {
            // Any record but the last; any byte of it: header, payload or trailer.
            var record = rng.Next(0, blocks.Count - 1);
            var size = RecordFormat.RecordSize(blocks[record].Encoded.Length);
            var position = offsets[record] + rng.NextInt64(size);
            var mask = (byte)rng.Next(1, 256);
            File.WriteAllBytes(segment, original);
            FlipByte(segment, position, mask);

            var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync).Dispose());

            var context = $"flip 0x{mask:X2} at {position} in record {record + 1} (seed {seed}): {ex.Message}";
            Assert.True(ex.File == segment, context);
            Assert.True(ex.Offset == offsets[record], context);
            Assert.Contains(segment, ex.Message, StringComparison.Ordinal);
            Assert.Contains($"at offset {offsets[record]}:", ex.Message, StringComparison.Ordinal);
            Assert.Equal(original.Length, new FileInfo(segment).Length); // nothing was cut or repaired
        }
    }

    [Fact]
    public void Open_ZeroedMiddleRecord_Throws()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(42));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 6);
        }

        var segment = dir.Segments().Single();
        var offsets = RecordOffsets(blocks);
        WriteAt(segment, offsets[2], new byte[RecordFormat.RecordSize(blocks[2].Encoded.Length)]);

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(offsets[2], ex.Offset);
        Assert.Contains("valid record follows", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_BrokenHashChain_ThrowsAtTheBlockThatDoesNotLink()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(43));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 8);
        }

        // Rewrite block 5 with a different previous hash and valid checksums: only the chain can tell.
        var segment = dir.Segments().Single();
        var offsets = RecordOffsets(blocks);
        var payload = (byte[])blocks[4].Encoded.Clone();
        payload[30] ^= 0x01; // inside PreviousHash (bytes 24..55 of the block header)
        WriteAt(segment, offsets[4], RecordFormat.Encode(5, payload));

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(segment, ex.File);
        Assert.Equal(offsets[4], ex.Offset);
        Assert.Contains("hash chain broken at height 5", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_BlockHeaderWithReservedBytesSet_Throws()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(49));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 4);
        }

        // Reserved bytes of block 2's header set, record re-checksummed: ReadFrom would not notice.
        var segment = dir.Segments().Single();
        var payload = (byte[])blocks[1].Encoded.Clone();
        payload[125] = 7;
        WriteAt(segment, RecordOffsets(blocks)[1], RecordFormat.Encode(2, payload));

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(RecordOffsets(blocks)[1], ex.Offset);
        Assert.Contains("canonical", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingRecordInTheMiddle_ThrowsOnTheHeightGap()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(44));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 6);
        }

        var segment = dir.Segments().Single();
        var bytes = File.ReadAllBytes(segment);
        var offsets = RecordOffsets(blocks);
        var spliced = bytes[..(int)offsets[3]].Concat(bytes[(int)offsets[4]..]).ToArray();
        File.WriteAllBytes(segment, spliced);

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(offsets[3], ex.Offset);
        Assert.Contains("record for height 5 where height 4 was expected", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_RecordedResultThatReplayDoesNotReproduce_ThrowsReplayDiverged()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(45));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            blocks = AppendBlocks(journal, builder, 3, maxCommands: 0);
            blocks.AddRange(AppendBlocks(journal, builder, 1, maxCommands: 30));
            blocks.AddRange(AppendBlocks(journal, builder, 3));
        }

        // Change the last result code of block 4 and re-checksum the record: the header (and so the chain)
        // is untouched, so only replay can notice.
        var segment = dir.Segments().Single();
        var offsets = RecordOffsets(blocks);
        var payload = (byte[])blocks[3].Encoded.Clone();
        Assert.True(blocks[3].Header.CommandCount > 0);
        payload[^2] ^= 0x40;
        WriteAt(segment, offsets[3], RecordFormat.Encode(4, payload));

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(offsets[3], ex.Offset);
        Assert.StartsWith("replay diverged at height 4", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingSegmentInTheMiddle_ThrowsNamingTheNextSegment()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(46));
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = 4096 }))
        {
            AppendBlocks(journal, builder, 40);
        }

        var segments = dir.Segments();
        Assert.True(segments.Length >= 3, $"only {segments.Length} segments");
        File.Delete(segments[1]);

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(segments[2], ex.File);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("missing segment", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFirstSegment_Throws()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(47));
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = 4096 }))
        {
            AppendBlocks(journal, builder, 20);
        }

        var segments = dir.Segments();
        File.Delete(segments[0]);

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(segments[1], ex.File);
        Assert.Contains("not 1", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_DamageAtTheEndOfANonLastSegment_IsCorruptionNotATornTail()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(48));
        using (var journal = Journal.Open(dir.Path, new JournalOptions { Fsync = false, SegmentBytes = 4096 }))
        {
            AppendBlocks(journal, builder, 30);
        }

        var first = dir.Segments()[0];
        var length = new FileInfo(first).Length;
        FlipByte(first, length - 3); // inside the trailer of the segment's last record

        var ex = Assert.Throws<JournalCorruptException>(() => Journal.Open(dir.Path, NoSync));

        Assert.Equal(first, ex.File);
        Assert.Contains("not the last", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NewestSnapshotCorrupt_FallsBackToOlderThenGenesis()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(51));
        using (var journal = Journal.Open(dir.Path))
        {
            AppendBlocks(journal, builder, 10);
            journal.WriteSnapshot(10, journal.LastHash, SnapshotBytes(builder.State));
            AppendBlocks(journal, builder, 10);
            journal.WriteSnapshot(20, journal.LastHash, SnapshotBytes(builder.State));
            AppendBlocks(journal, builder, 5);
        }

        var expected = builder.State.ComputeStateHash();
        var snapshots = dir.Snapshots();
        Assert.Equal(2, snapshots.Length);
        FlipByte(snapshots[1], SnapshotFormat.HeaderSize + 100); // the state bytes of snapshot 20

        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            Assert.Equal(10UL, journal.Recovery.SnapshotHeight);
            Assert.Equal(15UL, journal.Recovery.BlocksReplayed);
            Assert.Equal(expected, journal.State.ComputeStateHash());
            Assert.Contains(journal.SkippedSnapshots, s => s.Contains("state checksum mismatch", StringComparison.Ordinal));
        }

        FlipByte(snapshots[0], 9); // the header of snapshot 10

        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            Assert.Equal(0UL, journal.Recovery.SnapshotHeight);
            Assert.Equal(25UL, journal.Recovery.BlocksReplayed);
            Assert.Equal(expected, journal.State.ComputeStateHash());
        }

        // Recovery never deletes or repairs a snapshot.
        Assert.Equal(2, dir.Snapshots().Length);
    }

    [Fact]
    public void Open_SnapshotOfABlockTheJournalLost_FallsBack()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(52));
        List<SealedBlock> blocks;
        using (var journal = Journal.Open(dir.Path))
        {
            blocks = AppendBlocks(journal, builder, 8);
            journal.WriteSnapshot(4, blocks[3].Hash, SnapshotBytes(ReplayTo(blocks, 4)));
            journal.WriteSnapshot(8, journal.LastHash, SnapshotBytes(builder.State));
        }

        // The last block is torn away: snapshot 8 describes a block the journal no longer has.
        var segment = dir.Segments().Single();
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(file.Length - 10);
        }

        using var journal2 = Journal.Open(dir.Path, NoSync);

        Assert.Equal(7UL, journal2.Height);
        Assert.Equal(4UL, journal2.Recovery.SnapshotHeight);
        Assert.Equal(3UL, journal2.Recovery.BlocksReplayed);
        Assert.Equal(ReplayTo(blocks, 7).ComputeStateHash(), journal2.State.ComputeStateHash());
    }

    [Fact]
    public void Open_SnapshotFromAnotherHistory_IsNotUsed()
    {
        using var dir = new TempDirectory();
        using var other = new TempDirectory();
        var builder = new ChainBuilder(Seed(53));
        var stranger = new ChainBuilder(54);
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            AppendBlocks(journal, builder, 6);
        }

        using (var journal = Journal.Open(other.Path, NoSync))
        {
            AppendBlocks(journal, stranger, 6);
            journal.WriteSnapshot(6, journal.LastHash, SnapshotBytes(stranger.State));
        }

        File.Copy(other.Snapshots().Single(), Path.Combine(dir.Path, Path.GetFileName(other.Snapshots().Single())));

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.Equal(0UL, reopened.Recovery.SnapshotHeight);
        Assert.Equal(builder.State.ComputeStateHash(), reopened.State.ComputeStateHash());
        Assert.Contains(reopened.SkippedSnapshots, s => s.Contains("hashes to", StringComparison.Ordinal));
    }

    [Fact]
    public void Open_ReportsScanAndReplayProgress()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(55));
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            AppendBlocks(journal, builder, 30);
        }

        var progress = new ProgressLog();
        using var reopened = Journal.Open(dir.Path, NoSync, progress);

        var scan = progress.Reports.Where(p => p.Phase == "scan").ToList();
        var replay = progress.Reports.Where(p => p.Phase == "replay").ToList();
        Assert.NotEmpty(scan);
        Assert.Equal(scan[^1].Total, scan[^1].Done);
        Assert.Equal(new FileInfo(dir.Segments().Single()).Length, scan[^1].Total);
        Assert.Equal(new RecoveryProgress("replay", 30, 30), replay[^1]);
    }

    [Fact]
    public void Open_LeftoverTemporaryFiles_AreRemoved()
    {
        using var dir = new TempDirectory();
        var builder = new ChainBuilder(Seed(56));
        using (var journal = Journal.Open(dir.Path, NoSync))
        {
            AppendBlocks(journal, builder, 3);
        }

        File.WriteAllBytes(dir.File("snapshot-000000000003.snap.tmp"), [1, 2, 3]);
        File.WriteAllText(dir.File("operator.key"), "not ours");

        using var reopened = Journal.Open(dir.Path, NoSync);

        Assert.False(File.Exists(dir.File("snapshot-000000000003.snap.tmp")));
        Assert.True(File.Exists(dir.File("operator.key")));
        Assert.Equal(3UL, reopened.Height);
    }

    private static LedgerState ReplayTo(List<SealedBlock> blocks, int height)
    {
        var state = new LedgerState();
        var results = new CommandResult[LedgerState.MaxBatchSize];
        foreach (var sealedBlock in blocks.Take(height))
        {
            var block = Block.Decode(sealedBlock.Encoded);
            state.ApplyBlock(block.Header.Height, block.Header.Timestamp, block.Commands, results);
        }

        return state;
    }
}
