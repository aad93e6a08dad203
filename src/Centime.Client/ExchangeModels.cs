using System.Text.Json;

namespace Centime.Client;

// Shapes of /v1/exchange (docs/api.md, "Exchange"). Amounts are decimal strings of raw minor units; FX rates, bands and
// prices are decimal strings in display units ("7.8" HKD per USD, up to 18 decimal places, exact); basis points are
// decimal strings ("4", "0.5"); times are Unix seconds unless named At (ledger time, Unix nanoseconds).

/// <summary>Creates or replaces a feed's settings (operator). Bands are rates ("7.75"); omitted = no band on that side.</summary>
public sealed record FeedConfigRequest(ulong? HeartbeatSeconds, string? BandMin, string? BandMax, IReadOnlyList<string>? Signers);

/// <summary>A rate observed by a feed signer, signed as EIP-712 <c>FxRate(string feed,uint256 rate,uint256 observedAt)</c>
/// whose <c>rate</c> is <see cref="Rate"/> × 1e18.</summary>
public sealed record RateRequest(string? Rate, ulong? ObservedAt, string? Signature);

/// <summary>A feed: settings and latest rate; <see cref="Status"/> is ok, stale (none, or older than the heartbeat) or out_of_band.</summary>
public sealed record FeedView(
    string Name,
    ulong HeartbeatSeconds,
    string? BandMin,
    string? BandMax,
    IReadOnlyList<string> Signers,
    string? Rate,
    ulong? ObservedAt,
    ulong? AgeSeconds,
    string? Signer,
    string Status);

/// <summary>A coin of a new pool: priced at 1 in the pool's reference currency, or by a feed (inverted: 1 / rate).</summary>
public sealed record PoolCoinRequest(string? Coin, string? Feed = null, bool? Invert = null);

/// <summary>Risk controls; an omitted field keeps the current value (defaults on create: no caps, 100 bp impact, 200 bp depeg band,
/// minimum trade 0.01 of coin 0). Zero turns a control off.</summary>
/// <param name="Caps">Per coin: the most the pool may hold, raw units ("0" = no cap).</param>
/// <param name="MaxPriceImpactBps">Largest price impact of one hop.</param>
/// <param name="DepegBandBps">The pool pauses itself when a spot price leaves 1 ± this.</param>
/// <param name="MinTrade">Smallest trade, in raw units of coin 0 (other coins valued at the pool's rates).</param>
public sealed record PoolRiskRequest(IReadOnlyList<string>? Caps = null, string? MaxPriceImpactBps = null, string? DepegBandBps = null, string? MinTrade = null);

/// <summary>Creates an empty pool and its LP share coin (operator). Fee: <see cref="FeeBps"/> ("4") or <see cref="Fee"/> (1e10 scale).</summary>
public sealed record CreatePoolRequest(
    uint? Id,
    string? LpSymbol,
    IReadOnlyList<PoolCoinRequest>? Coins,
    ulong? A,
    string? FeeBps = null,
    string? Fee = null,
    string? OffpegMultiplier = null,
    PoolRiskRequest? Risk = null);

/// <summary>Ramp A linearly to <see cref="FutureA"/>, reached at <see cref="FutureTime"/> (Unix seconds, ≥ 1 day ahead).</summary>
public sealed record RampRequest(ulong? FutureA, ulong? FutureTime);

/// <summary>Changes a pool (operator); omitted fields keep their values. Unpausing clears a tripped depeg breaker.</summary>
public sealed record ConfigurePoolRequest(
    PoolRiskRequest? Risk = null,
    bool? Paused = null,
    string? FeeBps = null,
    string? Fee = null,
    string? OffpegMultiplier = null,
    RampRequest? Ramp = null);

/// <summary>Deposits raw <see cref="Amounts"/> (one per pool coin, in pool order) from the provider; mints at least <see cref="MinMint"/> LP shares.</summary>
public sealed record AddLiquidityRequest(string? Provider, IReadOnlyList<string>? Amounts, string? MinMint = null)
{
    /// <summary>Signed by the provider (no operator key): a random 32-byte nonce (0x-hex), used once.</summary>
    public string? Nonce { get; init; }

    /// <summary>Signed by the provider: Unix seconds of ledger time after which the request is refused.</summary>
    public ulong? Deadline { get; init; }

    /// <summary>The provider's EIP-712 signature of <see cref="HolderTypedData.AddLiquidityType"/>; without it the operator key is needed.</summary>
    public string? Signature { get; init; }
}

/// <summary>Burns <see cref="Shares"/> LP shares (raw, 18 decimals): proportionally, or all in <see cref="Coin"/> (a symbol).</summary>
public sealed record RemoveLiquidityRequest(string? Provider, string? Shares, IReadOnlyList<string>? MinAmounts = null, string? Coin = null)
{
    /// <summary>Signed by the provider (no operator key): a random 32-byte nonce (0x-hex), used once.</summary>
    public string? Nonce { get; init; }

