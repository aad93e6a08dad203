using System.Numerics;

namespace Centime.Exchange;

/// <summary>The result of a pool operation: a value, or the <see cref="ExchangeError"/> that refused it (pool unchanged).</summary>
public readonly record struct PoolOutcome<T>(ExchangeError Error, T? Value)
{
    /// <summary>True when the operation succeeded and <see cref="Value"/> is set.</summary>
    public bool IsSuccess => Error == ExchangeError.None;

    internal static PoolOutcome<T> Ok(T value) => new(ExchangeError.None, value);

    internal static PoolOutcome<T> Refused(ExchangeError error) => new(error, default);
}

/// <summary>A swap of <see cref="AmountIn"/> of coin i for <see cref="AmountOut"/> of coin j (raw units of each coin).</summary>
/// <param name="Fee">The fee kept by the pool, in raw units of coin j (floor of the normalised fee).</param>
/// <param name="AdminFee">The part of the fee credited to the admin balance of coin j (exact, as the Vyper code).</param>
public sealed record SwapResult(BigInteger AmountIn, BigInteger AmountOut, BigInteger Fee, BigInteger AdminFee);

/// <summary>LP shares minted by a deposit, and the imbalance fee taken from each coin (raw units).</summary>
public sealed record DepositResult(BigInteger Minted, IReadOnlyList<BigInteger> Fees);

/// <summary>LP shares burned by an imbalanced withdrawal, and the imbalance fee taken from each coin (raw units).</summary>
public sealed record ImbalancedWithdrawalResult(BigInteger Burned, IReadOnlyList<BigInteger> Fees);

/// <summary>A one-coin withdrawal: the amount paid out and the fee (vs. a fee-less withdrawal), in raw units of the coin.</summary>
public sealed record OneCoinWithdrawalResult(BigInteger AmountOut, BigInteger Fee);

/// <summary>
/// A swap quote in exact integers. Rates (<see cref="FeeRate"/>, <see cref="PriceImpact"/>, <see cref="TotalCost"/>) are on
/// Curve's FEE_DENOMINATOR scale, 1e10 = 100%, so 1 basis point = 1,000,000; impact and cost round up (against the trader).
/// </summary>
/// <param name="AmountIn">dx, raw units of coin i.</param>
/// <param name="AmountOut">What <c>exchange</c> pays now (raw units of coin j); equals <c>get_dy</c>.</param>
/// <param name="AmountOutBeforeFee">The curve's output before the fee, raw units of coin j.</param>
/// <param name="Fee">The fee in raw units of coin j.</param>
/// <param name="AmountOutAtMarginalPrice">dx valued at the pool's marginal (state) price, no fee, no impact: the reference.</param>
/// <param name="FeeRate">The dynamic fee applied (1e10 scale).</param>
/// <param name="PriceImpact">(reference − before fee) / reference, rounded up, 0 if the curve does better (rounding noise).</param>
/// <param name="TotalCost">(reference − out) / reference, rounded up: fee plus impact.</param>
public sealed record Quote(
    int CoinIn,
    int CoinOut,
    BigInteger AmountIn,
    BigInteger AmountOut,
    BigInteger AmountOutBeforeFee,
    BigInteger Fee,
    BigInteger AmountOutAtMarginalPrice,
    BigInteger FeeRate,
    BigInteger PriceImpact,
    BigInteger TotalCost);
