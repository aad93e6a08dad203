using System.Numerics;
using static Centime.Exchange.Tests.Pools;

namespace Centime.Exchange.Tests;

/// <summary>Ramps, fees, refusals and the snapshot format.</summary>
public sealed class PoolRulesTests
{
    private const ulong Day = Pool.MinRampTime;

    [Fact]
    public void AmplificationPrecise_DuringRamp_IsLinearAndFloored()
    {
        var pool = Create([6, 6], 100, 1_000_000, 0);
        // a pool's first ramp may start MIN_RAMP_TIME after time 0 (initial_A_time is 0), as in Vyper
        Assert.Equal(ExchangeError.RampTooSoon, pool.RampA(1000, 11 * Day, Day - 1));
        Assert.Equal(ExchangeError.None, pool.RampA(1000, 11 * Day, Day));
        Assert.Equal(new BigInteger(10_000), Ok(pool.AmplificationPrecise(Day)));
        // A0 + (A1 − A0)·(t − t0)/(t1 − t0), floored
        Assert.Equal(new BigInteger(10_000 + (90_000L * 1000 / (10 * (long)Day))), Ok(pool.AmplificationPrecise(Day + 1000)));
        Assert.Equal(new BigInteger(10_000 + (90_000 * 7 / 10)), Ok(pool.AmplificationPrecise(8 * Day)));
        Assert.Equal(new BigInteger(100_000), Ok(pool.AmplificationPrecise(11 * Day)));
        Assert.Equal(new BigInteger(100_000), Ok(pool.AmplificationPrecise(ulong.MaxValue)));
    }

    [Fact]
    public void AmplificationPrecise_RampDown_RoundsTowardsTheStart()
    {
        var pool = Create([6, 6], 1000, 1_000_000, 0);
        Assert.Equal(ExchangeError.None, pool.RampA(100, 4 * Day, Day));
        // A0 − (A0 − A1)·(t − t0)/(t1 − t0) with A·100: 100000 − 90000·1/3
        Assert.Equal(new BigInteger(100_000 - 30_000), Ok(pool.AmplificationPrecise(2 * Day)));
        // the subtracted part is floored, so a ramp down rounds up (towards A0): one second in, still 100000
        Assert.Equal(new BigInteger(100_000), Ok(pool.AmplificationPrecise(Day + 1)));
        Assert.Equal(new BigInteger(100_000 - (90_000L * ((long)Day + 7) / (3 * (long)Day))), Ok(pool.AmplificationPrecise(2 * Day + 7)));
    }

    [Fact]
    public void RampA_BreakingTheRules_IsRefusedWithTheRule()
    {
        var pool = Create([6, 6], 100, 1_000_000, 0);
        const ulong t0 = 5 * Day;
        Assert.Equal(ExchangeError.RampTooShort, pool.RampA(200, t0 + Day - 1, t0));
        Assert.Equal(ExchangeError.RampChangeTooLarge, pool.RampA(1001, t0 + Day, t0));
        Assert.Equal(ExchangeError.RampChangeTooLarge, pool.RampA(9, t0 + Day, t0));
        Assert.Equal(ExchangeError.AmplificationOutOfRange, pool.RampA(0, t0 + Day, t0));
        Assert.Equal(ExchangeError.AmplificationOutOfRange, pool.RampA(1_000_000, t0 + Day, t0));
        Assert.Equal(ExchangeError.None, pool.RampA(1000, t0 + Day, t0));
        Assert.Equal(ExchangeError.RampTooSoon, pool.RampA(500, t0 + (3 * Day), t0 + Day - 1));
        Assert.Equal(ExchangeError.None, pool.StopRampA(t0 + (Day / 2)));
        var frozen = Ok(pool.AmplificationPrecise(t0 + (Day / 2)));
        Assert.Equal(frozen, Ok(pool.AmplificationPrecise(t0 + (10 * Day))));
        Assert.Equal(new BigInteger(10_000 + (90_000 / 2)), frozen);
    }

