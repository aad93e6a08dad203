using System.Text.Json;
using System.Text.Json.Serialization;

namespace Centime.Agents.X402;

// x402 v2 wire models (coinbase/x402 specs/, @x402/core 2.27). Field names are the spec's; amounts and uint256
// fields are decimal strings. Optional fields are omitted when null. Unknown fields are ignored on input, as the
// reference implementations do, so newer peers interoperate.

/// <summary>What a paid resource is (spec <c>ResourceInfo</c>).</summary>
public sealed record ResourceInfo
{
    [JsonPropertyName("url")] public required string Url { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
    [JsonPropertyName("mimeType")] public string? MimeType { get; init; }
}

/// <summary>One way to pay (spec <c>PaymentRequirements</c>, an entry of <c>accepts</c>).</summary>
public sealed record PaymentRequirements
{
    [JsonPropertyName("scheme")] public required string Scheme { get; init; }

    /// <summary>CAIP-2 network, <c>eip155:&lt;chainId&gt;</c> for Centime.</summary>
    [JsonPropertyName("network")] public required string Network { get; init; }

    /// <summary>Atomic units (the coin's minor units), decimal string. v1 names it <see cref="MaxAmountRequired"/>;
    /// <see cref="Normalized"/> moves it here.</summary>
    [JsonPropertyName("amount")] public string Amount { get; init; } = "";

    /// <summary>v1 only: the amount (v2 <c>amount</c>).</summary>
    [JsonPropertyName("maxAmountRequired")] public string? MaxAmountRequired { get; init; }

    /// <summary>v1 only: the resource's URL (v2 carries it in the payload's <c>resource</c>).</summary>
    [JsonPropertyName("resource")] public string? Resource { get; init; }

    /// <summary>v1 only.</summary>
    [JsonPropertyName("description")] public string? Description { get; init; }

    /// <summary>v1 only.</summary>
    [JsonPropertyName("mimeType")] public string? MimeType { get; init; }

    /// <summary>v1 only.</summary>
    [JsonPropertyName("outputSchema")] public JsonElement? OutputSchema { get; init; }

    /// <summary>The coin's EIP-712 verifying contract.</summary>
    [JsonPropertyName("asset")] public required string Asset { get; init; }

    [JsonPropertyName("payTo")] public required string PayTo { get; init; }
    [JsonPropertyName("maxTimeoutSeconds")] public required int MaxTimeoutSeconds { get; init; }

