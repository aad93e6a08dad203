using System.Buffers.Binary;
using Centime.Ledger;
using CsCheck;
using Xunit.Abstractions;

namespace Centime.Journal.Tests;

public sealed class RecordFormatTests(ITestOutputHelper output)
{
    private static byte[] Payload(int length, int seed)
    {
        var payload = new byte[length];
        new Random(seed).NextBytes(payload);
        return payload;
    }

    [Fact]
    public void Encode_Record_HasDocumentedLayout()
    {
        var payload = Payload(200, 1);
        var record = RecordFormat.Encode(42, payload);

        Assert.Equal(48 + 200 + 24, record.Length);
        Assert.Equal("CTJR"u8.ToArray(), record[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(4)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(record.AsSpan(6)));
        Assert.Equal(200, BinaryPrimitives.ReadInt32LittleEndian(record.AsSpan(8)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(12)));
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(16)));
        Assert.Equal(System.IO.Hashing.XxHash128.HashToUInt128(payload), BinaryPrimitives.ReadUInt128LittleEndian(record.AsSpan(24)));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(40)));
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(record.AsSpan(0, 44)), BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(44)));
        Assert.Equal(payload, record[48..248]);

        var trailer = record.AsSpan(248);
        Assert.Equal("CTJC"u8.ToArray(), trailer[..4].ToArray());
        Assert.Equal(200, BinaryPrimitives.ReadInt32LittleEndian(trailer[4..]));
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64LittleEndian(trailer[8..]));
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(record.AsSpan(44)), BinaryPrimitives.ReadUInt32LittleEndian(trailer[16..]));
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(trailer[..20]), BinaryPrimitives.ReadUInt32LittleEndian(trailer[20..]));
    }

    [Fact]
    public void IsUnwrittenTrailer_AnySingleByteChange_IsNeverUnwritten_WhileZerosAfterAPrefixAre()
    {
        var record = RecordFormat.Encode(7, Payload(300, 3));
        Assert.Equal(RecordStatus.Valid, RecordFormat.ReadHeader(record, out var header));
        var trailer = record.AsSpan(record.Length - RecordFormat.TrailerSize).ToArray();
        for (var i = 0; i < trailer.Length; i++)
        {
            for (var value = 0; value < 256; value++)
            {
                if (value == trailer[i])
                {
                    continue;
                }

                var changed = (byte[])trailer.Clone();
                changed[i] = (byte)value;
                Assert.False(RecordFormat.IsUnwrittenTrailer(changed, header), $"byte {i} set to {value}");
            }
        }

        Assert.True(RecordFormat.IsUnwrittenTrailer(new byte[RecordFormat.TrailerSize], header));
        for (var written = 0; written < trailer.Length; written++)
        {
            var cut = new byte[RecordFormat.TrailerSize];
            trailer.AsSpan(0, written).CopyTo(cut);
            var missing = trailer.AsSpan(written).Length - trailer.AsSpan(written).Count((byte)0);
            Assert.Equal(missing >= 2 || written == 0, RecordFormat.IsUnwrittenTrailer(cut, header));
        }
    }

    [Fact]
    public void ReadHeader_RandomRecords_RoundTrip()
    {
        var gen = Gen.Select(Gen.ULong[1, ulong.MaxValue], Gen.Int[RecordFormat.MinPayload, 4096], Gen.Int);
        gen.Sample((height, length, seed) =>
        {
            var payload = Payload(length, seed);
            var record = RecordFormat.Encode(height, payload);

            Assert.Equal(RecordStatus.Valid, RecordFormat.ReadHeader(record, out var header));
            Assert.Equal(height, header.Height);
            Assert.Equal(length, header.PayloadLength);
            Assert.Equal(record.Length, header.RecordSize);
            Assert.Equal(RecordStatus.Valid, RecordFormat.VerifyBody(record.AsSpan(RecordFormat.HeaderSize), header));
            Assert.Equal(payload, record.AsSpan(RecordFormat.HeaderSize, length).ToArray());
        }, output.WriteLine, iter: 300);
    }

    [Fact]
    public void Verify_AnySingleByteFlipInHeaderOrTrailer_IsDetected()
    {
        var record = RecordFormat.Encode(7, Payload(300, 2));
        var positions = Enumerable.Range(0, RecordFormat.HeaderSize).Concat(Enumerable.Range(record.Length - RecordFormat.TrailerSize, RecordFormat.TrailerSize));
        foreach (var position in positions)
        {
            foreach (var mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                var damaged = (byte[])record.Clone();
                damaged[position] ^= mask;
                var status = RecordFormat.ReadHeader(damaged, out var header);
                if (status == RecordStatus.Valid)
                {
                    status = RecordFormat.VerifyBody(damaged.AsSpan(RecordFormat.HeaderSize), header);
                }

                Assert.True(status != RecordStatus.Valid, $"flip 0x{mask:X2} at byte {position} went unnoticed");
                Assert.True(RecordFormat.CanBeTorn(status), $"flip at byte {position} gave {status}");
            }
        }
    }

    [Fact]
    public void Verify_PayloadByteFlips_AreDetected()
    {
        var record = RecordFormat.Encode(9, Payload(1000, 3));
        Gen.Select(Gen.Int[RecordFormat.HeaderSize, RecordFormat.HeaderSize + 999], Gen.Byte[1, 255]).Sample((position, mask) =>
        {
            var damaged = (byte[])record.Clone();
            damaged[position] ^= mask;
            Assert.Equal(RecordStatus.Valid, RecordFormat.ReadHeader(damaged, out var header));
            Assert.Equal(RecordStatus.BadPayloadChecksum, RecordFormat.VerifyBody(damaged.AsSpan(RecordFormat.HeaderSize), header));
        }, output.WriteLine, iter: 300);
    }

    [Fact]
    public void ReadHeader_ZeroBytes_IsZeroNotCorrupt()
    {
        Assert.Equal(RecordStatus.Zero, RecordFormat.ReadHeader(new byte[RecordFormat.HeaderSize], out _));
        Assert.Equal(RecordStatus.Zero, RecordFormat.ReadHeader(new byte[10], out _));
        Assert.Equal(RecordStatus.Incomplete, RecordFormat.ReadHeader(RecordFormat.Encode(1, Payload(200, 4)).AsSpan(0, 20), out _));
    }

    [Fact]
    public void ReadHeader_NewerVersionWithValidChecksum_IsNeverTreatedAsTorn()
    {
        var record = RecordFormat.Encode(3, Payload(200, 5));
        BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(44), System.IO.Hashing.Crc32.HashToUInt32(record.AsSpan(0, 44)));

        var status = RecordFormat.ReadHeader(record, out _);

        Assert.Equal(RecordStatus.UnsupportedVersion, status);
        Assert.False(RecordFormat.CanBeTorn(status));
    }

    [Fact]
    public void ReadHeader_ReservedBytesSetWithValidChecksum_IsRejected()
    {
        var record = RecordFormat.Encode(3, Payload(200, 6));
        record[41] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(44), System.IO.Hashing.Crc32.HashToUInt32(record.AsSpan(0, 44)));

        Assert.Equal(RecordStatus.ReservedNotZero, RecordFormat.ReadHeader(record, out _));
    }

    [Fact]
    public void SnapshotHeader_RoundTrip_AndDetectsDamage()
    {
        var state = Payload(500, 7);
        var hash = Hash32.Sha256("block"u8);
        var header = new byte[SnapshotFormat.HeaderSize];
        SnapshotFormat.WriteHeader(header, 77, hash, state);

        Assert.True(SnapshotFormat.TryReadHeader(header, out var read, out _));
        Assert.Equal(new SnapshotHeader(77, hash, 500, System.IO.Hashing.XxHash128.HashToUInt128(state)), read);
        Assert.Equal("CTJS"u8.ToArray(), header[..4]);
        for (var i = 0; i < header.Length; i++)
        {
            var damaged = (byte[])header.Clone();
            damaged[i] ^= 0x10;
            Assert.False(SnapshotFormat.TryReadHeader(damaged, out _, out _), $"flip at snapshot header byte {i} went unnoticed");
        }
    }

    [Theory]
    [InlineData("journal-000000000001.seg", true, 1UL)]
    [InlineData("journal-000000123456.seg", true, 123456UL)]
    [InlineData("journal-1234567890123.seg", true, 1234567890123UL)]
    [InlineData("journal-00000000001.seg", false, 0UL)]
    [InlineData("journal-00000000000x.seg", false, 0UL)]
    [InlineData("journal-000000000001.seg.bak", false, 0UL)]
    [InlineData("snapshot-000000000001.snap", false, 0UL)]
    public void TryParse_SegmentNames_AcceptsOnlyTwelveOrMoreDigits(string name, bool ok, ulong height)
    {
        Assert.Equal(ok, SegmentNames.TryParse(name, out var parsed));
        Assert.Equal(height, parsed);
        if (ok && height < 1_000_000_000_000)
        {
            Assert.Equal(name, SegmentNames.FileName(height));
        }
    }

    [Fact]
    public void JournalCorruptException_Message_NamesFileOffsetAndReason()
    {
        var ex = new JournalCorruptException("/data/journal-000000000001.seg", 4096, "payload checksum mismatch");

        Assert.Equal("journal corrupt: /data/journal-000000000001.seg at offset 4096: payload checksum mismatch", ex.Message);
        Assert.Equal("/data/journal-000000000001.seg", ex.File);
        Assert.Equal(4096, ex.Offset);
        Assert.Equal("payload checksum mismatch", ex.Reason);
    }
}
