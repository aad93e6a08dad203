namespace Centime.Client;

// Programmable payments (docs/contracts.md): what GET /v1/contracts/{id} answers and what events and facts send.
// Amounts are minor units as decimal strings; times are ledger time in Unix nanoseconds.

public sealed record ContractRecipientInfo(string Address, int Bps);

public sealed record ContractMilestoneInfo(int Index, string Name, string Amount, bool Confirmed);

/// <summary>One movement of a contract: the ledger transfer, what it was (fund, release, refund, slash, …), to whom, how much.</summary>
public sealed record ContractStepInfo(string Transfer, string Step, string To, string Amount, string At, string? Reason);

/// <summary>A contract with its terms, status, amounts and every movement.</summary>
public sealed record ContractInfo(
    string Id,
    string Kind,
    string Coin,
    string Status,
    string Amount,
    string? Payer,
    string? Payee,
    string? Confirmer,
    string? Slasher,
    string? Arbiter,
    string? Account,
    string CreatedAt,
    string? Deadline,
    string? ClosedAt,
    string Released,
    string Returned,
    string? Slashed,
    string? Cap,
    string Remaining,
    string? RatePerSecond,
    string? Accrued,
    string? RefundOf,
    IReadOnlyList<ContractRecipientInfo>? Recipients,
    IReadOnlyList<ContractMilestoneInfo>? Milestones,
    string? Reference,
    IReadOnlyList<ContractStepInfo> Steps,
    ulong? PeriodSeconds,
    string? LeftThisPeriod)
{
    /// <summary>Standing order: the party whose event orders an execution.</summary>
    public string? Trigger { get; init; }
    /// <summary>Escrow, standing order: the oracle whose attestation fires the contract.</summary>
    public string? Oracle { get; init; }
    public string? FactKey { get; init; }
    public string? FactValue { get; init; }
    public uint? MaxExecutions { get; init; }
    public ulong? Executions { get; init; }
    /// <summary>Standing order: amount × maxExecutions, what the payer put in.</summary>
    public string? Funded { get; init; }
}

/// <summary>An event signed by a contract's designated party (EIP-712 <c>ContractEvent</c>; no operator key).</summary>
public sealed record ContractEventSubmission(string Action, string Amount, string Nonce, string Signature, string? Reason, string? Signer);

/// <summary>An oracle's signed attestation (EIP-712 <c>OracleFact</c>).</summary>
public sealed record OracleFactSubmission(string Key, string Value, string ObservedAt, string Nonce, string Signature, string? Oracle);

/// <summary>An accepted attestation: its block, the recovered oracle and the contracts it fired.</summary>
public sealed record OracleFactResult(string Result, ulong Height, string Oracle, IReadOnlyList<string> Fired);

/// <summary>What a party is about to grant an ERP key (<see cref="CentimeClient.ErpKeyTypedDataAsync"/>): validUntil in unix seconds (0 revokes); a null nonce lets the node pick one.</summary>
public sealed record ErpKeyGrantDraft(string Party, string Erp, string ValidUntil, string? Nonce = null);

/// <summary>
/// A party's signed grant of an ERP system's key (POST /v1/contracts/erp-keys): until <paramref name="ValidUntil"/>
/// (Unix seconds; "0" revokes) the key <paramref name="Erp"/> may fund contracts paid by <paramref name="Party"/> and
/// send contract events as it. <paramref name="Signature"/> is the party's EIP-712 <c>ErpKey</c> signature
/// (<see cref="HolderTypedData.ErpKey"/>, <see cref="HolderSigner.SignErpKey"/>).
/// </summary>
public sealed record ErpKeyRequest(string Party, string Erp, string ValidUntil, string Nonce, string Signature);

/// <summary>An ERP key a party granted: valid through <paramref name="ValidUntil"/> (Unix seconds of ledger time);
/// <paramref name="Height"/> is the block that recorded the grant (null in lists).</summary>
public sealed record ErpKeyInfo(string Party, string Erp, string ValidUntil, bool Active, ulong? Height);

/// <summary>A webhook subscription to the event feed (docs/events.md); unset filters mean every event.</summary>
public sealed record WebhookSubscriptionRequest(string Url, IReadOnlyList<string>? Types = null, string? Account = null, string? Contract = null, ulong? FromHeight = null);

/// <summary>A subscription as listed (never with its secret); <c>delivery</c> is the dispatcher's state, as JSON.</summary>
public sealed record WebhookInfo(string Id, string Url, IReadOnlyList<string>? Types, string? Account, string? Contract, ulong FromHeight,
    DateTimeOffset CreatedAt, string CreatedBy, System.Text.Json.JsonElement? Delivery);

/// <summary>A new subscription: the only time its signing secret (hex) is shown.</summary>
public sealed record WebhookCreatedInfo(WebhookInfo Webhook, string Secret);

/// <summary>A published proof-of-liabilities root: hash and total (minor units).</summary>
public sealed record LiabilitiesRootHash(string Hash, string Total);

/// <summary>A published proof-of-liabilities root with its height, holder count and the supply it was checked against.</summary>
public sealed record LiabilitiesInfo(int Version, string Coin, string Height, LiabilitiesRootHash Root, int LeafCount, string CirculatingSupply,
    bool TotalMatchesSupply, DateTimeOffset PublishedAt, long BuildMilliseconds);

/// <summary>The issuer's signing address for disclosure reports and the signature scheme.</summary>
public sealed record IssuerIdentity(string Address, string SignatureScheme);
