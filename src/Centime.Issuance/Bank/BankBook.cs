using Centime.Ledger;

namespace Centime.Issuance.Bank;

/// <summary>Open (waiting for a person) or resolved. Persisted: values never change.</summary>
public enum ReconciliationStatus : byte
{
    /// <summary>Waiting for a reserve manager.</summary>
    Open = 1,
    /// <summary>Resolved by a person (or closed by a later entry, resolver <c>system</c>).</summary>
    Resolved = 2,
}

/// <summary>
/// A bank entry no rule could match, or matched with a difference: the reconciliation queue (docs/reserves.md,
/// "Reconciliation"). <see cref="Reason"/>: <c>unmatched_credit</c>, <c>deposit_short</c>, <c>deposit_excess</c>,
/// <c>unmatched_debit</c>, <c>payout_amount_mismatch</c>, <c>payout_already_paid</c>, <c>reversal</c>, <c>overdrawn</c>.
/// </summary>
/// <param name="Id">1-based number within the coin.</param>
/// <param name="StatementId">The statement (or notification) that raised it.</param>
/// <param name="EntryReference">The entry's AcctSvcrRef, else NtryRef.</param>
/// <param name="Holding">The reserve-book bank holding of the statement's account.</param>
/// <param name="Direction">Credit or debit.</param>
/// <param name="Amount">The amount in question, in the coin's minor units (for <c>deposit_short</c>: what is still missing).</param>
/// <param name="BookingDate">The entry's booking date.</param>
/// <param name="ValueDate">The entry's value date.</param>
/// <param name="Reason">Why it is queued.</param>
/// <param name="Target">The deposit reference or redemption id it concerns ("" when none).</param>
/// <param name="Remittance">The entry's remittance information and EndToEndId, joined (for people).</param>
/// <param name="Status">Open or resolved.</param>
/// <param name="ResolvedBy">Operator who resolved it (<c>system</c> when a later entry completed a deposit).</param>
/// <param name="ResolvedAt">Ledger time of the resolution (0 while open).</param>
/// <param name="Resolution"><c>deposit</c>, <c>redemption</c>, <c>dismiss</c> or <c>completed</c>.</param>
/// <param name="Note">The resolver's note.</param>
public sealed record ReconciliationItem(
    ulong Id,
    string StatementId,
    string EntryReference,
    string Holding,
    EntryDirection Direction,
    UInt128 Amount,
    DateOnly BookingDate,
    DateOnly ValueDate,
    string Reason,
    string Target,
    string Remittance,
    ReconciliationStatus Status,
    string ResolvedBy,
    ulong ResolvedAt,
    string Resolution,
    string Note);

/// <summary>What an import did with one entry. <see cref="Outcome"/>: <c>matched</c>, <c>partial</c>, <c>overpaid</c>,
/// <c>duplicate</c>, <c>not_booked</c>, <c>queued</c>.</summary>
/// <param name="Reference">AcctSvcrRef, else NtryRef.</param>
/// <param name="Direction">Credit or debit.</param>
/// <param name="Amount">Minor units of the coin.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Target">The deposit reference or redemption id it matched ("" when none).</param>
/// <param name="QueueItem">The reconciliation item it raised or updated (0 when none).</param>
public sealed record EntryOutcome(string Reference, EntryDirection Direction, UInt128 Amount, string Outcome, string Target, ulong QueueItem);

/// <summary>One imported bank file: its ids and hash, who imported it, the balance it set, and each entry's outcome.</summary>
public sealed record BankImport(
    UInt128 Action,
    BankMessageKind Kind,
    Hash32 FileHash,
    string MessageId,
    string StatementId,
    string Account,
    string Holding,
    ulong ImportedAt,
    string ImportedBy,
    UInt128 ClosingBalance,
    bool ClosingIsDebit,
    DateOnly? ClosingDate,
    bool BalanceApplied,
    IReadOnlyList<EntryOutcome> Entries);

