using System.Numerics;
using static Centime.Exchange.Tests.Pools;

namespace Centime.Exchange.Tests;

/// <summary>The published vectors of docs/../shared/specs/stableswap.md §1, to the unit.</summary>
public sealed class VectorTests
{
    [Fact]
    public void GetD_T1_MatchesNgTestVector()
    {
        // stableswap-ng tests/token/test_get_D.py: amp is A_precise (A·A_PRECISION) as passed to get_D
        var d = StableSwapMath.GetD([BigInteger.Pow(10, 23), E18], 1000);
        Assert.Equal(Big("9010395375710532394006"), d);
    }

    [Fact]
    public void T4_BalancedPool_ReproducesEveryVector()
    {
        var pool = T4();
        Assert.Equal(3_000_000 * E18, pool.TotalSupply);
        Assert.Equal(Big("999899666866529794315"), Ok(pool.GetDy(0, 1, 1000 * E6, 0)));
        Assert.Equal(new BigInteger(999899666), Ok(pool.GetDy(1, 0, 1000 * E18, 0)));
        Assert.Equal(Big("999949916738138127866"), Ok(pool.CalcTokenAmount([1000 * E6, 0], true, 0)));
        var one = Ok(pool.CalcWithdrawOneCoin(1000 * E18, 0, 0));
        Assert.Equal(new BigInteger(999949916), one.AmountOut);
        Assert.Equal(new BigInteger(50000), one.Fee);
    }

    [Fact]
    public void T5_ImbalancedPool_ReproducesEveryVector()
    {
        var pool = WithBalances([6, 18], 2000, 1_000_000, 20_000_000_000, [500_000 * E6, 2_500_000 * E18]);
        Assert.Equal(Big("2999400659113341814162286"), Ok(pool.Invariant(0)));
        Assert.Equal(new BigInteger(1285714), Ok(pool.DynamicFee(0, 1)));
        Assert.Equal(new BigInteger(997714263), Ok(pool.GetDy(1, 0, 1000 * E18, 0)));
        Assert.Equal([Big("997847103654669147")], Ok(pool.SpotPrices(0)));
    }

    [Fact]
    public void Exchange_T4_PaysWhatGetDyQuoted()
    {
        var pool = T4();
        var quoted = Ok(pool.GetDy(0, 1, 1000 * E6, 0));
        var swap = Ok(pool.Exchange(0, 1, 1000 * E6, quoted, 0));
        Assert.Equal(quoted, swap.AmountOut);
        Assert.Equal(1_501_000 * E6, pool.StoredBalance(0));
        Assert.Equal(1_500_000 * E18 - quoted, pool.StoredBalance(1));
        Assert.True(pool.AdminBalance(1) > 0);
    }

    [Fact]
    public void RemoveLiquidityOneCoin_T4_PaysCalcWithdrawOneCoinAndKeepsHalfTheFeeForAdmin()
    {
        var pool = T4();
        var result = Ok(pool.RemoveLiquidityOneCoin(1000 * E18, 0, 999949916, 0));
        Assert.Equal(new BigInteger(999949916), result.AmountOut);
        Assert.Equal(new BigInteger(25000), pool.AdminBalance(0));
        Assert.Equal(1_500_000 * E6 - 999949916, pool.StoredBalance(0));
        Assert.Equal(2_999_000 * E18, pool.TotalSupply);
    }

    [Theory]
    [InlineData(200, "128145670174")]
    [InlineData(1000, "128152203497")]
    public void GetDy_HkdUsdWorkedExample_MatchesSpec(int a, string expected)
    {
        // §3: USD and HKD coins (6 decimals), 10M USD + 78M HKD, oracle 1/7.8, fee 4 bp, m=2×; 1M HKD → USD
        var pool = Create([6, 6], a, 4_000_000, 20_000_000_000);
        Assert.Equal(ExchangeError.None, pool.SetOracleRate(1, Big("128205128205128205")));
        Ok(pool.AddLiquidity([10_000_000 * E6, 78_000_000 * E6], 0, 0));
        Assert.Equal(Big(expected), Ok(pool.GetDy(1, 0, 1_000_000 * E6, 0)));
    }
    [Fact]
    public void GetDy_OnChainNgPool_sUSDS_USDT_MatchesMainnet()
    {
        // stableswap.md [CM]: sunce86/curve-math benches/revm-comparison/fixtures/sUSDS_USDT.json — get_dy(0, 1, 1000e18)
        // executed by revm on the real NG pool 0x00836fe5…fd10 at block 24712721: A_precise 2000000 (A = 20000),
        // fee 0.1 bp, offpeg 20×, sUSDS (18 dec, oracle rate 1.0906…) / USDT (6 dec)
        var pool = Create([18, 6], 20_000, 100_000, 200_000_000_000);
        Assert.Equal(ExchangeError.None, pool.SetOracleRate(0, Big("1090658613438076468")));
        pool.SetState([Big("9389865739602554336029715"), Big("39774632860599")], [0, 0], E18);
        Assert.Equal([Big("1090658613438076468"), BigInteger.Pow(10, 30)], pool.Rates());
        Assert.Equal(new BigInteger(1090794080), Ok(pool.GetDy(0, 1, 1000 * E18, 0)));
    }
}
