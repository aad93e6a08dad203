using System.Globalization;
using System.Numerics;
using System.Text;
using Xunit.Abstractions;
using static Centime.Exchange.Tests.Pools;

namespace Centime.Exchange.Tests;

/// <summary>
/// The cost table of docs/exchange.md, computed with the real pool code: fee + price impact of 10k, 1M and 10M
/// swaps, beside the World Bank's ~6% remittance average. The test fails if the document's table drifts from the code.
/// </summary>
public sealed class CostTableTests(ITestOutputHelper output)
{
    private static readonly long[] Sizes = [10_000, 1_000_000, 10_000_000];

    [Theory]
    [InlineData(100, "9.99")]
    [InlineData(200, "5.0")]
    [InlineData(2000, "0.50")]
    public void PriceImpact_1MIn20MBalancedPool_MatchesSpecTable(int a, string specBasisPoints)
    {
        // stableswap.md §5: balanced 2-coin pool, $20M TVL, $1M swap, excluding fee
        var pool = Create([6, 6], a, 0, 0);
        Ok(pool.AddLiquidity([10_000_000 * E6, 10_000_000 * E6], 0, 0));
        var quote = Ok(pool.Quote(0, 1, 1_000_000 * E6, 0));
        var spec = decimal.Parse(specBasisPoints, CultureInfo.InvariantCulture);
        var ours = (decimal)quote.PriceImpact / 1_000_000m; // display only
        output.WriteLine($"A={a}: {ours} bp (spec {spec})");
        Assert.InRange(ours, spec - 0.06m, spec + 0.06m);
    }

    [Fact]
    public void CostTable_InDocs_MatchesTheCode()
    {
        var table = Table();
        output.WriteLine(table);
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "exchange.md")).ReplaceLineEndings("\n");
        Assert.Contains(table, docs, StringComparison.Ordinal);
    }

    internal static string Table()
    {
        var pools = new (string Name, Func<Pool> Make, int From, int To)[]
        {
            ("USD/USD 10M+10M, A=200, fee 1 bp", () => Usd(10_000_000, 200, 1_000_000), 0, 1),
            ("USD/USD 50M+50M, A=200, fee 1 bp", () => Usd(50_000_000, 200, 1_000_000), 0, 1),
            ("USD→HKD 10M USD+78M HKD, A=200, fee 4 bp", Hkd, 0, 1),
        };
        var sb = new StringBuilder();
        sb.Append("| swap (USD) | pool | out | fee | price impact | total cost | vs. 6% remittance |\n");
        sb.Append("|---|---|---|---|---|---|---|\n");
        foreach (var size in Sizes)
        {
            foreach (var (name, make, from, to) in pools)
            {
                var pool = make();
                var q = Ok(pool.Quote(from, to, size * E6, 0));
                var totalBp = q.TotalCost; // 1e10 scale: 1 bp = 1e6
                sb.Append(CultureInfo.InvariantCulture, $"| {size:N0} | {name} | {Whole(q.AmountOut, 6)} | {Bp(q.FeeRate)} | {Bp(q.PriceImpact)} | {Bp(totalBp)} | {Times(totalBp)} |\n");
            }
        }

        return sb.ToString();
    }

    private static Pool Usd(long side, int a, long fee)
    {
        var pool = Create([6, 6], a, fee, 20_000_000_000);
        Ok(pool.AddLiquidity([side * E6, side * E6], 0, 0));
        return pool;
    }

    private static Pool Hkd()
    {
        var pool = Create([6, 6], 200, 4_000_000, 20_000_000_000);
        Assert.Equal(ExchangeError.None, pool.SetOracleRate(1, Big("128205128205128205")));
        Ok(pool.AddLiquidity([10_000_000 * E6, 78_000_000 * E6], 0, 0));
        return pool;
    }

    /// <summary>Basis points with two decimals from a 1e10-scale rate, rounded up (integer arithmetic).</summary>
    private static string Bp(BigInteger e10)
    {
        var hundredths = (e10 + 9_999) / 10_000;
        return string.Create(CultureInfo.InvariantCulture, $"{hundredths / 100}.{hundredths % 100:D2} bp");
    }

    private static string Whole(BigInteger raw, int decimals)
    {
        var unit = BigInteger.Pow(10, decimals);
        return string.Create(CultureInfo.InvariantCulture, $"{raw / unit:N0}.{raw % unit / 10_000:D2}");
    }

    /// <summary>How many times cheaper than 6% (600 bp = 6e8 on the 1e10 scale), floored to a tenth.</summary>
    private static string Times(BigInteger e10)
    {
        if (e10.IsZero)
        {
            return "—";
        }

        var tenths = 6_000_000_000 / e10;
        return string.Create(CultureInfo.InvariantCulture, $"{tenths / 10:N0}.{tenths % 10}× cheaper");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Centime.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Centime.slnx not found");
    }
}
