using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using Centime.Crypto;
using Centime.Ledger;
using CryptoDomain = Centime.Crypto.Eip712Domain;

namespace Centime.Client;

/// <summary>
/// Builds and signs a holder's messages for a coin: EIP-3009 authorizations, EIP-2612 permits, spender pulls.
/// The results are request bodies for <see cref="CentimeClient"/>; the same signatures verify in ethers or any
/// EIP-712 wallet against the coin's published domain. Holds the private key: keep instances short-lived.
/// </summary>
public sealed partial class HolderSigner
{
    private readonly byte[] _privateKey;
    private readonly ISecp256k1Backend _backend;

    public HolderSigner(ReadOnlySpan<byte> privateKey, ISecp256k1Backend? backend = null)
    {
        _backend = backend ?? Secp256k1.Default;
        _privateKey = privateKey.ToArray();
        Address = _backend.AddressOf(_privateKey);
    }

    public Address Address { get; }

    /// <summary>The EIP-712 domain separator of a coin as the node publishes it.</summary>
    public static Hash32 DomainSeparator(Eip712Domain domain) =>
        new CryptoDomain(domain.Name, domain.Version, new BigInteger(domain.ChainId), Centime.Ledger.Address.Parse(domain.VerifyingContract), null).Separator();

    /// <summary>A fresh random 32-byte authorization nonce.</summary>
    public static Hash32 NewNonce() => Hash32.FromBytes(RandomNumberGenerator.GetBytes(32));

    /// <summary>Signs transferWithAuthorization (or receiveWithAuthorization) of <paramref name="value"/> minor
    /// units to <paramref name="to"/>, valid while validAfter &lt; now &lt; validBefore (Unix seconds).</summary>
    public AuthorizationRequest SignAuthorization(Eip712Domain domain, Address to, UInt128 value, ulong validAfter, ulong validBefore, Hash32? nonce = null, bool receive = false)
    {
        var n = nonce ?? NewNonce();
        var v = (BigInteger)value;
        var structHash = receive
            ? Eip3009.ReceiveWithAuthorization(Address, to, v, validAfter, validBefore, n)
            : Eip3009.TransferWithAuthorization(Address, to, v, validAfter, validBefore, n);
        return new AuthorizationRequest
        {
            From = Address.ToString(),
            To = to.ToString(),
            Value = Dec(value),
            ValidAfter = Dec(validAfter),
            ValidBefore = Dec(validBefore),
            Nonce = n.ToString(),
            Signature = Sign(domain, structHash),
            ChainId = Dec(domain.ChainId),
            VerifyingContract = domain.VerifyingContract,
        };
    }

    /// <summary>As the payee, co-signs the submission of a receiveWithAuthorization made out to this signer.</summary>
    public AuthorizationRequest SignReceiveSubmission(Eip712Domain domain, AuthorizationRequest authorization)
    {
        var separator = DomainSeparator(domain);
        var authorizationDigest = Eip712.Digest(separator, Eip3009.ReceiveWithAuthorization(
            Centime.Ledger.Address.Parse(authorization.From), Centime.Ledger.Address.Parse(authorization.To), BigInteger.Parse(authorization.Value, CultureInfo.InvariantCulture),
            BigInteger.Parse(authorization.ValidAfter, CultureInfo.InvariantCulture), BigInteger.Parse(authorization.ValidBefore, CultureInfo.InvariantCulture), Hash32.Parse(authorization.Nonce)));
        return authorization with { PayeeSignature = _backend.Sign(_privateKey, Eip712.Digest(separator, Eip3009.ReceiveSubmission(authorizationDigest))).ToHex() };
    }

    public CancelAuthorizationRequest SignCancel(Eip712Domain domain, Hash32 nonce) => new()
    {
        Authorizer = Address.ToString(),
        Nonce = nonce.ToString(),
        Signature = Sign(domain, Eip3009.CancelAuthorization(Address, nonce)),
        ChainId = Dec(domain.ChainId),
        VerifyingContract = domain.VerifyingContract,
    };

    /// <summary>Signs an EIP-2612 permit; <paramref name="value"/> null is the unlimited allowance (uint256 max).</summary>
    public PermitRequest SignPermit(Eip712Domain domain, Address spender, UInt128? value, ulong nonce, ulong deadline)
    {
        var v = value is { } x ? (BigInteger)x : (BigInteger.One << 256) - 1;
        return new PermitRequest
        {
            Owner = Address.ToString(),
            Spender = spender.ToString(),
            Value = v.ToString(CultureInfo.InvariantCulture),
            Nonce = Dec(nonce),
            Deadline = Dec(deadline),
            Signature = Sign(domain, Eip3009.Permit(Address, spender, v, nonce, deadline)),
            ChainId = Dec(domain.ChainId),
            VerifyingContract = domain.VerifyingContract,
        };
    }

    /// <summary>As a spender, signs a pull of <paramref name="value"/> from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public TransferFromRequest SignTransferFrom(Eip712Domain domain, Address from, Address to, UInt128 value, ulong validBefore, Hash32? nonce = null)
    {
        var n = nonce ?? NewNonce();
        return new TransferFromRequest
        {
            Spender = Address.ToString(),
            From = from.ToString(),
            To = to.ToString(),
            Value = Dec(value),
            Nonce = n.ToString(),
            ValidBefore = Dec(validBefore),
            Signature = Sign(domain, Eip3009.TransferFrom(Address, from, to, (BigInteger)value, n, validBefore)),
            ChainId = Dec(domain.ChainId),
            VerifyingContract = domain.VerifyingContract,
        };
    }

    private string Sign(Eip712Domain domain, in Hash32 structHash) =>
        _backend.Sign(_privateKey, Eip712.Digest(DomainSeparator(domain), structHash)).ToHex();

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);
}
