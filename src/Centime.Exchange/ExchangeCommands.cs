using Centime.Ledger;

namespace Centime.Exchange;

/// <summary>
/// An FX feed: rates of one pair (1e18 = 1), submitted by its signers. A rate older than <see cref="HeartbeatSeconds"/>
/// (ledger time) or outside [<see cref="BandMin"/>, <see cref="BandMax"/>] halts every pool that prices with the feed.
/// </summary>
/// <param name="Name">Feed name, e.g. <c>USDHKD</c> (HKD per USD): 2–16 characters A–Z, 0–9.</param>
/// <param name="HeartbeatSeconds">Longest age of a usable rate (1 s … 7 days).</param>
/// <param name="BandMin">Lowest sane rate (1e18 scale; 0 = no lower band).</param>
/// <param name="BandMax">Highest sane rate (1e18 scale; 0 = no upper band).</param>
/// <param name="Signers">Who may submit rates (1 … 16 addresses).</param>
public sealed record FeedConfig(string Name, ulong HeartbeatSeconds, UInt128 BandMin, UInt128 BandMax, IReadOnlyList<Address> Signers)
{
    /// <summary>Most signers per feed.</summary>
    public const int MaxSigners = 16;

    /// <summary>Longest heartbeat: 7 days.</summary>
    public const ulong MaxHeartbeatSeconds = 7 * 86_400;

    /// <summary>Largest rate accepted (1e36: one unit worth 10^18 of the other).</summary>
    public static readonly UInt128 MaxRate = UInt128.Parse("1000000000000000000000000000000000000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>True when the name is 2–16 characters of A–Z and 0–9, starting with a letter.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 2 and <= 16 } && name[0] is >= 'A' and <= 'Z' && name.All(static c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9'));

    internal bool IsValid =>
        IsValidName(Name) && HeartbeatSeconds is > 0 and <= MaxHeartbeatSeconds && BandMin <= MaxRate && BandMax <= MaxRate
        && (BandMax == UInt128.Zero || BandMin <= BandMax) && Signers.Count is > 0 and <= MaxSigners
        && Signers.All(static s => !s.IsZero) && Signers.Distinct().Count() == Signers.Count;

    internal void Write(BodyWriter w)
    {
        w.String(Name);
        w.UInt64(HeartbeatSeconds);
        w.UInt128(BandMin);
        w.UInt128(BandMax);
        w.UInt32((uint)Signers.Count);
        foreach (var s in Signers)
        {
            w.Address(s);
        }
    }

    internal static FeedConfig Read(BodyReader r)
    {
        var name = r.String();
        var heartbeat = r.UInt64();
        var min = r.UInt128();
        var max = r.UInt128();
        var count = r.UInt32();
        if (count > MaxSigners)
        {
            throw new FormatException("Too many feed signers.");
        }

        var signers = new Address[count];
        for (var i = 0; i < signers.Length; i++)
        {
            signers[i] = r.Address();
        }

        return new FeedConfig(name, heartbeat, min, max, signers);
    }
}

/// <summary>
/// One coin of a pool and how it is priced: with no feed it is worth 1 (a coin of the pool's reference currency);
/// with a feed its oracle rate is the feed's rate, or 1e36 / rate when <paramref name="Invert"/> (a USDHKD feed, HKD per
/// USD, prices an HKD coin in USD inverted).
/// </summary>
public readonly record struct PoolCoin(uint Coin, string Feed, bool Invert);

/// <summary>
/// Risk controls of a pool (docs/exchange.md, "Risk controls"). All journaled; zero turns a control off.
/// </summary>
/// <param name="Caps">Per coin: the most the pool may hold (raw units).</param>
/// <param name="MaxPriceImpact">Largest price impact of one hop, 1e10 scale (1,000,000 = 1 bp).</param>
/// <param name="DepegBand">Circuit breaker: the pool pauses itself when a spot price leaves 1 ± this (1e10 scale).</param>
/// <param name="MinTrade">Smallest trade, in the pool's reference currency at 1e18 scale (1e16 = 0.01).</param>
public sealed record PoolRisk(IReadOnlyList<UInt128> Caps, ulong MaxPriceImpact, ulong DepegBand, UInt128 MinTrade)
{
    /// <summary>1e10: 100% on the fee scale.</summary>
    public const ulong FeeDenominator = 10_000_000_000;