    /// <summary>Signed by the provider: Unix seconds of ledger time after which the request is refused.</summary>
    public ulong? Deadline { get; init; }

    /// <summary>The provider's EIP-712 signature of <see cref="HolderTypedData.RemoveLiquidityType"/>; without it the operator key is needed.</summary>
    public string? Signature { get; init; }
}

/// <summary>Pays a pool's admin fees to <see cref="To"/> (operator).</summary>
public sealed record WithdrawFeesRequest(string? To);

/// <summary>One coin of a pool: stored balance (= the pool account's ledger balance), the part owed as admin fees, and its rate.</summary>
public sealed record PoolCoinView(string Coin, int Decimals, string? Feed, bool Invert, string Balance, string AdminBalance, string Rate, string Cap);

/// <summary>Risk controls as set.</summary>
public sealed record PoolRiskView(IReadOnlyList<string> Caps, string MaxPriceImpactBps, string DepegBandBps, string MinTrade);

/// <summary>
/// A pool. <see cref="Status"/>: ok, or the problem code that halts it (pool_paused, oracle_stale, oracle_out_of_band);
/// <see cref="PausedBy"/>: operator or depeg. Prices are of coins 1..n−1 in coin 0 after the rates (1 = on peg).
/// </summary>
public sealed record PoolView(
    uint Id,
    string LpSymbol,
    string Account,
    IReadOnlyList<PoolCoinView> Coins,
    string LpSupply,
    string A,
    string FutureA,
    ulong FutureATime,
    string Fee,
    string FeeBps,
    string OffpegMultiplier,
    string AdminFee,
    string? VirtualPrice,
    IReadOnlyList<string>? SpotPrices,
    string Status,
    string? PausedBy,
    PoolRiskView Risk,
    ulong SwapCount,
    ulong CreatedAt);

/// <summary>The outcome of a deposit or withdrawal: the pool after it and the provider's LP shares now.</summary>
public sealed record LiquidityView(PoolView Pool, string Provider, string Shares, string? Minted, string? Burned, IReadOnlyList<string> Amounts, ulong Height);

/// <summary>Asks for the best route (≤ 2 pools) for <see cref="AmountIn"/> raw units of <see cref="From"/> into <see cref="To"/>.
/// With <see cref="Payer"/> the answer carries the EIP-712 acceptance to sign (recipient defaults to the payer).</summary>
public sealed record QuoteRequest(string? From, string? To, string? AmountIn, string? Payer = null, string? Recipient = null, string? SlippageBps = null);

/// <summary>One hop: fee in raw units of the coin out; rates of the pool's coins in its reference currency.</summary>
public sealed record HopView(uint Pool, string From, string To, string AmountIn, string AmountOut, string Fee, string FeeBps, string PriceImpactBps, string OracleRateIn, string OracleRateOut);

/// <summary>A feed rate a quote used.</summary>
public sealed record OracleRateView(string Feed, string Rate, ulong ObservedAt);

/// <summary>Another route and what it would pay, or why it is refused.</summary>
public sealed record RouteAlternative(string Route, string? AmountOut, string? Code);

/// <summary>
/// A quote: priced at <see cref="QuotedAt"/> (the ledger time the next block would have), valid until <see cref="Expiry"/>
/// (Unix seconds, ledger time). <see cref="EffectiveRate"/> is coin out per coin in, in display units. <see cref="TypedData"/>
/// (with a payer) is the eth_signTypedData_v4 SwapAcceptance to sign.
/// </summary>
public sealed record QuoteView(
    string Id,
    string From,
    string To,
    string AmountIn,
    string AmountOut,
    string MinOut,
    string SlippageBps,
    string Route,
    IReadOnlyList<HopView> Hops,
    string PriceImpactBps,
    string TotalCostBps,
    string EffectiveRate,
    IReadOnlyList<OracleRateView> OracleRates,
    IReadOnlyList<RouteAlternative> Alternatives,
    ulong QuotedAt,
    ulong Expiry,
    ulong ChainId,
    string? Payer,
    string? Recipient,
    JsonElement? TypedData);

/// <summary>
/// A swap or cross-border payment: the payer's EIP-712 SwapAcceptance of exactly these terms (<see cref="Signature"/>), or, on
/// /v1/exchange/swaps only, the operator key instead (then <see cref="Route"/> may be omitted: the best route now).
/// </summary>
public sealed record PaymentRequest(
    string? Id,
    string? Payer,
    string? Recipient,
    string? From,
    string? To,
    string? AmountIn,
    string? MinOut,
    string? Route,
    ulong? Expiry,
    string? Signature);

/// <summary>An applied swap, as recorded: amounts, per-hop fees and rates, and the ledger transfers it made (memo = the swap id).</summary>
public sealed record SwapView(
    string Id,
    string Payer,
    string Recipient,
    string From,
    string To,
    string AmountIn,
    string AmountOut,
    string MinOut,
    string EffectiveRate,
    string Route,
    IReadOnlyList<HopView> Hops,
    IReadOnlyList<string> Transfers,
    string Requester,
    ulong At,
    ulong Height);
