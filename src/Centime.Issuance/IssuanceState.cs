using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>An operator: an id, the SHA-256 of their API key (the key itself is never stored), and roles.</summary>
/// <param name="Id">Operator id (lower case letters, digits, '_', '-', '.'; 1–32 characters).</param>
/// <param name="KeyHash">SHA-256 of the operator's API key (UTF-8).</param>
/// <param name="Roles">What they may do; none = disabled.</param>
/// <param name="AddedAt">Ledger time the operator was added (Unix ns).</param>
/// <param name="CreatedBy">The operator who added it (and was shown its first key).</param>
/// <param name="ControlledBy">Who else knows its current key: the adding operator, or the admin who last rotated it;
/// empty once the operator rotated its own key. Approvals in multi-operator mode need an approver outside this chain.</param>
public sealed record Operator(string Id, Hash32 KeyHash, OperatorRoles Roles, ulong AddedAt, string CreatedBy, string ControlledBy);

/// <summary>A recorded fiat deposit and how much of it has been minted.</summary>
public sealed record Deposit(string Reference, string Bank, UInt128 Amount, DateOnly ValueDate, string Holding, ulong RecordedAt, string RecordedBy, UInt128 Minted)
{
    /// <summary>What may still be minted against this deposit.</summary>
    public UInt128 Unminted => Amount - Minted;
}

/// <summary>A minter's allowance in one coin (consumed by mints, never restored by burns) and rate limit.</summary>
/// <param name="Minter">Operator id.</param>
/// <param name="Allowance">Remaining allowance in minor units.</param>
/// <param name="RateLimit">Most the minter may mint per window (0 = no limit).</param>
/// <param name="RateWindowSeconds">Window length in ledger-time seconds.</param>
/// <param name="WindowStart">Start of the current window (ledger time, ns).</param>
/// <param name="WindowUsed">Minted in the current window.</param>
public sealed record MinterAllowance(string Minter, UInt128 Allowance, UInt128 RateLimit, ulong RateWindowSeconds, ulong WindowStart, UInt128 WindowUsed);

/// <summary>State of a payout instruction.</summary>
public enum RedemptionStatus : byte
{
    /// <summary>Coins burned; the fiat payout is not yet confirmed.</summary>
    Pending = 1,
    /// <summary>The payout was confirmed with a bank reference.</summary>
    Paid = 2,
}

/// <summary>A redemption: the burn and the payout instruction it created.</summary>
/// <param name="Id">The redeem action's id.</param>
/// <param name="Coin">Coin number.</param>
/// <param name="Holder">Whose coins were burned.</param>
/// <param name="Amount">Burned, and owed in fiat, in minor units.</param>
/// <param name="PayTo">Payout instruction (beneficiary bank account).</param>
/// <param name="RequestedBy">Operator who submitted it.</param>
/// <param name="RequestedAt">Ledger time of the burn (ns).</param>
/// <param name="Deadline">Ledger time by which the payout must be made (ns).</param>
/// <param name="BurnTransferId">The ledger transfer that burned the coins.</param>
/// <param name="Status">Pending or paid.</param>
/// <param name="OverdueAt">Ledger time the deadline passed while unpaid (0 = never).</param>
/// <param name="PaidAt">Ledger time marked paid (0 = not yet).</param>
/// <param name="PaidReference">Bank reference of the payout.</param>
/// <param name="PaidBy">Operator who marked it paid.</param>
public sealed record Redemption(
    UInt128 Id,
    uint Coin,
    Address Holder,
    UInt128 Amount,
    string PayTo,
    string RequestedBy,
    ulong RequestedAt,
    ulong Deadline,
    UInt128 BurnTransferId,
    RedemptionStatus Status,
    ulong OverdueAt,
    ulong PaidAt,
    string PaidReference,
    string PaidBy)
{
    /// <summary>Unpaid and past its deadline at ledger time <paramref name="now"/>.</summary>
    public bool IsOverdue(ulong now) => Status == RedemptionStatus.Pending && (OverdueAt != 0 || now >= Deadline);

    /// <summary>Paid by its deadline.</summary>
    public bool PaidOnTime => Status == RedemptionStatus.Paid && PaidAt <= Deadline;
}

/// <summary>Whether an action ran.</summary>
public enum ActionStatus : byte
{
    /// <summary>Applied.</summary>
    Executed = 1,
    /// <summary>Waiting for a second operator's approval.</summary>
    Pending = 2,
    /// <summary>Rejected; never applied.</summary>
    Rejected = 3,
}

/// <summary>An accepted issuance action (commands that failed leave no trace here; the journal keeps them with their code).</summary>
public sealed record IssuanceAction(
    UInt128 Id,
    IssuanceCommand Command,
    ActionStatus Status,
    string Requester,
    string? Decider,
    ulong RequestedAt,
    ulong RequestedHeight,
    ulong DecidedAt,
    string Summary,
    string? Note);

