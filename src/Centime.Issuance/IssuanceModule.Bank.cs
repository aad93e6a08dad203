using System.Globalization;
using Centime.Issuance.Bank;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>Reserves from the bank (docs/reserves.md, "Reserves from the bank"): camt.053/054 imports, the
/// reconciliation queue, pain.001 payout batches.</summary>
public sealed partial class IssuanceModule
{
    private const string ReasonUnmatchedCredit = "unmatched_credit";
    private const string ReasonDepositShort = "deposit_short";
    private const string ReasonDepositExcess = "deposit_excess";
    private const string ReasonUnmatchedDebit = "unmatched_debit";
    private const string ReasonPayoutAmountMismatch = "payout_amount_mismatch";
    private const string ReasonPayoutAlreadyPaid = "payout_already_paid";
    private const string ReasonReversal = "reversal";
    private const string ReasonOverdrawn = "overdrawn";

    private static readonly char[] ReferenceSeparators = [' ', '\t', ',', ';', ':', '/', '(', ')'];

    /// <summary>The pain.001 file of an exported payout batch (the same bytes every time), or null when there is no such batch.</summary>
    public byte[]? PayoutFile(uint coin, UInt128 batch)
    {
        if (!_coins.TryGetValue(coin, out var c) || c.Bank.Batches.Find(b => b.Id == batch) is not { } found)
        {
            return null;
        }

        return BuildPayoutFile(c, found);
    }

    private byte[] BuildPayoutFile(CoinIssuance coin, PayoutBatch batch)
    {
        var account = coin.Book.TryGet(batch.Holding, out var h) && h is BankDeposit bank ? bank.AccountReference : batch.Holding;
        var payments = batch.Redemptions.Select(id =>
        {
            var r = RedemptionById(id)!;
            var e2e = Pain001Writer.EndToEndIdOf(r.Id);
            return new PainPayment(e2e, r.Amount, "Holder " + r.Holder, r.PayTo, "Centime redemption " + e2e);
        }).ToList();
        var created = DateTime.UnixEpoch.AddTicks((long)(batch.CreatedAt / 100));
        return Pain001Writer.Write(batch.MessageId, created, batch.ExecutionDate, batch.DebtorName, account, coin.Coin.Currency, coin.Coin.Decimals, payments);
    }

    private string DescribeImport(ImportBankStatement c)
    {
        var s = c.Statement;
        var inv = CultureInfo.InvariantCulture;
        var balance = s.ClosingDate is { } d ? string.Create(inv, $", closing booked balance {(s.ClosingIsDebit ? "-" : "")}{Amount(c.Coin, s.ClosingBalance)} on {d:yyyy-MM-dd}") : "";
        return string.Create(inv, $"import {s.KindName} {s.StatementId} (message {s.MessageId}) of account {s.Account} into {Symbol(c.Coin)}: {s.Entries.Count} entries{balance}, file sha256 {s.FileHash}");
    }

