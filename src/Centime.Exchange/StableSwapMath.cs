using System.Numerics;
using static Centime.Exchange.U256;

namespace Centime.Exchange;

/// <summary>
/// The StableSwap-NG math (curvefi/stableswap-ng <c>CurveStableSwapNG.vy</c> and <c>CurveStableSwapNGViews.vy</c>),
/// operation for operation: the same products, the same floor divisions in the same order, the same 255-iteration
/// Newton loops that revert when they do not converge. Pure functions over normalised balances (xp, 1e18 scale).
/// </summary>
internal static class StableSwapMath
{
    public const int MaxIterations = 255;
    public static readonly BigInteger Precision = BigInteger.Pow(10, 18);
    public static readonly BigInteger FeeDenominator = BigInteger.Pow(10, 10);
    public static readonly BigInteger APrecision = 100;

    /// <summary><c>_xp_mem</c>: xp_i = rate_i · balance_i / 1e18.</summary>
    public static BigInteger[] Xp(BigInteger[] rates, BigInteger[] balances)
    {
        var xp = new BigInteger[rates.Length];
        for (var i = 0; i < xp.Length; i++)
        {
            xp[i] = Div(Mul(rates[i], balances[i]), Precision);
        }

        return xp;
    }

    /// <summary><c>get_D</c>: the invariant D for normalised balances xp and amp = A·A_PRECISION.</summary>
    public static BigInteger GetD(BigInteger[] xp, BigInteger amp)
    {
        var n = new BigInteger(xp.Length);
        var s = BigInteger.Zero;
        foreach (var x in xp)
        {
            s = Add(s, x);
        }

        if (s.IsZero)
        {
            return BigInteger.Zero;
        }

        var d = s;
        var ann = Mul(amp, n);
        var nn = BigInteger.Pow(n, xp.Length); // pow_mod256(N, N): at most 8^8, no wrap
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var dP = d;
            foreach (var x in xp)
            {
                dP = Div(Mul(dP, d), x);
            }

            dP = Div(dP, nn);
            var dPrev = d;

            // (Ann * S / A_PRECISION + D_P * N) * D / ((Ann - A_PRECISION) * D / A_PRECISION + (N + 1) * D_P)
            var numerator = Mul(Add(Div(Mul(ann, s), APrecision), Mul(dP, n)), d);
            var denominator = Add(Div(Mul(Sub(ann, APrecision), d), APrecision), Mul(n + 1, dP));
            d = Div(numerator, denominator);

            if (Converged(d, dPrev))
            {
                return d;
            }
        }

        Fail(ExchangeError.NoConvergence);
        return default;
    }

    /// <summary><c>get_y</c>: the new xp_j when xp_i is set to x, holding D.</summary>
    public static BigInteger GetY(int i, int j, BigInteger x, BigInteger[] xp, BigInteger amp, BigInteger d)
    {
        var nCoins = xp.Length;
        if (i == j)
        {
            Fail(ExchangeError.SameCoin);
        }

        if ((uint)i >= (uint)nCoins || (uint)j >= (uint)nCoins)
        {
            Fail(ExchangeError.CoinIndexOutOfRange);
        }

        var n = new BigInteger(nCoins);
        var s = BigInteger.Zero;
        var c = d;
        var ann = Mul(amp, n);
        for (var k = 0; k < nCoins; k++)
        {
            BigInteger xk;
            if (k == i)
            {
                xk = x;
            }
            else if (k != j)
            {
                xk = xp[k];
            }
            else
            {
                continue;
            }

            s = Add(s, xk);
            c = Div(Mul(c, d), Mul(xk, n));
        }

        c = Div(Mul(Mul(c, d), APrecision), Mul(ann, n));
        var b = Add(s, Div(Mul(d, APrecision), ann)); // - D
        return NewtonY(b, c, d);
    }

    /// <summary><c>get_y_D</c>: the xp_i that gives invariant D with the other coins held.</summary>
    public static BigInteger GetYD(BigInteger amp, int i, BigInteger[] xp, BigInteger d)
    {
        var nCoins = xp.Length;
        if ((uint)i >= (uint)nCoins)
        {
            Fail(ExchangeError.CoinIndexOutOfRange);
        }

        var n = new BigInteger(nCoins);
        var s = BigInteger.Zero;
        var c = d;
        var ann = Mul(amp, n);
        for (var k = 0; k < nCoins; k++)
        {
            if (k == i)
            {
                continue;
            }

            s = Add(s, xp[k]);
            c = Div(Mul(c, d), Mul(xp[k], n));
        }

        c = Div(Mul(Mul(c, d), APrecision), Mul(ann, n));
        var b = Add(s, Div(Mul(d, APrecision), ann));
        return NewtonY(b, c, d);
    }

    /// <summary>The shared Newton loop of get_y / get_y_D (<c>newton_y</c> in the views contract): y = (y² + c) / (2y + b − D).</summary>
    private static BigInteger NewtonY(BigInteger b, BigInteger c, BigInteger d)
    {
        var y = d;
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            var yPrev = y;
            y = Div(Add(Mul(y, y), c), Sub(Add(Mul(2, y), b), d));
            if (Converged(y, yPrev))
            {
                return y;
            }
        }

        Fail(ExchangeError.NoConvergence);
        return default;
    }

    /// <summary>
    /// <c>_dynamic_fee</c>: f when the multiplier m ≤ 1e10; otherwise m·f / ((m − 1e10)·4·xi·xj / (xi + xj)² + 1e10).
    /// </summary>
    public static BigInteger DynamicFee(BigInteger xpi, BigInteger xpj, BigInteger fee, BigInteger offpegFeeMultiplier)
    {
        if (offpegFeeMultiplier <= FeeDenominator)
        {
            return fee;
        }

        var xps2 = Mul(Add(xpi, xpj), Add(xpi, xpj));
        var imbalance = Div(Mul(Mul(Mul(Sub(offpegFeeMultiplier, FeeDenominator), 4), xpi), xpj), xps2);
        return Div(Mul(offpegFeeMultiplier, fee), Add(imbalance, FeeDenominator));
    }

    /// <summary>
    /// <c>_get_p</c>: the AMM state price of coins 1..n−1 in coin 0 (dx_0/dx_k, 1e18 scale), from xp, amp and D.
    /// </summary>
    public static BigInteger[] GetP(BigInteger[] xp, BigInteger amp, BigInteger d)
    {
        var nCoins = xp.Length;
        var ann = Mul(amp, nCoins);
        var dr = Div(d, BigInteger.Pow(nCoins, nCoins));
        for (var k = 0; k < nCoins; k++)
        {
            dr = Div(Mul(dr, d), xp[k]);
        }

        var p = new BigInteger[nCoins - 1];
        var xp0A = Div(Mul(ann, xp[0]), APrecision);
        for (var k = 1; k < nCoins; k++)
        {
            p[k - 1] = Div(Mul(Precision, Add(xp0A, Div(Mul(dr, xp[0]), xp[k]))), Add(xp0A, dr));
        }

        return p;
    }

    /// <summary>"Equality with the precision of 1".</summary>
    private static bool Converged(BigInteger value, BigInteger previous) =>
        value > previous ? value - previous <= 1 : previous - value <= 1;
}