    /// <summary>Scheme data; for <c>exact</c> on EVM the token's EIP-712 <c>name</c> and <c>version</c>.</summary>
    [JsonPropertyName("extra")] public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>These requirements with a v1 <c>maxAmountRequired</c> as <see cref="Amount"/> (spec v1: the exact
    /// scheme charges exactly that much); v2 requirements unchanged.</summary>
    public PaymentRequirements Normalized() =>
        Amount.Length == 0 && MaxAmountRequired is not null ? this with { Amount = MaxAmountRequired } : this;

    /// <summary>A string value of <see cref="Extra"/>, or null.</summary>
    public string? ExtraString(string key) =>
        Extra is not null && Extra.TryGetValue(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>The 402 challenge (spec <c>PaymentRequired</c>), sent base64 in <c>PAYMENT-REQUIRED</c>.</summary>
public sealed record PaymentRequired
{
    [JsonPropertyName("x402Version")] public int X402Version { get; init; } = 2;
    [JsonPropertyName("error")] public string? Error { get; init; }
    [JsonPropertyName("resource")] public required ResourceInfo Resource { get; init; }
    [JsonPropertyName("accepts")] public required IReadOnlyList<PaymentRequirements> Accepts { get; init; }
    [JsonPropertyName("extensions")] public Dictionary<string, JsonElement>? Extensions { get; init; }
}

/// <summary>A signed payment (spec <c>PaymentPayload</c>), sent base64 in <c>PAYMENT-SIGNATURE</c> (v2) or
/// <c>X-PAYMENT</c> (v1: <c>scheme</c> and <c>network</c> at the top, no <c>accepted</c>).</summary>
public sealed record PaymentPayload
{
    [JsonPropertyName("x402Version")] public int X402Version { get; init; }
    [JsonPropertyName("resource")] public ResourceInfo? Resource { get; init; }
    [JsonPropertyName("accepted")] public PaymentRequirements? Accepted { get; init; }
    [JsonPropertyName("payload")] public JsonElement Payload { get; init; }
    [JsonPropertyName("extensions")] public Dictionary<string, JsonElement>? Extensions { get; init; }

    /// <summary>v1 only.</summary>
    [JsonPropertyName("scheme")] public string? Scheme { get; init; }

    /// <summary>v1 only.</summary>
    [JsonPropertyName("network")] public string? Network { get; init; }
}

/// <summary>The <c>exact</c> EVM scheme's payload with EIP-3009 (spec §exact/evm).</summary>
public sealed record ExactEvmPayload
{
    [JsonPropertyName("signature")] public required string Signature { get; init; }
    [JsonPropertyName("authorization")] public required ExactEvmAuthorization Authorization { get; init; }
}

/// <summary>The fields of <c>TransferWithAuthorization</c>, as decimal strings (nonce 0x-hex).</summary>
public sealed record ExactEvmAuthorization
{
    [JsonPropertyName("from")] public required string From { get; init; }
    [JsonPropertyName("to")] public required string To { get; init; }
    [JsonPropertyName("value")] public required string Value { get; init; }
    [JsonPropertyName("validAfter")] public required string ValidAfter { get; init; }
    [JsonPropertyName("validBefore")] public required string ValidBefore { get; init; }
    [JsonPropertyName("nonce")] public required string Nonce { get; init; }
}

/// <summary>Body of the facilitator's <c>POST /verify</c> and <c>POST /settle</c>.</summary>
public sealed record FacilitatorRequest
{
    [JsonPropertyName("x402Version")] public int X402Version { get; init; }
    [JsonPropertyName("paymentPayload")] public PaymentPayload? PaymentPayload { get; init; }
    [JsonPropertyName("paymentRequirements")] public PaymentRequirements? PaymentRequirements { get; init; }
}

/// <summary>Answer of <c>POST /verify</c>.</summary>
public sealed record VerifyResponse
{
    [JsonPropertyName("isValid")] public bool IsValid { get; init; }
    [JsonPropertyName("invalidReason")] public string? InvalidReason { get; init; }
    [JsonPropertyName("invalidMessage")] public string? InvalidMessage { get; init; }
    [JsonPropertyName("payer")] public string? Payer { get; init; }

    public static VerifyResponse Valid(string payer) => new() { IsValid = true, Payer = payer };

    public static VerifyResponse Invalid(string reason, string? message = null, string? payer = null) =>
        new() { IsValid = false, InvalidReason = reason, InvalidMessage = message, Payer = payer };
}

/// <summary>Answer of <c>POST /settle</c>, and the content of <c>PAYMENT-RESPONSE</c>. On Centime,
/// <c>transaction</c> is the ledger transfer id as 0x + 32 hex digits (docs/x402.md).</summary>
public sealed record SettleResponse
{
    [JsonPropertyName("success")] public bool Success { get; init; }
    [JsonPropertyName("errorReason")] public string? ErrorReason { get; init; }
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("payer")] public string? Payer { get; init; }
    [JsonPropertyName("transaction")] public string Transaction { get; init; } = "";
    [JsonPropertyName("network")] public string Network { get; init; } = "";
    [JsonPropertyName("amount")] public string? Amount { get; init; }

    public static SettleResponse Failed(string reason, string network, string? message = null, string? payer = null) =>
        new() { Success = false, ErrorReason = reason, ErrorMessage = message, Network = network, Payer = payer };
}

/// <summary>One (version, scheme, network) a facilitator settles.</summary>
public sealed record SupportedKind
{
    [JsonPropertyName("x402Version")] public int X402Version { get; init; }
    [JsonPropertyName("scheme")] public required string Scheme { get; init; }
    [JsonPropertyName("network")] public required string Network { get; init; }
    [JsonPropertyName("extra")] public Dictionary<string, JsonElement>? Extra { get; init; }
}

/// <summary>Answer of <c>GET /supported</c>.</summary>
public sealed record SupportedResponse
{
    [JsonPropertyName("kinds")] public required IReadOnlyList<SupportedKind> Kinds { get; init; }
    [JsonPropertyName("extensions")] public IReadOnlyList<string> Extensions { get; init; } = [];
    [JsonPropertyName("signers")] public Dictionary<string, IReadOnlyList<string>> Signers { get; init; } = [];
}

/// <summary>One entry of <c>GET /discovery/resources</c> (Bazaar).</summary>
public sealed record DiscoveryItem
{
    [JsonPropertyName("resource")] public required string Resource { get; init; }
    [JsonPropertyName("type")] public string Type { get; init; } = "http";
    [JsonPropertyName("x402Version")] public int X402Version { get; init; } = 2;
    [JsonPropertyName("accepts")] public required IReadOnlyList<PaymentRequirements> Accepts { get; init; }
    [JsonPropertyName("lastUpdated")] public required string LastUpdated { get; init; }
    [JsonPropertyName("metadata")] public Dictionary<string, JsonElement>? Metadata { get; init; }
}

public sealed record DiscoveryPagination
{
    [JsonPropertyName("limit")] public int Limit { get; init; }
    [JsonPropertyName("offset")] public int Offset { get; init; }
    [JsonPropertyName("total")] public int Total { get; init; }
}

/// <summary>Answer of <c>GET /discovery/resources</c>.</summary>
public sealed record DiscoveryResponse
{
    [JsonPropertyName("x402Version")] public int X402Version { get; init; } = 2;
    [JsonPropertyName("items")] public required IReadOnlyList<DiscoveryItem> Items { get; init; }
    [JsonPropertyName("pagination")] public required DiscoveryPagination Pagination { get; init; }
}

/// <summary>Answer of <c>GET /x402/transactions</c>: a payment's deterministic transaction and whether it settled.</summary>
public sealed record PaymentLookup(
    [property: JsonPropertyName("transaction")] string Transaction,
    [property: JsonPropertyName("authorization")] string Authorization,
    [property: JsonPropertyName("settled")] bool Settled,
    [property: JsonPropertyName("payTo")] string? PayTo,
    [property: JsonPropertyName("amount")] string? Amount);