/// <summary>One line of the audit trail: who asked, who approved, what happened, when (ledger time and height).</summary>
/// <param name="Sequence">1-based position in the trail.</param>
/// <param name="Time">Ledger time (ns).</param>
/// <param name="Height">Block height.</param>
/// <param name="Action">The action id (for approvals and rejections: the approved or rejected action).</param>
/// <param name="Event"><c>executed</c>, <c>pending_approval</c>, <c>approved</c>, <c>rejected</c> or <c>payout_overdue</c>.</param>
/// <param name="Name">The action's name, e.g. <c>mint</c>.</param>
/// <param name="Coin">Coin number, or 0.</param>
/// <param name="Requester">Operator who requested it (<c>system</c> for deadlines).</param>
/// <param name="Approver">Operator who approved or rejected it, if any.</param>
/// <param name="Detail">What it did, for people.</param>
public sealed record AuditEntry(ulong Sequence, ulong Time, ulong Height, UInt128 Action, string Event, string Name, uint Coin, string Requester, string? Approver, string Detail);

/// <summary>Supply against reserves for one coin at one date.</summary>
/// <param name="Supply">Circulating supply (minor units).</param>
/// <param name="Reserves">Value of every holding.</param>
/// <param name="EligibleReserves">Value of the holdings eligible under the coin's regime.</param>
/// <param name="CoverageBasisPoints">Eligible reserves / supply in basis points (10,000 = 100%); null when the supply is 0.</param>
public readonly record struct Coverage(UInt128 Supply, UInt128 Reserves, UInt128 EligibleReserves, UInt128? CoverageBasisPoints);

/// <summary>Issuance state of one coin. Read it only under the node's read lock.</summary>
public sealed class CoinIssuance
{
    internal CoinIssuance(Coin coin)
    {
        Coin = coin;
        Book = new ReserveBook(coin.Currency, coin.Decimals);
    }

    /// <summary>The ledger coin.</summary>
    public Coin Coin { get; }

    /// <summary>Reserve regime whose eligibility rules apply.</summary>
    public ReserveRegime Regime { get; internal set; } = ReserveRegime.Genius;

    /// <summary>Redemption window in seconds; 0 = one business day (docs/issuance.md).</summary>
    public ulong RedemptionWindowSeconds { get; internal set; }

    /// <summary>Mints above this amount need a second approval (<see cref="UInt128.MaxValue"/> = never).</summary>
    public UInt128 MintApprovalAbove { get; internal set; } = UInt128.MaxValue;

    /// <summary>Pause and unpause need a second approval.</summary>
    public bool PauseNeedsApproval { get; internal set; }

    /// <summary>Paused: no mint, no redemption burn, no transfer of the coin.</summary>
    public bool Paused { get; internal set; }

    /// <summary>Total minted through the module.</summary>
    public UInt128 Minted { get; internal set; }

    /// <summary>Total burned by redemptions.</summary>
    public UInt128 Redeemed { get; internal set; }

    /// <summary>The reserve book (read only outside the module).</summary>
    internal ReserveBook Book { get; }

    /// <summary>Holdings in book order.</summary>
    public IReadOnlyList<ReserveHolding> Holdings => Book.Holdings;

    internal List<Deposit> DepositList { get; } = [];

    internal Dictionary<string, int> DepositIndex { get; } = new(StringComparer.Ordinal);

    /// <summary>Deposits in the order recorded.</summary>
    public IReadOnlyList<Deposit> Deposits => DepositList;

    internal SortedDictionary<string, MinterAllowance> MinterMap { get; } = new(StringComparer.Ordinal);

    /// <summary>Minters configured for this coin, by id.</summary>
    public IReadOnlyCollection<MinterAllowance> Minters => MinterMap.Values;

    internal List<Redemption> RedemptionList { get; } = [];

    /// <summary>Redemptions in the order requested.</summary>
    public IReadOnlyList<Redemption> Redemptions => RedemptionList;

    /// <summary>The regime's profile.</summary>
    public RegimeProfile Profile => IssuanceModule.ProfileOf(Regime);

    /// <summary>The business-day calendar redemption deadlines are counted on (null: weekends only, UTC).</summary>
    public BusinessCalendar? Calendar { get; internal set; }

    /// <summary>Bank imports, the reconciliation queue and payout batches (docs/reserves.md, "Reserves from the bank").</summary>
    internal Bank.BankBook Bank { get; } = new();

    /// <summary>Imported bank files, oldest first.</summary>
    public IReadOnlyList<Bank.BankImport> BankImports => Bank.Imports;

    /// <summary>The reconciliation queue, oldest first.</summary>
    public IReadOnlyList<Bank.ReconciliationItem> Reconciliation => Bank.Queue;

    /// <summary>Exported pain.001 payout batches, oldest first.</summary>
    public IReadOnlyList<Bank.PayoutBatch> PayoutBatches => Bank.Batches;

    /// <summary>What the bank confirmed of a deposit (0 when no entry matched it).</summary>
    public UInt128 ReceivedOf(string depositReference) => Bank.Received.GetValueOrDefault(depositReference);

    /// <summary>The statement (id and closing-balance date) a bank holding's balance comes from, or null when it was typed in.</summary>
    public (string StatementId, DateOnly Date)? StatementOf(string holding) =>
        Bank.LastStatement.TryGetValue(holding, out var last) ? last : null;

    /// <summary>The batch a redemption was exported in, or null.</summary>
    public UInt128? ExportedIn(UInt128 redemption) => Bank.ExportedIn.TryGetValue(redemption, out var batch) ? batch : null;

    /// <summary>The guards the ledger applies to this coin.</summary>
    internal CoinGuard Guard => CoinGuard.SupplyManaged | (Paused ? CoinGuard.Paused : CoinGuard.None);
}
