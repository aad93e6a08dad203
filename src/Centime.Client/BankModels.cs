namespace Centime.Client;

/// <summary>Body of POST /v1/issuance/coins/{coin}/bank-statements: one camt.053 or camt.054 file, base64 of its exact bytes (the journal keeps their SHA-256).</summary>
public sealed record BankStatementImportRequest
{
    public string? File { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>What an import did with one bank entry: <c>matched</c>, <c>partial</c>, <c>overpaid</c>, <c>duplicate</c>, <c>not_booked</c> or <c>queued</c>.</summary>
/// <param name="Reference">AcctSvcrRef, else NtryRef.</param>
/// <param name="Direction"><c>credit</c> or <c>debit</c>.</param>
/// <param name="Amount">Minor units of the coin.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Target">The deposit reference or redemption id it matched, if any.</param>
/// <param name="QueueItem">The reconciliation item it raised or updated, if any.</param>
public sealed record BankEntryOutcomeInfo(string Reference, string Direction, string Amount, string Outcome, string? Target, ulong? QueueItem);

/// <summary>An imported bank file.</summary>
public sealed record BankImportInfo(
    string Action,
    string Kind,
    string StatementId,
    string MessageId,
    string Account,
    string Holding,
    string FileSha256,
    ulong ImportedAt,
    string ImportedBy,
    string? ClosingBalance,
    string? ClosingDate,
    bool BalanceApplied,
    IReadOnlyList<BankEntryOutcomeInfo> Entries);

/// <summary>Answer of an import: the journaled action and what it did.</summary>
public sealed record BankImportOutcome(ActionOutcome Action, BankImportInfo Import);

/// <summary>An item of the reconciliation queue (docs/reserves.md, "Reconciliation").</summary>
public sealed record ReconciliationItemInfo(
    ulong Id,
    string StatementId,
    string EntryReference,
    string Holding,
    string Direction,
    string Amount,
    string BookingDate,
    string ValueDate,
    string Reason,
    string? Target,
    string Remittance,
    string Status,
    string? ResolvedBy,
    ulong ResolvedAt,
    string? Resolution,
    string? Note);

/// <summary>Body of POST /v1/issuance/coins/{coin}/reconciliation/{item}/resolve.</summary>
public sealed record ResolveReconciliationRequest
{
    /// <summary><c>deposit</c> (Target = deposit reference), <c>redemption</c> (Target = redemption id) or <c>dismiss</c> (Note required).</summary>
    public string? Resolution { get; init; }
    public string? Target { get; init; }
    public string? Note { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>Body of POST /v1/issuance/coins/{coin}/payout-batches.</summary>
public sealed record PayoutExportRequest
{
    /// <summary>The bank holding that pays (its account reference is the debtor account).</summary>
    public string? Holding { get; init; }
    /// <summary>Dbtr/Nm; default: the coin's name and "reserve".</summary>
    public string? DebtorName { get; init; }
    /// <summary>ReqdExctnDt (YYYY-MM-DD); default: the ledger date.</summary>
    public string? ExecutionDate { get; init; }
    /// <summary>Redemption ids; default: every pending payout not yet exported that a bank can pay, oldest first (at most 1,000).</summary>
    public IReadOnlyList<string>? Redemptions { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>An exported pain.001 payout batch.</summary>
public sealed record PayoutBatchInfo(string Id, string MessageId, string Holding, string DebtorName, string ExecutionDate, IReadOnlyList<string> Redemptions, string Total, ulong CreatedAt, string CreatedBy, string FileSha256);

/// <summary>Answer of an export: the journaled action and the batch (fetch the file with GetPayoutFileAsync).</summary>
public sealed record PayoutBatchOutcome(ActionOutcome Action, PayoutBatchInfo Batch);

/// <summary>Body of POST /v1/issuance/coins/{coin}/holidays: a public-holiday file (iCalendar or "yyyy-MM-dd name" lines), base64 of its bytes.</summary>
public sealed record HolidayCalendarRequest
{
    /// <summary>e.g. "HK 2026-2027".</summary>
    public string? Name { get; init; }
    public string? File { get; init; }
    /// <summary>The calendar's offset from UTC, "+08:00" (default "+00:00").</summary>
    public string? UtcOffset { get; init; }
    public string? ActionId { get; init; }
}

/// <summary>A public holiday of a coin's business-day calendar.</summary>
public sealed record HolidayInfo(string Date, string Name);