/// <summary>An exported pain.001 payout batch: the redemptions it pays, from which bank holding, and the file's SHA-256.</summary>
public sealed record PayoutBatch(UInt128 Id, string Holding, string DebtorName, DateOnly ExecutionDate, IReadOnlyList<UInt128> Redemptions, UInt128 Total, ulong CreatedAt, string CreatedBy, Hash32 FileHash)
{
    /// <summary>The file's MsgId and PmtInfId: "CTM" and the batch id in 32 hex digits (35 characters, the schema's maximum).</summary>
    public string MessageId => "CTM" + Pain001Writer.EndToEndIdOf(Id);
}

/// <summary>The bank side of one coin's reserves: imports, seen entries, the reconciliation queue, payout batches.</summary>
internal sealed class BankBook
{
    public List<BankImport> Imports { get; } = [];

    /// <summary>Entry identities already imported: account + AcctSvcrRef, or account + statement id + NtryRef.</summary>
    public HashSet<string> SeenEntries { get; } = new(StringComparer.Ordinal);

    public List<ReconciliationItem> Queue { get; } = [];

    /// <summary>What the bank confirmed of each deposit (by reference).</summary>
    public SortedDictionary<string, UInt128> Received { get; } = new(StringComparer.Ordinal);

    /// <summary>Per bank holding: the statement whose closing balance it carries.</summary>
    public SortedDictionary<string, (string StatementId, DateOnly Date)> LastStatement { get; } = new(StringComparer.Ordinal);

    public List<PayoutBatch> Batches { get; } = [];

    /// <summary>Redemption id → the batch that exported it.</summary>
    public Dictionary<UInt128, UInt128> ExportedIn { get; } = [];

    public bool IsEmpty => Imports.Count == 0 && Queue.Count == 0 && Received.Count == 0 && Batches.Count == 0;

    public static string EntryKey(BankStatement s, BankEntry e) =>
        e.ServicerReference.Length > 0 ? s.Account + "|S|" + e.ServicerReference : s.Account + "|E|" + s.StatementId + "|" + e.EntryReference;

    public void Write(BodyWriter w)
    {
        w.UInt32((uint)Imports.Count);
        foreach (var i in Imports)
        {
            w.UInt128(i.Action);
            w.Byte((byte)i.Kind);
            w.Hash(i.FileHash);
            w.String(i.MessageId);
            w.String(i.StatementId);
            w.String(i.Account);
            w.String(i.Holding);
            w.UInt64(i.ImportedAt);
            w.String(i.ImportedBy);
            w.UInt128(i.ClosingBalance);
            IssuanceCommand.Flag(w, i.ClosingIsDebit);
            w.UInt32(i.ClosingDate is { } d ? (uint)d.DayNumber + 1 : 0);
            IssuanceCommand.Flag(w, i.BalanceApplied);
            w.UInt32((uint)i.Entries.Count);
            foreach (var e in i.Entries)
            {
                w.String(e.Reference);
                w.Byte((byte)e.Direction);
                w.UInt128(e.Amount);
                w.String(e.Outcome);
                w.String(e.Target);
                w.UInt64(e.QueueItem);
            }
        }

        w.UInt32((uint)SeenEntries.Count);
        foreach (var key in SeenEntries.Order(StringComparer.Ordinal))
        {
            w.String(key);
        }

        w.UInt32((uint)Queue.Count);
        foreach (var q in Queue)
        {
            w.UInt64(q.Id);
            w.String(q.StatementId);
            w.String(q.EntryReference);
            w.String(q.Holding);
            w.Byte((byte)q.Direction);
            w.UInt128(q.Amount);
            HoldingCodec.WriteDate(w, q.BookingDate);
            HoldingCodec.WriteDate(w, q.ValueDate);
            w.String(q.Reason);
            w.String(q.Target);
            w.String(q.Remittance);
            w.Byte((byte)q.Status);
            w.String(q.ResolvedBy);
            w.UInt64(q.ResolvedAt);
            w.String(q.Resolution);
            w.String(q.Note);
        }

        w.UInt32((uint)Received.Count);
        foreach (var (reference, amount) in Received)
        {
            w.String(reference);
            w.UInt128(amount);
        }

        w.UInt32((uint)LastStatement.Count);
        foreach (var (holding, last) in LastStatement)
        {
            w.String(holding);
            w.String(last.StatementId);
            HoldingCodec.WriteDate(w, last.Date);
        }

        w.UInt32((uint)Batches.Count);
        foreach (var b in Batches)
        {
            w.UInt128(b.Id);
            w.String(b.Holding);
            w.String(b.DebtorName);
            HoldingCodec.WriteDate(w, b.ExecutionDate);
            w.UInt32((uint)b.Redemptions.Count);
            foreach (var r in b.Redemptions)
            {
                w.UInt128(r);
            }

            w.UInt128(b.Total);
            w.UInt64(b.CreatedAt);
            w.String(b.CreatedBy);
            w.Hash(b.FileHash);
        }
    }

