using System.Globalization;
using System.Text;
using Centime.Issuance;
using Centime.Ledger;
using Centime.Node.Liabilities;

namespace Centime.Node.Transparency;

/// <summary>One reserve category as disclosed: booked value and the part eligible under the coin's regime.</summary>
public sealed record ReserveCategoryFigure(string Category, UInt128 Amount, UInt128 Eligible, int Holdings);

/// <summary>One holding as disclosed: its value and whether (and why) it counts under the coin's regime.</summary>
public sealed record ReserveHoldingFigure(string Id, string Category, UInt128 Value, bool Eligible, string Code, string Reason);

/// <summary>Where a bank holding's balance comes from: the closing booked balance of an imported bank statement (its id
/// and date), or typed in by a reserve manager (<paramref name="StatementId"/> null; <paramref name="Date"/> is the valuation date).</summary>
public sealed record BankBalanceFigure(string Holding, string Bank, UInt128 Amount, string? StatementId, DateOnly Date);

/// <summary>Reserves as disclosed for one coin (from the issuance module's reserve book).</summary>
public sealed record ReserveFigures(string Regime, DateOnly AsOf, IReadOnlyList<ReserveCategoryFigure> Categories, UInt128 Total,
    UInt128 EligibleTotal, IReadOnlyList<string> Violations)
{
    /// <summary>Every holding with its eligibility verdict.</summary>
    public IReadOnlyList<ReserveHoldingFigure> Holdings { get; init; } = [];

    /// <summary>Each bank holding's balance and its source (live figures only; empty for a closed period).</summary>
    public IReadOnlyList<BankBalanceFigure> BankBalances { get; init; } = [];
}

/// <summary>Redemptions of a period (from the issuance module): requested in it, paid in it (on time or late against
/// their deadline), and still unpaid at its end (overdue when the deadline had passed).</summary>
public sealed record RedemptionFigures(int Requested, UInt128 AmountRequested, int Paid, int PaidOnTime, int PaidLate, UInt128 AmountPaid,
    int OpenAtEnd, int OverdueAtEnd, ulong? AverageSecondsToPay, ulong? MaxSecondsToPay);

/// <summary>Reads reserve and redemption figures for a coin; supplied by the issuance module when it is loaded.</summary>
public interface IIssuanceDisclosure
{
    /// <summary>The coin's reserves now, or null when it has no reserve book.</summary>
    ReserveFigures? Reserves(string coin);

    /// <summary>Redemptions requested or paid between <paramref name="from"/> (inclusive) and <paramref name="to"/> (exclusive), ledger time.</summary>
    RedemptionFigures? Redemptions(string coin, DateTimeOffset from, DateTimeOffset to);
}

/// <summary>Whether a coin's figures exist as of a period's end.</summary>
public enum PeriodStatus
{
    /// <summary>The figures as of the period's end are known.</summary>
    Figures,

    /// <summary>No such coin.</summary>
    NoCoin,

    /// <summary>The coin was created after the period ended: there is nothing to report for it.</summary>
    BeforeCoin,

    /// <summary>The period ended before this node recorded period closes (an older ledger): its figures are not known.</summary>
    NotRecorded,
}

/// <summary>What the figures say about the coin's backing, in one word and one sentence (the page's headline).</summary>
/// <param name="State"><c>sandbox</c>, <c>backed</c>, <c>under_backed</c>, <c>no_supply</c> or <c>no_reserve_book</c>.</param>
/// <param name="Shortfall">Circulating supply minus eligible reserves when under-backed, else 0.</param>
/// <param name="Text">The sentence the page and the HTML report print.</param>
public sealed record Backing(string State, UInt128 Shortfall, string Text);

