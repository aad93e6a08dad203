using System.Numerics;
using Centime.Ledger;

namespace Centime.Exchange;

/// <summary>A feed's settings and latest rate. Read under the node's read lock.</summary>
public sealed class FeedState
{
    internal FeedState(FeedConfig config) => Config = config;

    /// <summary>Settings (replaced by <see cref="ConfigureFeed"/>).</summary>
    public FeedConfig Config { get; internal set; }

    /// <summary>Latest rate (1e18 scale); valid when <see cref="HasRate"/>.</summary>
    public UInt128 Rate { get; internal set; }

    /// <summary>When the latest rate was observed (Unix seconds).</summary>
    public ulong ObservedAt { get; internal set; }

    /// <summary>Who signed the latest rate.</summary>
    public Address Signer { get; internal set; }

    /// <summary>True once a rate was accepted.</summary>
    public bool HasRate => ObservedAt != 0;

    /// <summary>Ok when the latest rate is usable at <paramref name="nowSeconds"/> (ledger time); else why not.</summary>
    public ResultCode Check(ulong nowSeconds)
    {
        if (!HasRate || nowSeconds > ObservedAt + Config.HeartbeatSeconds)
        {
            return ResultCode.OracleStale;
        }

        return InBand(Rate) ? ResultCode.Ok : ResultCode.OracleOutOfBand;
    }

    internal bool InBand(UInt128 rate) => rate >= Config.BandMin && (Config.BandMax == UInt128.Zero || rate <= Config.BandMax);
}

/// <summary>Why a pool is paused.</summary>
public enum PauseReason : byte
{
    /// <summary>Not paused.</summary>
    None = 0,
    /// <summary>Paused by the operator.</summary>
    Operator = 1,
    /// <summary>Paused by the depeg circuit breaker (a spot price left the band); the operator resumes it.</summary>
    Depeg = 2,
}

/// <summary>A pool as the module keeps it: the StableSwap core, its coins, LP coin, risk controls and pause state.</summary>
public sealed class PoolState
{
    internal PoolState(uint id, string lpSymbol, uint lpCoin, PoolCoin[] coins, Pool core, PoolRisk risk, ulong createdAt)
    {
        Id = id;
        LpSymbol = lpSymbol;
        LpCoin = lpCoin;
        CoinList = coins;
        Core = core;
        Risk = risk;
        CreatedAt = createdAt;
        Account = ExchangeModule.AccountOf(id);
    }

    /// <summary>The module-owned ledger account holding the pool's coins (<see cref="ExchangeModule.AccountOf"/>).</summary>
    public Address Account { get; }

    /// <summary>Pool id.</summary>
    public uint Id { get; }

    /// <summary>Symbol of the LP share coin.</summary>
    public string LpSymbol { get; }

    /// <summary>Ledger number of the LP share coin.</summary>
    public uint LpCoin { get; }

    /// <summary>The pool's coins in index order.</summary>
    public IReadOnlyList<PoolCoin> Coins => CoinList;

    internal PoolCoin[] CoinList { get; }

    /// <summary>The exact StableSwap-NG state. Read only: every change goes through a journaled command.</summary>
    public Pool Core { get; internal set; }

    /// <summary>Risk controls.</summary>
    public PoolRisk Risk { get; internal set; }

    /// <summary>Why the pool is paused (None: it is not).</summary>
    public PauseReason Paused { get; internal set; }

    /// <summary>Ledger time of creation (Unix nanoseconds).</summary>
    public ulong CreatedAt { get; }

    /// <summary>Swaps through the pool so far.</summary>
    public ulong SwapCount { get; internal set; }

    /// <summary>The pool's index of a ledger coin, or -1.</summary>
    public int IndexOf(uint coin) => Array.FindIndex(CoinList, c => c.Coin == coin);
}

/// <summary>One hop of an applied swap, as recorded (integers; the fee is in raw units of the coin out).</summary>
public sealed record HopRecord(uint Pool, uint CoinIn, uint CoinOut, UInt128 AmountIn, UInt128 AmountOut, UInt128 Fee, ulong FeeRate, ulong PriceImpact, UInt128 OracleRateIn, UInt128 OracleRateOut);

/// <summary>An applied swap or cross-border payment: what was shown before acceptance, recorded after.</summary>
public sealed record SwapRecord(
    UInt128 Id,
    Address Trader,
    Address Recipient,
    uint CoinIn,
    uint CoinOut,
    UInt128 AmountIn,
    UInt128 AmountOut,
    UInt128 MinOut,
    IReadOnlyList<HopRecord> Hops,
    IReadOnlyList<UInt128> Transfers,
    string Requester,
    ulong At,
    ulong Height);

/// <summary>A planned swap (quote or the first step of applying one): every hop priced, every control checked, nothing moved.</summary>
public sealed record SwapPlan(IReadOnlyList<SwapHop> Route, uint CoinIn, uint CoinOut, UInt128 AmountIn, UInt128 AmountOut, IReadOnlyList<HopPlan> Hops);

/// <summary>One priced hop of a plan.</summary>
public sealed record HopPlan(PoolState Pool, SwapHop Hop, Quote Quote)
{
    /// <summary>Raw units out of this hop.</summary>
    public UInt128 AmountOut => (UInt128)Quote.AmountOut;

    /// <summary>Raw units into this hop.</summary>
    public UInt128 AmountIn => (UInt128)Quote.AmountIn;

    internal static ulong Scale(BigInteger v) => v > ulong.MaxValue ? ulong.MaxValue : (ulong)v;
}