    private ResultCode ExecuteImportBankStatement(ImportBankStatement c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        var s = c.Statement;
        if (s.Currency != ledgerCoin.Currency || !IsText(s.StatementId) || !IsText(s.MessageId) || !IsText(s.Account) || s.CreatedAt.Length > MaxText
            || s.Entries.Count > BankStatement.MaxEntries || s.ClosingBalance > LedgerState.MaxSupply
            || s.Entries.Any(e => e.Amount == UInt128.Zero || e.Amount > LedgerState.MaxSupply || e.Reference.Length == 0 || e.EntryReference.Length > MaxText
                || e.ServicerReference.Length > MaxText || e.EndToEndId.Length > MaxText || e.Remittance.Any(l => l.Length > MaxText)))
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        var coin = _coins.GetValueOrDefault(c.Coin);
        var bank = coin?.Book.Holdings.OfType<BankDeposit>().FirstOrDefault(h => CamtReader.NormaliseAccount(h.AccountReference) == s.Account);
        if (coin is null || bank is null)
        {
            return ResultCode.BankAccountUnknown;
        }

        if (coin.Bank.Imports.Exists(i => i.FileHash == s.FileHash || (i.Account == s.Account && i.Kind == s.Kind && i.StatementId == s.StatementId)))
        {
            return ResultCode.BankStatementAlreadyImported;
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        var outcomes = new List<EntryOutcome>(s.Entries.Count);
        foreach (var e in s.Entries)
        {
            outcomes.Add(ApplyEntry(coin, bank.Id, s, e, c.Requester, context.Now));
        }

        var applied = false;
        if (s.Kind == BankMessageKind.Statement && s.ClosingDate is { } date
            && (!coin.Bank.LastStatement.TryGetValue(bank.Id, out var last) || date >= last.Date))
        {
            // The book's bank balance is the bank's closing booked balance, as of its date; an older statement imported
            // late leaves the newer balance alone. An overdrawn account holds nothing for the holders.
            var current = (BankDeposit)coin.Book.Holdings.First(h => h.Id == bank.Id);
            coin.Book.Replace(current with { Amount = s.ClosingIsDebit ? UInt128.Zero : s.ClosingBalance, ValuedOn = date });
            coin.Bank.LastStatement[bank.Id] = (s.StatementId, date);
            applied = true;
            if (s.ClosingIsDebit && s.ClosingBalance > UInt128.Zero)
            {
                Queue(coin, s.StatementId, "CLBD", bank.Id, EntryDirection.Debit, s.ClosingBalance, date, date, ReasonOverdrawn, "", "closing booked balance is a debit");
            }
        }

        coin.Bank.Imports.Add(new BankImport(c.ActionId, s.Kind, s.FileHash, s.MessageId, s.StatementId, s.Account, bank.Id, context.Now, c.Requester,
            s.ClosingBalance, s.ClosingIsDebit, s.ClosingDate, applied, outcomes));
        RecomputeNextDeadline();
        return ResultCode.Ok;
    }

    private EntryOutcome ApplyEntry(CoinIssuance coin, string holding, BankStatement s, BankEntry e, string requester, ulong now)
    {
        var key = BankBook.EntryKey(s, e);
        if (!coin.Bank.SeenEntries.Add(key))
        {
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "duplicate", "", 0);
        }

        if (!e.Booked)
        {
            coin.Bank.SeenEntries.Remove(key); // a pending entry comes back booked later: only booked entries count as seen
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "not_booked", "", 0);
        }

