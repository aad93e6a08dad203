using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Centime.Ledger;

namespace Centime.Crypto;

/// <summary>
/// Struct hashes (not digests: combine with <see cref="Eip712.Digest"/> and the coin's domain separator) of the
/// holder-signed coin messages — EIP-3009 transfer/receive/cancel, EIP-2612 permit and Centime's TransferFrom —
/// and their eth_signTypedData_v4 JSON, so wallets (ethers, MetaMask) sign exactly the same bytes.
/// uint256 fields are <see cref="BigInteger"/>s in [0, 2^256); anything else throws <see cref="ArgumentOutOfRangeException"/>.
/// </summary>
public static class Eip3009
{
    public const string TransferWithAuthorizationType = "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";
    public const string ReceiveWithAuthorizationType = "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)";
    public const string CancelAuthorizationType = "CancelAuthorization(address authorizer,bytes32 nonce)";
    public const string PermitType = "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)";
    public const string TransferFromType = "TransferFrom(address spender,address from,address to,uint256 value,bytes32 nonce,uint256 validBefore)";

    /// <summary>keccak256 of <see cref="TransferWithAuthorizationType"/> (0x7c7c6cdb…).</summary>
    public static readonly Hash32 TransferWithAuthorizationTypeHash = Eip712.KeccakHash(TransferWithAuthorizationType);

    /// <summary>keccak256 of <see cref="ReceiveWithAuthorizationType"/> (0xd099cc98…).</summary>
    public static readonly Hash32 ReceiveWithAuthorizationTypeHash = Eip712.KeccakHash(ReceiveWithAuthorizationType);

    /// <summary>keccak256 of <see cref="CancelAuthorizationType"/> (0x158b0a9e…).</summary>
    public static readonly Hash32 CancelAuthorizationTypeHash = Eip712.KeccakHash(CancelAuthorizationType);

    /// <summary>keccak256 of <see cref="PermitType"/> (0x6e71edae…).</summary>
    public static readonly Hash32 PermitTypeHash = Eip712.KeccakHash(PermitType);

    /// <summary>Centime's co-signature of a receiveWithAuthorization by its payee: there is no msg.sender over
    /// HTTP, so the payee signs this over the authorization's EIP-712 digest.</summary>
    public const string ReceiveSubmissionType = "ReceiveSubmission(bytes32 authorization)";

    /// <summary>keccak256 of <see cref="ReceiveSubmissionType"/>.</summary>
    public static readonly Hash32 ReceiveSubmissionTypeHash = Eip712.KeccakHash(ReceiveSubmissionType);

    /// <summary>keccak256 of <see cref="TransferFromType"/>.</summary>
    public static readonly Hash32 TransferFromTypeHash = Eip712.KeccakHash(TransferFromType);

    public static Hash32 TransferWithAuthorization(Address from, Address to, BigInteger value, BigInteger validAfter, BigInteger validBefore, Hash32 nonce) =>
        Authorization(TransferWithAuthorizationTypeHash, from, to, value, validAfter, validBefore, nonce);

    public static Hash32 ReceiveWithAuthorization(Address from, Address to, BigInteger value, BigInteger validAfter, BigInteger validBefore, Hash32 nonce) =>
        Authorization(ReceiveWithAuthorizationTypeHash, from, to, value, validAfter, validBefore, nonce);

    /// <summary>Struct hash of <see cref="ReceiveSubmissionType"/> for the digest of a receive authorization.</summary>
    [SkipLocalsInit]
    public static Hash32 ReceiveSubmission(in Hash32 authorizationDigest)
    {
        Span<byte> b = stackalloc byte[64];
        ReceiveSubmissionTypeHash.WriteTo(b);
        authorizationDigest.WriteTo(b[32..]);
        return Eip712.KeccakHash(b);
    }

    [SkipLocalsInit]
    public static Hash32 CancelAuthorization(Address authorizer, Hash32 nonce)
    {
        Span<byte> b = stackalloc byte[96];
        CancelAuthorizationTypeHash.WriteTo(b);
        WriteAddress(authorizer, b[32..]);
        nonce.WriteTo(b[64..]);
        return Eip712.KeccakHash(b);
    }

    [SkipLocalsInit]
    public static Hash32 Permit(Address owner, Address spender, BigInteger value, BigInteger nonce, BigInteger deadline)
    {
        Span<byte> b = stackalloc byte[192];
        PermitTypeHash.WriteTo(b);
        WriteAddress(owner, b[32..]);
        WriteAddress(spender, b[64..]);
        Uint256.Write(value, b.Slice(96, 32), nameof(value));
        Uint256.Write(nonce, b.Slice(128, 32), nameof(nonce));
        Uint256.Write(deadline, b.Slice(160, 32), nameof(deadline));
        return Eip712.KeccakHash(b);
    }

