using System.Security.Cryptography;
using System.Xml.Linq;
using Centime.Client;
using Centime.Testing;

namespace Centime.Node.Tests;

/// <summary>
/// Reserves from the bank over real HTTP, the SDK and the CLI: a camt.053 statement sets the reserve book's bank
/// balance and matches a deposit, an unknown credit waits in the queue, the same file twice is refused and changes
/// nothing, payouts leave as a pain.001 file whose EndToEndId comes back on a camt.054 debit that marks the payout paid.
/// </summary>
public sealed class BankFileTests : IDisposable
{
    private readonly CliRunner _cli = new("bank-files-test");

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task StatementImport_PayoutExport_DebitNotification_OverHttpSdkAndCli()
    {
        await using var issuer = await IssuanceTests.Issuer.StartAsync();
        var rm = new CentimeClient(new Uri(issuer.Node.BaseUrl), issuer.Keys["rm"]);
        var auditor = new CentimeClient(new Uri(issuer.Node.BaseUrl), issuer.Keys["aud"]);
        await issuer.OkAsync<ActionOutcome>("rm", "v1/issuance/coins/NUSD/reserves", IssuanceTests.Bank("bny", "0"));
        await issuer.OkAsync<ActionOutcome>("mm", "v1/issuance/coins/NUSD/minters", new MinterRequest { Minter = "m1", Allowance = "100000" + IssuanceTests.Whole });
        await rm.RecordDepositAsync("NUSD", new DepositRequest { Bank = "Bank of New York Mellon", Reference = "WIRE-0001", Amount = "1000" + IssuanceTests.Whole, ValueDate = IssuanceTests.Today });
        var today = IssuanceTests.Today;

        var statement = CamtFiles.Statement("STMT-1", "NUSD-RESERVE-1", "1005.00", today,
            new CamtEntry("1000.00", true, "BNY-1", Remittance: "WIRE-0001 ACME Corp", Date: today),
            new CamtEntry("5.00", true, "BNY-2", Remittance: "who is this", Date: today));

        // Only a reserve manager imports; an auditor is refused and nothing is imported.
        var forbidden = await Assert.ThrowsAsync<CentimeApiException>(() => auditor.ImportBankStatementAsync("NUSD", statement));
        Assert.Equal((403, "forbidden_role"), (forbidden.Status, forbidden.Code));

        var imported = await rm.ImportBankStatementAsync("NUSD", statement);
        Assert.Equal("executed", imported.Action.Status);
        Assert.Equal("0x" + Convert.ToHexStringLower(SHA256.HashData(statement)), imported.Import.FileSha256);
        Assert.Equal([("BNY-1", "matched", "WIRE-0001"), ("BNY-2", "queued", null)], imported.Import.Entries.Select(e => (e.Reference, e.Outcome, e.Target)).ToArray());
        var reserves = await issuer.Node.Anonymous.GetReservesAsync("NUSD");
        var bny = reserves.Holdings.Single(h => h.Id == "bny");
        Assert.Equal(("1005" + IssuanceTests.Whole, today), (bny.Amount, bny.ValuedOn));
        var page = await issuer.Node.Http.GetStringAsync("/transparency/NUSD");
        Assert.Contains($"bank statement STMT-1 of {today} (closing booked balance)", page, StringComparison.Ordinal);

        // The same file again: 409, and the queue, imports and balance are as they were.
        var again = await Assert.ThrowsAsync<CentimeApiException>(() => rm.ImportBankStatementAsync("NUSD", statement));
        Assert.Equal((409, "bank_statement_already_imported"), (again.Status, again.Code));
        Assert.Single((await rm.ListBankStatementsAsync("NUSD")).Items);
        var queue = (await auditor.ListReconciliationAsync("NUSD")).Items;
        Assert.Equal([("unmatched_credit", "5" + IssuanceTests.Whole)], queue.Select(q => (q.Reason, q.Amount)).ToArray());

        // Bad files are problems with stable codes and change nothing.
        var tooPrecise = CamtFiles.Statement("STMT-X", "NUSD-RESERVE-1", "1.005", today);
        Assert.Equal((422, "bank_amount_invalid"), await CodeAsync(() => rm.ImportBankStatementAsync("NUSD", tooPrecise)));
        Assert.Equal((400, "bank_file_invalid"), await CodeAsync(() => rm.ImportBankStatementAsync("NUSD", "<nope/>"u8.ToArray())));
        var otherAccount = CamtFiles.Statement("STMT-Y", "OTHER-ACCOUNT-9", "1.00", today);
        Assert.Equal((422, "bank_account_unknown"), await CodeAsync(() => rm.ImportBankStatementAsync("NUSD", otherAccount)));
        Assert.Single((await rm.ListBankStatementsAsync("NUSD")).Items);

        // The unknown credit becomes a deposit through the CLI; mints may draw on it.
        var resolved = await _cli.RunAsync("--node", issuer.Node.BaseUrl, "--api-key", issuer.Keys["rm"], "bank", "resolve", queue[0].Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--coin", "NUSD", "--deposit", "WIRE-0002", "--note", "ACME second wire");
        Assert.True(resolved.Code == 0, resolved.Output);
        Assert.Contains((await rm.ListDepositsAsync("NUSD")).Items, d => d.Reference == "WIRE-0002" && d.Amount == "5" + IssuanceTests.Whole);
        var open = await _cli.RunAsync("--node", issuer.Node.BaseUrl, "--api-key", issuer.Keys["aud"], "bank", "queue", "--coin", "NUSD");
        Assert.True(open.Code == 0 && open.Output.Contains("nothing to reconcile", StringComparison.Ordinal), open.Output);

        // Payout: Alice redeems, the reserve manager exports pain.001, the bank's debit notification marks it paid.
        await issuer.OkAsync<ActionOutcome>("m1", "v1/issuance/coins/NUSD/mints", new MintRequest { Deposit = "WIRE-0001", To = Holders.Alice, Amount = "300" + IssuanceTests.Whole });
        var redemption = await IssuanceTests.RedeemOkAsync(issuer.Node, IssuanceTests.AliceSigner, "100" + IssuanceTests.Whole, "GB82 WEST 1234 5698 7654 32");
        var export = await rm.ExportPayoutsAsync("NUSD", new PayoutExportRequest { Holding = "bny", DebtorName = "Net Dollar Trust" });
        Assert.Equal([redemption.Id], export.Batch.Redemptions);
        var file = await auditor.GetPayoutFileAsync("NUSD", export.Batch.Id);
        Assert.Equal("0x" + Convert.ToHexStringLower(SHA256.HashData(file)), export.Batch.FileSha256);
        XNamespace ns = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
        var tx = XDocument.Parse(System.Text.Encoding.UTF8.GetString(file)).Descendants(ns + "CdtTrfTxInf").Single();
        var endToEnd = tx.Descendants(ns + "EndToEndId").Single().Value;
        Assert.Equal(("100.00", "GB82WEST12345698765432"), (tx.Descendants(ns + "InstdAmt").Single().Value, tx.Descendants(ns + "IBAN").Single().Value));
        Assert.Equal((409, "no_payouts_to_export"), await CodeAsync(() => rm.ExportPayoutsAsync("NUSD", new PayoutExportRequest { Holding = "bny" })));

        var debit = CamtFiles.Notification("NTF-1", "NUSD-RESERVE-1", new CamtEntry("100.00", false, "BNY-3", EndToEndId: endToEnd, Date: today));
        var path = Path.Combine(_cli.Directory, "ntf-1.xml");
        await File.WriteAllBytesAsync(path, debit);
        var cliImport = await _cli.RunAsync("--node", issuer.Node.BaseUrl, "--api-key", issuer.Keys["rm"], "bank", "import", path, "--coin", "NUSD", "--json");
        Assert.True(cliImport.Code == 0, cliImport.Output);
        var paid = (await rm.ListRedemptionsAsync("NUSD", "all")).Items.Single();
        Assert.Equal(("paid", "BNY-3"), (paid.Status, paid.PaidReference));

        var audit = (await auditor.GetAuditAsync(limit: 1000)).Items.Select(a => a.Name).ToList();
        Assert.Equal(2, audit.Count(n => n == "import_bank_statement"));
        Assert.Contains("export_payouts", audit);
        Assert.Contains("resolve_reconciliation", audit);
    }

    private static async Task<(int, string)> CodeAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<CentimeApiException>(call);
        return (e.Status, e.Code);
    }
}