    /// <summary>Defaults: no caps, 1% max impact, 2% depeg band, 0.01 minimum trade.</summary>
    public static PoolRisk Default(int coins) => new(new UInt128[coins], 100_000_000, 200_000_000, 10_000_000_000_000_000);

    internal bool IsValidFor(int coins) =>
        Caps.Count == coins && MaxPriceImpact <= FeeDenominator && DepegBand <= FeeDenominator && MinTrade <= LedgerState.MaxSupply
        && Caps.All(static c => c <= LedgerState.MaxSupply);

    internal void Write(BodyWriter w)
    {
        ExchangeCommand.WriteAmounts(w, Caps);
        w.UInt64(MaxPriceImpact);
        w.UInt64(DepegBand);
        w.UInt128(MinTrade);
    }

    internal static PoolRisk Read(BodyReader r) => new(ExchangeCommand.ReadAmounts(r), r.UInt64(), r.UInt64(), r.UInt128());
}

/// <summary>One hop of a route: swap coin index <paramref name="In"/> for <paramref name="Out"/> in <paramref name="Pool"/>.</summary>
public readonly record struct SwapHop(uint Pool, byte In, byte Out);

/// <summary>The exchange's commands (kinds 80–87, 90–91): decoders and helpers shared by them.</summary>
public abstract record ExchangeCommand : CommandBody
{
    /// <summary>Most hops in a route.</summary>
    public const int MaxHops = 2;

    /// <summary>The snake_case name of an exchange command kind, or null.</summary>
    public static string? KindName(CommandKind kind) => kind switch
    {
        CommandKind.ExchangeConfigureFeed => "exchange_configure_feed",
        CommandKind.ExchangeSubmitRate => "exchange_submit_rate",
        CommandKind.ExchangeCreatePool => "exchange_create_pool",
        CommandKind.ExchangeConfigurePool => "exchange_configure_pool",
        CommandKind.ExchangeAddLiquidity => "exchange_add_liquidity",
        CommandKind.ExchangeRemoveLiquidity => "exchange_remove_liquidity",
        CommandKind.ExchangeSwap => "exchange_swap",
        CommandKind.ExchangeWithdrawAdminFees => "exchange_withdraw_admin_fees",
        CommandKind.ExchangeHolderAddLiquidity => "exchange_holder_add_liquidity",
        CommandKind.ExchangeHolderRemoveLiquidity => "exchange_holder_remove_liquidity",
        _ => null,
    };

    /// <summary>Registers the decoders of every exchange kind (idempotent).</summary>
    public static void RegisterAll()
    {
        Register(CommandKind.ExchangeConfigureFeed, ConfigureFeed.Read);
        Register(CommandKind.ExchangeSubmitRate, SubmitRate.Read);
        Register(CommandKind.ExchangeCreatePool, CreatePool.Read);
        Register(CommandKind.ExchangeConfigurePool, ConfigurePool.Read);
        Register(CommandKind.ExchangeAddLiquidity, AddLiquidity.Read);
        Register(CommandKind.ExchangeRemoveLiquidity, RemoveLiquidity.Read);
        Register(CommandKind.ExchangeSwap, Swap.Read);
        Register(CommandKind.ExchangeWithdrawAdminFees, WithdrawAdminFees.Read);
        Register(CommandKind.ExchangeHolderAddLiquidity, HolderAddLiquidity.Read);
        Register(CommandKind.ExchangeHolderRemoveLiquidity, HolderRemoveLiquidity.Read);
    }

    /// <summary>A withdrawal's coin: its index in the pool, or -1 (stored as 255) for a proportional withdrawal.</summary>
    internal static void WriteOneCoin(BodyWriter w, int oneCoin) => w.Byte(oneCoin < 0 ? byte.MaxValue : checked((byte)oneCoin));

    /// <summary>Reads what <see cref="WriteOneCoin"/> wrote.</summary>
    internal static int ReadOneCoin(BodyReader r)
    {
        var one = r.Byte();
        return one == byte.MaxValue ? -1 : one;
    }

    internal static void WriteAmounts(BodyWriter w, IReadOnlyList<UInt128> amounts)
    {
        w.UInt32((uint)amounts.Count);
        foreach (var a in amounts)
        {
            w.UInt128(a);
        }
    }