    [Fact]
    public void Create_And_SetFee_EnforceNgLimits()
    {
        Assert.Equal(ExchangeError.InvalidCoinCount, Pool.Create([6], 100, 0, 0).Error);
        Assert.Equal(ExchangeError.InvalidCoinCount, Pool.Create([6, 6, 6, 6, 6, 6, 6, 6, 6], 100, 0, 0).Error);
        Assert.Equal(ExchangeError.InvalidDecimals, Pool.Create([6, 19], 100, 0, 0).Error);
        Assert.Equal(ExchangeError.AmplificationOutOfRange, Pool.Create([6, 6], 0, 0, 0).Error);
        Assert.Equal(ExchangeError.FeeTooHigh, Pool.Create([6, 6], 100, 5_000_000_001, 0).Error);
        var pool = Create([6, 6], 100, 0, 0);
        Assert.Equal(ExchangeError.OffpegMultiplierTooHigh, pool.SetFee(1_000_000_000, 60_000_000_000));
        Assert.Equal(ExchangeError.None, pool.SetFee(1_000_000_000, 50_000_000_000));
        Assert.Equal(ExchangeError.AdminFeeTooHigh, pool.SetAdminFee(5_000_000_001));
        Assert.Equal(ExchangeError.InvalidRate, pool.SetOracleRate(0, 0));
        Assert.Equal(ExchangeError.CoinIndexOutOfRange, pool.SetOracleRate(2, E18));
    }

    [Fact]
    public void Operations_BadInput_RefusedWithStableCodeAndPoolUnchanged()
    {
        var pool = T4();
        var before = pool.ToSnapshot();
        Assert.Equal(ExchangeError.ZeroAmount, pool.Exchange(0, 1, 0, 0, 0).Error);
        Assert.Equal(ExchangeError.SameCoin, pool.Exchange(1, 1, 5, 0, 0).Error);
        Assert.Equal(ExchangeError.CoinIndexOutOfRange, pool.Exchange(0, 2, 5, 0, 0).Error);
        var quoted = Ok(pool.GetDy(0, 1, 1000 * E6, 0));
        Assert.Equal(ExchangeError.Slippage, pool.Exchange(0, 1, 1000 * E6, quoted + 1, 0).Error);
        Assert.Equal(ExchangeError.Overflow, pool.Exchange(0, 1, BigInteger.One << 250, 0, 0).Error);
        Assert.Equal(ExchangeError.AmountCountMismatch, pool.AddLiquidity([1], 0, 0).Error);
        Assert.Equal(ExchangeError.InvariantNotIncreased, pool.AddLiquidity([0, 0], 0, 0).Error);
        Assert.Equal(ExchangeError.Slippage, pool.AddLiquidity([E6, 0], E18, 0).Error);
        Assert.Equal(ExchangeError.InsufficientShares, pool.RemoveLiquidity(pool.TotalSupply + 1, [0, 0]).Error);
        Assert.Equal(ExchangeError.ZeroAmount, pool.RemoveLiquidity(0, [0, 0]).Error);
        Assert.Equal(ExchangeError.Slippage, pool.RemoveLiquidity(E18, [E6, E18]).Error);
        Assert.Equal(ExchangeError.Slippage, pool.RemoveLiquidityOneCoin(1000 * E18, 0, 999949917, 0).Error);
        Assert.Equal(ExchangeError.InsufficientLiquidity, pool.RemoveLiquidityImbalance([2_000_000 * E6, 0], U256.Max, 0).Error);
        Assert.Equal(ExchangeError.Slippage, pool.RemoveLiquidityImbalance([E6, 0], 1, 0).Error);
        Assert.Equal(before, pool.ToSnapshot());
    }

    [Fact]
    public void AddLiquidity_FirstDeposit_RequiresAllCoinsAndMintsD()
    {
        var pool = Create([6, 18], 2000, 1_000_000, 20_000_000_000);
        Assert.Equal(ExchangeError.InitialDepositRequiresAllCoins, pool.AddLiquidity([E6, 0], 0, 0).Error);
        var minted = Ok(pool.AddLiquidity([1_500_000 * E6, 1_500_000 * E18], 0, 0)).Minted;
        Assert.Equal(3_000_000 * E18, minted);
        Assert.Equal(minted, pool.TotalSupply);
    }

    [Fact]
    public void RemoveLiquidity_AllShares_EmptiesLpBalancesButKeepsAdminFees()
    {
        var pool = T4();
        Ok(pool.Exchange(0, 1, 100_000 * E6, 0, 0));
        var admin1 = pool.AdminBalance(1);
        Assert.True(admin1 > 0);
        Ok(pool.RemoveLiquidity(pool.TotalSupply, [0, 0]));
        Assert.Equal(BigInteger.Zero, pool.TotalSupply);
        Assert.Equal(BigInteger.Zero, pool.Balance(0));
        Assert.Equal(admin1, pool.StoredBalance(1));
        var paid = pool.WithdrawAdminFees();
        Assert.Equal(admin1, paid[1]);
        Assert.Equal(BigInteger.Zero, pool.StoredBalance(1));
    }

