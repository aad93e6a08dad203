using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using Centime.Ledger;

namespace Centime.Journal;

/// <summary>
/// A snapshot file: an 80-byte header, then the state bytes (<see cref="LedgerState.WriteSnapshot"/> output).
/// The header names the height and the hash of the block the state was taken after, so recovery uses a
/// snapshot only when the journal holds that very block (docs/journal.md).
/// </summary>
internal static class SnapshotFormat
{
    /// <summary>"CTJS" in file byte order.</summary>
    public const uint Magic = 0x534A_5443;

    public const ushort Version = 1;
    public const int HeaderSize = 80;
    public const string Prefix = "snapshot-";
    public const string Extension = ".snap";
    public const string TempExtension = ".snap.tmp";

    private const int OMagic = 0;
    private const int OVersion = 4;
    private const int OFlags = 6;
    private const int OHeight = 8;
    private const int OBlockHash = 16;
    private const int OLength = 48;
    private const int OStateHash = 56;
    private const int OReserved = 72;
    private const int OCrc = 76;

    public static string FileName(ulong height) => Prefix + height.ToString("D12", CultureInfo.InvariantCulture) + Extension;

    public static bool TryParseFileName(string fileName, out ulong height) =>
        SegmentNames.TryParseHeight(fileName, Prefix, Extension, out height);

    public static void WriteHeader(Span<byte> destination, ulong height, Hash32 blockHash, ReadOnlySpan<byte> state)
    {
        var d = destination[..HeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(d[OMagic..], Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(d[OVersion..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(d[OFlags..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(d[OHeight..], height);
        blockHash.WriteTo(d[OBlockHash..]);
        BinaryPrimitives.WriteInt64LittleEndian(d[OLength..], state.Length);
        BinaryPrimitives.WriteUInt128LittleEndian(d[OStateHash..], XxHash128.HashToUInt128(state));
        BinaryPrimitives.WriteUInt32LittleEndian(d[OReserved..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(d[OCrc..], Crc32.HashToUInt32(d[..OCrc]));
    }

    /// <summary>Reads a header; false (with a reason) if it does not verify.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> s, out SnapshotHeader header, out string? problem)
    {
        header = default;
        if (s.Length < HeaderSize)
        {
            problem = "shorter than its header";
            return false;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(s[OMagic..]) != Magic)
        {
            problem = "bad magic";
            return false;
        }

        if (Crc32.HashToUInt32(s[..OCrc]) != BinaryPrimitives.ReadUInt32LittleEndian(s[OCrc..]))
        {
            problem = "header checksum mismatch";
            return false;
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(s[OVersion..]) != Version)
        {
            problem = "unsupported snapshot format version";
            return false;
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(s[OFlags..]) != 0 || BinaryPrimitives.ReadUInt32LittleEndian(s[OReserved..]) != 0)
        {
            problem = "reserved bytes are not zero";
            return false;
        }

        var length = BinaryPrimitives.ReadInt64LittleEndian(s[OLength..]);
        if (length < 0)
        {
            problem = "negative state length";
            return false;
        }

        header = new SnapshotHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(s[OHeight..]),
            Hash32.FromBytes(s.Slice(OBlockHash, Hash32.Size)),
            length,
            BinaryPrimitives.ReadUInt128LittleEndian(s[OStateHash..]));
        problem = null;
        return true;
    }
}

internal readonly record struct SnapshotHeader(ulong Height, Hash32 BlockHash, long StateLength, UInt128 StateHash);

/// <summary>File names: <c>journal-&lt;first height, 12 digits&gt;.seg</c>, <c>snapshot-&lt;height&gt;.snap</c>.</summary>
internal static class SegmentNames
{
    public const string Prefix = "journal-";
    public const string Extension = ".seg";

    /// <summary>Held open exclusively while a <see cref="Journal"/> has the directory.</summary>
    public const string LockName = "journal.lock";

    public static string FileName(ulong firstHeight) => Prefix + firstHeight.ToString("D12", CultureInfo.InvariantCulture) + Extension;

    public static bool TryParse(string fileName, out ulong firstHeight) => TryParseHeight(fileName, Prefix, Extension, out firstHeight);

    /// <summary>Parses <paramref name="prefix"/> + at least 12 decimal digits + <paramref name="extension"/>.</summary>
    public static bool TryParseHeight(string fileName, string prefix, string extension, out ulong height)
    {
        height = 0;
        if (!fileName.StartsWith(prefix, StringComparison.Ordinal) || !fileName.EndsWith(extension, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = fileName.AsSpan(prefix.Length, fileName.Length - prefix.Length - extension.Length);
        if (digits.Length < 12 || digits.Length > 20)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out height);
    }
}
