using System.Collections.Concurrent;
using System.Numerics;
using Centime.Client;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Node.Api;
using Microsoft.AspNetCore.Http;
using CryptoDomain = Centime.Crypto.Eip712Domain;

namespace Centime.Node.Signing;

/// <summary>
/// The stateless checks of holder-signed commands, shared by the REST endpoints (<see cref="SignedEndpoints"/>)
/// and the x402 facilitator: coin domains, field parsing, EIP-712 digests and signature recovery (low-s only,
/// signer must be the named party). Thread-safe; run on the request threads, before the sequencer.
/// </summary>
internal sealed class AuthorizationChecker(NodeContext node)
{
    private readonly NodeContext _node = node;
    private readonly DomainCache _domains = new(node);

    /// <summary>The domain of a coin by symbol; a 404 problem when there is no such coin.</summary>
    public CoinDomain Domain(string symbol) => _domains.Get(symbol);

    /// <summary>The domain of the coin whose verifying contract is <paramref name="contract"/>.</summary>
    public bool TryGetDomain(Address contract, out CoinDomain domain) => _domains.TryGetByContract(contract, out domain);

    /// <summary>Recovers the signer of a digest without throwing: false for high-s or unrecoverable signatures.</summary>
    public static bool TryRecover(in Hash32 digest, in Signature signature, out Address signer)
    {
        signer = default;
        return signature.IsLowS && Secp256k1.Default.TryRecover(digest, signature, out signer);
    }

    /// <summary>A checked authorization: the command to apply, or why it was refused.</summary>
    internal readonly record struct Checked(TransferWithAuthorization? Command, ProblemException? Error, bool IsSignatureVerdict);

    /// <summary>All stateless checks of one EIP-3009 authorization, without throwing (batches collect verdicts).</summary>
    internal Checked Check(in CoinDomain domain, AuthorizationRequest r, bool receive, int? index)
    {
        try
        {
            if (CheckDomain(_node, domain, r.ChainId, r.VerifyingContract, index) is { } wrongDomain)
            {
                return new Checked(null, wrongDomain, IsSignatureVerdict: true);
            }

            var from = Field(r.From, "from", index);
            var to = Field(r.To, "to", index);
            var value = Uint(r.Value, "value", index);
            var amount = Amount(value, "value", index);
            var validAfter = Uint(r.ValidAfter, "validAfter", index);
            var validBefore = Uint(r.ValidBefore, "validBefore", index);
            var nonce = Nonce(r.Nonce, index);
            var signature = ParseSignature(r.Signature, r.V, r.R, r.S, index);

            var structHash = receive
                ? Eip3009.ReceiveWithAuthorization(from, to, value, validAfter, validBefore, nonce)
                : Eip3009.TransferWithAuthorization(from, to, value, validAfter, validBefore, nonce);
            var digest = Eip712.Digest(domain.Separator, structHash);
            try
            {
                var signer = Recover(digest, signature, from, "from", index);
                var submitter = Address.Zero;
                if (receive)
                {
                    submitter = RecoverPayee(domain, digest, r.PayeeSignature, to);
                }

                return new Checked(new TransferWithAuthorization(domain.Number, from, to, amount, Clamp(validAfter), Clamp(validBefore), nonce, signer, receive, submitter), null, false);
            }
            catch (ProblemException verdict)
            {
                return new Checked(null, verdict, IsSignatureVerdict: true);
            }
        }
        catch (ProblemException malformed)
        {
            // Value out of range is a verdict on this item, not a malformed request.
            return new Checked(null, malformed, malformed.Code == ResultCode.ValueOutOfRange.ToProblemCode());
        }
    }

    internal static Address RecoverPayee(in CoinDomain domain, in Hash32 authorizationDigest, string? payeeSignature, Address to)
    {
        if (payeeSignature is null)
        {
            throw Refused(ResultCode.CallerMustBePayee,
                "receiveWithAuthorization must be submitted by the payee: add 'payeeSignature', the payee's EIP-712 signature of ReceiveSubmission(bytes32 authorization)", null);
        }

        var signature = ParseSignature(payeeSignature, null, null, null, null);
        var digest = Eip712.Digest(domain.Separator, Eip3009.ReceiveSubmission(authorizationDigest));
        if (!signature.IsLowS)
        {
            throw Refused(ResultCode.SignatureHighS, "the payee signature's s is in the upper half of the curve order", null);
        }

        if (!Secp256k1.Default.TryRecover(digest, signature, out var payee) || payee != to)
        {
            throw Refused(ResultCode.CallerMustBePayee, $"receiveWithAuthorization must be submitted by the payee {to}; the submission was signed by someone else", null);
        }

        return payee;
    }

