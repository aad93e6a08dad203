using System.Buffers.Binary;
using System.Text;
using Centime.Crypto;
using Centime.Ledger;

namespace Centime.Contracts;

/// <summary>
/// EIP-712 signatures of contract events: <c>ContractEvent(bytes32 contract,string action,uint256 amount,bytes32 nonce)</c>
/// under the domain <c>{name: "Centime Contracts", version: "1"}</c>. The contract id is a 128-bit integer written
/// big-endian into the low 16 bytes of <c>contract</c>. The node recovers the signer before the sequencer and
/// journals it; the module checks it is the designated party.
/// </summary>
public static class ContractEventSignature
{
    /// <summary>The EIP-712 type string.</summary>
    public const string Type = "ContractEvent(bytes32 contract,string action,uint256 amount,bytes32 nonce)";

    /// <summary>The domain: name "Centime Contracts", version "1".</summary>
    public static readonly Eip712Domain Domain = new("Centime Contracts", "1", null, null, null);

    private static readonly Hash32 TypeHash = Keccak(Encoding.UTF8.GetBytes(Type));

    /// <summary>The digest a party signs for an event.</summary>
    public static Hash32 Digest(UInt128 contract, ContractAction action, UInt128 amount, Hash32 nonce)
    {
        var buffer = new byte[32 * 5];
        TypeHash.WriteTo(buffer);
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(32 + 16), contract);
        Keccak(Encoding.UTF8.GetBytes(ContractNames.Of(action))).WriteTo(buffer.AsSpan(64));
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(96 + 16), amount);
        nonce.WriteTo(buffer.AsSpan(128));
        return Eip712.Digest(Domain.Separator(), Keccak(buffer));
    }

    /// <summary>The EIP-712 type a payer signs to fund a contract document themselves.</summary>
    public const string FundingType = "ContractFunding(bytes32 contract,bytes32 document)";

    private static readonly Hash32 FundingTypeHash = Keccak(Encoding.UTF8.GetBytes(FundingType));

    /// <summary>The digest a payer signs to fund a contract: the id, and keccak256 of the exact document bytes.</summary>
    public static Hash32 FundingDigest(UInt128 contract, ReadOnlySpan<byte> document)
    {
        var buffer = new byte[32 * 3];
        FundingTypeHash.WriteTo(buffer);
        BinaryPrimitives.WriteUInt128BigEndian(buffer.AsSpan(32 + 16), contract);
        Keccak(document).WriteTo(buffer.AsSpan(64));
        return Eip712.Digest(Domain.Separator(), Keccak(buffer));
    }

    /// <summary>Signs a contract document as its payer (wallets and tests).</summary>
    public static Signature SignFunding(ReadOnlySpan<byte> privateKey, UInt128 contract, ReadOnlySpan<byte> document) =>
        Secp256k1.Default.Sign(privateKey, FundingDigest(contract, document));

    /// <summary>Signs an event (wallets and tests).</summary>
    public static Signature Sign(ReadOnlySpan<byte> privateKey, UInt128 contract, ContractAction action, UInt128 amount, Hash32 nonce) =>
        Secp256k1.Default.Sign(privateKey, Digest(contract, action, amount, nonce));

    /// <summary>Recovers the signer of an event; false for a malformed or high-s signature.</summary>
    public static bool TryRecover(UInt128 contract, ContractAction action, UInt128 amount, Hash32 nonce, in Signature signature, out Address signer) =>
        Secp256k1.Default.TryRecover(Digest(contract, action, amount, nonce), signature, out signer);

    private static Hash32 Keccak(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        Keccak256.Hash(data, h);
        return Hash32.FromBytes(h);
    }
}

/// <summary>
/// EIP-712 attestations of oracles: <c>OracleFact(string key,string value,uint256 observedAt,bytes32 nonce)</c> under
/// the domain <c>{name: "Centime Contracts", version: "1", chainId: the node's network id}</c> — the chain id keeps an
/// attestation made for one network from firing contracts on another. The node recovers the oracle before the
/// sequencer and journals it (<see cref="OracleFact"/>).
/// </summary>
public static class OracleFactSignature
{
    /// <summary>The EIP-712 type string.</summary>
    public const string Type = "OracleFact(string key,string value,uint256 observedAt,bytes32 nonce)";

    private static readonly Hash32 TypeHash = Keccak(Encoding.UTF8.GetBytes(Type));

    /// <summary>The domain for a network.</summary>
    public static Eip712Domain Domain(ulong chainId) => new("Centime Contracts", "1", chainId, null, null);

    /// <summary>The digest an oracle signs.</summary>
    public static Hash32 Digest(ulong chainId, string key, string value, ulong observedAt, Hash32 nonce)
    {
        var buffer = new byte[32 * 5];
        TypeHash.WriteTo(buffer);
        Keccak(Encoding.UTF8.GetBytes(key)).WriteTo(buffer.AsSpan(32));
        Keccak(Encoding.UTF8.GetBytes(value)).WriteTo(buffer.AsSpan(64));
        BinaryPrimitives.WriteUInt64BigEndian(buffer.AsSpan(96 + 24), observedAt);
        nonce.WriteTo(buffer.AsSpan(128));
        return Eip712.Digest(Separator(chainId), Keccak(buffer));
    }

    private sealed record CachedSeparator(ulong ChainId, Hash32 Value);

    private static CachedSeparator? _separator;

    // A node has one chain id: the separator is computed once, not per attestation.
    private static Hash32 Separator(ulong chainId)
    {
        var cached = Volatile.Read(ref _separator);
        if (cached is null || cached.ChainId != chainId)
        {
            cached = new CachedSeparator(chainId, Domain(chainId).Separator());
            Volatile.Write(ref _separator, cached);
        }

        return cached.Value;
    }

    /// <summary>Signs an attestation (oracles and tests).</summary>
    public static Signature Sign(ReadOnlySpan<byte> privateKey, ulong chainId, string key, string value, ulong observedAt, Hash32 nonce) =>
        Secp256k1.Default.Sign(privateKey, Digest(chainId, key, value, observedAt, nonce));

    /// <summary>Recovers the oracle; false for a malformed or high-s signature.</summary>
    public static bool TryRecover(ulong chainId, string key, string value, ulong observedAt, Hash32 nonce, in Signature signature, out Address oracle) =>
        Secp256k1.Default.TryRecover(Digest(chainId, key, value, observedAt, nonce), signature, out oracle);

    private static Hash32 Keccak(ReadOnlySpan<byte> data)
    {
        Span<byte> h = stackalloc byte[32];
        Keccak256.Hash(data, h);
        return Hash32.FromBytes(h);
    }
}
