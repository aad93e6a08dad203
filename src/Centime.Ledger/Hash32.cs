using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Centime.Ledger;

/// <summary>A 32-byte hash value (SHA-256 for blocks and Merkle trees).</summary>
public readonly struct Hash32 : IEquatable<Hash32>
{
    public const int Size = 32;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    private Hash32(ulong a, ulong b, ulong c, ulong d)
    {
        _a = a;
        _b = b;
        _c = c;
        _d = d;
    }

    public static Hash32 Zero => default;

    public bool IsZero => (_a | _b | _c | _d) == 0;

    public static Hash32 FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("A hash is 32 bytes.", nameof(bytes));
        }

        return new Hash32(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]));
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public byte[] ToBytes()
    {
        var b = new byte[Size];
        WriteTo(b);
        return b;
    }

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static Hash32 Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[Size];
        System.Security.Cryptography.SHA256.HashData(data, h);
        return FromBytes(h);
    }

    /// <summary>0x-prefixed lowercase hex.</summary>
    public override string ToString() => "0x" + Convert.ToHexStringLower(ToBytes());

    public static bool TryParse([NotNullWhen(true)] string? text, out Hash32 hash)
    {
        hash = default;
        if (text is null || text.Length != 66 || !text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        try
        {
            hash = FromBytes(Convert.FromHexString(text.AsSpan(2)));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static Hash32 Parse(string text) => TryParse(text, out var h) ? h : throw new FormatException($"'{text}' is not a 0x-prefixed 32-byte hex hash.");

    public bool Equals(Hash32 other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is Hash32 h && Equals(h);

    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    public static bool operator ==(Hash32 left, Hash32 right) => left.Equals(right);

    public static bool operator !=(Hash32 left, Hash32 right) => !left.Equals(right);
}