    internal static ProblemException? CheckDomain(NodeContext node, in CoinDomain domain, string? chainId, string? verifyingContract, int? index)
    {
        if (chainId is not null && (!Uint256Text.TryParse(chainId, out var id) || id != node.Options.ChainId))
        {
            return Refused(ResultCode.WrongChainId, $"signed for chain {chainId}; this network is chain {node.Options.ChainId}", index);
        }

        if (verifyingContract is not null && (!Address.TryParse(verifyingContract, out var contract) || contract != domain.VerifyingContract))
        {
            return Refused(ResultCode.WrongVerifyingContract, $"signed for verifying contract {verifyingContract}; coin {domain.Symbol} is {domain.VerifyingContract}", index);
        }

        return null;
    }

    internal static void ThrowIfWrongDomain(NodeContext node, in CoinDomain domain, string? chainId, string? verifyingContract)
    {
        if (CheckDomain(node, domain, chainId, verifyingContract, null) is { } wrong)
        {
            throw wrong;
        }
    }

    /// <summary>
    /// The one check of an ECDSA signature on every Centime route (docs/errors.md, "signatures"): 422
    /// <c>signature_high_s</c> (s in the upper half, EIP-2), <c>signature_invalid</c> (no key recovers), else the signer.
    /// Whether that signer is the party that must sign is <see cref="Recover"/>'s (or the module's) question.
    /// </summary>
    internal static Address RecoverAny(in Hash32 digest, in Signature signature, int? index)
    {
        if (!signature.IsLowS)
        {
            throw Refused(ResultCode.SignatureHighS, "the signature's s is in the upper half of the curve order (EIP-2): only low-s signatures are accepted", index);
        }

        return Secp256k1.Default.TryRecover(digest, signature, out var signer)
            ? signer
            : throw Refused(ResultCode.SignatureInvalid, "no public key recovers from this signature", index);
    }

    /// <summary><see cref="RecoverAny"/>, then 422 <c>signer_mismatch</c> unless it recovers to <paramref name="expected"/>
    /// (another key signed, or these terms, this domain or this chain are not what was signed).</summary>
    internal static Address Recover(in Hash32 digest, in Signature signature, Address expected, string role, int? index)
    {
        var signer = RecoverAny(digest, signature, index);
        return signer == expected
            ? signer
            : throw Refused(ResultCode.SignerMismatch, $"signed by {signer}, not by the {role} {expected} (or signed over other fields or another domain)", index);
    }

    /// <summary>A 0x-hex 65-byte signature (r‖s‖v) in <paramref name="field"/>, recovered over <paramref name="digest"/> by
    /// <see cref="RecoverAny"/>; <paramref name="what"/> says what must have been signed, for the problem's detail.</summary>
    internal static Address RecoverField(in Hash32 digest, string? hex, string field, string what)
    {
        if (string.IsNullOrEmpty(hex))
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", $"'{field}' is required: {what}");
        }

        if (!Signature.TryParse(hex, out var signature))
        {
            throw Refused(ResultCode.SignatureInvalid, $"'{field}' must be 65 bytes (r‖s‖v) as 0x-hex: {what}", null);
        }