/// <summary>The public figures of one coin at one moment: what the transparency page and the monthly report show.</summary>
public sealed record CoinFigures(
    string Symbol,
    string Name,
    string Currency,
    int Decimals,
    ulong Height,
    DateTimeOffset LedgerTime,
    UInt128 CirculatingSupply,
    ReserveFigures? Reserves,
    PublishedLiabilities? Liabilities)
{
    /// <summary>A sandbox coin (<see cref="Coin.Sandbox"/>, fixed at creation): unbacked test money whatever its reserve book says.</summary>
    public bool Sandbox { get; init; }

    /// <summary>
    /// The part of <see cref="CirculatingSupply"/> held in accounts frozen by lawful order (current figures only; 0 for a
    /// closed period): still owed to the holders, so it stays in the supply the reserves must back and in the liabilities.
    /// </summary>
    public UInt128 Frozen { get; init; }

    /// <summary>Eligible reserves ÷ circulating supply in basis points, rounded down (reserves are never overstated); null when nothing circulates or no reserves are booked.</summary>
    public UInt128? CoverageBasisPoints => Reserves is null || CirculatingSupply == 0 ? null : Reserves.EligibleTotal * 10_000 / CirculatingSupply;

    /// <summary>
    /// What the figures show, compared exactly (not through the rounded ratio): backed 1:1 when eligible reserves are at
    /// least the circulating supply, under-backed with the shortfall otherwise, and not a backed coin at all when no
    /// reserve book is kept. The page's headline must never claim more than this.
    /// </summary>
    public Backing Backing
    {
        get
        {
            var units = (UInt128 v) => FormatUnits(v, Decimals);
            if (Sandbox)
            {
                // Checked first: the operator key of a sandbox node mints and moves this coin without reserves, so no
                // reserve figure can make it a backed coin.
                return new Backing("sandbox", 0, $"Sandbox coin: unbacked test money. {Symbol} was created on a sandbox node, where the operator key mints and moves it without reserves; nothing backs its {units(CirculatingSupply)} {Symbol} in circulation.");
            }

            if (Reserves is not { } r)
            {
                return new Backing("no_reserve_book", 0, $"No reserve book: not a backed coin. No reserves are recorded for {Symbol} on this node, so nothing shows its supply of {units(CirculatingSupply)} {Symbol} is backed.");
            }

            var broken = r.Violations.Count > 0 ? " Portfolio rules are broken (listed under the reserves)." : "";
            if (CirculatingSupply == 0)
            {
                return new Backing("no_supply", 0, $"No {Symbol} in circulation; {units(r.EligibleTotal)} {Currency} of eligible reserves booked.{broken}");
            }

            if (r.EligibleTotal >= CirculatingSupply)
            {
                return new Backing("backed", 0, $"Backed 1:1 by {Currency} reserves: {units(r.EligibleTotal)} {Currency} eligible for {units(CirculatingSupply)} {Symbol} in circulation.{broken}");
            }

            var shortfall = CirculatingSupply - r.EligibleTotal;
            return new Backing("under_backed", shortfall,
                $"Under-backed: eligible {Currency} reserves cover {FormatPercent(CoverageBasisPoints!.Value)} of the {units(CirculatingSupply)} {Symbol} in circulation, a shortfall of {units(shortfall)} {Currency}.{broken}");
        }
    }

    /// <summary>
    /// Reads the current figures of <paramref name="symbol"/> under one read lock (supply and reserves of the same
    /// block); null when there is no such coin. Constant work under the lock (the supply account and the reserve book,
    /// never a scan of all accounts): the page is public and each view must not hold up the writer.
    /// </summary>
    public static CoinFigures? Collect(NodeContext node, LiabilitiesPublisher publisher, string symbol)
    {
        CoinFigures? figures;
        using (var view = node.Read())
        {
            figures = Current(view.State, symbol);
        }

        if (figures is null)
        {
            return null;
        }

        publisher.TryGetLatest(symbol, out var latest);
        return figures with { Liabilities = latest };
    }

    /// <summary>
    /// The figures of <paramref name="symbol"/> as of <paramref name="end"/> (exclusive): the state at the last block
    /// before it, as the <see cref="DisclosureModule"/> recorded it when the ledger crossed <paramref name="end"/>, or
    /// the current state when no block has come since. Liabilities are left null (the caller picks the root that fits).
    /// </summary>
    public static PeriodStatus CollectAtEnd(NodeContext node, string symbol, DateTimeOffset end, out CoinFigures? figures)
    {
        figures = null;
        var endNanos = end.ToUnixTimeMilliseconds() <= 0 ? 0UL : (ulong)end.ToUnixTimeMilliseconds() * 1_000_000UL;
        using (var view = node.Read())
        {
            var st = view.State;
            if (!st.TryGetCoin(symbol, out var coin))
            {
                return PeriodStatus.NoCoin;
            }

            var disclosure = st.Module<DisclosureModule>();
            if (disclosure?.Origin(coin.Number) is not { } origin)
            {
                return PeriodStatus.NotRecorded;
            }

            if (origin.Time >= endNanos)
            {
                return origin.Exact ? PeriodStatus.BeforeCoin : PeriodStatus.NotRecorded;
            }

            if (st.Timestamp < endNanos)
            {
                figures = Current(st, symbol); // no block since the period ended: the state now is the state then
                return PeriodStatus.Figures;
            }

            if (disclosure.CloseAt(endNanos) is not { } close || FindCoin(close, coin.Number) is not { } closed)
            {
                return PeriodStatus.NotRecorded;
            }

            figures = new CoinFigures(coin.Symbol, coin.Name, coin.Currency, coin.Decimals, close.Height, TimeOf(close.Time), closed.Supply,
                closed.Reserves is { } r ? IssuanceDisclosure.Figures(r) : null, null)
            { Sandbox = coin.Sandbox };
            return PeriodStatus.Figures;
        }
    }

    private static CoinClose? FindCoin(PeriodClose close, uint coin)
    {
        foreach (var c in close.Coins)
        {
            if (c.Coin == coin)
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>The current figures; call under the read lock.</summary>
    private static CoinFigures? Current(LedgerState st, string symbol)
    {
        if (!st.TryGetCoin(symbol, out var coin))
        {
            return null;
        }

        UInt128 supply = 0;
        if (st.TryGetAccount(coin.Number, coin.SupplyAccount, out var account) && account.Balance < 0)
        {
            supply = (UInt128)(-account.Balance);
        }

        return new CoinFigures(coin.Symbol, coin.Name, coin.Currency, coin.Decimals, st.Height, TimeOf(st.Timestamp), supply, IssuanceDisclosure.ReservesOf(st, coin), null)
        {
            Sandbox = coin.Sandbox,
            Frozen = st.Module<Centime.Issuance.IssuanceModule>()?.FrozenBalance(coin.Number) ?? UInt128.Zero,
        };
    }

    private static DateTimeOffset TimeOf(ulong nanos) => DateTimeOffset.FromUnixTimeMilliseconds((long)(nanos / 1_000_000UL));

    /// <summary>"12,345.50" from minor units: exact (no floating point), thousands separated, at least two decimals.</summary>
    public static string FormatUnits(UInt128 minor, int decimals)
    {
        var digits = minor.ToString(CultureInfo.InvariantCulture).PadLeft(decimals + 1, '0');
        var whole = digits[..^decimals];
        var fraction = decimals == 0 ? "" : digits[^decimals..].TrimEnd('0');
        if (decimals >= 2 && fraction.Length < 2)
        {
            fraction = fraction.PadRight(2, '0');
        }

        var sb = new StringBuilder();
        for (var i = 0; i < whole.Length; i++)
        {
            if (i > 0 && (whole.Length - i) % 3 == 0)
            {
                sb.Append(',');
            }

            sb.Append(whole[i]);
        }

        return fraction.Length == 0 ? sb.ToString() : sb.Append('.').Append(fraction).ToString();
    }

    /// <summary>A reader's name for a reserve category code ("treasury_bill" → "Treasury bills").</summary>
    public static string CategoryLabel(string category) => category switch
    {
        "bank_deposit" => "Bank deposits",
        "treasury_bill" => "Treasury bills",
        "overnight_repo" => "Overnight repo",
        "government_money_market_fund" => "Government money-market funds",
        _ => category,
    };

    /// <summary>"100.25%" from basis points.</summary>
    public static string FormatPercent(UInt128 basisPoints) =>
        (basisPoints / 100).ToString(CultureInfo.InvariantCulture) + "." + (basisPoints % 100).ToString("D2", CultureInfo.InvariantCulture) + "%";
}
