using System.Numerics;
using Centime.Ledger;

namespace Centime.Exchange;

/// <summary>
/// The exchange as a ledger module (docs/exchange.md): StableSwap-NG pools whose balances are module-owned ledger
/// accounts (<see cref="AccountOf"/>), LP shares as a ledger coin per pool, FX feeds that price coins of other
/// currencies and halt their pools when stale or out of band, swaps of one or two hops (a cross-border payment is a
/// swap whose recipient is someone else) and the risk controls: caps, maximum price impact, minimum trade size and
/// the depeg circuit breaker.
/// <para>
/// Every command is all or nothing: a swap is priced and checked hop by hop first (<see cref="Plan"/>, the same code a
/// quote runs), the pools change only when every check passed, and the ledger legs that follow cannot fail after the
/// checks (balances, guards and freezes are checked first; if one ever did, the legs already made are reversed and
/// the pools restored). Pool accounts are module-owned, so no client transfer can make a pool's stored balances and
/// its ledger account disagree.
/// </para>
/// <para>Read API under the node's read lock, like the ledger state.</para>
/// </summary>
public sealed class ExchangeModule : LedgerModule
{
    /// <summary>Transfer code: trader → pool (coin in).</summary>
    public const ushort SwapInCode = 0x5849; // "XI"

    /// <summary>Transfer code: pool → next pool between two hops.</summary>
    public const ushort HopCode = 0x5848; // "XH"

    /// <summary>Transfer code: pool → recipient (coin out).</summary>
    public const ushort SwapOutCode = 0x584F; // "XO"

    /// <summary>Transfer code: provider → pool (deposit).</summary>
    public const ushort DepositCode = 0x5844; // "XD"

    /// <summary>Transfer code: pool → provider (withdrawal).</summary>
    public const ushort WithdrawCode = 0x5857; // "XW"

    /// <summary>Transfer code: LP supply → provider (shares minted).</summary>
    public const ushort MintSharesCode = 0x584D; // "XM"

    /// <summary>Transfer code: provider → LP supply (shares burned).</summary>
    public const ushort BurnSharesCode = 0x5842; // "XB"

    /// <summary>Transfer code: pool → fee collector (admin fees).</summary>
    public const ushort AdminFeeCode = 0x5846; // "XF"

    /// <summary>Transfer code: a leg reversed because a later leg of the same command failed (not expected to happen).</summary>
    public const ushort ReversalCode = 0x5852; // "XR"

    /// <summary>High 64 bits of the ids of transfers the module makes: clients should not use ids in this range.</summary>
    public const ulong TransferIdPrefix = 0xE8C4_5A9E_0000_0000UL;

    /// <summary>How far ahead of ledger time a rate's observation time may be (clock skew of feed signers), in seconds.</summary>
    public const ulong MaxFutureSkewSeconds = 60;

    /// <summary>Decimals of LP share coins (the pool math's 1e18).</summary>
    public const byte LpDecimals = 18;

    private const ulong NanosPerSecond = 1_000_000_000UL;
    private const uint SnapshotVersion = 1;
    private static readonly BigInteger Precision = BigInteger.Pow(10, 18);
    private static readonly BigInteger FeeDenominator = 10_000_000_000;

    private readonly SortedDictionary<string, FeedState> _feeds = new(StringComparer.Ordinal);
    private readonly SortedDictionary<uint, PoolState> _pools = [];
    private readonly SortedDictionary<UInt128, SwapRecord> _swaps = [];
    private readonly HashSet<Address> _poolAccounts = [];
    private int _supplyKnown;
    private readonly HashSet<Address> _supplyAccounts = [];
    private ulong _nextTransfer = 1;

    static ExchangeModule() => ExchangeCommand.RegisterAll();

    /// <summary>A fresh module (registers the exchange command decoders).</summary>
    public ExchangeModule()
    {
    }

    /// <inheritdoc/>
    public override string Name => "exchange";

    /// <inheritdoc/>
    public override bool Handles(CommandKind kind) =>
        kind is (>= CommandKind.ExchangeConfigureFeed and <= CommandKind.ExchangeWithdrawAdminFees) or CommandKind.ExchangeHolderAddLiquidity or CommandKind.ExchangeHolderRemoveLiquidity;

    // ------------------------------------------------------------------ read API

    /// <summary>Feeds by name.</summary>
    public IReadOnlyCollection<FeedState> Feeds => _feeds.Values;

    /// <summary>A feed by name, or null.</summary>
    public FeedState? GetFeed(string name) => _feeds.GetValueOrDefault(name);

    /// <summary>Pools by id.</summary>
    public IReadOnlyCollection<PoolState> Pools => _pools.Values;

    /// <summary>A pool by id, or null.</summary>
    public PoolState? GetPool(uint id) => _pools.GetValueOrDefault(id);

    /// <summary>An applied swap by id, or null.</summary>
    public SwapRecord? GetSwap(UInt128 id) => _swaps.GetValueOrDefault(id);

    /// <summary>Applied swaps, by id.</summary>
    public IReadOnlyCollection<SwapRecord> Swaps => _swaps.Values;