    [SkipLocalsInit]
    public static Hash32 TransferFrom(Address spender, Address from, Address to, BigInteger value, Hash32 nonce, BigInteger validBefore)
    {
        Span<byte> b = stackalloc byte[224];
        TransferFromTypeHash.WriteTo(b);
        WriteAddress(spender, b[32..]);
        WriteAddress(from, b[64..]);
        WriteAddress(to, b[96..]);
        Uint256.Write(value, b.Slice(128, 32), nameof(value));
        nonce.WriteTo(b[160..]);
        Uint256.Write(validBefore, b.Slice(192, 32), nameof(validBefore));
        return Eip712.KeccakHash(b);
    }

    /// <summary>eth_signTypedData_v4 JSON of a TransferWithAuthorization.</summary>
    public static string TransferWithAuthorizationJson(Eip712Domain domain, Address from, Address to, BigInteger value, BigInteger validAfter, BigInteger validBefore, Hash32 nonce)
    {
        _ = TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce); // range checks
        return Json(domain, TransferWithAuthorizationType, [("from", from.ToString()), ("to", to.ToString()), ("value", value), ("validAfter", validAfter), ("validBefore", validBefore), ("nonce", nonce.ToString())]);
    }

    /// <summary>eth_signTypedData_v4 JSON of a ReceiveWithAuthorization.</summary>
    public static string ReceiveWithAuthorizationJson(Eip712Domain domain, Address from, Address to, BigInteger value, BigInteger validAfter, BigInteger validBefore, Hash32 nonce)
    {
        _ = ReceiveWithAuthorization(from, to, value, validAfter, validBefore, nonce);
        return Json(domain, ReceiveWithAuthorizationType, [("from", from.ToString()), ("to", to.ToString()), ("value", value), ("validAfter", validAfter), ("validBefore", validBefore), ("nonce", nonce.ToString())]);
    }

    /// <summary>eth_signTypedData_v4 JSON of a CancelAuthorization.</summary>
    public static string CancelAuthorizationJson(Eip712Domain domain, Address authorizer, Hash32 nonce) =>
        Json(domain, CancelAuthorizationType, [("authorizer", authorizer.ToString()), ("nonce", nonce.ToString())]);

    /// <summary>eth_signTypedData_v4 JSON of an EIP-2612 Permit.</summary>
    public static string PermitJson(Eip712Domain domain, Address owner, Address spender, BigInteger value, BigInteger nonce, BigInteger deadline)
    {
        _ = Permit(owner, spender, value, nonce, deadline);
        return Json(domain, PermitType, [("owner", owner.ToString()), ("spender", spender.ToString()), ("value", value), ("nonce", nonce), ("deadline", deadline)]);
    }

    /// <summary>eth_signTypedData_v4 JSON of a Centime TransferFrom.</summary>
    public static string TransferFromJson(Eip712Domain domain, Address spender, Address from, Address to, BigInteger value, Hash32 nonce, BigInteger validBefore)
    {
        _ = TransferFrom(spender, from, to, value, nonce, validBefore);
        return Json(domain, TransferFromType, [("spender", spender.ToString()), ("from", from.ToString()), ("to", to.ToString()), ("value", value), ("nonce", nonce.ToString()), ("validBefore", validBefore)]);
    }

    [SkipLocalsInit]
    private static Hash32 Authorization(in Hash32 typeHash, Address from, Address to, BigInteger value, BigInteger validAfter, BigInteger validBefore, Hash32 nonce)
    {
        Span<byte> b = stackalloc byte[224];
        typeHash.WriteTo(b);
        WriteAddress(from, b[32..]);
        WriteAddress(to, b[64..]);
        Uint256.Write(value, b.Slice(96, 32), nameof(value));
        Uint256.Write(validAfter, b.Slice(128, 32), nameof(validAfter));
        Uint256.Write(validBefore, b.Slice(160, 32), nameof(validBefore));
        nonce.WriteTo(b[192..]);
        return Eip712.KeccakHash(b);
    }

    private static void WriteAddress(Address a, Span<byte> word)
    {
        word[..12].Clear();
        a.WriteTo(word[12..]);
    }

    /// <summary>Builds {types, primaryType, domain, message}; the member list is parsed from the type string so they never disagree.</summary>
    private static string Json(Eip712Domain domain, string typeString, (string Name, object Value)[] fields)
    {
        var open = typeString.IndexOf('(', StringComparison.Ordinal);
        var primaryType = typeString[..open];
        var members = typeString[(open + 1)..^1].Split(',');
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartObject("types");
            domain.WriteDomainType(w);
            w.WriteStartArray(primaryType);
            foreach (var member in members)
            {
                var space = member.IndexOf(' ', StringComparison.Ordinal);
                w.WriteStartObject();
                w.WriteString("name", member[(space + 1)..]);
                w.WriteString("type", member[..space]);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteString("primaryType", primaryType);
            w.WritePropertyName("domain");
            domain.WriteDomainObject(w);
            w.WriteStartObject("message");
            foreach (var (name, value) in fields)
            {
                // uint256 values as decimal strings: JSON numbers lose precision above 2^53 in JavaScript.
                w.WriteString(name, value is BigInteger n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string)value);
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
