using Centime.Ledger;

namespace Centime.Issuance.Bank;

/// <summary>Which ISO 20022 cash-management message a bank file is. Persisted: values never change.</summary>
public enum BankMessageKind : byte
{
    /// <summary>camt.053 BankToCustomerStatement: booked entries and balances (opening, closing).</summary>
    Statement = 53,
    /// <summary>camt.054 BankToCustomerDebitCreditNotification: entries, no balances.</summary>
    Notification = 54,
}

/// <summary>Credit (money in) or debit (money out), the entry's CdtDbtInd. Persisted: values never change.</summary>
public enum EntryDirection : byte
{
    /// <summary>CRDT: money into the reserve account.</summary>
    Credit = 1,
    /// <summary>DBIT: money out of the reserve account.</summary>
    Debit = 2,
}

/// <summary>
/// One Ntry of a camt.053/054 message, amounts already in the coin's minor units.
/// </summary>
/// <param name="EntryReference">NtryRef (may be empty).</param>
/// <param name="ServicerReference">AcctSvcrRef: the bank's own unique reference of the entry (may be empty).</param>
/// <param name="Amount">Amt, in the coin's minor units.</param>
/// <param name="Direction">CdtDbtInd.</param>
/// <param name="Booked">Sts is BOOK (pending and information-only entries are reported, never matched).</param>
/// <param name="Reversal">RvslInd is true (a reversal of an earlier entry: queued for a person, never matched).</param>
/// <param name="BookingDate">BookgDt (the value date when absent).</param>
/// <param name="ValueDate">ValDt (the booking date when absent).</param>
/// <param name="EndToEndId">NtryDtls/TxDtls/Refs/EndToEndId of the first transaction ("" when absent or NOTPROVIDED).</param>
/// <param name="Remittance">RmtInf: every Ustrd line, then every Strd/CdtrRefInf/Ref, in document order.</param>
public sealed record BankEntry(
    string EntryReference,
    string ServicerReference,
    UInt128 Amount,
    EntryDirection Direction,
    bool Booked,
    bool Reversal,
    DateOnly BookingDate,
    DateOnly ValueDate,
    string EndToEndId,
    IReadOnlyList<string> Remittance)
{
    /// <summary>The entry's reference for people and the reconciliation queue: AcctSvcrRef, else NtryRef.</summary>
    public string Reference => ServicerReference.Length > 0 ? ServicerReference : EntryReference;
}

/// <summary>
/// One Stmt (camt.053) or Ntfctn (camt.054) of a bank file, as journaled by an import: the file's SHA-256, its ids, the
/// account, the closing booked balance (CLBD; statements only) and the entries. The XML itself is not journaled.
/// </summary>
/// <param name="Kind">camt.053 or camt.054.</param>
/// <param name="FileHash">SHA-256 of the file's bytes.</param>
/// <param name="MessageId">GrpHdr/MsgId.</param>
/// <param name="StatementId">Stmt/Id or Ntfctn/Id.</param>
/// <param name="Account">Acct/Id: the IBAN, or Othr/Id, without spaces, upper case.</param>
/// <param name="Currency">The account's (and every amount's) currency.</param>
/// <param name="CreatedAt">CreDtTm of the statement as written (for people; never used to decide).</param>
/// <param name="ClosingBalance">CLBD amount in the coin's minor units (0 when there is none).</param>
/// <param name="ClosingIsDebit">The CLBD balance is a debit (the account is overdrawn).</param>
/// <param name="ClosingDate">CLBD date, or null (notifications, statements without a CLBD).</param>
/// <param name="Entries">The entries in document order.</param>
public sealed record BankStatement(
    BankMessageKind Kind,
    Hash32 FileHash,
    string MessageId,
    string StatementId,
    string Account,
    string Currency,
    string CreatedAt,
    UInt128 ClosingBalance,
    bool ClosingIsDebit,
    DateOnly? ClosingDate,
    IReadOnlyList<BankEntry> Entries)
{
    /// <summary>Most entries one import may carry (a day's statement of a reserve account has far fewer).</summary>
    public const int MaxEntries = 5_000;

    /// <summary>"camt.053" or "camt.054".</summary>
    public string KindName => Kind == BankMessageKind.Statement ? "camt.053" : "camt.054";

    internal void Write(BodyWriter w)
    {
        w.Byte((byte)Kind);
        w.Hash(FileHash);
        w.String(MessageId);
        w.String(StatementId);
        w.String(Account);
        w.String(Currency);
        w.String(CreatedAt);
        w.UInt128(ClosingBalance);
        IssuanceCommand.Flag(w, ClosingIsDebit);
        w.UInt32(ClosingDate is { } d ? (uint)d.DayNumber + 1 : 0);
        w.UInt32((uint)Entries.Count);
        foreach (var e in Entries)
        {
            w.String(e.EntryReference);
            w.String(e.ServicerReference);
            w.UInt128(e.Amount);
            w.Byte((byte)e.Direction);
            IssuanceCommand.Flag(w, e.Booked);
            IssuanceCommand.Flag(w, e.Reversal);
            HoldingCodec.WriteDate(w, e.BookingDate);
            HoldingCodec.WriteDate(w, e.ValueDate);
            w.String(e.EndToEndId);
            w.UInt32((uint)e.Remittance.Count);
            foreach (var line in e.Remittance)
            {
                w.String(line);
            }
        }
    }

    internal static BankStatement Read(BodyReader r)
    {
        var kind = (BankMessageKind)r.Byte();
        if (!Enum.IsDefined(kind))
        {
            throw new FormatException("Unknown bank message kind.");
        }

        var hash = r.Hash();
        var messageId = r.String();
        var statementId = r.String();
        var account = r.String();
        var currency = r.String();
        var created = r.String();
        var balance = r.UInt128();
        var debit = IssuanceCommand.Flag(r);
        var day = r.UInt32();
        DateOnly? closing = day == 0 ? null : day - 1 <= (uint)DateOnly.MaxValue.DayNumber ? DateOnly.FromDayNumber((int)(day - 1)) : throw new FormatException("Day number out of range.");
        var count = r.UInt32();
        if (count > MaxEntries)
        {
            throw new FormatException("Too many bank entries.");
        }

        var entries = new List<BankEntry>((int)count);
        for (var i = 0u; i < count; i++)
        {
            var entryReference = r.String();
            var servicerReference = r.String();
            var amount = r.UInt128();
            var direction = (EntryDirection)r.Byte();
            if (!Enum.IsDefined(direction))
            {
                throw new FormatException("Unknown entry direction.");
            }

            var booked = IssuanceCommand.Flag(r);
            var reversal = IssuanceCommand.Flag(r);
            var booking = HoldingCodec.ReadDate(r);
            var value = HoldingCodec.ReadDate(r);
            var endToEnd = r.String();
            var lines = r.UInt32();
            if (lines > 64)
            {
                throw new FormatException("Too many remittance lines.");
            }

            var remittance = new List<string>((int)lines);
            for (var j = 0u; j < lines; j++)
            {
                remittance.Add(r.String());
            }

            entries.Add(new BankEntry(entryReference, servicerReference, amount, direction, booked, reversal, booking, value, endToEnd, remittance));
        }

        return new BankStatement(kind, hash, messageId, statementId, account, currency, created, balance, debit, closing, entries);
    }
}
