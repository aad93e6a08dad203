namespace Centime.Client;

// JSON shapes of lawful orders (docs/compliance.md, "Lawful orders"). Amounts are decimal strings of minor units; times
// are ledger time in Unix nanoseconds; action ids are decimal 128-bit integers.

/// <summary>
/// Body of POST /v1/issuance/coins/{coin}/orders: a lawful order. <see cref="Kind"/> is <c>freeze</c>, <c>unfreeze</c>,
/// <c>seize</c> (needs <see cref="To"/>, the designated receiving account, and <see cref="Amount"/>) or <c>burn</c> (needs
/// <see cref="Amount"/>); <see cref="Reason"/> is one of <c>sanctions</c>, <c>court_order</c>, <c>law_enforcement</c>,
/// <c>regulatory_direction</c>, <c>fraud</c>, <c>aml_investigation</c>, <c>order_lifted</c>.
/// </summary>
public sealed record LawfulOrderRequest
{
    public string? Kind { get; init; }
    /// <summary>The holder's account the order names.</summary>
    public string? Account { get; init; }
    /// <summary>The account a seizure pays into (seize only).</summary>
    public string? To { get; init; }
    /// <summary>Minor units to seize or burn (seize and burn only).</summary>
    public string? Amount { get; init; }
    /// <summary>The order's reference (court case, warrant, regulator's letter), shown to the holder and in the audit trail.</summary>
    public string? Reference { get; init; }
    public string? Reason { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>A lawful order and its outcome. <see cref="Status"/>: pending, effective, rejected; an effective order took effect in <see cref="EffectiveHeight"/>, the approving block.</summary>
public sealed record LawfulOrderInfo(string Action, string Coin, string Kind, string Account, string? To, string? Amount, string Reference, string Reason, string Status,
    string Requester, ulong RequestedHeight, ulong RequestedAt, string? Decider, ulong? EffectiveHeight, ulong? EffectiveAt, string? Transfer);

/// <summary>
/// GET /v1/coins/{symbol}/accounts/{address}/freeze: whether the account is frozen and why. A frozen balance is still the
/// holder's and still counted (and backed) in the coin's supply. <see cref="Reason"/> and <see cref="OrderReference"/> are
/// null when the account is not frozen, or was frozen before lawful orders existed.
/// </summary>
public sealed record FreezeStatusInfo(string Coin, string Address, bool Frozen, string Balance, string? Reason, string? OrderReference, string? OrderAction,
    ulong? SinceHeight, ulong? SinceTime);
