using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Centime.Client;

// Holder-signed commands on the wire. Field names follow EIP-3009 / EIP-2612 (and x402's "authorization"
// object), so a payload built for a FiatToken contract maps one to one. uint256 fields are decimal strings
// (JSON numbers are accepted too). The signature is either "signature" (65 bytes, r‖s‖v, 0x-hex) or v/r/s.
// "chainId" and "verifyingContract" are optional: when given they must match the coin's domain, which turns a
// cross-network or cross-coin replay into a clear error instead of a signer mismatch.

/// <summary>What every holder-signed request carries: the signature (65-byte <see cref="Signature"/>, or
/// <see cref="V"/>/<see cref="R"/>/<see cref="S"/>) and, optionally, the domain the client signed for.</summary>
public abstract record SignedRequest
{
    public string? Signature { get; init; }
    public int? V { get; init; }
    public string? R { get; init; }
    public string? S { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public string? ChainId { get; init; }
    public string? VerifyingContract { get; init; }
}

/// <summary>Body of POST /v1/coins/{symbol}/transfer-with-authorization (and receive-with-authorization).</summary>
public sealed record AuthorizationRequest : SignedRequest
{
    public required string From { get; init; }
    public required string To { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Value { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string ValidAfter { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string ValidBefore { get; init; }
    public required string Nonce { get; init; }

    /// <summary>receiveWithAuthorization only: the payee's signature of
    /// <c>ReceiveSubmission(bytes32 authorization)</c> (the authorization's EIP-712 digest) under the coin's
    /// domain. It stands in for the contract's <c>msg.sender == to</c> check.</summary>
    public string? PayeeSignature { get; init; }
}

/// <summary>Body of POST /v1/coins/{symbol}/cancel-authorization.</summary>
public sealed record CancelAuthorizationRequest : SignedRequest
{
    public required string Authorizer { get; init; }
    public required string Nonce { get; init; }
}

/// <summary>Body of POST /v1/coins/{symbol}/permit (EIP-2612).</summary>
public sealed record PermitRequest : SignedRequest
{
    public required string Owner { get; init; }
    public required string Spender { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Value { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Nonce { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Deadline { get; init; }
}

/// <summary>Body of POST /v1/coins/{symbol}/transfer-from: a spender's signed pull within its allowance.</summary>
public sealed record TransferFromRequest : SignedRequest
{
    public required string Spender { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Value { get; init; }
    public required string Nonce { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string ValidBefore { get; init; }
}

/// <summary>Body of POST /v1/coins/{symbol}/authorized-transfers: many transferWithAuthorization at once.</summary>
public sealed record AuthorizationBatchRequest(IReadOnlyList<AuthorizationRequest> Authorizations);

/// <summary>Outcome of one holder-signed command. <see cref="Id"/> is the ledger transfer it made, if any.</summary>
public sealed record SignedOutcome(string Result, string? Id, ulong Height, ulong Timestamp);

/// <summary>One result of an authorization batch: "ok", or a problem code (signature checks included).</summary>
public sealed record SignedBatchResult(int Index, string Result, string? Id);

/// <summary>Response of POST /v1/coins/{symbol}/authorized-transfers.</summary>
public sealed record SignedBatchResponse(ulong Height, int Succeeded, int Failed, IReadOnlyList<SignedBatchResult> Results);

/// <summary>GET /v1/coins/{symbol}/authorizations/{authorizer}/{nonce}: "unused", "used" or "canceled".</summary>
public sealed record AuthorizationStateInfo(string Coin, string Authorizer, string Nonce, string State);

/// <summary>GET /v1/coins/{symbol}/allowances/{owner}/{spender}.</summary>
public sealed record AllowanceInfo(string Coin, string Owner, string Spender, string Value);

/// <summary>GET /v1/coins/{symbol}/nonces/{owner}: the owner's next EIP-2612 permit nonce.</summary>
public sealed record PermitNonceInfo(string Coin, string Owner, string Nonce);

/// <summary>Reads an unsigned integer given as a JSON string or number, keeping its exact text.</summary>
public sealed class UintTextConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString()!,
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        _ => throw new JsonException($"expected an unsigned integer (string or number), got {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>Parses the uint256 texts of signed messages: decimal or 0x-hex, no sign, no fraction. Syntax only:
/// callers compare with <see cref="Max"/> (or the ledger's narrower range) to report out-of-range values.</summary>
public static class Uint256Text
{
    public static readonly System.Numerics.BigInteger Max = (System.Numerics.BigInteger.One << 256) - 1;

    public static bool TryParse(string? text, out System.Numerics.BigInteger value)
    {
        value = default;
        if (string.IsNullOrEmpty(text) || text.Length > 100)
        {
            return false;
        }

        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            var hex = text.AsSpan(2);
            if (hex.IsEmpty || !System.Numerics.BigInteger.TryParse("0" + hex.ToString(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value))
            {
                return false;
            }
        }
        else
        {
            foreach (var c in text)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
            }

            value = System.Numerics.BigInteger.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
        }

        return true;
    }
}

/// <summary>Body of POST /v1/coins/{symbol}/redeem: a holder's own redemption request, signed by the holder
/// (<see cref="HolderTypedData.RedemptionType"/> under the coin's domain). <see cref="PayTo"/> is the payout instruction
/// (bank account, 1–200 characters); it is signed, so nobody can redirect the payout.</summary>
public sealed record HolderRedeemRequest : SignedRequest
{
    public required string Holder { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Amount { get; init; }
    public required string PayTo { get; init; }
    public required string Nonce { get; init; }
    [JsonConverter(typeof(UintTextConverter))] public required string Deadline { get; init; }
}

/// <summary>Body of the typed-data routes (<c>…/redeem/typed-data</c>): the terms to sign; a missing nonce is drawn at
/// random and a missing deadline is one hour of ledger time from now.</summary>
public sealed record HolderRedeemDraft(string? Holder, string? Amount, string? PayTo, string? Nonce = null, string? Deadline = null);

/// <summary>EIP-712 typed data to sign (eth_signTypedData_v4 JSON), the nonce and deadline it carries, and its digest.</summary>
public sealed record TypedDataToSign(JsonElement TypedData, string Nonce, string Deadline, string Digest);

/// <summary>Answer of POST /v1/coins/{symbol}/redeem: the redemption as the issuer's payout list shows it, and the block.</summary>
public sealed record HolderRedemptionOutcome(RedemptionInfo Redemption, ulong Height);