    /// <summary>The module-owned account that holds a pool's coins: keccak256("centime:pool/&lt;id&gt;")[12..].</summary>
    public static Address AccountOf(uint pool) => Address.Derive("pool/" + pool.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Ok when the pool can price trades at <paramref name="nowSeconds"/>; else why not (paused, stale or out-of-band feed).</summary>
    public ResultCode Status(PoolState pool, ulong nowSeconds)
    {
        if (pool.Paused != PauseReason.None)
        {
            return ResultCode.PoolPaused;
        }

        foreach (var c in pool.CoinList)
        {
            if (c.Feed.Length > 0)
            {
                var code = _feeds[c.Feed].Check(nowSeconds);
                if (code != ResultCode.Ok)
                {
                    return code;
                }
            }
        }

        return ResultCode.Ok;
    }

    /// <summary>
    /// Prices <paramref name="route"/> for <paramref name="amountIn"/> at ledger time <paramref name="now"/> (nanoseconds)
    /// and checks every control (pool status, minimum trade, price impact, caps); changes nothing. Quotes and swaps
    /// both run it, so a quote shows exactly what its swap will do in the same state.
    /// </summary>
    public SwapPlan? Plan(IReadOnlyList<SwapHop> route, UInt128 amountIn, ulong now, out ResultCode code)
    {
        code = CheckRoute(route, out var pools);
        if (code != ResultCode.Ok)
        {
            return null;
        }

        if (amountIn == UInt128.Zero || amountIn > LedgerState.MaxSupply)
        {
            code = ResultCode.ExchangeAmountInvalid;
            return null;
        }

        var seconds = now / NanosPerSecond;
        var hops = new HopPlan[route.Count];
        BigInteger dx = (BigInteger)amountIn;
        for (var h = 0; h < route.Count; h++)
        {
            var pool = pools[h];
            var hop = route[h];
            code = Status(pool, seconds);
            if (code != ResultCode.Ok)
            {
                return null;
            }

            var risk = pool.Risk;
            var rates = pool.Core.Rates();
            if (dx * rates[hop.In] / Precision < (BigInteger)risk.MinTrade)
            {
                code = ResultCode.BelowMinimumTrade;
                return null;
            }

            var quote = pool.Core.Quote(hop.In, hop.Out, dx, seconds);
            if (!quote.IsSuccess)
            {
                code = Map(quote.Error);
                return null;
            }

            var q = quote.Value!;
            if (q.AmountOut.Sign <= 0)
            {
                code = ResultCode.BelowMinimumTrade;
                return null;
            }

            if (risk.MaxPriceImpact != 0 && q.PriceImpact > risk.MaxPriceImpact)
            {
                code = ResultCode.PriceImpactTooHigh;
                return null;
            }

            var cap = risk.Caps[hop.In];
            if (cap != UInt128.Zero && pool.Core.StoredBalance(hop.In) + dx > (BigInteger)cap)
            {
                code = ResultCode.PoolCapExceeded;
                return null;
            }

            hops[h] = new HopPlan(pool, hop, q);
            dx = q.AmountOut;
        }

        code = ResultCode.Ok;
        return new SwapPlan(route, pools[0].CoinList[route[0].In].Coin, pools[^1].CoinList[route[^1].Out].Coin, amountIn, (UInt128)dx, hops);
    }

    /// <summary>
    /// Every route of at most two pools from ledger coin <paramref name="coinIn"/> to <paramref name="coinOut"/>, planned
    /// for <paramref name="amountIn"/>: those that work first, best output first (then fewer hops, then lower pool ids),
    /// then those refused, with why.
    /// </summary>
    public IReadOnlyList<(IReadOnlyList<SwapHop> Route, SwapPlan? Plan, ResultCode Code)> Routes(uint coinIn, uint coinOut, UInt128 amountIn, ulong now)
    {
        var found = new List<(IReadOnlyList<SwapHop> Route, SwapPlan? Plan, ResultCode Code)>();
        if (coinIn == coinOut)
        {
            return found;
        }

        foreach (var a in _pools.Values)
        {
            var ai = a.IndexOf(coinIn);
            if (ai < 0)
            {
                continue;
            }

            var ao = a.IndexOf(coinOut);
            if (ao >= 0)
            {
                Add([new SwapHop(a.Id, (byte)ai, (byte)ao)]);
            }

            for (var x = 0; x < a.CoinList.Length; x++)
            {
                if (x == ai || x == ao)
                {
                    continue;
                }

                var middle = a.CoinList[x].Coin;
                foreach (var b in _pools.Values)
                {
                    if (b.Id == a.Id)
                    {
                        continue;
                    }

                    var bi = b.IndexOf(middle);
                    var bo = b.IndexOf(coinOut);
                    if (bi >= 0 && bo >= 0)
                    {
                        Add([new SwapHop(a.Id, (byte)ai, (byte)x), new SwapHop(b.Id, (byte)bi, (byte)bo)]);
                    }
                }
            }
        }

        return found
            .OrderBy(static r => r.Plan is null ? 1 : 0)
            .ThenByDescending(static r => r.Plan?.AmountOut ?? UInt128.Zero)
            .ThenBy(static r => r.Route.Count)
            .ThenBy(static r => ExchangeSignatures.FormatRoute(r.Route), StringComparer.Ordinal)
            .ToList();

        void Add(SwapHop[] route)
        {
            var plan = Plan(route, amountIn, now, out var code);
            found.Add((route, plan, code));
        }
    }

    // ------------------------------------------------------------------ apply

    /// <inheritdoc/>
    protected internal override ResultCode Apply(CommandBody body, in ModuleContext context) => body switch
    {
        ConfigureFeed c => ApplyConfigureFeed(c),
        SubmitRate r => ApplySubmitRate(r, context),
        CreatePool p => ApplyCreatePool(p, context),
        ConfigurePool c => ApplyConfigurePool(c, context),
        AddLiquidity a => ApplyAddLiquidity(a, context),
        RemoveLiquidity r => ApplyRemoveLiquidity(r, context),
        HolderAddLiquidity h => ApplyHolderAdd(h, context),
        HolderRemoveLiquidity h => ApplyHolderRemove(h, context),
        Swap s => ApplySwap(s, context),
        WithdrawAdminFees w => ApplyWithdrawAdminFees(w, context),
        _ => ResultCode.UnknownCommand,
    };

    private ResultCode ApplyConfigureFeed(ConfigureFeed c)
    {
        if (!c.Feed.IsValid)
        {
            return ResultCode.ExchangeTermsInvalid;
        }

        if (_feeds.TryGetValue(c.Feed.Name, out var feed))
        {
            feed.Config = c.Feed;
        }
        else
        {
            _feeds.Add(c.Feed.Name, new FeedState(c.Feed));
        }

        return ResultCode.Ok;
    }

    private ResultCode ApplySubmitRate(SubmitRate r, in ModuleContext context)
    {
        if (!_feeds.TryGetValue(r.Feed, out var feed))
        {
            return ResultCode.FeedNotFound;
        }

        if (!feed.Config.Signers.Contains(r.Signer))
        {
            return ResultCode.NotOracleSigner;
        }

        if (r.Rate == UInt128.Zero || r.Rate > FeedConfig.MaxRate)
        {
            return ResultCode.ExchangeAmountInvalid;
        }

        var seconds = context.Now / NanosPerSecond;
        if (r.ObservedAt <= feed.ObservedAt || r.ObservedAt > seconds + MaxFutureSkewSeconds)
        {
            return ResultCode.OracleRateOutdated;
        }

        feed.Rate = r.Rate;
        feed.ObservedAt = r.ObservedAt;
        feed.Signer = r.Signer;

        // Every pool pricing with the feed takes the rate now, so swaps never change a pool's rates.
        foreach (var pool in _pools.Values)
        {
            var touched = false;
            for (var i = 0; i < pool.CoinList.Length; i++)
            {
                if (pool.CoinList[i].Feed == r.Feed)
                {
                    pool.Core.SetOracleRate(i, PoolRate(pool.CoinList[i], r.Rate)); // > 0 and ≤ 1e36: cannot fail
                    touched = true;
                }
            }

            if (touched)
            {
                TripIfDepegged(pool, seconds);
            }
        }

        return ResultCode.Ok;
    }

    /// <summary>The pool's oracle rate for a coin priced by a feed rate: the rate, or 1e36 / rate when inverted.</summary>
    public static BigInteger PoolRate(PoolCoin coin, UInt128 feedRate) =>
        coin.Invert ? BigInteger.Max(BigInteger.One, Precision * Precision / (BigInteger)feedRate) : (BigInteger)feedRate;

    private ResultCode ApplyCreatePool(CreatePool c, in ModuleContext context)
    {
        if (c.Pool == 0)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (_pools.ContainsKey(c.Pool) || Ledger.TryGetCoin(c.LpSymbol, out _))
        {
            return ResultCode.PoolExists;
        }

        if (c.Coins.Count is < Exchange.Pool.MinCoins or > Exchange.Pool.MaxCoins || c.Coins.Select(static x => x.Coin).Distinct().Count() != c.Coins.Count
            || !c.Risk.IsValidFor(c.Coins.Count) || c.Amplification > (UInt128)int.MaxValue)
        {
            return ResultCode.ExchangeTermsInvalid;
        }

        if (!Coin.IsValidSymbol(c.LpSymbol))
        {
            return ResultCode.CoinSymbolInvalid;
        }

        var decimals = new int[c.Coins.Count];
        var seconds = context.Now / NanosPerSecond;
        for (var i = 0; i < decimals.Length; i++)
        {
            var coin = Ledger.GetCoin(c.Coins[i].Coin);
            if (coin is null)
            {
                return ResultCode.CoinNotFound;
            }

            decimals[i] = coin.Decimals;
            if (c.Coins[i].Feed.Length > 0)
            {
                if (!_feeds.TryGetValue(c.Coins[i].Feed, out var feed))
                {
                    return ResultCode.FeedNotFound;
                }

                if (!feed.HasRate)
                {
                    return ResultCode.OracleStale;
                }
            }
            else if (c.Coins[i].Invert)
            {
                return ResultCode.ExchangeTermsInvalid;
            }
        }

        var created = Exchange.Pool.Create(decimals, (BigInteger)c.Amplification, c.Fee, c.OffpegFeeMultiplier);
        if (!created.IsSuccess)
        {
            return Map(created.Error);
        }

        var core = created.Value!;
        for (var i = 0; i < decimals.Length; i++)
        {
            if (c.Coins[i].Feed.Length > 0)
            {
                core.SetOracleRate(i, PoolRate(c.Coins[i], _feeds[c.Coins[i].Feed].Rate));
            }
        }

        // The last fallible step: a refused symbol leaves everything as it was.
        var lp = Ledger.CreateCoinForModule(new CreateCoin(c.LpSymbol, LpDecimals, "XLP", $"Centime pool {c.Pool} LP share", "1"));
        if (lp != ResultCode.Ok)
        {
            return lp == ResultCode.CoinExists ? ResultCode.PoolExists : lp;
        }

        Ledger.TryGetCoin(c.LpSymbol, out var lpCoin);
        var pool = new PoolState(c.Pool, c.LpSymbol, lpCoin!.Number, [.. c.Coins], core, c.Risk, context.Now);
        _pools.Add(c.Pool, pool);
        Own(pool);
        return ResultCode.Ok;
    }

    // LP shares are minted and burned only here; the pool's accounts move only through this module.
    private void Own(PoolState pool)
    {
        Ledger.SetCoinGuard(pool.LpCoin, CoinGuard.SupplyManaged);
        var account = pool.Account;
        _poolAccounts.Add(account);
        foreach (var c in pool.CoinList)
        {
            Ledger.SetModuleOwned(c.Coin, account, this);
        }
    }

    private ResultCode ApplyConfigurePool(ConfigurePool c, in ModuleContext context)
    {
        if (!_pools.TryGetValue(c.Pool, out var pool))
        {
            return ResultCode.PoolNotFound;
        }

        if (!c.Risk.IsValidFor(pool.CoinList.Length) || c.FutureA > (UInt128)int.MaxValue)
        {
            return ResultCode.ExchangeTermsInvalid;
        }

        var before = pool.Core.ToSnapshot();
        var error = ExchangeError.None;
        if (c.Fee != 0)
        {
            error = pool.Core.SetFee(c.Fee, c.OffpegFeeMultiplier == 0 ? pool.Core.OffpegFeeMultiplier : c.OffpegFeeMultiplier);
        }

        if (error == ExchangeError.None && c.FutureA != UInt128.Zero)
        {
            error = pool.Core.RampA((BigInteger)c.FutureA, c.FutureATime, context.Now / NanosPerSecond);
        }

        if (error != ExchangeError.None)
        {
            Restore(pool, before);
            return Map(error);
        }

        pool.Risk = c.Risk;
        // Staying paused keeps the reason (a tripped breaker stays a breaker while the operator only changes risk settings).
        pool.Paused = !c.Paused ? PauseReason.None : pool.Paused == PauseReason.None ? PauseReason.Operator : pool.Paused;
        return ResultCode.Ok;
    }

    /// <summary>What an LP change signed by its provider records as requester.</summary>
    public const string HolderRequester = "holder";

    // A provider's signed deposit or withdrawal (the signature was checked at admission: the provider is the signer) is
    // the operator's command from and to the signer, plus its nonce — in the provider's EIP-3009 nonce space of the pool's
    // LP coin, used once and only when the change applies — and its deadline (Unix seconds of ledger time).
    private ResultCode ApplyHolderAdd(HolderAddLiquidity h, in ModuleContext context)
    {
        var check = CheckSigned(h.Pool, h.Provider, h.Nonce, h.Deadline, context, out var lpCoin);
        var code = check != ResultCode.Ok ? check : ApplyAddLiquidity(new AddLiquidity(h.Pool, h.Provider, h.Amounts, h.MinMint, HolderRequester), context);
        if (code == ResultCode.Ok)
        {
            Ledger.UseAuthorization(lpCoin, h.Provider, h.Nonce);
        }

        return code;
    }

    private ResultCode ApplyHolderRemove(HolderRemoveLiquidity h, in ModuleContext context)
    {
        var check = CheckSigned(h.Pool, h.Provider, h.Nonce, h.Deadline, context, out var lpCoin);
        var code = check != ResultCode.Ok ? check : ApplyRemoveLiquidity(new RemoveLiquidity(h.Pool, h.Provider, h.Burn, h.MinAmounts, h.OneCoin, HolderRequester), context);
        if (code == ResultCode.Ok)
        {
            Ledger.UseAuthorization(lpCoin, h.Provider, h.Nonce);
        }

        return code;
    }

    private ResultCode CheckSigned(uint poolId, Address provider, Hash32 nonce, ulong deadline, in ModuleContext context, out uint lpCoin)
    {
        lpCoin = 0;
        if (!_pools.TryGetValue(poolId, out var pool))
        {
            return ResultCode.PoolNotFound;
        }

        lpCoin = pool.LpCoin;
        var unused = Ledger.CheckAuthorizationUnused(pool.LpCoin, provider, nonce);
        if (unused != ResultCode.Ok)
        {
            return unused;
        }

        return context.Now / NanosPerSecond > deadline ? ResultCode.AuthorizationExpired : ResultCode.Ok;
    }

    private ResultCode ApplyAddLiquidity(AddLiquidity a, in ModuleContext context)
    {
        if (!_pools.TryGetValue(a.Pool, out var pool))
        {
            return ResultCode.PoolNotFound;
        }

        var n = pool.CoinList.Length;
        var seconds = context.Now / NanosPerSecond;
        var status = Status(pool, seconds);
        if (status != ResultCode.Ok)
        {
            return status;
        }

        if (a.Amounts.Count != n)
        {
            return ResultCode.ExchangeTermsInvalid;
        }

        var party = CheckParty(a.Provider);
        if (party != ResultCode.Ok)
        {
            return party;
        }

        var rates = pool.Core.Rates();
        var amounts = new BigInteger[n];
        var value = BigInteger.Zero;
        for (var i = 0; i < n; i++)
        {
            if (a.Amounts[i] > LedgerState.MaxSupply)
            {
                return ResultCode.ExchangeAmountInvalid;
            }

            amounts[i] = (BigInteger)a.Amounts[i];
            value += amounts[i] * rates[i] / Precision;
            var cap = pool.Risk.Caps[i];
            if (cap != UInt128.Zero && pool.Core.StoredBalance(i) + amounts[i] > (BigInteger)cap)
            {
                return ResultCode.PoolCapExceeded;
            }

            var funds = CheckFunds(pool.CoinList[i].Coin, a.Provider, a.Amounts[i]);
            if (funds != ResultCode.Ok)
            {
                return funds;
            }
        }

        if (value < (BigInteger)pool.Risk.MinTrade)
        {
            return ResultCode.BelowMinimumTrade;
        }

        var lpCheck = Ledger.CheckMovable(pool.LpCoin, a.Provider);
        if (lpCheck != ResultCode.Ok)
        {
            return lpCheck;
        }

        var before = pool.Core.ToSnapshot();
        var outcome = pool.Core.AddLiquidity(amounts, (BigInteger)a.MinMint, seconds);
        if (!outcome.IsSuccess)
        {
            return Map(outcome.Error);
        }

        var minted = outcome.Value!.Minted;
        if (minted > (BigInteger)LedgerState.MaxSupply)
        {
            Restore(pool, before);
            return ResultCode.PoolMathRefused;
        }

        var legs = new Legs(this, context, pool.Id);
        var account = pool.Account;
        for (var i = 0; i < n; i++)
        {
            legs.Add(pool.CoinList[i].Coin, a.Provider, account, a.Amounts[i], DepositCode);
        }

        legs.Add(pool.LpCoin, Ledger.GetCoin(pool.LpCoin)!.SupplyAccount, a.Provider, (UInt128)minted, MintSharesCode);
        if (legs.Failed != ResultCode.Ok)
        {
            Restore(pool, before);
            return legs.Failed;
        }

        TripIfDepegged(pool, seconds);
        return ResultCode.Ok;
    }

    private ResultCode ApplyRemoveLiquidity(RemoveLiquidity r, in ModuleContext context)
    {
        if (!_pools.TryGetValue(r.Pool, out var pool))
        {
            return ResultCode.PoolNotFound;
        }

        var n = pool.CoinList.Length;
        var seconds = context.Now / NanosPerSecond;
        if (r.Burn == UInt128.Zero || r.Burn > LedgerState.MaxSupply)
        {
            return ResultCode.ExchangeAmountInvalid;
        }

        var party = CheckParty(r.Provider);
        if (party != ResultCode.Ok)
        {
            return party;
        }

        if (!Ledger.TryGetAccount(pool.LpCoin, r.Provider, out var shares) || shares.Available < (Int128)r.Burn)
        {
            return ResultCode.LpSharesInsufficient;
        }

        var lpCheck = Ledger.CheckMovable(pool.LpCoin, r.Provider);
        if (lpCheck != ResultCode.Ok)
        {
            return lpCheck;
        }

        for (var i = 0; i < n; i++)
        {
            var check = Ledger.CheckMovable(pool.CoinList[i].Coin, r.Provider);
            if (check != ResultCode.Ok)
            {
                return check;
            }
        }

        var before = pool.Core.ToSnapshot();
        var paid = new BigInteger[n];
        if (r.OneCoin < 0)
        {
            // Needs no price: works while the pool is paused or its feeds are stale, so LPs can always leave.
            if (r.MinAmounts.Count != 0 && r.MinAmounts.Count != n)
            {
                return ResultCode.ExchangeTermsInvalid;
            }

            var mins = r.MinAmounts.Count == 0 ? new BigInteger[n] : r.MinAmounts.Select(static m => (BigInteger)m).ToArray();
            var outcome = pool.Core.RemoveLiquidity((BigInteger)r.Burn, mins);
            if (!outcome.IsSuccess)
            {
                return Map(outcome.Error);
            }

            outcome.Value!.ToArray().CopyTo(paid, 0);
        }
        else
        {
            if (r.OneCoin >= n || r.MinAmounts.Count > 1)
            {
                return ResultCode.ExchangeTermsInvalid;
            }

            var status = Status(pool, seconds);
            if (status != ResultCode.Ok)
            {
                return status;
            }

            var min = r.MinAmounts.Count == 1 ? (BigInteger)r.MinAmounts[0] : BigInteger.Zero;
            var outcome = pool.Core.RemoveLiquidityOneCoin((BigInteger)r.Burn, r.OneCoin, min, seconds);
            if (!outcome.IsSuccess)
            {
                return Map(outcome.Error);
            }

            paid[r.OneCoin] = outcome.Value!.AmountOut;
        }

        var legs = new Legs(this, context, pool.Id);
        legs.Add(pool.LpCoin, r.Provider, Ledger.GetCoin(pool.LpCoin)!.SupplyAccount, r.Burn, BurnSharesCode);
        var account = pool.Account;
        for (var i = 0; i < n; i++)
        {
            legs.Add(pool.CoinList[i].Coin, account, r.Provider, (UInt128)paid[i], WithdrawCode);
        }

        if (legs.Failed != ResultCode.Ok)
        {
            Restore(pool, before);
            return legs.Failed;
        }

        if (r.OneCoin >= 0)
        {
            TripIfDepegged(pool, seconds);
        }

        return ResultCode.Ok;
    }

    private ResultCode ApplySwap(Swap s, in ModuleContext context)
    {
        if (s.Id == UInt128.Zero || s.Id == UInt128.MaxValue)
        {
            return ResultCode.IdMustNotBeZero;
        }

        if (_swaps.ContainsKey(s.Id))
        {
            return ResultCode.SwapExists;
        }

        var seconds = context.Now / NanosPerSecond;
        if (s.Expiry != 0 && seconds > s.Expiry)
        {
            return ResultCode.QuoteExpired;
        }

        var party = CheckParty(s.Trader);
        if (party == ResultCode.Ok)
        {
            party = CheckParty(s.Recipient);
        }

        if (party != ResultCode.Ok)
        {
            return party;
        }

        var plan = Plan(s.Route, s.AmountIn, context.Now, out var code);
        if (plan is null)
        {
            return code;
        }

        if (plan.AmountOut < s.MinOut)
        {
            return ResultCode.SlippageExceeded;
        }

        code = CheckFunds(plan.CoinIn, s.Trader, s.AmountIn);
        if (code == ResultCode.Ok)
        {
            code = Ledger.CheckMovable(plan.CoinOut, s.Recipient);
        }

        if (code != ResultCode.Ok)
        {
            return code;
        }

        var snapshots = new byte[plan.Hops.Count][];
        for (var h = 0; h < plan.Hops.Count; h++)
        {
            var hop = plan.Hops[h];
            snapshots[h] = hop.Pool.Core.ToSnapshot();
            var done = hop.Pool.Core.Exchange(hop.Hop.In, hop.Hop.Out, hop.Quote.AmountIn, hop.Quote.AmountOut, seconds);
            if (!done.IsSuccess || done.Value!.AmountOut != hop.Quote.AmountOut)
            {
                // Views and exchange agree (tested); if they ever did not, refuse rather than pay a different amount.
                for (var u = h - (done.IsSuccess ? 0 : 1); u >= 0; u--)
                {
                    Restore(plan.Hops[u].Pool, snapshots[u]);
                }

                return done.IsSuccess ? ResultCode.PoolMathRefused : Map(done.Error);
            }
        }

        var legs = new Legs(this, context, s.Id);
        legs.Add(plan.CoinIn, s.Trader, plan.Hops[0].Pool.Account, s.AmountIn, SwapInCode);
        for (var h = 1; h < plan.Hops.Count; h++)
        {
            var previous = plan.Hops[h - 1];
            legs.Add(previous.Pool.CoinList[previous.Hop.Out].Coin, previous.Pool.Account, plan.Hops[h].Pool.Account, previous.AmountOut, HopCode);
        }

        legs.Add(plan.CoinOut, plan.Hops[^1].Pool.Account, s.Recipient, plan.AmountOut, SwapOutCode);
        if (legs.Failed != ResultCode.Ok)
        {
            for (var h = plan.Hops.Count - 1; h >= 0; h--)
            {
                Restore(plan.Hops[h].Pool, snapshots[h]);
            }

            return legs.Failed;
        }

        var hops = new HopRecord[plan.Hops.Count];
        for (var h = 0; h < hops.Length; h++)
        {
            var hop = plan.Hops[h];
            var pool = hop.Pool;
            pool.SwapCount++;
            hops[h] = new HopRecord(pool.Id, pool.CoinList[hop.Hop.In].Coin, pool.CoinList[hop.Hop.Out].Coin, hop.AmountIn, hop.AmountOut,
                (UInt128)hop.Quote.Fee, HopPlan.Scale(hop.Quote.FeeRate), HopPlan.Scale(hop.Quote.PriceImpact),
                (UInt128)pool.Core.OracleRate(hop.Hop.In), (UInt128)pool.Core.OracleRate(hop.Hop.Out));
            TripIfDepegged(pool, seconds);
        }

        _swaps.Add(s.Id, new SwapRecord(s.Id, s.Trader, s.Recipient, plan.CoinIn, plan.CoinOut, s.AmountIn, plan.AmountOut, s.MinOut, hops,
            legs.Transfers, s.Requester, context.Now, context.Height));
        return ResultCode.Ok;
    }

    private ResultCode ApplyWithdrawAdminFees(WithdrawAdminFees w, in ModuleContext context)
    {
        if (!_pools.TryGetValue(w.Pool, out var pool))
        {
            return ResultCode.PoolNotFound;
        }

        var party = CheckParty(w.To);
        if (party != ResultCode.Ok)
        {
            return party;
        }

        foreach (var c in pool.CoinList)
        {
            var check = Ledger.CheckMovable(c.Coin, w.To);
            if (check != ResultCode.Ok)
            {
                return check;
            }
        }

        var before = pool.Core.ToSnapshot();
        var fees = pool.Core.WithdrawAdminFees();
        var legs = new Legs(this, context, pool.Id);
        for (var i = 0; i < fees.Count; i++)
        {
            legs.Add(pool.CoinList[i].Coin, pool.Account, w.To, (UInt128)fees[i], AdminFeeCode);
        }

        if (legs.Failed != ResultCode.Ok)
        {
            Restore(pool, before);
            return legs.Failed;
        }

        return ResultCode.Ok;
    }

    // ------------------------------------------------------------------ checks

    private ResultCode CheckRoute(IReadOnlyList<SwapHop> route, out PoolState[] pools)
    {
        pools = new PoolState[route.Count];
        if (route.Count is 0 or > ExchangeCommand.MaxHops)
        {
            return ResultCode.RouteInvalid;
        }

        for (var h = 0; h < route.Count; h++)
        {
            if (!_pools.TryGetValue(route[h].Pool, out var pool))
            {
                return ResultCode.PoolNotFound;
            }

            var n = pool.CoinList.Length;
            if (route[h].In >= n || route[h].Out >= n || route[h].In == route[h].Out)
            {
                return ResultCode.RouteInvalid;
            }

            if (h > 0 && (pool.Id == pools[h - 1].Id || pool.CoinList[route[h].In].Coin != pools[h - 1].CoinList[route[h - 1].Out].Coin))
            {
                return ResultCode.RouteInvalid;
            }

            pools[h] = pool;
        }

        return pools[0].CoinList[route[0].In].Coin == pools[^1].CoinList[route[^1].Out].Coin ? ResultCode.RouteInvalid : ResultCode.Ok;
    }

    // A trader, recipient or provider is a holder: never a pool account or any coin's supply account (which would mint).
    private ResultCode CheckParty(Address party)
    {
        if (party.IsZero || _poolAccounts.Contains(party))
        {
            return ResultCode.ExchangeTermsInvalid;
        }

        // Supply addresses are hashes of the symbols: computed once per coin, not per check.
        for (; _supplyKnown < Ledger.CoinCount; _supplyKnown++)
        {
            _supplyAccounts.Add(Ledger.Coins[_supplyKnown].SupplyAccount);
        }

        return _supplyAccounts.Contains(party) ? ResultCode.ExchangeTermsInvalid : ResultCode.Ok;
    }

    private ResultCode CheckFunds(uint coin, Address from, UInt128 amount)
    {
        var guard = Ledger.CheckMovable(coin, from);
        if (guard != ResultCode.Ok || amount == UInt128.Zero)
        {
            return guard;
        }

        return Ledger.TryGetAccount(coin, from, out var account) && account.Available >= (Int128)amount ? ResultCode.Ok : ResultCode.ExceedsBalance;
    }

    // The depeg circuit breaker: a spot price (coin i in coin 0, normalised by the oracle rates) away from 1 by more than
    // the band pauses the pool until the operator resumes it.
    private static void TripIfDepegged(PoolState pool, ulong seconds)
    {
        if (pool.Risk.DepegBand == 0 || pool.Paused != PauseReason.None || pool.Core.TotalSupply.IsZero)
        {
            return;
        }

        var prices = pool.Core.SpotPrices(seconds);
        if (!prices.IsSuccess)
        {
            return;
        }

        foreach (var p in prices.Value!)
        {
            if (BigInteger.Abs(p - Precision) * FeeDenominator > Precision * pool.Risk.DepegBand)
            {
                pool.Paused = PauseReason.Depeg;
                return;
            }
        }
    }

    private static void Restore(PoolState pool, byte[] snapshot) => pool.Core = Exchange.Pool.FromSnapshot(snapshot).Value!;

    /// <summary>The result code of a pool-math refusal.</summary>
    public static ResultCode Map(ExchangeError error) => error switch
    {
        ExchangeError.None => ResultCode.Ok,
        ExchangeError.ZeroAmount or ExchangeError.InitialDepositRequiresAllCoins => ResultCode.ExchangeAmountInvalid,
        ExchangeError.SameCoin or ExchangeError.CoinIndexOutOfRange => ResultCode.RouteInvalid,
        ExchangeError.Slippage => ResultCode.SlippageExceeded,
        ExchangeError.InsufficientLiquidity => ResultCode.InsufficientLiquidity,
        ExchangeError.InsufficientShares or ExchangeError.ZeroBurn => ResultCode.LpSharesInsufficient,
        ExchangeError.Overflow or ExchangeError.Underflow or ExchangeError.DivisionByZero or ExchangeError.NoConvergence
            or ExchangeError.InvariantNotIncreased => ResultCode.PoolMathRefused,
        _ => ResultCode.ExchangeTermsInvalid,
    };

    // ------------------------------------------------------------------ ledger legs

    /// <summary>The ledger transfers of one command, made in order; a failing leg reverses those before it.</summary>
    private sealed class Legs(ExchangeModule module, ModuleContext context, UInt128 memo)
    {
        private readonly List<(uint Coin, Address From, Address To, UInt128 Amount)> _done = [];

        public List<UInt128> Transfers { get; } = [];

        public ResultCode Failed { get; private set; } = ResultCode.Ok;

        public void Add(uint coin, Address from, Address to, UInt128 amount, ushort code)
        {
            if (Failed != ResultCode.Ok || amount == UInt128.Zero)
            {
                return;
            }

            var result = module.Move(coin, from, to, amount, code, memo, context, out var id);
            if (result == ResultCode.Ok)
            {
                _done.Add((coin, from, to, amount));
                Transfers.Add(id);
                return;
            }

            Failed = result;
            for (var i = _done.Count - 1; i >= 0; i--)
            {
                var (c, f, t, a) = _done[i];
                module.Move(c, t, f, a, ReversalCode, memo, context, out _); // the money just arrived there: cannot fail
            }

            Transfers.Clear();
        }
    }

    private ResultCode Move(uint coin, Address from, Address to, UInt128 amount, ushort code, UInt128 memo, in ModuleContext context, out UInt128 id)
    {
        var counter = _nextTransfer;
        id = FirstFreeTransferId(TransferIdPrefix, ref counter);

        var result = Ledger.ExecuteAsOwner(new Transfer
        {
            Id = id,
            DebitAccount = from,
            CreditAccount = to,
            Amount = amount,
            Coin = coin,
            Code = code,
            Memo = memo,
        }, context, this);
        if (result == ResultCode.Ok)
        {
            _nextTransfer = counter + 1;
        }

        return result;
    }

    // ------------------------------------------------------------------ snapshot

    /// <inheritdoc/>
    public override void WriteSnapshot(BinaryWriter writer)
    {
        writer.Write(SnapshotVersion);
        writer.Write(_nextTransfer);
        writer.Write(_feeds.Count);
        foreach (var f in _feeds.Values)
        {
            WriteBody(writer, f.Config.Write);
            WriteUInt128(writer, f.Rate);
            writer.Write(f.ObservedAt);
            writer.Write(f.Signer.ToBytes());
        }

        writer.Write(_pools.Count);
        foreach (var p in _pools.Values)
        {
            writer.Write(p.Id);
            writer.Write(p.LpSymbol);
            writer.Write(p.LpCoin);
            writer.Write(p.CoinList.Length);
            foreach (var c in p.CoinList)
            {
                writer.Write(c.Coin);
                writer.Write(c.Feed);
                writer.Write(c.Invert);
            }

            var core = p.Core.ToSnapshot();
            writer.Write(core.Length);
            writer.Write(core);
            WriteBody(writer, p.Risk.Write);
            writer.Write((byte)p.Paused);
            writer.Write(p.CreatedAt);
            writer.Write(p.SwapCount);
        }

        writer.Write(_swaps.Count);
        foreach (var s in _swaps.Values)
        {
            WriteUInt128(writer, s.Id);
            writer.Write(s.Trader.ToBytes());
            writer.Write(s.Recipient.ToBytes());
            writer.Write(s.CoinIn);
            writer.Write(s.CoinOut);
            WriteUInt128(writer, s.AmountIn);
            WriteUInt128(writer, s.AmountOut);
            WriteUInt128(writer, s.MinOut);
            writer.Write(s.Hops.Count);
            foreach (var h in s.Hops)
            {
                writer.Write(h.Pool);
                writer.Write(h.CoinIn);
                writer.Write(h.CoinOut);
                WriteUInt128(writer, h.AmountIn);
                WriteUInt128(writer, h.AmountOut);
                WriteUInt128(writer, h.Fee);
                writer.Write(h.FeeRate);
                writer.Write(h.PriceImpact);
                WriteUInt128(writer, h.OracleRateIn);
                WriteUInt128(writer, h.OracleRateOut);
            }

            writer.Write(s.Transfers.Count);
            foreach (var t in s.Transfers)
            {
                WriteUInt128(writer, t);
            }

            writer.Write(s.Requester);
            writer.Write(s.At);
            writer.Write(s.Height);
        }
    }

    /// <inheritdoc/>
    protected internal override void ReadSnapshot(BinaryReader reader)
    {
        if (reader.ReadUInt32() != SnapshotVersion)
        {
            throw new InvalidDataException("Unknown exchange snapshot version.");
        }

        _nextTransfer = reader.ReadUInt64();
        var feeds = reader.ReadInt32();
        for (var i = 0; i < feeds; i++)
        {
            var config = ReadBody(reader, FeedConfig.Read);
            _feeds.Add(config.Name, new FeedState(config) { Rate = ReadUInt128(reader), ObservedAt = reader.ReadUInt64(), Signer = Address.FromBytes(reader.ReadBytes(Address.Size)) });
        }

        var pools = reader.ReadInt32();
        for (var i = 0; i < pools; i++)
        {
            var id = reader.ReadUInt32();
            var symbol = reader.ReadString();
            var lpCoin = reader.ReadUInt32();
            var coins = new PoolCoin[reader.ReadInt32()];
            for (var c = 0; c < coins.Length; c++)
            {
                coins[c] = new PoolCoin(reader.ReadUInt32(), reader.ReadString(), reader.ReadBoolean());
            }

            var core = Exchange.Pool.FromSnapshot(reader.ReadBytes(reader.ReadInt32()));
            if (!core.IsSuccess)
            {
                throw new InvalidDataException($"Pool {id}: {core.Error}.");
            }

            var risk = ReadBody(reader, PoolRisk.Read);
            var paused = (PauseReason)reader.ReadByte();
            var pool = new PoolState(id, symbol, lpCoin, coins, core.Value!, risk, reader.ReadUInt64()) { Paused = paused, SwapCount = reader.ReadUInt64() };
            _pools.Add(id, pool);
            Own(pool);
        }

        var swaps = reader.ReadInt32();
        for (var i = 0; i < swaps; i++)
        {
            var id = ReadUInt128(reader);
            var trader = Address.FromBytes(reader.ReadBytes(Address.Size));
            var recipient = Address.FromBytes(reader.ReadBytes(Address.Size));
            var coinIn = reader.ReadUInt32();
            var coinOut = reader.ReadUInt32();
            var amountIn = ReadUInt128(reader);
            var amountOut = ReadUInt128(reader);
            var minOut = ReadUInt128(reader);
            var hops = new HopRecord[reader.ReadInt32()];
            for (var h = 0; h < hops.Length; h++)
            {
                hops[h] = new HopRecord(reader.ReadUInt32(), reader.ReadUInt32(), reader.ReadUInt32(), ReadUInt128(reader), ReadUInt128(reader), ReadUInt128(reader),
                    reader.ReadUInt64(), reader.ReadUInt64(), ReadUInt128(reader), ReadUInt128(reader));
            }

            var transfers = new UInt128[reader.ReadInt32()];
            for (var t = 0; t < transfers.Length; t++)
            {
                transfers[t] = ReadUInt128(reader);
            }

            _swaps.Add(id, new SwapRecord(id, trader, recipient, coinIn, coinOut, amountIn, amountOut, minOut, hops, transfers, reader.ReadString(),
                reader.ReadUInt64(), reader.ReadUInt64()));
        }
    }

    private static void WriteBody(BinaryWriter writer, Action<BodyWriter> write)
    {
        var body = new BodyWriter();
        write(body);
        var bytes = body.ToArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static T ReadBody<T>(BinaryReader reader, Func<BodyReader, T> read)
    {
        var body = new BodyReader(reader.ReadBytes(reader.ReadInt32()));
        var value = read(body);
        body.EnsureEnd();
        return value;
    }

    private static void WriteUInt128(BinaryWriter writer, UInt128 value)
    {
        // unchecked: taking the low 64 bits on purpose.
        writer.Write(unchecked((ulong)value));
        writer.Write((ulong)(value >> 64));
    }

    private static UInt128 ReadUInt128(BinaryReader reader)
    {
        var low = reader.ReadUInt64();
        return new UInt128(reader.ReadUInt64(), low);
    }
}
