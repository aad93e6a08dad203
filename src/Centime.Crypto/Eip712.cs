using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>EIP-712 signing digests.</summary>
public static class Eip712
{
    /// <summary>keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash): the digest a wallet signs.</summary>
    [SkipLocalsInit]
    public static Hash32 Digest(in Hash32 domainSeparator, in Hash32 structHash)
    {
        Span<byte> buffer = stackalloc byte[66];
        buffer[0] = 0x19;
        buffer[1] = 0x01;
        domainSeparator.WriteTo(buffer[2..]);
        structHash.WriteTo(buffer[34..]);
        return KeccakHash(buffer);
    }

    internal static Hash32 KeccakHash(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        Keccak256.Hash(data, h);
        return Hash32.FromBytes(h);
    }

    internal static Hash32 KeccakHash(string text) => KeccakHash(Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// An EIP-712 domain. Only the fields that are present take part in the <c>EIP712Domain</c> type, in the
/// spec's order: name, version, chainId, verifyingContract, salt. The separator is computed once and cached.
/// </summary>
public sealed record Eip712Domain(string? Name, string? Version, BigInteger? ChainId, Address? VerifyingContract, Hash32? Salt)
{
    private StrongBox<Hash32>? _separator;

    // `with` must not carry the cached separator over to a changed domain.
    private Eip712Domain(Eip712Domain original)
    {
        Name = original.Name;
        Version = original.Version;
        ChainId = original.ChainId;
        VerifyingContract = original.VerifyingContract;
        Salt = original.Salt;
    }

    /// <summary>The <c>EIP712Domain(...)</c> type string for the fields present.</summary>
    public string EncodeType()
    {
        var sb = new StringBuilder("EIP712Domain(");
        var first = true;
        foreach (var (name, type) in Members())
        {
            if (!first)
            {
                sb.Append(',');
            }

            sb.Append(type).Append(' ').Append(name);
            first = false;
        }

        return sb.Append(')').ToString();
    }

    /// <summary>hashStruct(EIP712Domain, this): the domain separator.</summary>
    public Hash32 Separator()
    {
        var cached = Volatile.Read(ref _separator);
        if (cached is not null)
        {
            return cached.Value;
        }

        var members = Members();
        var buffer = new byte[32 * (1 + members.Count)];
        Eip712.KeccakHash(EncodeType()).WriteTo(buffer);
        var offset = 32;
        if (Name is not null)
        {
            Eip712.KeccakHash(Name).WriteTo(buffer.AsSpan(offset));
            offset += 32;
        }

        if (Version is not null)
        {
            Eip712.KeccakHash(Version).WriteTo(buffer.AsSpan(offset));
            offset += 32;
        }

        if (ChainId is { } chainId)
        {
            Uint256.Write(chainId, buffer.AsSpan(offset, 32), nameof(ChainId));
            offset += 32;
        }

        if (VerifyingContract is { } contract)
        {
            contract.WriteTo(buffer.AsSpan(offset + 12, 20));
            offset += 32;
        }

        if (Salt is { } salt)
        {
            salt.WriteTo(buffer.AsSpan(offset, 32));
        }

        var separator = Eip712.KeccakHash(buffer);
        Volatile.Write(ref _separator, new StrongBox<Hash32>(separator));
        return separator;
    }

    /// <inheritdoc/>
    public bool Equals(Eip712Domain? other) =>
        other is not null && Name == other.Name && Version == other.Version && Nullable.Equals(ChainId, other.ChainId) &&
        Nullable.Equals(VerifyingContract, other.VerifyingContract) && Nullable.Equals(Salt, other.Salt);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Version, ChainId, VerifyingContract, Salt);

    internal List<(string Name, string Type)> Members()
    {
        var list = new List<(string, string)>(5);
        if (Name is not null)
        {
            list.Add(("name", "string"));
        }

        if (Version is not null)
        {
            list.Add(("version", "string"));
        }

        if (ChainId is not null)
        {
            list.Add(("chainId", "uint256"));
        }

        if (VerifyingContract is not null)
        {
            list.Add(("verifyingContract", "address"));
        }

        if (Salt is not null)
        {
            list.Add(("salt", "bytes32"));
        }

        return list;
    }

    /// <summary>Writes the domain object of eth_signTypedData_v4 (chainId as a decimal string).</summary>
    internal void WriteDomainObject(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (Name is not null)
        {
            w.WriteString("name", Name);
        }

        if (Version is not null)
        {
            w.WriteString("version", Version);
        }

        if (ChainId is { } chainId)
        {
            // A JSON number when it fits a JS safe integer (what wallets show), else a decimal string.
            if (chainId >= 0 && chainId <= 9007199254740991)
            {
                w.WriteNumber("chainId", (long)chainId);
            }
            else
            {
                w.WriteString("chainId", chainId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (VerifyingContract is { } contract)
        {
            w.WriteString("verifyingContract", contract.ToString());
        }

        if (Salt is { } salt)
        {
            w.WriteString("salt", salt.ToString());
        }

        w.WriteEndObject();
    }

    /// <summary>Writes the <c>EIP712Domain</c> member list.</summary>
    internal void WriteDomainType(Utf8JsonWriter w)
    {
        w.WriteStartArray("EIP712Domain");
        foreach (var (name, type) in Members())
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("type", type);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}

/// <summary>uint256 / int256 words.</summary>
internal static class Uint256
{
    internal static readonly BigInteger TwoTo256 = BigInteger.One << 256;

    /// <summary>Writes 0 ≤ value &lt; 2^256 as a 32-byte big-endian word, else throws <see cref="ArgumentOutOfRangeException"/>.</summary>
    public static void Write(BigInteger value, Span<byte> destination32, string paramName)
    {
        if (value.Sign < 0 || value >= TwoTo256)
        {
            throw new ArgumentOutOfRangeException(paramName, value, "A uint256 is between 0 and 2^256 - 1.");
        }

        WriteUnchecked(value, destination32);
    }

    /// <summary>Writes a value already known to be in [0, 2^256).</summary>
    public static void WriteUnchecked(BigInteger value, Span<byte> destination32)
    {
        destination32[..32].Clear();
        var length = value.GetByteCount(isUnsigned: true);
        if (!value.TryWriteBytes(destination32.Slice(32 - length, length), out _, isUnsigned: true, isBigEndian: true))
        {
            throw new InvalidOperationException("uint256 word did not fit");
        }
    }
}