    [Fact]
    public void Snapshot_RoundTripsByteForByte_AndRefusesAnythingElse()
    {
        var pool = T4();
        Assert.Equal(ExchangeError.None, pool.RampA(3000, 5 * Day, 2 * Day));
        Assert.Equal(ExchangeError.None, pool.SetOracleRate(1, Big("999000000000000000")));
        Ok(pool.Exchange(0, 1, 12_345 * E6, 0, 3 * Day));
        var bytes = pool.ToSnapshot();
        Assert.Equal(Pool.SnapshotSize(2), bytes.Length);
        var restored = Ok(Pool.FromSnapshot(bytes));
        Assert.Equal(bytes, restored.ToSnapshot());
        Assert.Equal(Ok(pool.GetDy(1, 0, 777 * E18, 4 * Day)), Ok(restored.GetDy(1, 0, 777 * E18, 4 * Day)));

        Assert.Equal(ExchangeError.InvalidSnapshot, Pool.FromSnapshot(bytes.AsSpan(0, bytes.Length - 1)).Error);
        Assert.Equal(ExchangeError.InvalidSnapshot, Pool.FromSnapshot([.. bytes, 0]).Error);
        foreach (var (offset, value) in new[] { (0, (byte)'X'), (4, (byte)2), (6, (byte)1), (7, (byte)1), (8, (byte)19) })
        {
            var bad = (byte[])bytes.Clone();
            bad[offset] = value;
            Assert.Equal(ExchangeError.InvalidSnapshot, Pool.FromSnapshot(bad).Error);
        }

        // a zero oracle rate
        var zeroRate = (byte[])bytes.Clone();
        Array.Clear(zeroRate, 8 + 2, 32);
        Assert.Equal(ExchangeError.InvalidSnapshot, Pool.FromSnapshot(zeroRate).Error);
    }

    [Fact]
    public void Snapshot_Layout_IsFrozen()
    {
        var pool = Create([6, 18], 100, 4_000_000, 20_000_000_000);
        var bytes = pool.ToSnapshot();
        Assert.Equal("4358504C010002000612", Convert.ToHexString(bytes, 0, 10));
        Assert.Equal(8 + 2 + (32 * 12) + 16, bytes.Length);
    }

    [Fact]
    public void ErrorCodes_AreFrozen()
    {
        Assert.Equal(0, (int)ExchangeError.None);
        Assert.Equal(4, (int)ExchangeError.Slippage);
        Assert.Equal(6, (int)ExchangeError.Overflow);
        Assert.Equal(9, (int)ExchangeError.NoConvergence);
        Assert.Equal(15, (int)ExchangeError.RampChangeTooLarge);
        Assert.Equal(24, (int)ExchangeError.InvalidSnapshot);
        Assert.Equal(25, (int)ExchangeError.ZeroBurn);
    }

    [Fact]
    public void Quote_BalancedPool_SplitsCostIntoFeeAndImpact()
    {
        var pool = T4();
        var quote = Ok(pool.Quote(0, 1, 1000 * E6, 0));
        Assert.Equal(Ok(pool.GetDy(0, 1, 1000 * E6, 0)), quote.AmountOut);
        Assert.Equal(new BigInteger(1_000_000), quote.FeeRate); // balanced: the base fee, 1 bp
        Assert.Equal(quote.AmountOut + quote.Fee, quote.AmountOutBeforeFee, new BigIntegerTolerance(1));
        Assert.True(quote.AmountOutAtMarginalPrice >= quote.AmountOutBeforeFee);
        Assert.InRange(quote.TotalCost, quote.FeeRate, quote.FeeRate + quote.PriceImpact + 1);
        // a 100× larger trade has more impact
        var big = Ok(pool.Quote(0, 1, 100_000 * E6, 0));
        Assert.True(big.PriceImpact > quote.PriceImpact);
    }

    private sealed class BigIntegerTolerance(int units) : IEqualityComparer<BigInteger>
    {
        public bool Equals(BigInteger x, BigInteger y) => BigInteger.Abs(x - y) <= units;

        public int GetHashCode(BigInteger obj) => 0;
    }
}