    internal static UInt128[] ReadAmounts(BodyReader r)
    {
        var count = r.UInt32();
        if (count > Pool.MaxCoins)
        {
            throw new FormatException("Too many amounts.");
        }

        var amounts = new UInt128[count];
        for (var i = 0; i < amounts.Length; i++)
        {
            amounts[i] = r.UInt128();
        }

        return amounts;
    }
}

/// <summary>Creates or replaces a feed's settings (operator). Its latest rate, if any, is kept.</summary>
public sealed record ConfigureFeed(FeedConfig Feed, string Requester) : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeConfigureFeed;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        Feed.Write(writer);
        writer.String(Requester);
    }

    internal static ConfigureFeed Read(BodyReader r) => new(FeedConfig.Read(r), r.String());
}

/// <summary>
/// A rate observed by <see cref="Signer"/> at <see cref="ObservedAt"/> (Unix seconds), whose EIP-712 signature the node
/// verified before journaling (<see cref="ExchangeSignatures.RateDigest"/>). Accepted when newer than the feed's latest
/// even if out of band: the band check then halts the feed's pools until an in-band rate arrives.
/// </summary>
public sealed record SubmitRate(string Feed, UInt128 Rate, ulong ObservedAt, Address Signer) : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeSubmitRate;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.String(Feed);
        writer.UInt128(Rate);
        writer.UInt64(ObservedAt);
        writer.Address(Signer);
    }

    internal static SubmitRate Read(BodyReader r) => new(r.String(), r.UInt128(), r.UInt64(), r.Address());
}

/// <summary>Creates an empty pool and its LP share coin (<see cref="LpSymbol"/>, 18 decimals) (operator).</summary>
/// <param name="Pool">Pool id (1 … 2^32 − 1).</param>
/// <param name="LpSymbol">Symbol of the LP share coin the module creates.</param>
/// <param name="Coins">The pool's coins in order; coin 0 is the reference currency.</param>
/// <param name="Amplification">A (not scaled).</param>
/// <param name="Fee">Swap fee, 1e10 scale.</param>
/// <param name="OffpegFeeMultiplier">Dynamic fee multiplier, 1e10 scale (1e10 = off).</param>
/// <param name="Risk">Risk controls.</param>
/// <param name="Requester">Who asked.</param>
public sealed record CreatePool(uint Pool, string LpSymbol, IReadOnlyList<PoolCoin> Coins, UInt128 Amplification, ulong Fee, ulong OffpegFeeMultiplier, PoolRisk Risk, string Requester)
    : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeCreatePool;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.String(LpSymbol);
        writer.UInt32((uint)Coins.Count);
        foreach (var c in Coins)
        {
            writer.UInt32(c.Coin);
            writer.String(c.Feed);
            writer.Byte(c.Invert ? (byte)1 : (byte)0);
        }

        writer.UInt128(Amplification);
        writer.UInt64(Fee);
        writer.UInt64(OffpegFeeMultiplier);
        Risk.Write(writer);
        writer.String(Requester);
    }

    internal static CreatePool Read(BodyReader r)
    {
        var id = r.UInt32();
        var lp = r.String();
        var count = r.UInt32();
        if (count > Exchange.Pool.MaxCoins)
        {
            throw new FormatException("Too many pool coins.");
        }

        var coins = new PoolCoin[count];
        for (var i = 0; i < coins.Length; i++)
        {
            coins[i] = new PoolCoin(r.UInt32(), r.String(), r.Byte() switch
            {
                0 => false,
                1 => true,
                _ => throw new FormatException("Invert flag is 0 or 1."),
            });
        }

        return new CreatePool(id, lp, coins, r.UInt128(), r.UInt64(), r.UInt64(), PoolRisk.Read(r), r.String());
    }
}

/// <summary>
/// Changes a pool's risk controls and pause flag (operator); optionally its fee (<see cref="Fee"/> ≠ 0) and an A ramp
/// (<see cref="FutureA"/> ≠ 0, reached at <see cref="FutureATime"/>, Unix seconds). Resuming clears a tripped breaker.
/// </summary>
public sealed record ConfigurePool(uint Pool, PoolRisk Risk, bool Paused, ulong Fee, ulong OffpegFeeMultiplier, UInt128 FutureA, ulong FutureATime, string Requester)
    : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeConfigurePool;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        Risk.Write(writer);
        writer.Byte(Paused ? (byte)1 : (byte)0);
        writer.UInt64(Fee);
        writer.UInt64(OffpegFeeMultiplier);
        writer.UInt128(FutureA);
        writer.UInt64(FutureATime);
        writer.String(Requester);
    }

    internal static ConfigurePool Read(BodyReader r) =>
        new(r.UInt32(), PoolRisk.Read(r), r.Byte() != 0, r.UInt64(), r.UInt64(), r.UInt128(), r.UInt64(), r.String());
}

