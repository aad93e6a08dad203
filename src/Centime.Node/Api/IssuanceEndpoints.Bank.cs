using System.Globalization;
using Centime.Client;
using Centime.Issuance;
using Centime.Issuance.Bank;
using Centime.Ledger;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Centime.Node.Api;

/// <summary>Reserves from the bank (docs/reserves.md): camt.053/054 imports, the reconciliation queue, pain.001 payout batches.</summary>
public static partial class IssuanceEndpoints
{
    private static void MapBank(RouteGroupBuilder g, NodeContext node)
    {
        g.MapPost("/coins/{coin}/bank-statements", (string coin, Caller caller, HttpContext http) => ImportBankStatementAsync(node, caller, coin, http)).WithName("ImportBankStatement")
            .WithSummary("Import a camt.053 statement or camt.054 notification (base64 in 'file'); entries are matched to deposits and payouts, the rest queued; a statement's closing booked balance becomes its bank holding's balance (reserve_manager).")
            .Accepts<BankStatementImportRequest>("application/json").Produces<BankImportOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapGet("/coins/{coin}/bank-statements", (string coin, [AsParameters] PageParameters page) => ListBankStatements(node, coin, page)).WithName("ListBankStatements")
            .WithSummary("Imported bank files with each entry's outcome, oldest first (operators; a page).").Produces<Page<BankImportInfo>>().RequiresAnyOperator();
        g.MapGet("/coins/{coin}/reconciliation", (string coin, string? status, [AsParameters] PageParameters page) => ListReconciliation(node, coin, status, page)).WithName("ListReconciliation")
            .WithSummary("The reconciliation queue; ?status=open (default)|resolved|all (operators; a page).").Produces<Page<ReconciliationItemInfo>>().RequiresAnyOperator();
        g.MapPost("/coins/{coin}/reconciliation/{item}/resolve", (string coin, string item, Caller caller, HttpContext http) => ResolveReconciliationAsync(node, caller, coin, item, http)).WithName("ResolveReconciliation")
            .WithSummary("Resolve a reconciliation item: book a credit to a deposit, a debit to a payout, or dismiss it with a note (reserve_manager).")
            .Accepts<ResolveReconciliationRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapPost("/coins/{coin}/payout-batches", (string coin, Caller caller, HttpContext http) => ExportPayoutsAsync(node, caller, coin, http)).WithName("ExportPayouts")
            .WithSummary("Export pending redemption payouts as one ISO 20022 pain.001.001.09 batch; each payout is exported once (reserve_manager).")
            .Accepts<PayoutExportRequest>("application/json").Produces<PayoutBatchOutcome>().RequiresRole(OperatorRoles.ReserveManager);
        g.MapGet("/coins/{coin}/payout-batches", (string coin, [AsParameters] PageParameters page) => ListPayoutBatches(node, coin, page)).WithName("ListPayoutBatches")
            .WithSummary("Exported payout batches, oldest first (operators; a page).").Produces<Page<PayoutBatchInfo>>().RequiresAnyOperator();
        g.MapGet("/coins/{coin}/payout-batches/{id}/pain001", (string coin, string id) => GetPayoutFile(node, coin, id)).WithName("GetPayoutFile")
            .WithSummary("A batch's pain.001 XML, the same bytes every time (operators).").Produces(200, contentType: "application/xml").RequiresAnyOperator();
        g.MapPost("/coins/{coin}/holidays", (string coin, Caller caller, HttpContext http) => SetHolidayCalendarAsync(node, caller, coin, http)).WithName("SetHolidayCalendar")
            .WithSummary("Load the coin's business-day calendar from a public-holiday file (iCalendar or 'yyyy-MM-dd name' lines, base64 in 'file'); redemption deadlines in business days skip its holidays (admin).")
            .Accepts<HolidayCalendarRequest>("application/json").Produces<ActionOutcome>().RequiresRole(OperatorRoles.Admin);
        g.MapGet("/coins/{coin}/holidays", (string coin, [AsParameters] PageParameters page) => ListHolidays(node, coin, page)).WithName("ListHolidays")
            .WithSummary("The public holidays of the coin's business-day calendar, by date (public; a page).").Produces<Page<HolidayInfo>>().Public();
    }

    private static async Task<IResult> SetHolidayCalendarAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<HolidayCalendarRequest>(http);
        var name = Text(request.Name, "name");
        byte[] file;
        try
        {
            file = Convert.FromBase64String(Required(request.File, "file"));
        }
        catch (FormatException)
        {
            throw Invalid("file", "must be the base64 of the holiday file's bytes");
        }

