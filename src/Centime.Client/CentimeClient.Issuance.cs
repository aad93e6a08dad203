using System.Globalization;

namespace Centime.Client;

/// <summary>
/// Issuance (docs/issuance.md): operators and roles, deposits, mints, approvals, redemptions and payouts, pause,
/// asset protection, reserves and the audit trail. Each operator sends their own key; amounts are minor units.
/// </summary>
public sealed partial class CentimeClient
{
    /// <summary>Who the key this client sends belongs to, and their roles.</summary>
    public Task<WhoAmI> WhoAmIAsync(CancellationToken ct = default) => GetAsync<WhoAmI>("v1/issuance/whoami", ct);

    /// <summary>Operators (admin, auditor). The bootstrap admin (the node's operator key) is not listed.</summary>
    public Task<Page<OperatorInfo>> ListOperatorsAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<OperatorInfo>>("v1/issuance/operators" + PageQuery(limit, cursor), ct);

    /// <summary>Adds an operator (admin); the answer's <see cref="ActionOutcome.Key"/> is their API key, shown this once.</summary>
    public Task<ActionOutcome> AddOperatorAsync(AddOperatorRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>("v1/issuance/operators", request, ct);

    /// <summary>Replaces an operator's roles (admin); no roles disables them.</summary>
    public Task<ActionOutcome> SetRolesAsync(string operatorId, SetRolesRequest request, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>("v1/issuance/operators/" + Uri.EscapeDataString(operatorId) + "/roles", request, ct);

    /// <summary>
    /// Replaces an operator's API key (its own: any operator; another's: admin, a privileged change); the answer's
    /// <see cref="ActionOutcome.Key"/> is the new key, shown once.
    /// </summary>
    public Task<ActionOutcome> RotateKeyAsync(string operatorId, RotateKeyRequest? request = null, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>("v1/issuance/operators/" + Uri.EscapeDataString(operatorId) + "/key", request ?? new RotateKeyRequest(), ct);

    /// <summary>The governance mode: multi- or single-operator, sandbox, whether admin changes need a second admin (public).</summary>
    /// <summary>Replaces the issuer key that signs disclosure reports (admin; under the default policy a second admin approves). Earlier reports keep verifying: see <see cref="GetIssuerAsync"/>.</summary>
    public Task<ActionOutcome> RotateIssuerKeyAsync(CancellationToken ct = default) => SendAsync<ActionOutcome>(HttpMethod.Post, "v1/issuance/issuer-key", null, ct);

    public Task<GovernanceInfo> GetPolicyAsync(CancellationToken ct = default) => GetAsync<GovernanceInfo>("v1/issuance/policy", ct);

    /// <summary>
    /// Requests a lawful order — freeze, unfreeze, seize or burn, with its order reference and reason code (asset_protection);
    /// it answers <c>pending_approval</c> and takes effect in the block where a different asset_protection operator approves it.
    /// </summary>
    public Task<ActionOutcome> RequestLawfulOrderAsync(string coin, LawfulOrderRequest request, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>(IssuancePath(coin, "/orders"), request, ct);

    /// <summary>Lawful orders of a coin, oldest first: <c>pending</c>, <c>effective</c>, <c>rejected</c> or <c>all</c> (asset_protection, admin, auditor).</summary>
    public Task<Page<LawfulOrderInfo>> ListLawfulOrdersAsync(string coin, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<LawfulOrderInfo>>(IssuancePath(coin, "/orders") + PageQuery(limit, cursor, ("status", status)), ct);

    /// <summary>Whether an account is frozen in a coin and why (reason code, order reference, effective block). Public: a holder asks about its own account.</summary>
    public Task<FreezeStatusInfo> GetFreezeStatusAsync(string coin, string address, CancellationToken ct = default) =>
        GetAsync<FreezeStatusInfo>("v1/coins/" + Uri.EscapeDataString(coin) + "/accounts/" + Uri.EscapeDataString(address) + "/freeze", ct);

    /// <summary>The node-wide approval policy (admin).</summary>
    public Task<ActionOutcome> SetPolicyAsync(PolicyRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>("v1/issuance/policy", request, ct);

    /// <summary>A coin's issuance settings and figures (public).</summary>
    public Task<CoinIssuanceInfo> GetCoinIssuanceAsync(string coin, CancellationToken ct = default) => GetAsync<CoinIssuanceInfo>(IssuancePath(coin, ""), ct);

    /// <summary>Regime, redemption window, approval thresholds (admin); absent fields stay as they are.</summary>
    public Task<ActionOutcome> ConfigureCoinAsync(string coin, CoinConfigRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>(IssuancePath(coin, "/config"), request, ct);

    /// <summary>A minter's allowance and rate limit in a coin (minter_manager).</summary>
    public Task<ActionOutcome> SetMinterAsync(string coin, MinterRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>(IssuancePath(coin, "/minters"), request, ct);

    public Task<Page<DepositInfo>> ListDepositsAsync(string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<DepositInfo>>(IssuancePath(coin, "/deposits") + PageQuery(limit, cursor), ct);

    /// <summary>Records a fiat deposit that mints may draw on (reserve_manager).</summary>
    public Task<ActionOutcome> RecordDepositAsync(string coin, DepositRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>(IssuancePath(coin, "/deposits"), request, ct);

    /// <summary>Mints against a recorded deposit through the mint gate (minter); may answer <c>pending_approval</c>.</summary>
    public Task<ActionOutcome> MintAsync(string coin, MintRequest request, CancellationToken ct = default) => PostAsync<ActionOutcome>(IssuancePath(coin, "/mints"), request, ct);

    /// <summary>Redemptions of a coin: <c>pending</c>, <c>overdue</c>, <c>paid</c> or <c>all</c> (the default).</summary>
    public Task<Page<RedemptionInfo>> ListRedemptionsAsync(string coin, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<RedemptionInfo>>(IssuancePath(coin, "/redemptions") + PageQuery(limit, cursor, ("status", status)), ct);

    /// <summary>Marks a redemption's payout paid (reserve_manager).</summary>
    public Task<ActionOutcome> MarkPayoutPaidAsync(string redemptionId, PayoutPaidRequest request, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>("v1/issuance/redemptions/" + Uri.EscapeDataString(redemptionId) + "/paid", request, ct);

    /// <summary>Pauses (true) or unpauses (false) a coin (pauser).</summary>
    public Task<ActionOutcome> SetPausedAsync(string coin, bool paused, DecisionRequest? request = null, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>(IssuancePath(coin, paused ? "/pause" : "/unpause"), request ?? new DecisionRequest(), ct);

    /// <summary>The reserve book evaluated under the coin's regime, as of a date (yyyy-MM-dd; default the ledger date). Public.</summary>
    public Task<ReservesInfo> GetReservesAsync(string coin, string? asOf = null, CancellationToken ct = default) =>
        GetAsync<ReservesInfo>(IssuancePath(coin, "/reserves") + (asOf is null ? "" : "?asOf=" + Uri.EscapeDataString(asOf)), ct);

    /// <summary>Adds a reserve holding (reserve_manager).</summary>
    public Task<ActionOutcome> AddHoldingAsync(string coin, HoldingInfo holding, CancellationToken ct = default) => PostAsync<ActionOutcome>(IssuancePath(coin, "/reserves"), holding, ct);

    /// <summary>A valuation update of a holding (reserve_manager).</summary>
    public Task<ActionOutcome> ValueHoldingAsync(string coin, string holdingId, ValuationRequest request, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>(IssuancePath(coin, "/reserves/" + Uri.EscapeDataString(holdingId) + "/value"), request, ct);

    /// <summary>Removes a holding (reserve_manager).</summary>
    public Task<ActionOutcome> RemoveHoldingAsync(string coin, string holdingId, CancellationToken ct = default) =>
        SendAsync<ActionOutcome>(HttpMethod.Delete, IssuancePath(coin, "/reserves/" + Uri.EscapeDataString(holdingId)), null, ct);

    /// <summary>Actions waiting for a second approval, or every action with <paramref name="all"/>.</summary>
    public Task<Page<ActionInfo>> ListApprovalsAsync(bool all = false, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<ActionInfo>>("v1/issuance/approvals" + PageQuery(limit, cursor, ("status", all ? "all" : null)), ct);

    public Task<ActionInfo> GetActionAsync(string actionId, CancellationToken ct = default) => GetAsync<ActionInfo>("v1/issuance/actions/" + Uri.EscapeDataString(actionId), ct);

    /// <summary>Approves a pending action, which executes now (a different operator with a qualifying role).</summary>
    public Task<ActionOutcome> ApproveAsync(string actionId, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>("v1/issuance/approvals/" + Uri.EscapeDataString(actionId) + "/approve", new DecisionRequest(), ct);

    /// <summary>Rejects a pending action; it never runs.</summary>
    public Task<ActionOutcome> RejectAsync(string actionId, string? reason = null, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>("v1/issuance/approvals/" + Uri.EscapeDataString(actionId) + "/reject", new DecisionRequest { Reason = reason }, ct);

    /// <summary>The issuance audit trail, oldest first (admin, auditor).</summary>
    public Task<Page<AuditEntryInfo>> GetAuditAsync(int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<AuditEntryInfo>>("v1/issuance/audit" + PageQuery(limit, cursor), ct);

    private static string IssuancePath(string coin, string rest) => "v1/issuance/coins/" + Uri.EscapeDataString(coin) + rest;
}
