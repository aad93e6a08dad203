using System.CommandLine;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// Reserves from the bank (docs/reserves.md, docs/cli.md "Bank files"): import camt.053/054 files, work the
/// reconciliation queue, export redemption payouts as pain.001.
/// </summary>
internal static class BankCommands
{
    private static readonly Option<string> CoinOption = new("--coin") { Description = "Coin symbol, e.g. NUSD", Required = true };

    /// <summary>Adds <c>centime bank …</c> to the root command (Program.cs).</summary>
    public static void AddTo(RootCommand root)
    {
        var bank = new Command("bank", "Bank files: camt.053/054 imports, the reconciliation queue, pain.001 payout batches.");
        bank.Add(CreateImport());
        bank.Add(CreateStatements());
        bank.Add(CreateQueue());
        bank.Add(CreateResolve());
        bank.Add(CreateExport());
        bank.Add(CreateBatches());
        bank.Add(CreatePayoutFile());
        root.Add(bank);
        root.Add(CreateHolidays());
    }

    private static Command CreateHolidays()
    {
        var command = new Command("holidays", "A coin's business-day calendar: public holidays that redemption deadlines skip.");
        var file = new Argument<FileInfo>("file") { Description = "iCalendar (.ics) or 'yyyy-MM-dd name' lines" };
        var name = new Option<string>("--name") { Description = "Calendar name, e.g. 'HK 2026-2027'", Required = true };
        var offset = new Option<string?>("--utc-offset") { Description = "The calendar's UTC offset, e.g. +08:00 (default +00:00)" };
        var load = new Command("load", "Load the calendar from a holiday file (admin).") { CoinOption, file, name, offset };
        load.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new UsageException($"no file {path.FullName}");
            }

