using System.Xml.Linq;
using Centime.Issuance.Bank;
using Centime.Ledger;
using Centime.Testing;

namespace Centime.Issuance.Tests;

/// <summary>Reserves from the bank: camt.053/054 imports matched to deposits and payouts, the reconciliation queue,
/// idempotent re-imports, pain.001 payout batches — on a bare ledger state, with replay and snapshots.</summary>
public sealed class BankReconciliationTests
{
    private const string Iban = "DE89370400440532013000";
    private const ulong Usd = 1_000_000; // NUSD has 6 decimals
    private static readonly ulong Start = (ulong)(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
    private static readonly DateOnly Today = new(2026, 12, 1);
    private static readonly Address Alice = Address.Derive("test:alice");

    private sealed class Chain : ModuleChain<IssuanceModule>
    {
        private ulong _id = 100;

        public UInt128 NextId() => _id++;

        public ResultCode One(IssuanceCommand command) => Apply(State.NextTimestamp, Command.Of(command))[0];

        public ResultCode Import(byte[] file) => One(new ImportBankStatement(NextId(), "rm", 1, CamtReader.Parse(file, "USD", 6)));

        public CoinIssuance Coin => Module.Coin(1)!;
    }

    private static Hash32 Key(string s) => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(s));

    /// <summary>A GENIUS coin with a reserve manager, a minter, a bank holding at <see cref="Iban"/> (balance typed in as 0)
    /// and two announced deposits: D-100 for 100.00 and D-250 for 250.00.</summary>
    private static Chain Setup()
    {
        var chain = new Chain();
        Assert.Equal([ResultCode.Ok], chain.Apply(Start, Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1"))));
        Assert.Equal(ResultCode.Ok, chain.One(new SetGovernance(chain.NextId(), IssuanceModule.SystemRequester, true)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "rm", Key("rm"), OperatorRoles.ReserveManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "mm", Key("mm"), OperatorRoles.MinterManager)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "m1", Key("m1"), OperatorRoles.Minter)));
        Assert.Equal(ResultCode.Ok, chain.One(new AddOperator(chain.NextId(), "admin", "au", Key("au"), OperatorRoles.Auditor)));
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureMinter(chain.NextId(), "mm", 1, "m1", 1_000 * Usd, 0, 0)));
        var bank = new BankDeposit { Id = "bny", Currency = "USD", ValuedOn = Today, Bank = "BNY", AccountReference = "DE89 3704 0044 0532 0130 00", Amount = 0, InsuredInstitution = true, Segregated = true };
        Assert.Equal(ResultCode.Ok, chain.One(new AddHolding(chain.NextId(), "rm", 1, bank)));
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "D-100", 100 * Usd, Today, "")));
        Assert.Equal(ResultCode.Ok, chain.One(new RecordDeposit(chain.NextId(), "rm", 1, "BNY", "D-250", 250 * Usd, Today, "")));
        return chain;
    }

    /// <summary>Statement 1: a matching credit, a partial one, the first one again (same AcctSvcrRef), an unknown credit,
    /// a pending entry and a bank fee; closing booked balance 395.00.</summary>
    private static byte[] FirstStatement() => CamtFiles.Statement("STMT-2026-12-01", Iban, "395.00", "2026-12-01",
        new CamtEntry("100.00", true, "BNY-0001", Remittance: "Deposit D-100 from ACME"),
        new CamtEntry("150.00", true, "BNY-0002", StructuredReference: "D-250"),
        new CamtEntry("100.00", true, "BNY-0001", Remittance: "Deposit D-100 from ACME"),
        new CamtEntry("42.00", true, "BNY-0003", Remittance: "invoice 7781"),
        new CamtEntry("9.99", true, "BNY-0004", Remittance: "D-100", Status: "PDNG"),
        new CamtEntry("5.00", false, "BNY-0005", Remittance: "account fee"));

    /// <summary>The must-show case: matching, partial, duplicate and unknown credits give exactly the expected matches
    /// and queue; the balance comes from CLBD; importing the same statement again is refused and changes nothing; replay
    /// and a snapshot round trip reproduce the state.</summary>
    [Fact]
    public void Statement_MatchesPartialDuplicateUnknown_ExpectedMatchesAndQueue_SecondImportChangesNothing()
    {
        var chain = Setup();
        Assert.Equal(ResultCode.Ok, chain.Import(FirstStatement()));

        var import = Assert.Single(chain.Coin.BankImports);
        Assert.Equal(
            [
                ("BNY-0001", "matched", "D-100", 0UL),
                ("BNY-0002", "partial", "D-250", 1UL),
                ("BNY-0001", "duplicate", "", 0UL),
                ("BNY-0003", "queued", "", 2UL),
                ("BNY-0004", "not_booked", "", 0UL),
                ("BNY-0005", "queued", "", 3UL),
            ],
            import.Entries.Select(e => (e.Reference, e.Outcome, e.Target, e.QueueItem)).ToArray());
        Assert.Equal(
            [
                ("deposit_short", EntryDirection.Credit, (UInt128)(100 * Usd), "D-250"),
                ("unmatched_credit", EntryDirection.Credit, (UInt128)(42 * Usd), ""),
                ("unmatched_debit", EntryDirection.Debit, (UInt128)(5 * Usd), ""),
            ],
            chain.Coin.Reconciliation.Select(q => (q.Reason, q.Direction, q.Amount, q.Target)).ToArray());
        Assert.All(chain.Coin.Reconciliation, q => Assert.Equal(ReconciliationStatus.Open, q.Status));
        Assert.Equal((UInt128)(100 * Usd), chain.Coin.ReceivedOf("D-100"));
        Assert.Equal((UInt128)(150 * Usd), chain.Coin.ReceivedOf("D-250"));

        // The reserve book's bank balance is the statement's closing booked balance, as of its date.
        var bank = Assert.IsType<BankDeposit>(chain.Coin.Holdings.Single());
        Assert.Equal((UInt128)(395 * Usd), bank.Amount);
        Assert.Equal(Today, bank.ValuedOn);
        Assert.Equal(("STMT-2026-12-01", Today), chain.Coin.StatementOf("bny"));
        Assert.Contains(chain.Module.Audit, a => a.Name == "import_bank_statement" && a.Requester == "rm" && a.Detail.Contains("STMT-2026-12-01", StringComparison.Ordinal));

        // The same file again, and the same statement re-sent with other bytes: refused, nothing changes.
        var before = Chain.Bytes(chain.Module);
        Assert.Equal(ResultCode.BankStatementAlreadyImported, chain.Import(FirstStatement()));
        var resent = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(FirstStatement()).Replace("2026-12-01T18:00:00", "2026-12-02T07:00:00", StringComparison.Ordinal));
        Assert.Equal(ResultCode.BankStatementAlreadyImported, chain.Import(resent));
        Assert.Equal(before, Chain.Bytes(chain.Module));
        Assert.Single(chain.Coin.BankImports);

        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }

    /// <summary>A later notification completes the partial deposit (its shortfall item closes itself), repeats an entry
    /// already imported (duplicate), and carries a payout's debit (EndToEndId = the redemption id): the payout is paid.
    /// The queue is then resolved by people: an unknown credit becomes a deposit mints can draw on, a fee is dismissed.</summary>
    [Fact]
    public void Notification_CompletesDepositAndPaysPayout_QueueResolvedByReserveManager()
    {
        var chain = Setup();
        Assert.Equal(ResultCode.Ok, chain.Import(FirstStatement()));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "D-100", Alice, 60 * Usd)));
        var seconds = chain.State.NextTimestamp / 1_000_000_000UL;
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new HolderRedeem(1, Alice, 30 * Usd, "GB82WEST12345698765432", Hash32.Sha256([1]), seconds + 3600))));
        var redemption = chain.Coin.Redemptions.Single();
        var holdingBefore = chain.Coin.Holdings.Single();

        Assert.Equal(ResultCode.Ok, chain.Import(CamtFiles.Notification("NTF-2", Iban,
            new CamtEntry("100.00", true, "BNY-0006", Remittance: "rest of D-250"),
            new CamtEntry("100.00", true, "BNY-0001", Remittance: "Deposit D-100 from ACME"),
            new CamtEntry("30.00", false, "BNY-0007", EndToEndId: Pain001Writer.EndToEndIdOf(redemption.Id)))));

        var import = chain.Coin.BankImports[1];
        Assert.Equal(["matched", "duplicate", "matched"], import.Entries.Select(e => e.Outcome).ToArray());
        Assert.Equal((UInt128)(250 * Usd), chain.Coin.ReceivedOf("D-250"));
        Assert.Equal((ReconciliationStatus.Resolved, "system", "completed"), (chain.Coin.Reconciliation[0].Status, chain.Coin.Reconciliation[0].ResolvedBy, chain.Coin.Reconciliation[0].Resolution));
        var paid = chain.Coin.Redemptions.Single();
        Assert.Equal((RedemptionStatus.Paid, "BNY-0007", "rm"), (paid.Status, paid.PaidReference, paid.PaidBy));
        Assert.Same(holdingBefore, chain.Coin.Holdings.Single()); // a notification carries no balance

        // People resolve what is left; mistakes are refused and change nothing.
        var before = Chain.Bytes(chain.Module);
        Assert.Equal(ResultCode.ReconciliationItemNotOpen, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 1, "dismiss", "", "done")));
        Assert.Equal(ResultCode.ReconciliationItemNotFound, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 9, "dismiss", "", "x")));
        Assert.Equal(ResultCode.IssuanceFieldInvalid, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 3, "dismiss", "", "")));
        Assert.Equal(ResultCode.ReconciliationMismatch, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 3, "deposit", "D-FEE", "")));
        Assert.Equal(ResultCode.ReconciliationMismatch, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 2, "deposit", "D-100", ""))); // D-100 is received in full
        Assert.Equal(ResultCode.ForbiddenRole, chain.One(new ResolveReconciliation(chain.NextId(), "au", 1, 2, "deposit", "D-NEW", "")));
        Assert.Equal(before, Chain.Bytes(chain.Module));

        Assert.Equal(ResultCode.Ok, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 2, "deposit", "D-NEW", "wire from ACME, invoice 7781")));
        var created = chain.Coin.Deposits.Single(d => d.Reference == "D-NEW");
        Assert.Equal(((UInt128)(42 * Usd), "BNY", (UInt128)(42 * Usd)), (created.Amount, created.Bank, chain.Coin.ReceivedOf("D-NEW")));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "D-NEW", Alice, 42 * Usd)));
        Assert.Equal(ResultCode.Ok, chain.One(new ResolveReconciliation(chain.NextId(), "rm", 1, 3, "dismiss", "", "monthly account fee")));
        Assert.DoesNotContain(chain.Coin.Reconciliation, q => q.Status == ReconciliationStatus.Open);
        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }

    /// <summary>An older statement imported after a newer one leaves the newer balance; an overdrawn account holds nothing
    /// and is queued.</summary>
    [Fact]
    public void Balance_ComesFromTheLatestStatement_OverdraftQueued()
    {
        var chain = Setup();
        Assert.Equal(ResultCode.Ok, chain.Import(CamtFiles.Statement("S-02", Iban, "700.00", "2026-12-02")));
        Assert.Equal(ResultCode.Ok, chain.Import(CamtFiles.Statement("S-01", Iban, "500.00", "2026-12-01")));
        var bank = Assert.IsType<BankDeposit>(chain.Coin.Holdings.Single());
        Assert.Equal(((UInt128)(700 * Usd), new DateOnly(2026, 12, 2)), (bank.Amount, bank.ValuedOn));
        Assert.False(chain.Coin.BankImports[1].BalanceApplied);

        Assert.Equal(ResultCode.Ok, chain.Import(CamtFiles.Statement("S-03", Iban, "-12.50", "2026-12-03")));
        Assert.Equal(UInt128.Zero, ((BankDeposit)chain.Coin.Holdings.Single()).Amount);
        var overdraft = chain.Coin.Reconciliation.Single();
        Assert.Equal(("overdrawn", (UInt128)12_500_000), (overdraft.Reason, overdraft.Amount));

        Assert.Equal(ResultCode.BankAccountUnknown, chain.Import(CamtFiles.Statement("S-04", "GB82WEST12345698765432", "1.00", "2026-12-04")));
    }

    /// <summary>Pending payouts leave as one pain.001.001.09 file (EndToEndId = redemption id, exact amounts, control
    /// sum); a redemption is exported once; a sub-cent payout cannot be paid by a bank and is refused.</summary>
    [Fact]
    public void ExportPayouts_WritesPain001_OncePerRedemption()
    {
        var chain = Setup();
        Assert.Equal(ResultCode.Ok, chain.Import(FirstStatement()));
        Assert.Equal(ResultCode.Ok, chain.One(new Mint(chain.NextId(), "m1", 1, "D-100", Alice, 100 * Usd)));
        var seconds = chain.State.NextTimestamp / 1_000_000_000UL;
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new HolderRedeem(1, Alice, 20 * Usd, "GB82 WEST 1234 5698 7654 32", Hash32.Sha256([1]), seconds + 3600))));
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new HolderRedeem(1, Alice, 12_340_000, "acct 55-1234 at First Bank", Hash32.Sha256([2]), seconds + 3600))));
        Assert.Equal([ResultCode.Ok], chain.Apply(chain.State.NextTimestamp, Command.Of(new HolderRedeem(1, Alice, 1_000_001, "GB82WEST12345698765432", Hash32.Sha256([3]), seconds + 3600))));
        var ids = chain.Coin.Redemptions.Select(r => r.Id).ToArray();

        Assert.Equal(ResultCode.PayoutNotExportable, chain.One(new ExportPayouts(chain.NextId(), "rm", 1, "bny", "Centime Trust", Today, [ids[0], ids[2]]))); // 1.000001 USD
        var batchId = chain.NextId();
        Assert.Equal(ResultCode.Ok, chain.One(new ExportPayouts(batchId, "rm", 1, "bny", "Centime Trust", Today, [ids[0], ids[1]])));
        Assert.Equal(ResultCode.PayoutNotExportable, chain.One(new ExportPayouts(chain.NextId(), "rm", 1, "bny", "Centime Trust", Today, [ids[1]])));

        var file = chain.Module.PayoutFile(1, batchId)!;
        var batch = chain.Coin.PayoutBatches.Single();
        Assert.Equal(Hash32.Sha256(file), batch.FileHash);
        Assert.Equal(file, chain.Replay().Module<IssuanceModule>()!.PayoutFile(1, batchId)); // the same bytes from the journal
        XNamespace ns = Pain001Writer.Namespace;
        var doc = XDocument.Parse(System.Text.Encoding.UTF8.GetString(file));
        Assert.Equal("2", doc.Descendants(ns + "GrpHdr").Single().Element(ns + "NbOfTxs")!.Value);
        Assert.Equal("32.34", doc.Descendants(ns + "GrpHdr").Single().Element(ns + "CtrlSum")!.Value);
        var txs = doc.Descendants(ns + "CdtTrfTxInf").ToList();
        Assert.Equal([Pain001Writer.EndToEndIdOf(ids[0]), Pain001Writer.EndToEndIdOf(ids[1])], txs.Select(t => t.Descendants(ns + "EndToEndId").Single().Value).ToArray());
        Assert.Equal(["20.00", "12.34"], txs.Select(t => t.Descendants(ns + "InstdAmt").Single().Value).ToArray());
        Assert.Equal("GB82WEST12345698765432", txs[0].Descendants(ns + "IBAN").Single().Value);
        Assert.Equal("acct 55-1234 at First Bank", txs[1].Descendants(ns + "Othr").Single().Element(ns + "Id")!.Value);
        Assert.Equal(Iban, doc.Descendants(ns + "DbtrAcct").Single().Descendants(ns + "IBAN").Single().Value);
    }

    [Theory]
    [InlineData("10.00", "USD", 6, "10000000")]
    [InlineData("0.01", "USD", 6, "10000")]
    [InlineData("1250", "USD", 2, "125000")]
    [InlineData("100", "JPY", 0, "100")]
    [InlineData("1.230", "BHD", 2, "123")]
    [InlineData("1.234", "BHD", 3, "1234")]
    public void IsoAmount_ExactMinorUnits(string text, string currency, int decimals, string expected)
    {
        Assert.True(IsoAmount.TryParse(text, currency, decimals, out var value, out var error), error);
        Assert.Equal(UInt128.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("10.005", "USD", 6, "3 decimal places; USD has 2")]
    [InlineData("100.5", "JPY", 6, "1 decimal places; JPY has 0")]
    [InlineData("1.234", "BHD", 2, "cannot be held exactly")]
    [InlineData("-1.00", "USD", 6, "not an ISO 20022 amount")]
    [InlineData("1e3", "USD", 6, "not an ISO 20022 amount")]
    [InlineData("1.", "USD", 6, "not an ISO 20022 amount")]
    [InlineData("1234567890123456789", "USD", 6, "at most 18 digits")]
    public void IsoAmount_MoreDigitsThanAllowed_Refused(string text, string currency, int decimals, string reason)
    {
        Assert.False(IsoAmount.TryParse(text, currency, decimals, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void CamtReader_RefusesBadFiles_WithStableCodes()
    {
        BankFileException Refused(byte[] file) => Assert.Throws<BankFileException>(() => CamtReader.Parse(file, "USD", 6));
        Assert.Equal(BankFileException.AmountInvalid, Refused(CamtFiles.Statement("S", Iban, "1.00", "2026-12-01", new CamtEntry("10.005", true, "R1"))).Code);
        Assert.Equal(BankFileException.CurrencyMismatch, Refused(CamtFiles.Statement("S", Iban, "1.00", "2026-12-01", new CamtEntry("10.00", true, "R1", Currency: "EUR"))).Code);
        var dtd = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">&e;</Document>"u8.ToArray();
        Assert.Equal(BankFileException.Invalid, Refused(dtd).Code);
        Assert.Equal(BankFileException.Invalid, Refused("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"/>"u8.ToArray()).Code);
        Assert.Equal(BankFileException.Invalid, Refused("not xml"u8.ToArray()).Code);
        var noClosing = System.Text.Encoding.UTF8.GetString(CamtFiles.Statement("S", Iban, "1.00", "2026-12-01")).Replace("CLBD", "PRCD", StringComparison.Ordinal);
        Assert.Contains("CLBD", Refused(System.Text.Encoding.UTF8.GetBytes(noClosing)).Message, StringComparison.Ordinal);
    }
}
