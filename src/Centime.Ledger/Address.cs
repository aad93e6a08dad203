using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Centime.Ledger;

/// <summary>
/// A 20-byte Ethereum-style account address. Holders are secp256k1 keys; system accounts (issuer supply,
/// escrow, pools) get addresses derived from their purpose with <see cref="Derive"/>.
/// Shown EIP-55 checksummed. Stored as three integers so equality and hashing cost a few instructions.
/// </summary>
// Pack = 4: 20 bytes, not 24 (the ulongs need no 8-byte alignment on x64/arm64), so every account and
// transfer that holds addresses is smaller.
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    /// <summary>Size in bytes.</summary>
    public const int Size = 20;

    private readonly ulong _high;   // bytes 0..7, big-endian
    private readonly ulong _middle; // bytes 8..15, big-endian
    private readonly uint _low;     // bytes 16..19, big-endian

    private Address(ulong high, ulong middle, uint low)
    {
        _high = high;
        _middle = middle;
        _low = low;
    }

    /// <summary>The all-zero address; never a valid account.</summary>
    public static Address Zero => default;

    /// <summary>True for the all-zero address.</summary>
    public bool IsZero => _high == 0 && _middle == 0 && _low == 0;

    /// <summary>Reads 20 bytes.</summary>
    public static Address FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("An address is 20 bytes.", nameof(bytes));
        }

        return new Address(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>Writes the 20 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _middle);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _low);
    }

    /// <summary>Returns the 20 bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>
    /// A deterministic address for a system purpose: the last 20 bytes of keccak256("centime:" + purpose).
    /// Nobody holds a key for it (finding one is as hard as a keccak preimage).
    /// </summary>
    public static Address Derive(string purpose)
    {
        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(Encoding.UTF8.GetBytes("centime:" + purpose), hash);
        return FromBytes(hash[12..]);
    }

    /// <summary>The address of a secp256k1 public key given as 64 bytes (X‖Y, no 0x04 prefix).</summary>
    public static Address FromPublicKey(ReadOnlySpan<byte> uncompressedXY)
    {
        if (uncompressedXY.Length != 64)
        {
            throw new ArgumentException("Expected the 64-byte X‖Y public key.", nameof(uncompressedXY));
        }

        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(uncompressedXY, hash);
        return FromBytes(hash[12..]);
    }

    /// <summary>
    /// Parses "0x" + 40 hex digits. All-lowercase or all-uppercase input is accepted as is; mixed case must
    /// carry a correct EIP-55 checksum (a wrong one usually means a typo).
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out Address address)
    {
        address = default;
        if (text is null || text.Length != 42 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[40];
        for (var i = 0; i < 40; i++)
        {
            var c = text[2 + i];
            if (c > 0x7F)
            {
                return false;
            }

            utf8[i] = (byte)c;
        }

        if (!TryParseDigits(utf8, out var parsed, out var upperLetters, out var mixedCase)
            || (mixedCase && parsed.ChecksumUpperLetters() != upperLetters))
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>
    /// Parses the 40 hex digits of an address (UTF-8, no "0x") without checking the EIP-55 checksum, so a caller
    /// that sees the same address many times (a batch of 8,189 transfers) can check it once:
    /// <paramref name="upperLetters"/> has bit i set where digit i is an upper-case letter, and when
    /// <paramref name="mixedCase"/> the text is valid only if it equals <see cref="ChecksumUpperLetters"/>
    /// (all-lower and all-upper input carries no checksum and is accepted as is).
    /// </summary>
    public static bool TryParseDigits(ReadOnlySpan<byte> digits, out Address address, out ulong upperLetters, out bool mixedCase)
    {
        address = default;
        upperLetters = 0;
        mixedCase = false;
        if (digits.Length != 40)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        var hasLower = false;
        for (var i = 0; i < 40; i++)
        {
            var c = digits[i];
            int v;
            if (c is >= (byte)'0' and <= (byte)'9')
            {
                v = c - '0';
            }
            else if (c is >= (byte)'a' and <= (byte)'f')
            {
                hasLower = true;
                v = c - 'a' + 10;
            }
            else if (c is >= (byte)'A' and <= (byte)'F')
            {
                upperLetters |= 1UL << i;
                v = c - 'A' + 10;
            }
            else
            {
                return false;
            }

            bytes[i >> 1] = (byte)((i & 1) == 0 ? v << 4 : bytes[i >> 1] | v);
        }

        address = FromBytes(bytes);
        mixedCase = hasLower && upperLetters != 0;
        return true;
    }

    /// <summary>The EIP-55 checksum as a mask: bit i set where digit i is written in upper case (one Keccak-256).</summary>
    public ulong ChecksumUpperLetters()
    {
        Span<char> expected = stackalloc char[40];
        WriteChecksummedHex(expected);
        var mask = 0UL;
        for (var i = 0; i < 40; i++)
        {
            if (expected[i] is >= 'A' and <= 'F')
            {
                mask |= 1UL << i;
            }
        }

        return mask;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>.</summary>
    public static Address Parse(string text) =>
        TryParse(text, out var address) ? address : throw new FormatException($"'{text}' is not a 0x-prefixed 20-byte address with a valid EIP-55 checksum.");

    /// <summary>EIP-55 mixed-case checksum form.</summary>
    public override string ToString()
    {
        Span<char> chars = stackalloc char[42];
        chars[0] = '0';
        chars[1] = 'x';
        WriteChecksummedHex(chars[2..]);
        return new string(chars);
    }

    /// <summary>Writes the 40 EIP-55 checksummed hex digits (no "0x").</summary>
    [SkipLocalsInit]
    private void WriteChecksummedHex(Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        Span<byte> lowerHex = stackalloc byte[40];
        const string digits = "0123456789abcdef";
        for (var i = 0; i < Size; i++)
        {
            lowerHex[2 * i] = (byte)digits[bytes[i] >> 4];
            lowerHex[(2 * i) + 1] = (byte)digits[bytes[i] & 0xF];
        }

        Span<byte> hash = stackalloc byte[32];
        Keccak256.Hash(lowerHex, hash);
        for (var i = 0; i < 40; i++)
        {
            var c = (char)lowerHex[i];
            var nibble = (i % 2 == 0) ? hash[i / 2] >> 4 : hash[i / 2] & 0xF;
            destination[i] = (c >= 'a' && nibble >= 8) ? char.ToUpperInvariant(c) : c;
        }
    }

    /// <inheritdoc/>
    public bool Equals(Address other) => _high == other._high && _middle == other._middle && _low == other._low;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Address other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_high, _middle, _low);

    /// <summary>A hash of (coin, address) for the ledger's account index, keyed by the state's secret.</summary>
    internal uint Hash(uint coin, in IndexHashKey key) => key.Hash(_high, _middle, ((ulong)_low << 32) | coin);

    /// <inheritdoc/>
    public int CompareTo(Address other)
    {
        var c = _high.CompareTo(other._high);
        if (c != 0)
        {
            return c;
        }

        c = _middle.CompareTo(other._middle);
        return c != 0 ? c : _low.CompareTo(other._low);
    }

    public static bool operator ==(Address left, Address right) => left.Equals(right);

    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    public static bool operator <(Address left, Address right) => left.CompareTo(right) < 0;

    public static bool operator >(Address left, Address right) => left.CompareTo(right) > 0;

    public static bool operator <=(Address left, Address right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Address left, Address right) => left.CompareTo(right) >= 0;
}