    public void Read(BodyReader r)
    {
        var imports = r.UInt32();
        for (var i = 0u; i < imports; i++)
        {
            var action = r.UInt128();
            var kind = (BankMessageKind)r.Byte();
            var hash = r.Hash();
            var messageId = r.String();
            var statementId = r.String();
            var account = r.String();
            var holding = r.String();
            var at = r.UInt64();
            var by = r.String();
            var balance = r.UInt128();
            var debit = IssuanceCommand.Flag(r);
            var day = r.UInt32();
            DateOnly? date = day == 0 ? null : DateOnly.FromDayNumber((int)(day - 1));
            var applied = IssuanceCommand.Flag(r);
            var count = r.UInt32();
            var entries = new List<EntryOutcome>((int)Math.Min(count, BankStatement.MaxEntries));
            for (var j = 0u; j < count; j++)
            {
                entries.Add(new EntryOutcome(r.String(), (EntryDirection)r.Byte(), r.UInt128(), r.String(), r.String(), r.UInt64()));
            }

            Imports.Add(new BankImport(action, kind, hash, messageId, statementId, account, holding, at, by, balance, debit, date, applied, entries));
        }

        var seen = r.UInt32();
        for (var i = 0u; i < seen; i++)
        {
            SeenEntries.Add(r.String());
        }

        var queue = r.UInt32();
        for (var i = 0u; i < queue; i++)
        {
            Queue.Add(new ReconciliationItem(r.UInt64(), r.String(), r.String(), r.String(), (EntryDirection)r.Byte(), r.UInt128(), HoldingCodec.ReadDate(r), HoldingCodec.ReadDate(r),
                r.String(), r.String(), r.String(), (ReconciliationStatus)r.Byte(), r.String(), r.UInt64(), r.String(), r.String()));
        }

        var received = r.UInt32();
        for (var i = 0u; i < received; i++)
        {
            Received.Add(r.String(), r.UInt128());
        }

        var last = r.UInt32();
        for (var i = 0u; i < last; i++)
        {
            LastStatement.Add(r.String(), (r.String(), HoldingCodec.ReadDate(r)));
        }

        var batches = r.UInt32();
        for (var i = 0u; i < batches; i++)
        {
            var id = r.UInt128();
            var holding = r.String();
            var debtor = r.String();
            var execution = HoldingCodec.ReadDate(r);
            var n = r.UInt32();
            var redemptions = new List<UInt128>((int)Math.Min(n, 1000u));
            for (var j = 0u; j < n; j++)
            {
                redemptions.Add(r.UInt128());
            }

            var batch = new PayoutBatch(id, holding, debtor, execution, redemptions, r.UInt128(), r.UInt64(), r.String(), r.Hash());
            Batches.Add(batch);
            foreach (var redemption in redemptions)
            {
                ExportedIn[redemption] = id;
            }
        }
    }
}