        var offset = 0;
        if (request.UtcOffset is { } text)
        {
            if (text.Length != 6 || text[0] is not ('+' or '-') || text[3] != ':'
                || !int.TryParse(text.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var hours)
                || !int.TryParse(text.AsSpan(4, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var minutes) || hours > 14 || minutes > 59)
            {
                throw Invalid("utcOffset", "is '+hh:mm' or '-hh:mm', e.g. '+08:00'");
            }

            offset = (text[0] == '-' ? -1 : 1) * ((hours * 60) + minutes);
        }

        List<Holiday> holidays;
        try
        {
            holidays = BusinessCalendar.Parse(file);
        }
        catch (FormatException e)
        {
            throw new ProblemException(400, ProblemCodes.HolidayFileInvalid, "Holiday file refused", e.Message);
        }

        var calendar = new BusinessCalendar(name, offset, holidays, Hash32.Sha256(file));
        return Results.Json(await SubmitAsync(node, new SetHolidayCalendar(ActionIdOf(request.ActionId), caller.Id, number, calendar)), JsonDefaults.Options);
    }

    private static IResult ListHolidays(NodeContext node, string symbol, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var holidays = Module(view).Coin(number)?.Calendar?.Holidays ?? [];
            return Results.Json(Paging.ByPosition(holidays, query, h => new HolidayInfo(Date(h.Date), h.Name)), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> ImportBankStatementAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<BankStatementImportRequest>(http);
        var text = Required(request.File, "file");
        byte[] file;
        try
        {
            file = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw Invalid("file", "must be the base64 of the bank file's bytes");
        }

        Coin coin;
        using (var view = node.Read())
        {
            coin = view.State.GetCoin(number)!;
        }

        BankStatement statement;
        try
        {
            statement = CamtReader.Parse(file, coin.Currency, coin.Decimals);
        }
        catch (BankFileException e)
        {
            throw new ProblemException(e.Code == BankFileException.Invalid ? 400 : 422, e.Code, "Bank file refused", e.Message);
        }

        var command = new ImportBankStatement(ActionIdOf(request.ActionId), caller.Id, number, statement);
        var outcome = await SubmitAsync(node, command);
        using (var view = node.Read())
        {
            var import = Module(view).Coin(number)!.BankImports.First(i => i.Action == command.ActionId);
            return Results.Json(new BankImportOutcome(outcome, ToInfo(import)), JsonDefaults.Options);
        }
    }

    private static IResult ListBankStatements(NodeContext node, string symbol, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var imports = Module(view).Coin(number)?.BankImports ?? [];
            return Results.Json(Paging.ByPosition(imports, query, ToInfo), JsonDefaults.Options);
        }
    }