            using var api = CliContext.Client(parse);
            IssuanceCommands.PrintOutcome(parse, await api.SetHolidayCalendarAsync(parse.GetValue(CoinOption)!, parse.GetValue(name)!, await File.ReadAllBytesAsync(path.FullName, ct), parse.GetValue(offset), ct));
            return CliContext.ExitOk;
        }));
        command.Add(load);

        var list = CliContext.ListCommand("list", "The calendar's holidays, by date.", CoinOption);
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.ListHolidaysAsync(parse.GetValue(CoinOption)!, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Date", "Holiday");
            foreach (var h in page.Items)
            {
                table.AddRow(h.Date, Markup.Escape(h.Name));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);
            return CliContext.ExitOk;
        }));
        command.Add(list);
        return command;
    }

    private static Command CreateImport()
    {
        var file = new Argument<FileInfo>("file") { Description = "A camt.053 statement or camt.054 notification (XML)" };
        var command = new Command("import", "Import a bank file (reserve_manager): entries are matched to deposits and payouts, the rest queued; a statement's closing balance becomes the bank holding's balance.") { CoinOption, file };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new UsageException($"no file {path.FullName}");
            }

            var outcome = await api.ImportBankStatementAsync(parse.GetValue(CoinOption)!, await File.ReadAllBytesAsync(path.FullName, ct), null, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(outcome);
                return CliContext.ExitOk;
            }

            IssuanceCommands.PrintOutcome(parse, outcome.Action);
            var i = outcome.Import;
            var table = new Table().AddColumns("Entry", "Direction", "Amount (minor units)", "Outcome", "Matched", "Queue item");
            foreach (var e in i.Entries)
            {
                var color = e.Outcome switch { "matched" => "green", "queued" or "partial" or "overpaid" => "yellow", _ => "default" };
                table.AddRow(Markup.Escape(e.Reference), e.Direction, e.Amount, $"[{color}]{e.Outcome}[/]", Markup.Escape(e.Target ?? ""), e.QueueItem?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "");
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(i.BalanceApplied
                ? $"balance of holding [bold]{Markup.Escape(i.Holding)}[/] is now {i.ClosingBalance} minor units as of {i.ClosingDate}"
                : "no balance applied (a notification, or an older statement than the one the holding carries)");
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateStatements()
    {
        var command = CliContext.ListCommand("statements", "Imported bank files, oldest first.", CoinOption);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.ListBankStatementsAsync(parse.GetValue(CoinOption)!, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Kind", "Statement", "Account", "Holding", "Closing balance", "Date", "Entries", "Imported by", "SHA-256");
            foreach (var i in page.Items)
            {
                table.AddRow(i.Kind, Markup.Escape(i.StatementId), Markup.Escape(i.Account), Markup.Escape(i.Holding), i.ClosingBalance ?? "", i.ClosingDate ?? "",
                    i.Entries.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(i.ImportedBy), i.FileSha256);
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateQueue()
    {
        var status = new Option<string?>("--status") { Description = "open (default), resolved or all" };
        var command = CliContext.ListCommand("queue", "The reconciliation queue: bank entries no rule could match, oldest first.", CoinOption, status);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.ListReconciliationAsync(parse.GetValue(CoinOption)!, parse.GetValue(status), parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Item", "Reason", "Direction", "Amount (minor units)", "Entry", "Statement", "Booked", "Remittance", "Status");
            foreach (var q in page.Items)
            {
                table.AddRow(q.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), q.Reason, q.Direction, q.Amount, Markup.Escape(q.EntryReference), Markup.Escape(q.StatementId),
                    q.BookingDate, Markup.Escape(q.Remittance), q.Status == "open" ? "[yellow]open[/]" : $"resolved ({Markup.Escape(q.Resolution ?? "")} by {Markup.Escape(q.ResolvedBy ?? "")})");
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);
            if (page.Items.Count == 0)
            {
                AnsiConsole.MarkupLine("[green]nothing to reconcile[/]");
            }

            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateResolve()
    {
        var item = new Argument<ulong>("item") { Description = "Reconciliation item number" };
        var deposit = new Option<string?>("--deposit") { Description = "Book the credit to this deposit reference (recorded when new)" };
        var redemption = new Option<string?>("--redemption") { Description = "Book the debit as this redemption's payout" };
        var dismiss = new Option<bool>("--dismiss") { Description = "Close the item without booking (--note required)" };
        var note = new Option<string?>("--note") { Description = "Why (kept in the audit trail)" };
        var command = new Command("resolve", "Resolve a reconciliation item (reserve_manager).") { CoinOption, item, deposit, redemption, dismiss, note };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var chosen = (parse.GetValue(deposit) is not null ? 1 : 0) + (parse.GetValue(redemption) is not null ? 1 : 0) + (parse.GetValue(dismiss) ? 1 : 0);
            if (chosen != 1)
            {
                throw new UsageException("give exactly one of --deposit REF, --redemption ID, --dismiss");
            }

            var request = new ResolveReconciliationRequest
            {
                Resolution = parse.GetValue(dismiss) ? "dismiss" : parse.GetValue(deposit) is not null ? "deposit" : "redemption",
                Target = parse.GetValue(deposit) ?? parse.GetValue(redemption),
                Note = parse.GetValue(note),
            };
            using var api = CliContext.Client(parse);
            IssuanceCommands.PrintOutcome(parse, await api.ResolveReconciliationAsync(parse.GetValue(CoinOption)!, parse.GetValue(item), request, ct));
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateExport()
    {
        var holding = new Option<string>("--holding") { Description = "The bank holding that pays", Required = true };
        var debtor = new Option<string?>("--debtor-name") { Description = "Dbtr/Nm (default: the coin's name and 'reserve')" };
        var date = new Option<string?>("--execution-date") { Description = "ReqdExctnDt yyyy-MM-dd (default: the ledger date)" };
        var redemptions = new Option<string[]>("--redemption") { Description = "Redemption ids (default: every pending payout not yet exported)", AllowMultipleArgumentsPerToken = true };
        var output = new Option<FileInfo?>("--out") { Description = "Write the pain.001 file here (default: <message id>.xml)" };
        var command = new Command("export-payouts", "Export pending redemption payouts as one pain.001.001.09 file (reserve_manager).") { CoinOption, holding, debtor, date, redemptions, output };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var coin = parse.GetValue(CoinOption)!;
            var ids = parse.GetValue(redemptions);
            var outcome = await api.ExportPayoutsAsync(coin, new PayoutExportRequest
            {
                Holding = parse.GetValue(holding),
                DebtorName = parse.GetValue(debtor),
                ExecutionDate = parse.GetValue(date),
                Redemptions = ids is { Length: > 0 } ? ids : null,
            }, ct);
            var file = await api.GetPayoutFileAsync(coin, outcome.Batch.Id, ct);
            var path = parse.GetValue(output)?.FullName ?? Path.GetFullPath(outcome.Batch.MessageId + ".xml");
            await File.WriteAllBytesAsync(path, file, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(outcome);
                return CliContext.ExitOk;
            }

            IssuanceCommands.PrintOutcome(parse, outcome.Action);
            AnsiConsole.MarkupLine($"{outcome.Batch.Redemptions.Count} payout(s), total {outcome.Batch.Total} minor units, written to [bold]{Markup.Escape(path)}[/] (sha256 {outcome.Batch.FileSha256})");
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreateBatches()
    {
        var command = CliContext.ListCommand("batches", "Exported payout batches, oldest first.", CoinOption);
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var page = await api.ListPayoutBatchesAsync(parse.GetValue(CoinOption)!, parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(page);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Batch", "Message id", "Holding", "Execution date", "Payouts", "Total (minor units)", "By", "SHA-256");
            foreach (var b in page.Items)
            {
                table.AddRow(b.Id, b.MessageId, Markup.Escape(b.Holding), b.ExecutionDate, b.Redemptions.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), b.Total, Markup.Escape(b.CreatedBy), b.FileSha256);
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(page);
            return CliContext.ExitOk;
        }));
        return command;
    }

    private static Command CreatePayoutFile()
    {
        var batch = new Argument<string>("batch") { Description = "Batch id" };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the pain.001 file", Required = true };
        var command = new Command("payout-file", "Write an exported batch's pain.001 file again (the same bytes).") { CoinOption, batch, output };
        command.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var api = CliContext.Client(parse);
            var path = parse.GetValue(output)!.FullName;
            await File.WriteAllBytesAsync(path, await api.GetPayoutFileAsync(parse.GetValue(CoinOption)!, parse.GetValue(batch)!, ct), ct);
            Console.Out.WriteLine(path);
            return CliContext.ExitOk;
        }));
        return command;
    }
}
