using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using Centime.Ledger;

namespace Centime.Journal;

/// <summary>
/// On-disk layout of one journal record (docs/journal.md): a 48-byte header, the payload (one block's
/// encoding from <see cref="Block.Seal"/>), then a 24-byte trailer. Little-endian, versioned, reserved bytes
/// zero. The header carries the payload's XxHash128 and its own CRC32; the trailer repeats the height, the
/// length and the header's CRC under a CRC32 of its own, so a record counts only once its last bytes are on
/// disk (DESIGN.md §3: the commit marker comes after the payload).
/// </summary>
internal static class RecordFormat
{
    /// <summary>"CTJR" in file byte order.</summary>
    public const uint HeaderMagic = 0x524A_5443;

    /// <summary>"CTJC" in file byte order: the commit marker.</summary>
    public const uint TrailerMagic = 0x434A_5443;

    public const ushort Version = 1;
    public const int HeaderSize = 48;
    public const int TrailerSize = 24;
    public const int Overhead = HeaderSize + TrailerSize;

    /// <summary>A block encoding is at least its 128-byte header.</summary>
    public const int MinPayload = BlockHeader.EncodedSize;

    /// <summary>Sanity bound on a payload: a full block of 8,189 transfers is about 1.1 MiB; other command
    /// kinds are larger but not by this much. A longer length field is corruption, not a real record.</summary>
    public const int MaxPayload = 64 << 20;

    // Header field offsets.
    private const int HMagic = 0;
    private const int HVersion = 4;
    private const int HFlags = 6;
    private const int HLength = 8;
    private const int HReserved1 = 12;
    private const int HHeight = 16;
    private const int HPayloadHash = 24;
    private const int HReserved2 = 40;
    private const int HCrc = 44;

    // Trailer field offsets.
    private const int TMagic = 0;
    private const int TLength = 4;
    private const int THeight = 8;
    private const int THeaderCrc = 16;
    private const int TCrc = 20;

    public static long RecordSize(int payloadLength) => Overhead + (long)payloadLength;

    /// <summary>Writes the header for <paramref name="payload"/> and returns the header's CRC (the trailer needs it).</summary>
    public static uint WriteHeader(Span<byte> destination, ulong height, ReadOnlySpan<byte> payload) =>
        WriteHeader(destination, height, payload.Length, XxHash128.HashToUInt128(payload));

