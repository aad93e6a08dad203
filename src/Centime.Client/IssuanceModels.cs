namespace Centime.Client;

// JSON shapes of /v1/issuance (docs/issuance.md). Amounts are decimal strings of minor units; dates are yyyy-MM-dd;
// times are ledger time in Unix nanoseconds; action ids are decimal 128-bit integers.

/// <summary>Who the presented key belongs to.</summary>
public sealed record WhoAmI(string Operator, IReadOnlyList<string> Roles);

/// <summary>An operator (never with their key).</summary>
/// <param name="CreatedBy">Who added the operator.</param>
/// <param name="ControlledBy">Who else knows its current key (the adding or rotating admin); null once the operator rotated its own key.</param>
public sealed record OperatorInfo(string Id, IReadOnlyList<string> Roles, string KeyHash, ulong AddedAt, string? CreatedBy = null, string? ControlledBy = null);

/// <summary>Body of POST /v1/issuance/operators/{id}/key (optional).</summary>
public sealed record RotateKeyRequest(string? ActionId = null);

/// <summary>GET /v1/issuance/policy: <c>multi_operator</c> (default) or <c>single_operator</c>, sandbox mode, and whether administrative changes need a second admin.</summary>
public sealed record GovernanceInfo(string Mode, bool SingleOperator, bool Sandbox, bool AdminChangesNeedApproval);

/// <summary>Body of POST /v1/issuance/operators.</summary>
public sealed record AddOperatorRequest(string Id, IReadOnlyList<string> Roles, string? ActionId = null);

/// <summary>Body of POST /v1/issuance/operators/{id}/roles.</summary>
public sealed record SetRolesRequest(IReadOnlyList<string> Roles, string? ActionId = null);

/// <summary>Body of POST /v1/issuance/policy.</summary>
public sealed record PolicyRequest(bool AdminChangesNeedApproval, string? ActionId = null);