        if (e.Reversal)
        {
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "queued", "", QueueEntry(coin, holding, s, e, e.Amount, ReasonReversal, ""));
        }

        return e.Direction == EntryDirection.Credit ? ApplyCredit(coin, holding, s, e) : ApplyDebit(coin, holding, s, e, requester, now);
    }

    private static EntryOutcome ApplyCredit(CoinIssuance coin, string holding, BankStatement s, BankEntry e)
    {
        Deposit? deposit = null;
        foreach (var candidate in Candidates(e))
        {
            if (coin.DepositIndex.TryGetValue(candidate, out var index))
            {
                deposit = coin.DepositList[index];
                break;
            }
        }

        if (deposit is null)
        {
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "queued", "", QueueEntry(coin, holding, s, e, e.Amount, ReasonUnmatchedCredit, ""));
        }

        var received = coin.Bank.Received.GetValueOrDefault(deposit.Reference);
        var outstanding = deposit.Amount > received ? deposit.Amount - received : UInt128.Zero;
        if (e.Amount < outstanding)
        {
            coin.Bank.Received[deposit.Reference] = received + e.Amount;
            var missing = outstanding - e.Amount;
            var open = coin.Bank.Queue.FindIndex(q => q.Status == ReconciliationStatus.Open && q.Reason == ReasonDepositShort && q.Target == deposit.Reference);
            ulong item;
            if (open >= 0)
            {
                coin.Bank.Queue[open] = coin.Bank.Queue[open] with { Amount = missing, StatementId = s.StatementId, EntryReference = e.Reference, BookingDate = e.BookingDate, ValueDate = e.ValueDate };
                item = coin.Bank.Queue[open].Id;
            }
            else
            {
                item = QueueEntry(coin, holding, s, e, missing, ReasonDepositShort, deposit.Reference);
            }

            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "partial", deposit.Reference, item);
        }

        coin.Bank.Received[deposit.Reference] = deposit.Amount;
        CloseShortfalls(coin, deposit.Reference, s.StatementId, e.Reference);
        if (e.Amount == outstanding)
        {
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "matched", deposit.Reference, 0);
        }

        // More than the deposit still expected (or a deposit already received in full): the excess waits for a person.
        return new EntryOutcome(e.Reference, e.Direction, e.Amount, "overpaid", deposit.Reference,
            QueueEntry(coin, holding, s, e, e.Amount - outstanding, ReasonDepositExcess, deposit.Reference));
    }

    private EntryOutcome ApplyDebit(CoinIssuance coin, string holding, BankStatement s, BankEntry e, string requester, ulong now)
    {
        foreach (var candidate in Candidates(e))
        {
            if (!TryParseRedemptionId(candidate, out var id) || !_redemptionIndex.TryGetValue(id, out var at) || at.Coin != coin.Coin.Number)
            {
                continue;
            }

            var redemption = coin.RedemptionList[at.Index];
            var target = Id(redemption.Id);
            if (redemption.Status == RedemptionStatus.Paid)
            {
                return new EntryOutcome(e.Reference, e.Direction, e.Amount, "queued", target, QueueEntry(coin, holding, s, e, e.Amount, ReasonPayoutAlreadyPaid, target));
            }

            if (redemption.Amount != e.Amount)
            {
                return new EntryOutcome(e.Reference, e.Direction, e.Amount, "queued", target, QueueEntry(coin, holding, s, e, e.Amount, ReasonPayoutAmountMismatch, target));
            }

            coin.RedemptionList[at.Index] = redemption with { Status = RedemptionStatus.Paid, PaidAt = now, PaidReference = e.Reference, PaidBy = requester };
            return new EntryOutcome(e.Reference, e.Direction, e.Amount, "matched", target, 0);
        }

        return new EntryOutcome(e.Reference, e.Direction, e.Amount, "queued", "", QueueEntry(coin, holding, s, e, e.Amount, ReasonUnmatchedDebit, ""));
    }

    /// <summary>Where a payer's reference may be, most specific first: EndToEndId, each remittance line whole, then its words.</summary>
    private static IEnumerable<string> Candidates(BankEntry e)
    {
        if (e.EndToEndId.Length > 0)
        {
            yield return e.EndToEndId;
        }

        foreach (var line in e.Remittance)
        {
            yield return line;
        }

        foreach (var line in e.Remittance)
        {
            foreach (var word in line.Split(ReferenceSeparators, StringSplitOptions.RemoveEmptyEntries))
            {
                yield return word;
            }
        }
    }

    /// <summary>A redemption id as a payment carries it: 32 hex digits (pain.001 EndToEndId) or decimal.</summary>
    private static bool TryParseRedemptionId(string text, out UInt128 id)
    {
        if (text.Length == 32 && UInt128.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out id))
        {
            return true;
        }

        return UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != UInt128.Zero;
    }

    private static ulong QueueEntry(CoinIssuance coin, string holding, BankStatement s, BankEntry e, UInt128 amount, string reason, string target)
    {
        var remittance = string.Join(" | ", (e.EndToEndId.Length > 0 ? [e.EndToEndId] : Array.Empty<string>()).Concat(e.Remittance));
        return Queue(coin, s.StatementId, e.Reference, holding, e.Direction, amount, e.BookingDate, e.ValueDate, reason, target, remittance.Length <= MaxText ? remittance : remittance[..MaxText]);
    }

    private static ulong Queue(CoinIssuance coin, string statement, string reference, string holding, EntryDirection direction, UInt128 amount, DateOnly booking, DateOnly value, string reason, string target, string remittance)
    {
        var id = (ulong)coin.Bank.Queue.Count + 1;
        coin.Bank.Queue.Add(new ReconciliationItem(id, statement, reference, holding, direction, amount, booking, value, reason, target, remittance, ReconciliationStatus.Open, "", 0, "", ""));
        return id;
    }

    private static void CloseShortfalls(CoinIssuance coin, string deposit, string statement, string reference)
    {
        for (var i = 0; i < coin.Bank.Queue.Count; i++)
        {
            var q = coin.Bank.Queue[i];
            if (q.Status == ReconciliationStatus.Open && q.Reason == ReasonDepositShort && q.Target == deposit)
            {
                coin.Bank.Queue[i] = q with { Status = ReconciliationStatus.Resolved, ResolvedBy = SystemRequester, Resolution = "completed", Note = $"completed by entry {reference} of {statement}" };
            }
        }
    }

    private ResultCode ExecuteResolveReconciliation(ResolveReconciliation c, in ModuleContext context, bool dryRun)
    {
        if (Ledger.GetCoin(c.Coin) is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (c.Target.Length > MaxText || c.Note.Length > MaxText)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!_coins.TryGetValue(c.Coin, out var coin) || c.Item == 0 || c.Item > (ulong)coin.Bank.Queue.Count)
        {
            return ResultCode.ReconciliationItemNotFound;
        }

        var index = (int)(c.Item - 1);
        var item = coin.Bank.Queue[index];
        if (item.Status != ReconciliationStatus.Open)
        {
            return ResultCode.ReconciliationItemNotOpen;
        }

        var resolved = item with { Status = ReconciliationStatus.Resolved, ResolvedBy = c.Requester, ResolvedAt = context.Now, Resolution = c.Resolution, Note = c.Note, Target = c.Target.Length > 0 ? c.Target : item.Target };
        switch (c.Resolution)
        {
            case "dismiss":
                if (!IsText(c.Note))
                {
                    return ResultCode.IssuanceFieldInvalid; // closing money without a word is not an audit trail
                }

                break;

            case "deposit":
                if (item.Direction != EntryDirection.Credit || item.Reason is not (ReasonUnmatchedCredit or ReasonDepositExcess) || !IsText(c.Target))
                {
                    return ResultCode.ReconciliationMismatch;
                }

                if (coin.DepositIndex.TryGetValue(c.Target, out var depositIndex))
                {
                    var deposit = coin.DepositList[depositIndex];
                    var received = coin.Bank.Received.GetValueOrDefault(deposit.Reference);
                    if (received >= deposit.Amount || item.Amount > deposit.Amount - received)
                    {
                        return ResultCode.ReconciliationMismatch;
                    }

                    if (!dryRun)
                    {
                        coin.Bank.Received[deposit.Reference] = received + item.Amount;
                        if (received + item.Amount == deposit.Amount)
                        {
                            CloseShortfalls(coin, deposit.Reference, item.StatementId, item.EntryReference);
                        }
                    }
                }
                else if (!dryRun)
                {
                    // A credit no one announced becomes a deposit the bank has confirmed: mints may draw on it (mint gate, allowance).
                    var bankName = coin.Book.TryGet(item.Holding, out var h) && h is BankDeposit b ? b.Bank : item.Holding;
                    coin.DepositIndex.Add(c.Target, coin.DepositList.Count);
                    coin.DepositList.Add(new Deposit(c.Target, bankName, item.Amount, item.ValueDate, "", context.Now, c.Requester, UInt128.Zero));
                    coin.Bank.Received[c.Target] = item.Amount;
                }

                break;

            case "redemption":
                if (item.Direction != EntryDirection.Debit || item.Reason != ReasonUnmatchedDebit
                    || !TryParseRedemptionId(c.Target, out var id) || !_redemptionIndex.TryGetValue(id, out var at) || at.Coin != c.Coin)
                {
                    return ResultCode.ReconciliationMismatch;
                }

                var redemption = coin.RedemptionList[at.Index];
                if (redemption.Status != RedemptionStatus.Pending || redemption.Amount != item.Amount)
                {
                    return ResultCode.ReconciliationMismatch;
                }

                if (!dryRun)
                {
                    coin.RedemptionList[at.Index] = redemption with { Status = RedemptionStatus.Paid, PaidAt = context.Now, PaidReference = item.EntryReference, PaidBy = c.Requester };
                    RecomputeNextDeadline();
                }

                resolved = resolved with { Target = Id(id) };
                break;

            default:
                return ResultCode.IssuanceFieldInvalid;
        }

        if (!dryRun)
        {
            coin.Bank.Queue[index] = resolved;
        }

        return ResultCode.Ok;
    }

    private ResultCode ExecuteExportPayouts(ExportPayouts c, in ModuleContext context, bool dryRun)
    {
        var ledgerCoin = Ledger.GetCoin(c.Coin);
        if (ledgerCoin is null)
        {
            return ResultCode.CoinNotFound;
        }

        if (!IsText(c.DebtorName) || c.DebtorName.Length > 140 || c.Redemptions.Count is 0 or > ExportPayouts.MaxPayouts || c.Redemptions.Distinct().Count() != c.Redemptions.Count)
        {
            return ResultCode.IssuanceFieldInvalid;
        }

        if (!_coins.TryGetValue(c.Coin, out var coin) || !coin.Book.TryGet(c.Holding, out var holding))
        {
            return ResultCode.HoldingNotFound;
        }

        if (holding is not BankDeposit)
        {
            return ResultCode.HoldingInvalid;
        }

        var total = UInt128.Zero;
        foreach (var id in c.Redemptions)
        {
            if (!_redemptionIndex.TryGetValue(id, out var at) || at.Coin != c.Coin)
            {
                return ResultCode.PayoutNotExportable;
            }

            var r = coin.RedemptionList[at.Index];
            if (r.Status != RedemptionStatus.Pending || coin.Bank.ExportedIn.ContainsKey(id) || IsoAmount.Format(r.Amount, ledgerCoin.Currency, ledgerCoin.Decimals) is null)
            {
                return ResultCode.PayoutNotExportable;
            }

            total = checked(total + r.Amount);
        }

        if (dryRun)
        {
            return ResultCode.Ok;
        }

        var batch = new PayoutBatch(c.ActionId, c.Holding, c.DebtorName, c.ExecutionDate, [.. c.Redemptions], total, context.Now, c.Requester, Hash32.Zero);
        batch = batch with { FileHash = Hash32.Sha256(BuildPayoutFile(coin, batch)) };
        coin.Bank.Batches.Add(batch);
        foreach (var id in c.Redemptions)
        {
            coin.Bank.ExportedIn[id] = batch.Id;
        }

        return ResultCode.Ok;
    }

    private void WriteBankBooks(BodyWriter w)
    {
        var books = _coins.Where(kv => !kv.Value.Bank.IsEmpty).ToList();
        w.UInt32((uint)books.Count);
        foreach (var (number, coin) in books)
        {
            w.UInt32(number);
            coin.Bank.Write(w);
        }
    }

    private void ReadBankBooks(BodyReader r)
    {
        var count = r.UInt32();
        for (var i = 0u; i < count; i++)
        {
            var number = r.UInt32();
            var coin = _coins.GetValueOrDefault(number) ?? throw new InvalidDataException($"Issuance snapshot has a bank book for coin {number}, which it does not manage.");
            coin.Bank.Read(r);
        }
    }
}
