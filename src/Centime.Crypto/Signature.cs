using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>
/// A recoverable secp256k1 ECDSA signature as Ethereum puts it on the wire: r ‖ s ‖ v, 65 bytes,
/// with <see cref="V"/> = 27 + recovery id (27 or 28).
/// </summary>
public readonly record struct Signature(Hash32 R, Hash32 S, byte V)
{
    /// <summary>Size on the wire in bytes.</summary>
    public const int Size = 65;

    /// <summary>True when s ≤ n/2 (EIP-2). Only low-s signatures are accepted by <see cref="ISecp256k1Backend.TryRecover"/>.</summary>
    public bool IsLowS
    {
        get
        {
            Span<byte> s = stackalloc byte[32];
            S.WriteTo(s);
            return CurveOrder.CompareBigEndian(s, CurveOrder.HalfN) <= 0;
        }
    }

    /// <summary>The recovery id (0 or 1) for V 27/28; -1 for any other V.</summary>
    public int RecoveryId => V is 27 or 28 ? V - 27 : -1;

    /// <summary>
    /// Parses "0x" + 130 hex digits (r ‖ s ‖ v). V 0/1 is accepted and normalised to 27/28; any other V
    /// except 27/28 is rejected.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? hex, out Signature sig)
    {
        sig = default;
        if (hex is null || hex.Length != 2 + (2 * Size) || hex[0] != '0' || (hex[1] != 'x' && hex[1] != 'X'))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        if (!Hex.TryDecode(hex.AsSpan(2), bytes))
        {
            return false;
        }

        var v = bytes[64];
        if (v is not (0 or 1 or 27 or 28))
        {
            return false;
        }

        sig = FromBytes(bytes);
        return true;
    }

    /// <summary>Parses or throws <see cref="FormatException"/>.</summary>
    public static Signature Parse(string hex) =>
        TryParse(hex, out var sig) ? sig : throw new FormatException("A signature is 0x followed by 130 hex digits (r ‖ s ‖ v, v 27/28 or 0/1).");

    /// <summary>0x-prefixed lowercase hex of the 65 bytes.</summary>
    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return "0x" + Convert.ToHexStringLower(bytes);
    }

    /// <inheritdoc/>
    public override string ToString() => ToHex();

    /// <summary>Writes r ‖ s ‖ v (65 bytes).</summary>
    public void CopyTo(Span<byte> destination65)
    {
        if (destination65.Length < Size)
        {
            throw new ArgumentException("The destination must hold 65 bytes.", nameof(destination65));
        }

        R.WriteTo(destination65);
        S.WriteTo(destination65[32..]);
        destination65[64] = V;
    }

    /// <summary>Returns r ‖ s ‖ v.</summary>
    public byte[] ToBytes()
    {
        var b = new byte[Size];
        CopyTo(b);
        return b;
    }

    /// <summary>Reads r ‖ s ‖ v; V 0/1 becomes 27/28, other values are kept (and rejected by recovery).</summary>
    public static Signature FromBytes(ReadOnlySpan<byte> rsv65)
    {
        if (rsv65.Length != Size)
        {
            throw new ArgumentException("A signature is 65 bytes (r ‖ s ‖ v).", nameof(rsv65));
        }

        var v = rsv65[64];
        if (v is 0 or 1)
        {
            v = (byte)(v + 27);
        }

        return new Signature(Hash32.FromBytes(rsv65[..32]), Hash32.FromBytes(rsv65[32..64]), v);
    }
}

/// <summary>The secp256k1 group order n and helpers for comparing 32-byte big-endian scalars.</summary>
internal static class CurveOrder
{
    /// <summary>n, big-endian.</summary>
    public static ReadOnlySpan<byte> N =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ];

    /// <summary>floor(n / 2), big-endian.</summary>
    public static ReadOnlySpan<byte> HalfN =>
    [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ];

    /// <summary>Compares two 32-byte big-endian integers (not constant time: used on public values only).</summary>
    public static int CompareBigEndian(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        for (var i = 0; i < 32; i += 8)
        {
            var x = BinaryPrimitives.ReadUInt64BigEndian(a[i..]);
            var y = BinaryPrimitives.ReadUInt64BigEndian(b[i..]);
            if (x != y)
            {
                return x < y ? -1 : 1;
            }
        }

        return 0;
    }

    /// <summary>True when 0 &lt; x &lt; n.</summary>
    public static bool IsValidScalar(ReadOnlySpan<byte> x)
    {
        if (x.Length != 32)
        {
            return false;
        }

        var nonZero = false;
        for (var i = 0; i < 32; i++)
        {
            nonZero |= x[i] != 0;
        }

        return nonZero && CompareBigEndian(x, N) < 0;
    }
}

/// <summary>Lowercase hex without allocations where it matters.</summary>
internal static class Hex
{
    public static bool TryDecode(ReadOnlySpan<char> hex, Span<byte> destination)
    {
        if (hex.Length != 2 * destination.Length)
        {
            return false;
        }

        for (var i = 0; i < destination.Length; i++)
        {
            var hi = Nibble(hex[2 * i]);
            var lo = Nibble(hex[(2 * i) + 1]);
            if ((hi | lo) < 0)
            {
                return false;
            }

            destination[i] = (byte)((hi << 4) | lo);
        }

        return true;
    }

    /// <summary>Decodes "0x…" (even length) or throws <see cref="FormatException"/> with <paramref name="what"/> in the message.</summary>
    public static byte[] Decode0x(string text, string what)
    {
        if (text.Length < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') || (text.Length % 2) != 0)
        {
            throw new FormatException($"{what}: expected 0x-prefixed hex with an even number of digits, got '{Truncate(text)}'.");
        }

        var bytes = new byte[(text.Length - 2) / 2];
        if (!TryDecode(text.AsSpan(2), bytes))
        {
            throw new FormatException($"{what}: '{Truncate(text)}' is not valid hex.");
        }

        return bytes;
    }

    public static string Truncate(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 77), "...");

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
