using System.Globalization;

namespace Centime.Client;

/// <summary>Reserves from the bank (docs/reserves.md): bank statement imports, the reconciliation queue, pain.001 payout batches.</summary>
public sealed partial class CentimeClient
{
    /// <summary>Imports one camt.053 statement or camt.054 notification (reserve_manager); the same file twice is refused (409 bank_statement_already_imported).</summary>
    public Task<BankImportOutcome> ImportBankStatementAsync(string coin, byte[] file, string? actionId = null, CancellationToken ct = default) =>
        PostAsync<BankImportOutcome>(IssuancePath(coin, "/bank-statements"), new BankStatementImportRequest { File = Convert.ToBase64String(file), ActionId = actionId }, ct);

    /// <summary>Imported bank files, oldest first (operators).</summary>
    public Task<Page<BankImportInfo>> ListBankStatementsAsync(string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<BankImportInfo>>(IssuancePath(coin, "/bank-statements") + PageQuery(limit, cursor), ct);

    /// <summary>The reconciliation queue: <c>open</c> (the default), <c>resolved</c> or <c>all</c> (operators).</summary>
    public Task<Page<ReconciliationItemInfo>> ListReconciliationAsync(string coin, string? status = null, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<ReconciliationItemInfo>>(IssuancePath(coin, "/reconciliation") + PageQuery(limit, cursor, ("status", status)), ct);

    /// <summary>Resolves a reconciliation item (reserve_manager).</summary>
    public Task<ActionOutcome> ResolveReconciliationAsync(string coin, ulong item, ResolveReconciliationRequest request, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>(IssuancePath(coin, "/reconciliation/" + item.ToString(CultureInfo.InvariantCulture) + "/resolve"), request, ct);

    /// <summary>Exports pending payouts as one pain.001.001.09 batch (reserve_manager).</summary>
    public Task<PayoutBatchOutcome> ExportPayoutsAsync(string coin, PayoutExportRequest request, CancellationToken ct = default) =>
        PostAsync<PayoutBatchOutcome>(IssuancePath(coin, "/payout-batches"), request, ct);

    /// <summary>Exported payout batches, oldest first (operators).</summary>
    public Task<Page<PayoutBatchInfo>> ListPayoutBatchesAsync(string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<PayoutBatchInfo>>(IssuancePath(coin, "/payout-batches") + PageQuery(limit, cursor), ct);

    /// <summary>A batch's pain.001 file, the same bytes every time (its SHA-256 is the batch's fileSha256).</summary>
    public async Task<byte[]> GetPayoutFileAsync(string coin, string batch, CancellationToken ct = default)
    {
        using var response = await _http.GetAsync(IssuancePath(coin, "/payout-batches/" + Uri.EscapeDataString(batch) + "/pain001"), ct).ConfigureAwait(false);
        await ThrowIfProblemAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Loads the coin's business-day calendar from a public-holiday file (admin); redemption deadlines in business days skip its holidays.</summary>
    public Task<ActionOutcome> SetHolidayCalendarAsync(string coin, string name, byte[] file, string? utcOffset = null, CancellationToken ct = default) =>
        PostAsync<ActionOutcome>(IssuancePath(coin, "/holidays"), new HolidayCalendarRequest { Name = name, File = Convert.ToBase64String(file), UtcOffset = utcOffset }, ct);

    /// <summary>The public holidays of the coin's business-day calendar, by date (public).</summary>
    public Task<Page<HolidayInfo>> ListHolidaysAsync(string coin, int? limit = null, string? cursor = null, CancellationToken ct = default) =>
        GetAsync<Page<HolidayInfo>>(IssuancePath(coin, "/holidays") + PageQuery(limit, cursor), ct);
}