/// <summary>Body of POST /v1/issuance/coins/{coin}/config. Absent fields keep their current value.</summary>
public sealed record CoinConfigRequest
{
    /// <summary>"genius", "hong_kong" or "mica".</summary>
    public string? Regime { get; init; }
    /// <summary>0 = one business day.</summary>
    public ulong? RedemptionWindowSeconds { get; init; }
    /// <summary>Mints above this amount need a second approval; "never" (default) turns it off.</summary>
    public string? MintApprovalAbove { get; init; }
    public bool? PauseNeedsApproval { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of POST /v1/issuance/coins/{coin}/minters.</summary>
public sealed record MinterRequest
{
    public string? Minter { get; init; }
    public string? Allowance { get; init; }
    /// <summary>Most per window; absent or "0" = no rate limit.</summary>
    public string? RateLimit { get; init; }
    public ulong? RateWindowSeconds { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of POST /v1/issuance/coins/{coin}/deposits.</summary>
public sealed record DepositRequest
{
    public string? Bank { get; init; }
    public string? Reference { get; init; }
    public string? Amount { get; init; }
    public string? ValueDate { get; init; }
    /// <summary>A bank holding of the coin's reserve book whose balance the deposit raises.</summary>
    public string? Holding { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of POST /v1/issuance/coins/{coin}/mints.</summary>
public sealed record MintRequest
{
    public string? Deposit { get; init; }
    public string? To { get; init; }
    public string? Amount { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of POST /v1/issuance/redemptions/{id}/paid.</summary>
public sealed record PayoutPaidRequest
{
    public string? Reference { get; init; }
    /// <summary>The bank holding the payout left (its balance is reduced).</summary>
    public string? Holding { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of approve/reject/pause/unpause/remove (all optional).</summary>
public sealed record DecisionRequest
{
    public string? Reason { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>A reserve holding as sent (POST …/reserves) and shown (with value and eligibility). Fields depend on <see cref="Type"/>.</summary>
public sealed record HoldingInfo
{
    /// <summary>"bank_deposit", "treasury_bill", "overnight_repo" or "money_market_fund".</summary>
    public string? Type { get; init; }
    public string? Id { get; init; }
    public string? Currency { get; init; }
    public string? ValuedOn { get; init; }
    public string? Custodian { get; init; }
    public bool? Segregated { get; init; }
    public bool? Rehypothecated { get; init; }

    // bank deposit
    public string? Bank { get; init; }
    public string? AccountReference { get; init; }
    public string? Amount { get; init; }
    /// <summary>"demand", "term" or "central_bank".</summary>
    public string? Kind { get; init; }
    public bool? Insured { get; init; }
    public string? PlacedOn { get; init; }
    public string? Maturity { get; init; }

    // treasury bill
    public string? Identifier { get; init; }
    public string? IssuingGovernment { get; init; }
    public string? IssueDate { get; init; }
    public string? MaturityDate { get; init; }
    public string? FaceValue { get; init; }
    /// <summary>Fraction of face as a decimal string, e.g. "0.9912".</summary>
    public string? Price { get; init; }

    // overnight repo
    public string? Counterparty { get; init; }
    public string? Principal { get; init; }
    public string? CollateralDescription { get; init; }
    /// <summary>"treasury_bills", "other_government_securities" or "other".</summary>
    public string? CollateralKind { get; init; }
    public string? CollateralValue { get; init; }
    public string? TradeDate { get; init; }

    // government money-market fund
    public string? Name { get; init; }
    public string? Units { get; init; }
    public int? UnitDecimals { get; init; }
    public string? NavPerUnit { get; init; }
    public bool? HoldsOnlyEligibleAssets { get; init; }

    public string? ActionId { get; init; }

    // shown, never sent
    public string? Value { get; init; }
    public bool? Eligible { get; init; }
    public string? Code { get; init; }
    public string? Reason { get; init; }
}

/// <summary>Body of POST /v1/issuance/coins/{coin}/reserves/{id}/value: the new figure for the holding's kind, and its date.</summary>
public sealed record ValuationRequest
{
    /// <summary>Bank balance.</summary>
    public string? Amount { get; init; }
    /// <summary>Bill price as a fraction of face, e.g. "0.9950".</summary>
    public string? Price { get; init; }
    /// <summary>Repo collateral value.</summary>
    public string? CollateralValue { get; init; }
    /// <summary>Fund NAV per unit.</summary>
    public string? NavPerUnit { get; init; }
    public string? ValuedOn { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Outcome of an issuance action: <c>executed</c>, or <c>pending_approval</c> (a second operator must approve it).</summary>
public sealed record ActionOutcome(string Action, string Status, string Name, string Summary, ulong Height, string Requester, string? Approver = null, string? Key = null);

/// <summary>An action as stored.</summary>
public sealed record ActionInfo(string Action, string Name, string Status, string Coin, string Requester, string? Decider, ulong RequestedAt, ulong RequestedHeight, ulong DecidedAt, string Summary, string? Note);

/// <summary>One line of the audit trail.</summary>
public sealed record AuditEntryInfo(ulong Sequence, ulong Time, ulong Height, string Action, string Event, string Name, string Coin, string Requester, string? Approver, string Detail);

/// <summary>A recorded deposit.</summary>
public sealed record DepositInfo(string Reference, string Bank, string Amount, string Minted, string Unminted, string ValueDate, string? Holding, ulong RecordedAt, string RecordedBy);

/// <summary>A minter's allowance in a coin.</summary>
public sealed record MinterInfo(string Minter, string Allowance, string RateLimit, ulong RateWindowSeconds, string WindowUsed);

/// <summary>A redemption and its payout instruction. <see cref="Status"/>: pending, overdue, paid, paid_late.</summary>
public sealed record RedemptionInfo(string Id, string Coin, string Holder, string Amount, string PayTo, string Status, ulong RequestedAt, ulong Deadline,
    string BurnTransfer, string RequestedBy, ulong? OverdueAt, ulong? PaidAt, string? PaidReference, string? PaidBy);

/// <summary>Per-category totals.</summary>
public sealed record CategoryInfo(string Category, int Holdings, string Total, string Eligible);

/// <summary>A coin's reserves under its regime.</summary>
public sealed record ReservesInfo(string Coin, string Regime, string AsOf, string Supply, string Total, string Eligible, string? Coverage,
    IReadOnlyList<HoldingInfo> Holdings, IReadOnlyList<CategoryInfo> Categories, IReadOnlyList<string> Violations);

/// <summary>A coin's issuance settings and figures.</summary>
public sealed record CoinIssuanceInfo(string Coin, bool Managed, bool Paused, string Regime, ulong RedemptionWindowSeconds, string MintApprovalAbove, bool PauseNeedsApproval,
    string Supply, string Minted, string Redeemed, string EligibleReserves, string? Coverage, IReadOnlyList<MinterInfo> Minters, int PendingRedemptions, int OverdueRedemptions)
{
    /// <summary>The part of <see cref="Supply"/> in accounts frozen by lawful order: still owed, still backed (minor units).</summary>
    public string FrozenBalance { get; init; } = "0";

    /// <summary>What effective lawful burn orders took out of circulation (minor units).</summary>
    public string BurnedByOrder { get; init; } = "0";
}
