using System.Globalization;
using System.Text;
using Centime.Ledger;
using Centime.Node.Liabilities;

namespace Centime.Node.Transparency;

/// <summary>One reserve category as disclosed: booked value and the part eligible under the coin's regime.</summary>
public sealed record ReserveCategoryFigure(string Category, UInt128 Amount, UInt128 Eligible, int Holdings);

/// <summary>One holding as disclosed: its value and whether (and why) it counts under the coin's regime.</summary>
public sealed record ReserveHoldingFigure(string Id, string Category, UInt128 Value, bool Eligible, string Code, string Reason);

/// <summary>Reserves as disclosed for one coin (from the issuance module's reserve book).</summary>
public sealed record ReserveFigures(string Regime, DateOnly AsOf, IReadOnlyList<ReserveCategoryFigure> Categories, UInt128 Total,
    UInt128 EligibleTotal, IReadOnlyList<string> Violations)
{
    /// <summary>Every holding with its eligibility verdict.</summary>
    public IReadOnlyList<ReserveHoldingFigure> Holdings { get; init; } = [];
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
    /// <summary>Eligible reserves ÷ circulating supply in basis points, rounded down (reserves are never overstated); null when nothing circulates or no reserves are booked.</summary>
    public UInt128? CoverageBasisPoints => Reserves is null || CirculatingSupply == 0 ? null : Reserves.EligibleTotal * 10_000 / CirculatingSupply;

    /// <summary>
    /// Reads the figures of <paramref name="symbol"/> under the read lock; null when there is no such coin. Constant
    /// work under the lock (the supply account and the reserve book, never a scan of all accounts): the page is public
    /// and each view must not hold up the writer.
    /// </summary>
    public static CoinFigures? Collect(NodeContext node, LiabilitiesPublisher publisher, IIssuanceDisclosure? issuance, string symbol)
    {
        Coin coin;
        ulong height;
        DateTimeOffset time;
        UInt128 supply = 0;
        using (node.Sequencer.ReadLock())
        {
            var st = node.Sequencer.State;
            if (!st.TryGetCoin(symbol, out coin))
            {
                return null;
            }

            height = st.Height;
            time = DateTimeOffset.FromUnixTimeMilliseconds((long)(st.Timestamp / 1_000_000UL));
            if (st.TryGetAccount(coin.Number, coin.SupplyAccount, out var account) && account.Balance < 0)
            {
                supply = (UInt128)(-account.Balance);
            }
        }

        publisher.TryGetLatest(symbol, out var latest);
        return new CoinFigures(coin.Symbol, coin.Name, coin.Currency, coin.Decimals, height, time, supply, issuance?.Reserves(symbol), latest);
    }

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
