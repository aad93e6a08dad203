namespace Centime.Exchange;

/// <summary>
/// Why a pool operation was refused. The numeric values are persisted (results, journals, problem codes) and
/// frozen: add new members at the end, never renumber. A refused operation leaves the pool unchanged.
/// </summary>
public enum ExchangeError
{
    /// <summary>Success.</summary>
    None = 0,
    /// <summary>An amount (dx, burn, deposit) was zero where the Vyper code asserts it is positive.</summary>
    ZeroAmount = 1,
    /// <summary>i == j in a swap.</summary>
    SameCoin = 2,
    /// <summary>A coin index outside 0..n-1.</summary>
    CoinIndexOutOfRange = 3,
    /// <summary>The result is worse than the caller's bound (min_dy, min_mint_amount, min_received, max_burn_amount).</summary>
    Slippage = 4,
    /// <summary>The pool does not hold enough of a coin (an intermediate would go below zero).</summary>
    InsufficientLiquidity = 5,
    /// <summary>A value would exceed 2^256−1, where Vyper reverts.</summary>
    Overflow = 6,
    /// <summary>A subtraction would go below zero, where Vyper reverts.</summary>
    Underflow = 7,
    /// <summary>A division by zero (an empty coin balance inside get_D / get_y), where Vyper reverts.</summary>
    DivisionByZero = 8,
    /// <summary>Newton's method did not converge within 255 iterations (get_D, get_y, get_y_D).</summary>
    NoConvergence = 9,
    /// <summary>The first deposit must bring every coin.</summary>
    InitialDepositRequiresAllCoins = 10,
    /// <summary>add_liquidity did not increase D (D1 &gt; D0 fails).</summary>
    InvariantNotIncreased = 11,
    /// <summary>ramp_A within MIN_RAMP_TIME of the previous ramp's start.</summary>
    RampTooSoon = 12,
    /// <summary>ramp_A whose end is less than MIN_RAMP_TIME away.</summary>
    RampTooShort = 13,
    /// <summary>A outside 0 &lt; A &lt; MAX_A.</summary>
    AmplificationOutOfRange = 14,
    /// <summary>ramp_A changing A by more than MAX_A_CHANGE (10×) either way.</summary>
    RampChangeTooLarge = 15,
    /// <summary>fee above MAX_FEE (50%).</summary>
    FeeTooHigh = 16,
    /// <summary>offpeg_fee_multiplier · fee above MAX_FEE · FEE_DENOMINATOR.</summary>
    OffpegMultiplierTooHigh = 17,
    /// <summary>admin fee above MAX_FEE.</summary>
    AdminFeeTooHigh = 18,
    /// <summary>A pool has 2 to 8 coins.</summary>
    InvalidCoinCount = 19,
    /// <summary>Coin decimals above 18 (rate = 10^(36−decimals) assumes ≤ 18).</summary>
    InvalidDecimals = 20,
    /// <summary>An oracle rate of zero.</summary>
    InvalidRate = 21,
    /// <summary>Burning more LP shares than exist, or burning from an empty pool.</summary>
    InsufficientShares = 22,
    /// <summary>An amounts array whose length is not the pool's coin count.</summary>
    AmountCountMismatch = 23,
    /// <summary>A snapshot that is not a canonical encoding of a valid pool.</summary>
    InvalidSnapshot = 24,
    /// <summary>remove_liquidity_imbalance would burn no shares.</summary>
    ZeroBurn = 25,
}