/// <summary>Deposits <see cref="Amounts"/> (raw units, per pool coin) from <see cref="Provider"/> and mints LP shares to it.</summary>
public sealed record AddLiquidity(uint Pool, Address Provider, IReadOnlyList<UInt128> Amounts, UInt128 MinMint, string Requester) : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeAddLiquidity;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.Address(Provider);
        WriteAmounts(writer, Amounts);
        writer.UInt128(MinMint);
        writer.String(Requester);
    }

    internal static AddLiquidity Read(BodyReader r) => new(r.UInt32(), r.Address(), ReadAmounts(r), r.UInt128(), r.String());
}

/// <summary>
/// Burns <see cref="Burn"/> LP shares of <see cref="Provider"/>: proportionally (<see cref="OneCoin"/> = -1, allowed even
/// when the pool is halted, since it needs no price) or all in coin <see cref="OneCoin"/>. <see cref="MinAmounts"/>:
/// per coin (proportional) or one entry (one coin).
/// </summary>
public sealed record RemoveLiquidity(uint Pool, Address Provider, UInt128 Burn, IReadOnlyList<UInt128> MinAmounts, int OneCoin, string Requester) : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeRemoveLiquidity;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.Address(Provider);
        writer.UInt128(Burn);
        WriteAmounts(writer, MinAmounts);
        WriteOneCoin(writer, OneCoin);
        writer.String(Requester);
    }

    internal static RemoveLiquidity Read(BodyReader r)
    {
        var pool = r.UInt32();
        var provider = r.Address();
        var burn = r.UInt128();
        var mins = ReadAmounts(r);
        return new RemoveLiquidity(pool, provider, burn, mins, ReadOneCoin(r), r.String());
    }
}

/// <summary>
/// A swap along <see cref="Route"/> (one or two pools) of <see cref="AmountIn"/> from <see cref="Trader"/>, paying at
/// least <see cref="MinOut"/> to <see cref="Recipient"/> (the trader itself, or a payee: a cross-border payment), no
/// later than <see cref="Expiry"/> (Unix seconds, ledger time; 0 = none). All legs are one command: all or nothing.
/// </summary>
public sealed record Swap(UInt128 Id, IReadOnlyList<SwapHop> Route, Address Trader, Address Recipient, UInt128 AmountIn, UInt128 MinOut, ulong Expiry, string Requester)
    : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeSwap;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt128(Id);
        writer.UInt32((uint)Route.Count);
        foreach (var h in Route)
        {
            writer.UInt32(h.Pool);
            writer.Byte(h.In);
            writer.Byte(h.Out);
        }

        writer.Address(Trader);
        writer.Address(Recipient);
        writer.UInt128(AmountIn);
        writer.UInt128(MinOut);
        writer.UInt64(Expiry);
        writer.String(Requester);
    }

    internal static Swap Read(BodyReader r)
    {
        var id = r.UInt128();
        var count = r.UInt32();
        if (count > MaxHops)
        {
            throw new FormatException("Too many hops.");
        }

        var route = new SwapHop[count];
        for (var i = 0; i < route.Length; i++)
        {
            route[i] = new SwapHop(r.UInt32(), r.Byte(), r.Byte());
        }

        return new Swap(id, route, r.Address(), r.Address(), r.UInt128(), r.UInt128(), r.UInt64(), r.String());
    }
}

/// <summary>Pays the pool's admin fees (its share of swap fees) to <see cref="To"/> (operator).</summary>
public sealed record WithdrawAdminFees(uint Pool, Address To, string Requester) : ExchangeCommand
{
    /// <inheritdoc/>
    public override CommandKind Kind => CommandKind.ExchangeWithdrawAdminFees;

    /// <inheritdoc/>
    protected override void Write(BodyWriter writer)
    {
        writer.UInt32(Pool);
        writer.Address(To);
        writer.String(Requester);
    }

    internal static WithdrawAdminFees Read(BodyReader r) => new(r.UInt32(), r.Address(), r.String());
}
