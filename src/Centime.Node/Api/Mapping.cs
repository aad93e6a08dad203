using System.Globalization;
using Centime.Client;
using Centime.Ledger;

namespace Centime.Node.Api;

/// <summary>Ledger values to API shapes.</summary>
public static class Mapping
{
    public static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Dec(Int128 v) => v.ToString(CultureInfo.InvariantCulture);

    public static IReadOnlyList<string> FlagNames(TransferFlags flags)
    {
        var names = new List<string>(2);
        if ((flags & TransferFlags.Linked) != 0)
        {
            names.Add("linked");
        }

        if ((flags & TransferFlags.Pending) != 0)
        {
            names.Add("pending");
        }

        if ((flags & TransferFlags.PostPending) != 0)
        {
            names.Add("post_pending");
        }

        if ((flags & TransferFlags.VoidPending) != 0)
        {
            names.Add("void_pending");
        }

        return names;
    }

    public static CoinInfo ToInfo(Coin coin, LedgerState state, ulong chainId)
    {
        state.TryGetAccount(coin.Number, coin.SupplyAccount, out var supply);
        return new CoinInfo(
            coin.Symbol,
            coin.Number,
            coin.Decimals,
            coin.Currency,
            coin.SupplyAccount.ToString(),
            Dec(-supply.Balance),
            new Eip712Domain(coin.Name, coin.Version, chainId, coin.VerifyingContract.ToString()))
        {
            Sandbox = coin.Sandbox,
        };
    }

    public static TransferInfo ToInfo(in StoredTransfer s, LedgerState state)
    {
        var t = s.Transfer;
        return new TransferInfo(
            Dec(t.Id),
            t.DebitAccount.ToString(),
            t.CreditAccount.ToString(),
            state.GetCoin(t.Coin)?.Symbol ?? t.Coin.ToString(CultureInfo.InvariantCulture),
            Dec(t.Amount),
            FlagNames(t.Flags),
            t.PendingId == UInt128.Zero ? null : Dec(t.PendingId),
            t.Timeout,
            t.Code,
            Dec(t.Memo),
            t.Timestamp,
            s.Height,
            s.Index,
            s.Hold == HoldState.None ? null : s.Hold.ToString().ToLowerInvariant());
    }

    public static BalanceInfo ToInfo(in Account a, Coin coin) => new(
        a.Key.Address.ToString(),
        coin.Symbol,
        Dec(a.Balance),
        Dec(a.Available),
        Dec(a.DebitsPosted),
        Dec(a.CreditsPosted),
        Dec(a.DebitsPending),
        Dec(a.CreditsPending),
        a.IsFrozen);

    public static BlockInfo ToInfo(in BlockHeader h, IReadOnlyList<BlockCommandInfo>? commands = null) => new(
        h.Height,
        h.ComputeHash().ToString(),
        h.PreviousHash.ToString(),
        h.Timestamp,
        DateTimeOffset.FromUnixTimeMilliseconds((long)(h.Timestamp / 1_000_000UL)),
        h.CommandCount,
        h.CommandsRoot.ToString(),
        h.ResultsRoot.ToString(),
        commands);

    public static string KindName(CommandKind kind) => kind switch
    {
        CommandKind.CreateCoin => "create_coin",
        CommandKind.Transfer => "transfer",
        CommandKind.SetAccountFrozen => "set_account_frozen",
        _ => Centime.Issuance.IssuanceCommand.KindName(kind) ?? Centime.Contracts.ContractNames.KindName(kind) ?? Centime.Exchange.ExchangeCommand.KindName(kind) ?? "kind_" + ((byte)kind).ToString(CultureInfo.InvariantCulture),
    };
}