    private static IResult ListReconciliation(NodeContext node, string symbol, string? status, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        if (status is not (null or "open" or "resolved" or "all"))
        {
            throw new ProblemException(400, ProblemCodes.InvalidQuery, "Invalid query", "'status' is one of open, resolved, all");
        }

        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var queue = Module(view).Coin(number)?.Reconciliation ?? [];
            return Results.Json(Paging.ByPosition(queue, query, ToInfo, q => status switch
            {
                "all" => true,
                "resolved" => q.Status == ReconciliationStatus.Resolved,
                _ => q.Status == ReconciliationStatus.Open,
            }), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> ResolveReconciliationAsync(NodeContext node, Caller caller, string symbol, string item, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        if (!ulong.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id == 0)
        {
            throw Invalid("item", "must be a reconciliation item number (1, 2, …)");
        }

        var request = await ReadAsync<ResolveReconciliationRequest>(http);
        var resolution = Required(request.Resolution, "resolution");
        if (resolution is not ("deposit" or "redemption" or "dismiss"))
        {
            throw Invalid("resolution", "is one of deposit, redemption, dismiss");
        }

        var command = new ResolveReconciliation(ActionIdOf(request.ActionId), caller.Id, number, id, resolution, OptionalText(request.Target, "target"), OptionalText(request.Note, "note"));
        return Results.Json(await SubmitAsync(node, command), JsonDefaults.Options);
    }

    private static async Task<IResult> ExportPayoutsAsync(NodeContext node, Caller caller, string symbol, HttpContext http)
    {
        var number = CoinOf(node, symbol);
        var request = await ReadAsync<PayoutExportRequest>(http);
        var holding = Text(request.Holding, "holding");
        List<UInt128> redemptions;
        string debtor;
        DateOnly execution;
        using (var view = node.Read())
        {
            var module = Module(view);
            var coin = view.State.GetCoin(number)!;
            debtor = request.DebtorName is null ? coin.Name + " reserve" : Text(request.DebtorName, "debtorName");
            execution = request.ExecutionDate is null ? module.LedgerDate : DateField(request.ExecutionDate, "executionDate");
            var issuance = module.Coin(number);
            if (request.Redemptions is { } ids)
            {
                redemptions = [.. ids.Select(i => ParseActionId(i, "redemptions"))];
            }
            else
            {
                redemptions = [.. (issuance?.Redemptions ?? [])
                    .Where(r => r.Status == RedemptionStatus.Pending && issuance!.ExportedIn(r.Id) is null && IsoAmount.Format(r.Amount, coin.Currency, coin.Decimals) is not null)
                    .Take(ExportPayouts.MaxPayouts)
                    .Select(r => r.Id)];
            }
        }

        if (redemptions.Count == 0)
        {
            throw new ProblemException(409, ProblemCodes.NoPayoutsToExport, "Nothing to export", "no pending payout is waiting for export (or none can be paid in the currency's minor units)");
        }

        if (redemptions.Count > ExportPayouts.MaxPayouts)
        {
            throw Invalid("redemptions", $"at most {ExportPayouts.MaxPayouts} payouts per batch");
        }

        var command = new ExportPayouts(ActionIdOf(request.ActionId), caller.Id, number, holding, debtor, execution, redemptions);
        var outcome = await SubmitAsync(node, command);
        using (var view = node.Read())
        {
            var batch = Module(view).Coin(number)!.PayoutBatches.First(b => b.Id == command.ActionId);
            return Results.Json(new PayoutBatchOutcome(outcome, ToInfo(batch)), JsonDefaults.Options);
        }
    }

    private static IResult ListPayoutBatches(NodeContext node, string symbol, PageParameters page)
    {
        var number = CoinOf(node, symbol);
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var batches = Module(view).Coin(number)?.PayoutBatches ?? [];
            return Results.Json(Paging.ByPosition(batches, query, ToInfo), JsonDefaults.Options);
        }
    }

    private static IResult GetPayoutFile(NodeContext node, string symbol, string id)
    {
        var number = CoinOf(node, symbol);
        var batch = ParseActionId(id, "id");
        using (var view = node.Read())
        {
            var file = Module(view).PayoutFile(number, batch)
                ?? throw new ProblemException(404, ProblemCodes.PayoutBatchNotFound, "Not found", $"no payout batch {id} in {symbol}");
            return Results.Bytes(file, "application/xml", $"{Pain001Writer.EndToEndIdOf(batch)}.pain001.xml");
        }
    }

    private static string DirectionName(EntryDirection d) => d == EntryDirection.Credit ? "credit" : "debit";

    private static BankImportInfo ToInfo(BankImport i) => new(
        Dec(i.Action), i.Kind == BankMessageKind.Statement ? "camt.053" : "camt.054", i.StatementId, i.MessageId, i.Account, i.Holding, i.FileHash.ToString(),
        i.ImportedAt, i.ImportedBy, i.ClosingDate is null ? null : (i.ClosingIsDebit ? "-" : "") + Dec(i.ClosingBalance), i.ClosingDate is { } d ? Date(d) : null, i.BalanceApplied,
        [.. i.Entries.Select(e => new BankEntryOutcomeInfo(e.Reference, DirectionName(e.Direction), Dec(e.Amount), e.Outcome, e.Target.Length == 0 ? null : e.Target, e.QueueItem == 0 ? null : e.QueueItem))]);

    private static ReconciliationItemInfo ToInfo(ReconciliationItem q) => new(
        q.Id, q.StatementId, q.EntryReference, q.Holding, DirectionName(q.Direction), Dec(q.Amount), Date(q.BookingDate), Date(q.ValueDate), q.Reason,
        q.Target.Length == 0 ? null : q.Target, q.Remittance, q.Status == ReconciliationStatus.Open ? "open" : "resolved",
        q.ResolvedBy.Length == 0 ? null : q.ResolvedBy, q.ResolvedAt, q.Resolution.Length == 0 ? null : q.Resolution, q.Note.Length == 0 ? null : q.Note);

    private static PayoutBatchInfo ToInfo(PayoutBatch b) => new(
        Dec(b.Id), b.MessageId, b.Holding, b.DebtorName, Date(b.ExecutionDate), [.. b.Redemptions.Select(Dec)], Dec(b.Total), b.CreatedAt, b.CreatedBy, b.FileHash.ToString());
}