    public static uint WriteHeader(Span<byte> destination, ulong height, int payloadLength, UInt128 payloadHash)
    {
        var d = destination[..HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(d[HMagic..], HeaderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(d[HVersion..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(d[HFlags..], 0);
        BinaryPrimitives.WriteInt32LittleEndian(d[HLength..], payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(d[HReserved1..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(d[HHeight..], height);
        BinaryPrimitives.WriteUInt128LittleEndian(d[HPayloadHash..], payloadHash);
        BinaryPrimitives.WriteUInt32LittleEndian(d[HReserved2..], 0);
        var crc = Crc32.HashToUInt32(d[..HCrc]);
        BinaryPrimitives.WriteUInt32LittleEndian(d[HCrc..], crc);
        return crc;
    }

    public static void WriteTrailer(Span<byte> destination, ulong height, int payloadLength, uint headerCrc)
    {
        var d = destination[..TrailerSize];
        BinaryPrimitives.WriteUInt32LittleEndian(d[TMagic..], TrailerMagic);
        BinaryPrimitives.WriteInt32LittleEndian(d[TLength..], payloadLength);
        BinaryPrimitives.WriteUInt64LittleEndian(d[THeight..], height);
        BinaryPrimitives.WriteUInt32LittleEndian(d[THeaderCrc..], headerCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(d[TCrc..], Crc32.HashToUInt32(d[..TCrc]));
    }

    /// <summary>Encodes a whole record into a new array (tests and tools; the writer streams instead).</summary>
    public static byte[] Encode(ulong height, ReadOnlySpan<byte> payload)
    {
        var record = new byte[RecordSize(payload.Length)];
        var crc = WriteHeader(record, height, payload);
        payload.CopyTo(record.AsSpan(HeaderSize));
        WriteTrailer(record.AsSpan(HeaderSize + payload.Length), height, payload.Length, crc);
        return record;
    }

    /// <summary>Reads and checks a record header (not the payload).</summary>
    public static RecordStatus ReadHeader(ReadOnlySpan<byte> source, out RecordHeader header)
    {
        header = default;
        if (source.Length < HeaderSize)
        {
            return source.IndexOfAnyExcept((byte)0) < 0 ? RecordStatus.Zero : RecordStatus.Incomplete;
        }

        var s = source[..HeaderSize];
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(s[HMagic..]);
        if (magic != HeaderMagic)
        {
            return s.IndexOfAnyExcept((byte)0) < 0 ? RecordStatus.Zero : RecordStatus.BadMagic;
        }

        var crc = BinaryPrimitives.ReadUInt32LittleEndian(s[HCrc..]);
        if (Crc32.HashToUInt32(s[..HCrc]) != crc)
        {
            return RecordStatus.BadHeaderChecksum;
        }

        // From here the header is exactly what a writer wrote: anything odd is a real record we must not
        // misread (a newer format, or a bug), never a torn write.
        if (BinaryPrimitives.ReadUInt16LittleEndian(s[HVersion..]) != Version)
        {
            return RecordStatus.UnsupportedVersion;
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(s[HFlags..]) != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(s[HReserved1..]) != 0
            || BinaryPrimitives.ReadUInt32LittleEndian(s[HReserved2..]) != 0)
        {
            return RecordStatus.ReservedNotZero;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(s[HLength..]);
        if (length is < MinPayload or > MaxPayload)
        {
            return RecordStatus.BadLength;
        }

        header = new RecordHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(s[HHeight..]),
            length,
            BinaryPrimitives.ReadUInt128LittleEndian(s[HPayloadHash..]),
            crc);
        return RecordStatus.Valid;
    }

    /// <summary>Checks the payload and trailer of a record whose header verified. <paramref name="rest"/> is
    /// the payload followed by the trailer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static RecordStatus VerifyBody(ReadOnlySpan<byte> rest, in RecordHeader header)
    {
        var payload = rest[..header.PayloadLength];
        if (XxHash128.HashToUInt128(payload) != header.PayloadHash)
        {
            return RecordStatus.BadPayloadChecksum;
        }

        return VerifyTrailer(rest.Slice(header.PayloadLength, TrailerSize), header) ? RecordStatus.Valid : RecordStatus.BadTrailer;
    }

    public static bool VerifyTrailer(ReadOnlySpan<byte> t, in RecordHeader header) =>
        BinaryPrimitives.ReadUInt32LittleEndian(t[TMagic..]) == TrailerMagic
        && BinaryPrimitives.ReadInt32LittleEndian(t[TLength..]) == header.PayloadLength
        && BinaryPrimitives.ReadUInt64LittleEndian(t[THeight..]) == header.Height
        && BinaryPrimitives.ReadUInt32LittleEndian(t[THeaderCrc..]) == header.Crc
        && Crc32.HashToUInt32(t[..TCrc]) == BinaryPrimitives.ReadUInt32LittleEndian(t[TCrc..]);

    /// <summary>
    /// Reads a trailer on its own, with no header to check it against: its magic, its own CRC and a plausible
    /// length. Recovery uses it to learn whether a record whose header is damaged was written in full.
    /// </summary>
    public static bool TryReadTrailer(ReadOnlySpan<byte> t, out ulong height, out int payloadLength)
    {
        height = 0;
        payloadLength = 0;
        if (t.Length < TrailerSize
            || BinaryPrimitives.ReadUInt32LittleEndian(t[TMagic..]) != TrailerMagic
            || Crc32.HashToUInt32(t[..TCrc]) != BinaryPrimitives.ReadUInt32LittleEndian(t[TCrc..]))
        {
            return false;
        }

        payloadLength = BinaryPrimitives.ReadInt32LittleEndian(t[TLength..]);
        height = BinaryPrimitives.ReadUInt64LittleEndian(t[THeight..]);
        return payloadLength is >= MinPayload and <= MaxPayload;
    }

    /// <summary>
    /// Whether the trailer bytes <paramref name="actual"/> of a record whose header and payload verify can be a
    /// write cut short: all zero (never written), or the expected trailer up to some point and zeros after it
    /// (zero-filled space the write did not reach) with at least two expected nonzero bytes missing. A single
    /// damaged byte changes exactly one byte, so it never passes: a trailer that differs in one byte is
    /// corruption, even where that byte was the only one left to write (that one case is refused, never guessed).
    /// </summary>
    public static bool IsUnwrittenTrailer(ReadOnlySpan<byte> actual, in RecordHeader header)
    {
        Span<byte> expected = stackalloc byte[TrailerSize];
        WriteTrailer(expected, header.Height, header.PayloadLength, header.Crc);
        var t = actual[..TrailerSize];
        if (t.IndexOfAnyExcept((byte)0) < 0)
        {
            return true;
        }

        var firstDifference = t.CommonPrefixLength(expected);
        if (firstDifference == TrailerSize || t[firstDifference..].IndexOfAnyExcept((byte)0) >= 0)
        {
            return false;
        }

        var missing = expected[firstDifference..].Length - expected[firstDifference..].Count((byte)0);
        return missing >= 2;
    }

    /// <summary>Words for a status, for corruption messages.</summary>
    public static string Describe(RecordStatus status) => status switch
    {
        RecordStatus.Zero => "zero bytes where a record header was expected",
        RecordStatus.Incomplete => "record cut short by the end of the file",
        RecordStatus.BadMagic => "bad record magic",
        RecordStatus.BadHeaderChecksum => "record header checksum mismatch",
        RecordStatus.UnsupportedVersion => "unsupported record format version",
        RecordStatus.ReservedNotZero => "reserved bytes of the record header are not zero",
        RecordStatus.BadLength => "record payload length out of range",
        RecordStatus.BadPayloadChecksum => "payload checksum mismatch",
        RecordStatus.BadTrailer => "commit marker (trailer) missing or corrupt",
        _ => status.ToString(),
    };

    /// <summary>True for statuses a crash in the middle of a write can produce. The others come from a header
    /// whose checksum verified, so the bytes are what a writer meant, and reading on would be guessing.</summary>
    public static bool CanBeTorn(RecordStatus status) => status is RecordStatus.Zero or RecordStatus.Incomplete
        or RecordStatus.BadMagic or RecordStatus.BadHeaderChecksum or RecordStatus.BadPayloadChecksum or RecordStatus.BadTrailer;
}

/// <summary>Verified fields of a record header.</summary>
internal readonly record struct RecordHeader(ulong Height, int PayloadLength, UInt128 PayloadHash, uint Crc)
{
    public long RecordSize => RecordFormat.RecordSize(PayloadLength);
}

internal enum RecordStatus
{
    Valid,
    Zero,
    Incomplete,
    BadMagic,
    BadHeaderChecksum,
    UnsupportedVersion,
    ReservedNotZero,
    BadLength,
    BadPayloadChecksum,
    BadTrailer,
}