        return RecoverAny(digest, signature, null);
    }

    /// <summary>The <see cref="ResultCode.SignerMismatch"/> problem (422) for routes that compare the signer themselves.</summary>
    internal static ProblemException SignerMismatch(string detail) => Refused(ResultCode.SignerMismatch, detail, null);

    internal static Signature ParseSignature(string? hex, int? v, string? r, string? s, int? index)
    {
        if (hex is not null)
        {
            return Signature.TryParse(hex, out var sig)
                ? sig
                : throw Refused(ResultCode.SignatureInvalid, "'signature' must be 65 bytes (r‖s‖v) as 0x-hex", index);
        }

        if (v is null || r is null || s is null)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", "give 'signature' (65 bytes, 0x-hex) or all of 'v', 'r' and 's'", index);
        }

        if (v is not (0 or 1 or 27 or 28) || !Hash32.TryParse(r, out var rr) || !Hash32.TryParse(s, out var ss))
        {
            throw Refused(ResultCode.SignatureInvalid, "'v' must be 27 or 28 and 'r', 's' 32-byte 0x-hex", index);
        }

        Span<byte> bytes = stackalloc byte[65];
        rr.WriteTo(bytes);
        ss.WriteTo(bytes[32..]);
        bytes[64] = (byte)(v < 27 ? v + 27 : v);
        return Signature.FromBytes(bytes);
    }

    internal static Address Field(string? text, string name, int? index)
    {
        if (text is null)
        {
            throw new ProblemException(400, ProblemCodes.MissingField, "Missing field", $"'{name}' is required", index);
        }

        return Address.TryParse(text, out var a)
            ? a
            : throw new ProblemException(400, ProblemCodes.InvalidAddress, "Invalid address", $"'{name}': '{text}' is not a 0x-prefixed 20-byte address with a valid EIP-55 checksum", index);
    }

    internal static Hash32 Nonce(string? text, int? index) => Hash32.TryParse(text, out var n)
        ? n
        : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", "'nonce' must be 32 bytes as 0x-hex", index);

    internal static BigInteger Uint(string? text, string name, int? index)
    {
        if (!Uint256Text.TryParse(text, out var value))
        {
            throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{name}' must be an unsigned integer (decimal or 0x-hex)", index);
        }

        return value <= Uint256Text.Max
            ? value
            : throw Refused(ResultCode.ValueOutOfRange, $"'{name}' exceeds uint256", index);
    }

    internal static UInt128 Amount(BigInteger value, string name, int? index)
    {
        if (value > (BigInteger)UInt128.MaxValue)
        {
            throw Refused(ResultCode.ValueOutOfRange, $"'{name}' {value} exceeds the ledger's range (2^128 - 1)", index);
        }

        return value.IsZero
            ? throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid field", $"'{name}' must be positive", index)
            : (UInt128)value;
    }

    /// <summary>Times are uint256 when signed; beyond 2^64 - 1 seconds ledger time never reaches them, so
    /// clamping keeps their meaning.</summary>
    internal static ulong Clamp(BigInteger seconds) => seconds > ulong.MaxValue ? ulong.MaxValue : (ulong)seconds;

    internal static UInt128 AuthorizationId(in CoinDomain domain, TransferWithAuthorization c) =>
        LedgerState.AuthorizationTransferId(domain.Number, c.From, c.Nonce);

    internal static ProblemException Refused(ResultCode code, string detail, int? index) =>
        new(Status(code), code.ToProblemCode(), "Command refused", detail, index);

    internal static int Status(ResultCode code) => code switch
    {
        ResultCode.AuthorizationUsed or ResultCode.AuthorizationCanceled => StatusCodes.Status409Conflict,
        _ => StatusCodes.Status422UnprocessableEntity,
    };

    /// <summary>What a coin's signatures are checked against; coins never change once created.</summary>
    internal readonly record struct CoinDomain(uint Number, string Symbol, Hash32 Separator, Address VerifyingContract);

    private sealed class DomainCache(NodeContext node)
    {
        private readonly ConcurrentDictionary<string, CoinDomain> _domains = new(StringComparer.Ordinal);

        private readonly ConcurrentDictionary<Address, CoinDomain> _byContract = new();

        public bool TryGetByContract(Address contract, out CoinDomain domain)
        {
            if (_byContract.TryGetValue(contract, out domain))
            {
                return true;
            }

            string? symbol = null;
            using (var view = node.Read())
            {
                foreach (var coin in view.State.Coins)
                {
                    if (coin.VerifyingContract == contract)
                    {
                        symbol = coin.Symbol;
                        break;
                    }
                }
            }

            if (symbol is null)
            {
                return false;
            }

            domain = Get(symbol);
            _byContract.TryAdd(contract, domain);
            return true;
        }

        public CoinDomain Get(string symbol)
        {
            if (_domains.TryGetValue(symbol, out var d))
            {
                return d;
            }

            using (var view = node.Read())
            {
                if (!view.State.TryGetCoin(symbol, out var coin))
                {
                    throw new ProblemException(404, ProblemCodes.CoinNotFound, "Unknown coin", $"no coin '{symbol}'");
                }

                var separator = new CryptoDomain(coin.Name, coin.Version, new BigInteger(node.Options.ChainId), coin.VerifyingContract, null).Separator();
                d = new CoinDomain(coin.Number, coin.Symbol, separator, coin.VerifyingContract);
            }

            return _domains.GetOrAdd(symbol, d);
        }
    }
}
