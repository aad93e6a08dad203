using System.Numerics;
using Xunit.Abstractions;
using static Centime.Exchange.Tests.Pools;

namespace Centime.Exchange.Tests;

/// <summary>Properties of the pool over random pools and trades (seed printed; CENTIME_SEED replays).</summary>
public sealed class PropertyTests(ITestOutputHelper output)
{
    private const int Cases = 300;

    /// <summary>
    /// get_D's precision, in wei of D: Newton stops at |ΔD| ≤ 1 and D_P floors n times, so the D of an unchanged
    /// (or zero-fee-swapped) pool can read a wei or two lower. Vyper behaves the same; fees of a few units dominate it.
    /// </summary>
    private const int DPrecision = 2;

    [Fact]
    public void Exchange_RoundTrip_NeverReturnsMoreThanPutInBeyondDust()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(Exchange_RoundTrip_NeverReturnsMoreThanPutInBeyondDust));
        for (var c = 0; c < Cases; c++)
        {
            var pool = Pools.Random(rng, out _);
            var (i, j) = Pair(rng, pool);
            var dx = RandomAmount(rng, pool, i);
            var there = pool.Exchange(i, j, dx, 0, 0);
            if (!there.IsSuccess || there.Value!.AmountOut.IsZero)
            {
                continue;
            }

            var back = pool.Exchange(j, i, there.Value.AmountOut, 0, 0);
            if (!back.IsSuccess)
            {
                continue;
            }

            // Dust: Newton leaves y within ±1 of the root, and the "−1" on dy covers one unit of coin j. Valued in
            // coin i that unit is worth dx/out, so where no fee is charged (zero fee, or a fee that floors to 0 on a
            // wei-sized trade) a round trip can come back up to dx/out + 1 raw units ahead — exactly as on chain.
            var dust = (dx / there.Value.AmountOut) + 1;
            Assert.True(back.Value!.AmountOut <= dx + dust, $"{tag} case {c}: {dx} → {there.Value.AmountOut} → {back.Value.AmountOut}");
            if (there.Value.Fee > 1 && back.Value.Fee > 1)
            {
                // a fee of ≥ 2 units on each leg outweighs the rounding: the trader always loses
                Assert.True(back.Value.AmountOut < dx, $"{tag} case {c}: fees charged but nothing lost: {dx} → {there.Value.AmountOut} → {back.Value.AmountOut}");
            }
        }
    }

    [Fact]
    public void Exchange_WithFee_NeverDecreasesDOrVirtualPrice()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(Exchange_WithFee_NeverDecreasesDOrVirtualPrice));
        for (var c = 0; c < Cases; c++)
        {
            var pool = Pools.Random(rng, out _);
            for (var step = 0; step < 5; step++)
            {
                var (i, j) = Pair(rng, pool);
                var d0 = Ok(pool.Invariant(0));
                var v0 = Ok(pool.VirtualPrice(0));
                var swap = pool.Exchange(i, j, RandomAmount(rng, pool, i), 0, 0);
                if (!swap.IsSuccess)
                {
                    continue;
                }

                var d1 = Ok(pool.Invariant(0));
                var v1 = Ok(pool.VirtualPrice(0));
                // the LPs' share of the fee, in wei of D
                var lpFee = (swap.Value!.Fee - swap.Value.AdminFee) * pool.Rates()[j] / E18;
                if (lpFee > 2 * DPrecision)
                {
                    Assert.True(d1 > d0, $"{tag} case {c} step {step}: D {d0} → {d1} with an LP fee of {lpFee}");
                    Assert.True(v1 >= v0, $"{tag} case {c} step {step}: virtual price {v0} → {v1}");
                }
                else
                {
                    // a fee that floors to (almost) nothing: D holds within get_D's precision
                    Assert.True(d1 + DPrecision >= d0, $"{tag} case {c} step {step}: D {d0} → {d1}, dust fee {lpFee}");
                    Assert.True(v1 + 1 >= v0, $"{tag} case {c} step {step}: virtual price {v0} → {v1}");
                }
            }
        }
    }

    [Fact]
    public void AddRemoveLiquidity_Proportional_KeepsSharesProportionalAndFavoursThePool()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(AddRemoveLiquidity_Proportional_KeepsSharesProportionalAndFavoursThePool));
        for (var c = 0; c < Cases; c++)
        {
            var pool = Pools.Random(rng, out _);
            var n = pool.CoinCount;
            // deposit k/1000 of every balance (k = 1..2000)
            var k = rng.Next(1, 2001);
            var amounts = new BigInteger[n];
            for (var i = 0; i < n; i++)
            {
                amounts[i] = pool.Balance(i) * k / 1000;
            }

            var supply0 = pool.TotalSupply;
            var balances0 = Enumerable.Range(0, n).Select(pool.Balance).ToArray();
            var minted = Ok(pool.AddLiquidity(amounts, 0, 0)).Minted;
            for (var i = 0; i < n; i++)
            {
                // never more shares than the smallest proportional contribution, up to get_D's precision: Newton
                // stops at |ΔD| ≤ 1 and D_P floors n times, so D0 and D1 each sit a few wei off the exact root.
                // 10 wei of shares is worth < 1e-16 of a coin; the withdrawal below shows it cannot be taken out.
                var proportional = amounts[i] * supply0 / balances0[i];
                Assert.True(minted <= proportional + 10, $"{tag} case {c}: minted {minted} > {proportional} for coin {i}");
            }

            // minted / supply is within 1e-9 of k/1000 (proportional deposits pay no imbalance fee worth speaking of)
            var expected = supply0 * k / 1000;
            Assert.True(BigInteger.Abs(minted - expected) * 1_000_000_000 <= expected, $"{tag} case {c}: minted {minted}, proportional {expected}");

            var supply1 = pool.TotalSupply;
            var balances1 = Enumerable.Range(0, n).Select(pool.Balance).ToArray();
            var paid = Ok(pool.RemoveLiquidity(minted, new BigInteger[n]));
            for (var i = 0; i < n; i++)
            {
                Assert.Equal(balances1[i] * minted / supply1, paid[i]);
                // the few wei of shares get_D's precision may over-mint (above) are worth at most this much coin
                var dust = (10 * balances1[i] / supply1) + 1;
                Assert.True(paid[i] <= amounts[i] + dust, $"{tag} case {c}: put {amounts[i]} of coin {i}, took {paid[i]}");
            }
        }
    }

    [Fact]
    public void RemoveLiquidityOneCoin_NeverPaysMoreThanItsProportionalValue()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(RemoveLiquidityOneCoin_NeverPaysMoreThanItsProportionalValue));
        for (var c = 0; c < Cases; c++)
        {
            var pool = Pools.Random(rng, out _);
            var i = rng.Next(pool.CoinCount);
            var burn = pool.TotalSupply * rng.Next(1, 500) / 1000;
            var d0 = Ok(pool.Invariant(0));
            var supply = pool.TotalSupply;
            var rate = pool.Rates()[i];
            var prices = Ok(pool.SpotPrices(0));
            var xpBefore = Enumerable.Range(0, pool.CoinCount).Select(k => pool.Balance(k) * pool.Rates()[k] / E18).ToArray();
            var result = pool.RemoveLiquidityOneCoin(burn, i, 0, 0);
            if (!result.IsSuccess)
            {
                Assert.Equal(ExchangeError.Underflow, result.Error); // the coin cannot cover the burn: refused, as Vyper
                continue;
            }

            // Valued at the pool's state prices before the withdrawal (coin 0 = 1e18), one coin never pays more
            // than the proportional withdrawal of every coin: it is that withdrawal plus swaps along a convex curve,
            // less fees. (Counted in units alone it can pay more than burn/supply·D when coin i is the abundant,
            // cheaper coin — that is the price, not a leak.)
            var paidNorm = result.Value!.AmountOut * rate / E18;
            var paidValue = paidNorm * Price(prices, i);
            var proportionalValue = BigInteger.Zero;
            for (var k = 0; k < pool.CoinCount; k++)
            {
                proportionalValue += xpBefore[k] * burn / supply * Price(prices, k);
            }

            Assert.True(paidValue <= proportionalValue, $"{tag} case {c}: paid value {paidValue} > proportional {proportionalValue}");
            Assert.True(Ok(pool.VirtualPrice(0)) >= d0 * E18 / supply, $"{tag} case {c}: virtual price fell");
        }
    }

    [Fact]
    public void RandomOperations_VirtualPriceNeverFalls_StoredEqualsLpPlusAdmin_SnapshotRoundTrips()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(RandomOperations_VirtualPriceNeverFalls_StoredEqualsLpPlusAdmin_SnapshotRoundTrips));
        for (var c = 0; c < 60; c++)
        {
            var pool = Pools.Random(rng, out _);
            var n = pool.CoinCount;
            var now = 0UL;
            for (var step = 0; step < 40; step++)
            {
                now += (ulong)rng.Next(0, 20_000);
                var vBefore = Ok(pool.VirtualPrice(now));
                var stored = Enumerable.Range(0, n).Select(pool.StoredBalance).ToArray();
                var before = pool.ToSnapshot();
                var op = rng.Next(6);
                var moved = new BigInteger[n]; // into the pool (+) or out (−)
                ExchangeError error;
                switch (op)
                {
                    case 0:
                    case 1:
                        {
                            var (i, j) = Pair(rng, pool);
                            var dx = RandomAmount(rng, pool, i);
                            var r = pool.Exchange(i, j, dx, 0, now);
                            error = r.Error;
                            if (r.IsSuccess)
                            {
                                moved[i] += dx;
                                moved[j] -= r.Value!.AmountOut;
                            }

                            break;
                        }

                    case 2:
                        {
                            var amounts = Enumerable.Range(0, n).Select(i => rng.Next(3) == 0 ? BigInteger.Zero : RandomAmount(rng, pool, i)).ToArray();
                            var r = pool.AddLiquidity(amounts, 0, now);
                            error = r.Error;
                            if (r.IsSuccess)
                            {
                                for (var i = 0; i < n; i++)
                                {
                                    moved[i] += amounts[i];
                                }
                            }

                            break;
                        }

                    case 3:
                        {
                            var burn = pool.TotalSupply * rng.Next(1, 300) / 1000;
                            var r = pool.RemoveLiquidity(burn, new BigInteger[n]);
                            error = r.Error;
                            if (r.IsSuccess)
                            {
                                for (var i = 0; i < n; i++)
                                {
                                    moved[i] -= r.Value![i];
                                }
                            }

                            break;
                        }

                    case 4:
                        {
                            var i = rng.Next(n);
                            var burn = pool.TotalSupply * rng.Next(1, 300) / 1000;
                            var r = pool.RemoveLiquidityOneCoin(burn, i, 0, now);
                            error = r.Error;
                            if (r.IsSuccess)
                            {
                                moved[i] -= r.Value!.AmountOut;
                            }

                            break;
                        }

                    default:
                        {
                            var amounts = Enumerable.Range(0, n).Select(i => rng.Next(2) == 0 ? BigInteger.Zero : RandomAmount(rng, pool, i) / 3).ToArray();
                            var r = pool.RemoveLiquidityImbalance(amounts, U256.Max, now);
                            error = r.Error;
                            if (r.IsSuccess)
                            {
                                for (var i = 0; i < n; i++)
                                {
                                    moved[i] -= amounts[i];
                                }
                            }

                            break;
                        }
                }

                if (error != ExchangeError.None)
                {
                    Assert.Equal(before, pool.ToSnapshot()); // refused: nothing changed
                    continue;
                }

                for (var i = 0; i < n; i++)
                {
                    Assert.Equal(stored[i] + moved[i], pool.StoredBalance(i)); // the ledger's pool account moves exactly by what was paid
                    Assert.True(pool.AdminBalance(i) <= pool.StoredBalance(i), $"{tag} case {c} step {step}");
                }

                if (pool.TotalSupply > 0)
                {
                    // within one unit (1e-18): get_D's precision on dust operations, see DPrecision
                    var vAfter = Ok(pool.VirtualPrice(now));
                    Assert.True(vAfter + 1 >= vBefore, $"{tag} case {c} step {step} op {op}: virtual price {vBefore} → {vAfter}");
                }

                var snapshot = pool.ToSnapshot();
                var restored = Ok(Pool.FromSnapshot(snapshot));
                Assert.Equal(snapshot, restored.ToSnapshot());
            }
        }
    }

    [Fact]
    public void GetDAndGetY_ExtremeInputs_ConvergeOrFailClearly()
    {
        var (rng, tag) = TestSeed.Create(output, nameof(GetDAndGetY_ExtremeInputs_ConvergeOrFailClearly));
        var clear = new[] { ExchangeError.NoConvergence, ExchangeError.DivisionByZero, ExchangeError.Overflow, ExchangeError.Underflow };
        for (var c = 0; c < 2000; c++)
        {
            var n = rng.Next(2, 9);
            var xp = new BigInteger[n];
            for (var k = 0; k < n; k++)
            {
                xp[k] = rng.Next(10) == 0 ? BigInteger.Zero : BigInteger.Pow(10, rng.Next(0, 40)) * rng.Next(1, 10);
            }

            var amp = new BigInteger(rng.Next(1, 100_000_000));
            try
            {
                var d = StableSwapMath.GetD(xp, amp);
                var sum = xp.Aggregate(BigInteger.Zero, (a, b) => a + b);
                Assert.True(d <= sum + 1, $"{tag} case {c}: D {d} above Σx {sum}");
                var i = rng.Next(n);
                var j = (i + 1 + rng.Next(n - 1)) % n;
                var y = StableSwapMath.GetY(i, j, xp[i] + (xp[i] / 10), xp, amp, d);
                Assert.True(y.Sign >= 0);
                var yd = StableSwapMath.GetYD(amp, i, xp, d * 9 / 10);
                Assert.True(yd.Sign >= 0);
            }
            catch (PoolMathException e)
            {
                Assert.Contains(e.Error, clear);
            }
        }
    }

    [Fact]
    public void Exchange_ZeroFee_DHoldsWithinGetDPrecisionAndRoundTripsGainAtMostDust()
    {
        // With no fee to hide behind, only the port's rounding (dy = xp_j − y − 1, floors) protects the pool:
        // D holds to within get_D's precision.
        var (rng, tag) = TestSeed.Create(output, nameof(Exchange_ZeroFee_DHoldsWithinGetDPrecisionAndRoundTripsGainAtMostDust));
        for (var c = 0; c < Cases; c++)
        {
            var pool = Pools.Random(rng, out _);
            Assert.Equal(ExchangeError.None, pool.SetFee(0, 0));
            for (var step = 0; step < 5; step++)
            {
                var (i, j) = Pair(rng, pool);
                // tiny trades too: a few raw units, where rounding is all there is
                var dx = rng.Next(2) == 0 ? new BigInteger(rng.Next(1, 1000)) : RandomAmount(rng, pool, i);
                var d0 = Ok(pool.Invariant(0));
                var there = pool.Exchange(i, j, dx, 0, 0);
                if (!there.IsSuccess)
                {
                    continue;
                }

                Assert.True(Ok(pool.Invariant(0)) + DPrecision >= d0, $"{tag} case {c} step {step}: D fell on a zero-fee swap: {d0} → {Ok(pool.Invariant(0))}, dx {dx}, out {there.Value!.AmountOut}, dec {pool.Decimals(i)}/{pool.Decimals(j)}");
                if (there.Value!.AmountOut.IsZero)
                {
                    continue;
                }

                var d1 = Ok(pool.Invariant(0));
                var back = pool.Exchange(j, i, there.Value.AmountOut, 0, 0);
                // see the dust bound in Exchange_RoundTrip_NeverReturnsMoreThanPutInBeyondDust: D never falls, but a wei-sized
                // round trip in an imbalanced zero-fee pool can come back dx/out + 1 units ahead, as on chain
                var dust = (dx / there.Value.AmountOut) + 1;
                Assert.True(!back.IsSuccess || back.Value!.AmountOut <= dx + dust, $"{tag} case {c} step {step}: {dx} came back as {back.Value?.AmountOut} via {there.Value.AmountOut}; dec {pool.Decimals(i)}/{pool.Decimals(j)}, A {pool.FutureA}, bal {pool.Balance(i)}/{pool.Balance(j)}, D {d0} → {d1} → {Ok(pool.Invariant(0))}");
            }
        }
    }

    private static BigInteger Price(IReadOnlyList<BigInteger> prices, int k) => k == 0 ? E18 : prices[k - 1];

    private static (int I, int J) Pair(Random rng, Pool pool)
    {
        var i = rng.Next(pool.CoinCount);
        var j = (i + 1 + rng.Next(pool.CoinCount - 1)) % pool.CoinCount;
        return (i, j);
    }
}
