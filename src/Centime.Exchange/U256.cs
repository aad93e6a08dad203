using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace Centime.Exchange;

/// <summary>
/// uint256 arithmetic as Vyper does it: every operand and result lies in [0, 2^256), and anything that would
/// leave that range reverts (here: <see cref="PoolMathException"/>) instead of wrapping. Division floors, which
/// for non-negative <see cref="BigInteger"/>s is exactly <see cref="BigInteger.Divide"/> (truncation).
/// </summary>
/// <remarks>
/// The Vyper code uses <c>unsafe_*</c> in a few places where it has proven no wrap can happen; we check those too,
/// so a value that would have wrapped on chain is refused here rather than silently differing.
/// </remarks>
internal static class U256
{
    public static readonly BigInteger Max = (BigInteger.One << 256) - 1;

    public static BigInteger Add(BigInteger a, BigInteger b)
    {
        var r = a + b;
        if (r > Max)
        {
            Fail(ExchangeError.Overflow);
        }

        return r;
    }

    public static BigInteger Sub(BigInteger a, BigInteger b)
    {
        if (b > a)
        {
            Fail(ExchangeError.Underflow);
        }

        return a - b;
    }

    public static BigInteger Mul(BigInteger a, BigInteger b)
    {
        var r = a * b;
        if (r > Max)
        {
            Fail(ExchangeError.Overflow);
        }

        return r;
    }

    public static BigInteger Div(BigInteger a, BigInteger b)
    {
        if (b.IsZero)
        {
            Fail(ExchangeError.DivisionByZero);
        }

        return BigInteger.Divide(a, b);
    }

    public static bool InRange(BigInteger v) => v.Sign >= 0 && v <= Max;

    [DoesNotReturn]
    public static void Fail(ExchangeError error) => throw new PoolMathException(error);
}
