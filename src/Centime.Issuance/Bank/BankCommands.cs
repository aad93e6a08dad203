using Centime.Issuance.Bank;
using Centime.Ledger;

namespace Centime.Issuance;

/// <summary>
/// Imports one parsed camt.053 statement or camt.054 notification into a coin's reserve book (reserve_manager): the
/// entries are matched to deposits and redemption payouts, the rest queued, and a statement's closing booked balance
/// becomes its bank holding's balance. The file's SHA-256 is journaled with the parsed content; the same file (or
/// statement id) twice is refused with <see cref="ResultCode.BankStatementAlreadyImported"/> and changes nothing.
/// </summary>
public sealed record ImportBankStatement(UInt128 ActionId, string Requester, uint Coin, BankStatement Statement) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceImportBankStatement;
    public override string ActionName => "import_bank_statement";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        Statement.Write(writer);
    }

    internal static ImportBankStatement Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), BankStatement.Read(r));
}

/// <summary>
/// Resolves a reconciliation item (reserve_manager): <c>deposit</c> books a credit to the deposit named by
/// <see cref="Target"/> (recording it when it does not exist, so mints may draw on it), <c>redemption</c> marks the
/// payout <see cref="Target"/> (a redemption id) paid by a debit, <c>dismiss</c> closes the item with a note.
/// </summary>
public sealed record ResolveReconciliation(UInt128 ActionId, string Requester, uint Coin, ulong Item, string Resolution, string Target, string Note) : IssuanceCommand(ActionId, Requester)
{
    public override CommandKind Kind => CommandKind.IssuanceResolveReconciliation;
    public override string ActionName => "resolve_reconciliation";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.UInt64(Item);
        writer.String(Resolution);
        writer.String(Target);
        writer.String(Note);
    }

    internal static ResolveReconciliation Read(BodyReader r) => new(r.UInt128(), r.String(), r.UInt32(), r.UInt64(), r.String(), r.String(), r.String());
}

/// <summary>
/// Exports pending redemption payouts as one pain.001.001.09 batch paid from a bank holding (reserve_manager). Each
/// redemption is exported once; the batch's file is a pure function of the journaled batch, so it can be fetched again.
/// </summary>
public sealed record ExportPayouts(UInt128 ActionId, string Requester, uint Coin, string Holding, string DebtorName, DateOnly ExecutionDate, IReadOnlyList<UInt128> Redemptions)
    : IssuanceCommand(ActionId, Requester)
{
    /// <summary>Most payouts one batch may carry.</summary>
    public const int MaxPayouts = 1_000;

    public override CommandKind Kind => CommandKind.IssuanceExportPayouts;
    public override string ActionName => "export_payouts";
    public override uint CoinNumber => Coin;

    protected override void WriteFields(BodyWriter writer)
    {
        writer.UInt32(Coin);
        writer.String(Holding);
        writer.String(DebtorName);
        HoldingCodec.WriteDate(writer, ExecutionDate);
        writer.UInt32((uint)Redemptions.Count);
        foreach (var r in Redemptions)
        {
            writer.UInt128(r);
        }
    }

    internal static ExportPayouts Read(BodyReader r)
    {
        var actionId = r.UInt128();
        var requester = r.String();
        var coin = r.UInt32();
        var holding = r.String();
        var debtor = r.String();
        var date = HoldingCodec.ReadDate(r);
        var count = r.UInt32();
        if (count > MaxPayouts)
        {
            throw new FormatException("Too many payouts in one batch.");
        }

        var list = new List<UInt128>((int)count);
        for (var i = 0u; i < count; i++)
        {
            list.Add(r.UInt128());
        }

        return new ExportPayouts(actionId, requester, coin, holding, debtor, date, list);
    }
}
