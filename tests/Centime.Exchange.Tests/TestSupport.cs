using System.Globalization;
using System.Numerics;
using Xunit.Abstractions;

namespace Centime.Exchange.Tests;

/// <summary>Seeds for randomised tests: printed, and <c>CENTIME_SEED</c> replays a failure exactly.</summary>
internal static class TestSeed
{
    public static (Random Random, string Tag) Create(ITestOutputHelper output, string test)
    {
        var env = Environment.GetEnvironmentVariable("CENTIME_SEED");
        var seed = env is { Length: > 0 } ? int.Parse(env, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"{test}: seed {seed} (replay with CENTIME_SEED={seed})");
        return (new Random(seed), $"[seed {seed}, replay with CENTIME_SEED={seed}]");
    }
}

internal static class Pools
{
    public static readonly BigInteger E6 = BigInteger.Pow(10, 6);
    public static readonly BigInteger E18 = BigInteger.Pow(10, 18);

    public static BigInteger Big(string s) => BigInteger.Parse(s, CultureInfo.InvariantCulture);

    public static T Ok<T>(PoolOutcome<T> outcome)
    {
        Assert.True(outcome.IsSuccess, $"refused: {outcome.Error}");
        return outcome.Value!;
    }

    public static Pool Create(int[] decimals, BigInteger a, BigInteger fee, BigInteger offpeg) =>
        Ok(Pool.Create(decimals, a, fee, offpeg));

    /// <summary>A pool in a given state with supply = D, as the spec's vectors are set up.</summary>
    public static Pool WithBalances(int[] decimals, BigInteger a, BigInteger fee, BigInteger offpeg, BigInteger[] balances)
    {
        var pool = Create(decimals, a, fee, offpeg);
        var zeros = new BigInteger[balances.Length];
        pool.SetState(balances, zeros, BigInteger.Zero);
        var d = Ok(pool.Invariant(0));
        pool.SetState(balances, zeros, d);
        return pool;
    }

    /// <summary>T4: 6/18 decimals, balanced 1.5M each, A=2000, fee 1 bp, offpeg 2×.</summary>
    public static Pool T4() => WithBalances([6, 18], 2000, 1_000_000, 20_000_000_000, [1_500_000 * E6, 1_500_000 * E18]);

    /// <summary>A random pool with real deposits (so supply and balances are consistent).</summary>
    public static Pool Random(Random rng, out int[] decimals)
    {
        var n = rng.Next(2, 5);
        decimals = new int[n];
        for (var i = 0; i < n; i++)
        {
            decimals[i] = rng.Next(2) == 0 ? 6 : 18;
        }

        var a = new BigInteger(rng.Next(1, 5000));
        var fee = new BigInteger(rng.Next(0, 50_000_000)); // up to 50 bp
        var offpeg = new BigInteger(rng.Next(0, 3) switch { 0 => 10_000_000_000L, 1 => 20_000_000_000L, _ => 100_000_000_000L });
        var pool = Create(decimals, a, fee, offpeg);
        var amounts = new BigInteger[n];
        for (var i = 0; i < n; i++)
        {
            // 1k to 100M whole coins, imbalanced up to 100x between coins
            amounts[i] = new BigInteger(rng.NextInt64(1_000, 100_000_000)) * BigInteger.Pow(10, decimals[i]);
        }

        Ok(pool.AddLiquidity(amounts, 0, 0));
        return pool;
    }

    public static BigInteger Units(Pool pool, int coin, long whole) => whole * BigInteger.Pow(10, pool.Decimals(coin));

    public static BigInteger RandomAmount(Random rng, Pool pool, int coin)
    {
        // from one raw unit up to about 30% of the coin's balance, log-uniform
        var max = pool.Balance(coin) * 3 / 10;
        var digits = (int)Math.Max(1, Math.Floor(BigInteger.Log10(max)));
        var exp = rng.Next(0, digits + 1);
        var v = BigInteger.Pow(10, exp) * rng.Next(1, 10);
        return BigInteger.Max(BigInteger.One, BigInteger.Min(v, max));
    }
}
