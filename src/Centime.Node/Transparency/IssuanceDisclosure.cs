using Centime.Issuance;
using Centime.Ledger;

namespace Centime.Node.Transparency;

/// <summary>
/// Reserve and redemption figures from the node's <see cref="IssuanceModule"/> (read under the state's read lock).
/// A coin the module does not manage has no reserve book and no redemptions: null.
/// </summary>
internal sealed class IssuanceDisclosure(NodeContext node) : IIssuanceDisclosure
{
    private const ulong NanosPerSecond = 1_000_000_000UL;

    public ReserveFigures? Reserves(string coin)
    {
        using (var view = node.Read())
        {
            var st = view.State;
            return st.TryGetCoin(coin, out var c) ? ReservesOf(st, c) : null;
        }
    }

    /// <summary>The coin's reserves evaluated now (call under the read lock); null when it has no reserve book.</summary>
    public static ReserveFigures? ReservesOf(LedgerState st, Coin coin)
    {
        if (st.Module<IssuanceModule>() is not { } module || module.Coin(coin.Number) is not { } issuance || module.EvaluateReserves(coin.Number) is not { } evaluation)
        {
            return null;
        }

        return new ReserveFigures(
            evaluation.Profile.Name,
            evaluation.AsOf,
            [.. evaluation.Categories.Select(t => new ReserveCategoryFigure(CategoryName(t.Category), t.Total, t.Eligible, t.Holdings))],
            evaluation.Total,
            evaluation.EligibleTotal,
            [.. evaluation.Violations.Select(v => $"{v.Code}: {v.Message}")])
        {
            Holdings = [.. evaluation.Holdings.Select(h => new ReserveHoldingFigure(h.Holding.Id, CategoryName(h.Holding.Category), h.Value, h.IsEligible, h.Code, h.Reason))],
            BankBalances = [.. issuance.Holdings.OfType<BankDeposit>().Select(d => issuance.StatementOf(d.Id) is { } s
                ? new BankBalanceFigure(d.Id, d.Bank, d.Amount, s.StatementId, s.Date)
                : new BankBalanceFigure(d.Id, d.Bank, d.Amount, null, d.ValuedOn))],
        };
    }

    /// <summary>Reserves as recorded at a period's end by the <see cref="DisclosureModule"/>, in the same form.</summary>
    public static ReserveFigures Figures(ClosedReserves r) =>
        new(r.Regime, r.AsOf,
            [.. r.Categories.Select(t => new ReserveCategoryFigure(CategoryName(t.Category), t.Total, t.Eligible, t.Holdings))],
            r.Total, r.EligibleTotal, [.. r.Violations.Select(v => $"{v.Code}: {v.Message}")])
        {
            Holdings = [.. r.Holdings.Select(h => new ReserveHoldingFigure(h.Id, CategoryName(h.Category), h.Value, h.Eligible, h.Code, h.Reason))],
        };

    public RedemptionFigures? Redemptions(string coin, DateTimeOffset from, DateTimeOffset to)
    {
        var start = Nanos(from);
        var end = Nanos(to);
        using (var view = node.Read())
        {
            var st = view.State;
            if (st.Module<IssuanceModule>() is not { } module || !st.TryGetCoin(coin, out var c) || module.Coin(c.Number) is null)
            {
                return null;
            }

            int requested = 0, paid = 0, onTime = 0, late = 0, open = 0, overdue = 0;
            UInt128 amountRequested = 0, amountPaid = 0, totalSeconds = 0;
            ulong maxSeconds = 0;
            foreach (var r in module.Redemptions(c.Number))
            {
                if (r.RequestedAt >= start && r.RequestedAt < end)
                {
                    requested++;
                    amountRequested += r.Amount;
                }

                var isPaid = r.Status == RedemptionStatus.Paid;
                if (isPaid && r.PaidAt >= start && r.PaidAt < end)
                {
                    paid++;
                    amountPaid += r.Amount;
                    if (r.PaidOnTime)
                    {
                        onTime++;
                    }
                    else
                    {
                        late++;
                    }

                    var seconds = (r.PaidAt - r.RequestedAt) / NanosPerSecond;
                    totalSeconds += seconds;
                    maxSeconds = Math.Max(maxSeconds, seconds);
                }

                // Unpaid at the end of the period: requested before it ended and not paid by then.
                if (r.RequestedAt < end && (!isPaid || r.PaidAt >= end))
                {
                    open++;
                    if (r.Deadline < end)
                    {
                        overdue++;
                    }
                }
            }

            return new RedemptionFigures(requested, amountRequested, paid, onTime, late, amountPaid, open, overdue,
                paid == 0 ? null : (ulong)(totalSeconds / (UInt128)paid), paid == 0 ? null : maxSeconds);
        }
    }

    private static ulong Nanos(DateTimeOffset time) => time.ToUnixTimeMilliseconds() <= 0 ? 0 : (ulong)time.ToUnixTimeMilliseconds() * 1_000_000UL;

    /// <summary>Stable snake_case names for the JSON report and the page.</summary>
    public static string CategoryName(ReserveCategory category) => category switch
    {
        ReserveCategory.BankDeposit => "bank_deposit",
        ReserveCategory.TreasuryBill => "treasury_bill",
        ReserveCategory.OvernightRepo => "overnight_repo",
        ReserveCategory.MoneyMarketFund => "government_money_market_fund",
        _ => "other",
    };
}
