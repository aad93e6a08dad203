using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text.Json;
using Centime.Client;
using Centime.Crypto;
using Centime.Exchange;
using Centime.Ledger;
using Centime.Node.Sequencing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using SwapCommand = Centime.Exchange.Swap;

namespace Centime.Node.Api;

/// <summary>
/// The exchange under /v1/exchange (docs/api.md, "Exchange"): FX feeds and signed rates, StableSwap pools, quotes, swaps
/// and cross-border payments. Feeds and pools need the operator key; a rate is authenticated by its feed signer's EIP-712
/// FxRate signature and a payment by the payer's SwapAcceptance signature, both recovered here, before the sequencer,
/// and journaled with the recovered signer. Reads and quotes are public.
/// <para>
/// Quotes are priced at the time the next block would get (<see cref="QuoteTime"/>: the wall clock, never before the
/// ledger's next timestamp), so a feed that went stale while no block was written is stale in the quote too, and the
/// swap that follows is checked again, by the module, at its own block's time.
/// </para>
/// </summary>
public static class ExchangeEndpoints
{
    /// <summary>How long a quote may be accepted (ledger time).</summary>
    public const ulong QuoteLifetimeSeconds = 30;

    private const ulong NanosPerSecond = 1_000_000_000;
    private const int RateDecimals = 18;
    private const int BpsDecimals = 6; // 1 bp = 1e6 on the 1e10 fee scale
    private static readonly BigInteger FeeScale = 10_000_000_000;
    private static readonly BigInteger Precision = BigInteger.Pow(10, 18);

    public static void Map(WebApplication app, NodeContext node)
    {
        var g = app.MapGroup("/v1/exchange").WithTags("Exchange");
        g.MapPut("/feeds/{name}", (string name, HttpContext http) => ConfigureFeedAsync(node, name, http)).WithName("ConfigureFeed")
            .WithSummary("Create or replace an FX feed: heartbeat, band, signers (operator key).").Accepts<FeedConfigRequest>("application/json").Produces<FeedView>().RequiresOperatorKey();
        g.MapGet("/feeds", ([AsParameters] PageParameters page) => ListFeeds(node, page)).WithName("ListFeeds")
            .WithSummary("FX feeds with their latest rate and status, by name (a page).").Produces<Page<FeedView>>().Public();
        g.MapGet("/feeds/{name}", (string name) => GetFeed(node, name)).WithName("GetFeed")
            .WithSummary("One feed: rate, observedAt, age, status ok|stale|out_of_band.").Produces<FeedView>().Public();
        g.MapPost("/feeds/{name}/rates", (string name, HttpContext http) => SubmitRateAsync(node, name, http)).WithName("SubmitRate")
            .WithSummary("A rate signed by one of the feed's signers (EIP-712 FxRate).").Accepts<RateRequest>("application/json").Produces<FeedView>().Public();

        g.MapPost("/pools", (HttpRequest request) => CreatePoolAsync(node, request.HttpContext)).WithName("CreatePool")
            .WithSummary("Create an empty StableSwap pool and its LP share coin (operator key).").Accepts<CreatePoolRequest>("application/json").Produces<PoolView>(201).RequiresOperatorKey();
        g.MapGet("/pools", ([AsParameters] PageParameters page) => ListPools(node, page)).WithName("ListPools")
            .WithSummary("Pools with balances, prices and status, by id (a page).").Produces<Page<PoolView>>().Public();
        g.MapGet("/pools/{id}", (string id) => GetPool(node, id)).WithName("GetPool")
            .WithSummary("A pool: balances (= its ledger account), admin fees, LP supply, A, fee, virtual price, spot prices, status, risk.").Produces<PoolView>().Public();
        g.MapPatch("/pools/{id}", (string id, HttpContext http) => ConfigurePoolAsync(node, id, http)).WithName("ConfigurePool")
            .WithSummary("Change risk controls, pause, fee or ramp A (operator key).").Accepts<ConfigurePoolRequest>("application/json").Produces<PoolView>().RequiresOperatorKey();
        g.MapPost("/pools/{id}/add", (string id, Caller caller, HttpContext http) => AddLiquidityAsync(node, caller, id, http)).WithName("AddLiquidity")
            .WithSummary("Deposit a provider's coins and mint LP shares (signed by the provider, EIP-712 AddLiquidity; the operator key only for sandbox coins on a sandbox node).")
            .Accepts<AddLiquidityRequest>("application/json").Produces<LiquidityView>().RequiresOperatorKeyOrHolderSignature();
        g.MapPost("/pools/{id}/add/typed-data", (string id, HttpContext http) => LiquidityTypedDataAsync(node, id, http, add: true)).WithName("AddLiquidityTypedData")
            .WithSummary("The EIP-712 AddLiquidity a provider signs for these terms (nonce and deadline filled in when absent).")
            .Accepts<AddLiquidityRequest>("application/json").Produces<TypedDataToSign>().Public();
        g.MapPost("/pools/{id}/remove", (string id, Caller caller, HttpContext http) => RemoveLiquidityAsync(node, caller, id, http)).WithName("RemoveLiquidity")
            .WithSummary("Burn a provider's LP shares for the pool's coins, proportionally or in one coin (signed by the provider, EIP-712 RemoveLiquidity; the operator key only for sandbox coins on a sandbox node).")
            .Accepts<RemoveLiquidityRequest>("application/json").Produces<LiquidityView>().RequiresOperatorKeyOrHolderSignature();
        g.MapPost("/pools/{id}/remove/typed-data", (string id, HttpContext http) => LiquidityTypedDataAsync(node, id, http, add: false)).WithName("RemoveLiquidityTypedData")
            .WithSummary("The EIP-712 RemoveLiquidity a provider signs for these terms (nonce and deadline filled in when absent).")
            .Accepts<RemoveLiquidityRequest>("application/json").Produces<TypedDataToSign>().Public();
        g.MapPost("/pools/{id}/withdraw-fees", (string id, HttpContext http) => WithdrawFeesAsync(node, id, http)).WithName("WithdrawAdminFees")
            .WithSummary("Pay the pool's admin fees to an address (operator key).").Accepts<WithdrawFeesRequest>("application/json").Produces<PoolView>().RequiresOperatorKey();

        g.MapPost("/quotes", (HttpRequest request) => QuoteAsync(node, request.HttpContext)).WithName("Quote")
            .WithSummary("Best route (≤ 2 pools) with output, minimum output, fees, price impact, oracle rates, expiry and the EIP-712 acceptance to sign.")
            .Accepts<QuoteRequest>("application/json").Produces<QuoteView>().Public();
        g.MapPost("/payments", (HttpRequest request) => SwapAsync(node, Caller.Anonymous, request.HttpContext, payment: true)).WithName("Pay")
            .WithSummary("Cross-border payment: the payer's signed SwapAcceptance of a quote; one atomic swap to the recipient.")
            .Accepts<PaymentRequest>("application/json").Produces<SwapView>().Public();
        g.MapPost("/swaps", (Caller caller, HttpContext http) => SwapAsync(node, caller, http, payment: false)).WithName("Swap")
            .WithSummary("A swap, signed by the payer (recipient defaults to the payer); with the operator key (route optional) only from a sandbox coin on a sandbox node.")
            .Accepts<PaymentRequest>("application/json").Produces<SwapView>().RequiresOperatorKeyOrHolderSignature();
        g.MapGet("/swaps/{id}", (string id) => GetSwap(node, id)).WithName("GetSwap").WithSummary("An applied swap or payment, as recorded.").Produces<SwapView>().Public();
    }

    /// <summary>The ledger time (Unix nanoseconds) the next block would get: quotes and admission checks use it.</summary>
    public static ulong QuoteTime(LedgerState state) => Math.Max(Sequencing.Sequencer.NowNanoseconds(), state.NextTimestamp);

    private static ExchangeModule Module(NodeContext node) =>
        node.Sequencer.State.Module<ExchangeModule>() ?? throw new ProblemException(404, "route_not_found", "Not found", "this node does not run the exchange module");

    private static ExchangeModule Module(Sequencer.ReadSection view) =>
        view.State.Module<ExchangeModule>() ?? throw new ProblemException(404, "route_not_found", "Not found", "this node does not run the exchange module");

    // ------------------------------------------------------------------ feeds

    private static async Task<IResult> ConfigureFeedAsync(NodeContext node, string name, HttpContext http)
    {
        var r = await Endpoints.ReadJsonAsync<FeedConfigRequest>(http);
        if (!FeedConfig.IsValidName(name))
        {
            throw Invalid("the feed name is 2–16 characters A–Z, 0–9, starting with a letter (e.g. USDHKD)");
        }

        var heartbeat = r.HeartbeatSeconds ?? throw Missing("heartbeatSeconds");
        var min = r.BandMin is null ? UInt128.Zero : Rate(r.BandMin, "bandMin");
        var max = r.BandMax is null ? UInt128.Zero : Rate(r.BandMax, "bandMax");
        if (r.Signers is not { Count: > 0 } signerTexts)
        {
            throw Missing("signers");
        }

        var signers = signerTexts.Select(Endpoints.ParseAddress).ToArray();
        await SubmitOneAsync(node, new ConfigureFeed(new FeedConfig(name, heartbeat, min, max, signers), "admin"), $"feed {name}");
        return Results.Json(FeedViewOf(node, name), JsonDefaults.Options);
    }

    private static async Task<IResult> SubmitRateAsync(NodeContext node, string name, HttpContext http)
    {
        var r = await Endpoints.ReadJsonAsync<RateRequest>(http);
        var rate = Rate(r.Rate ?? throw Missing("rate"), "rate");
        var observedAt = r.ObservedAt ?? throw Missing("observedAt");
        var signer = Signing.AuthorizationChecker.RecoverField(ExchangeSignatures.RateDigest(node.Options.ChainId, name, rate, observedAt), r.Signature, "signature",
            $"a low-s EIP-712 signature of {ExchangeSignatures.RateType} (rate × 1e18) under the \"Centime Exchange\" domain, version 1, chainId {node.Options.ChainId}");

        await SubmitOneAsync(node, new SubmitRate(name, rate, observedAt, signer), $"rate {r.Rate} for {name} signed by {signer}");
        return Results.Json(FeedViewOf(node, name), JsonDefaults.Options);
    }

    private static IResult ListFeeds(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            var seconds = QuoteTime(view.State) / NanosPerSecond;
            return Results.Json(Paging.ByName(Module(view).Feeds, f => f.Config.Name, query, f => ToView(f, seconds)), JsonDefaults.Options);
        }
    }

    private static IResult GetFeed(NodeContext node, string name) => Results.Json(FeedViewOf(node, name), JsonDefaults.Options);

    private static FeedView FeedViewOf(NodeContext node, string name)
    {
        using (var view = node.Read())
        {
            var feed = Module(view).GetFeed(name) ?? throw new ProblemException(404, ResultCode.FeedNotFound.ToProblemCode(), "Not found", $"no feed '{name}'");
            return ToView(feed, QuoteTime(view.State) / NanosPerSecond);
        }
    }

    private static FeedView ToView(FeedState f, ulong seconds)
    {
        var c = f.Config;
        var status = f.Check(seconds) switch
        {
            ResultCode.Ok => "ok",
            ResultCode.OracleOutOfBand => "out_of_band",
            _ => "stale",
        };
        return new FeedView(c.Name, c.HeartbeatSeconds, c.BandMin == UInt128.Zero ? null : RateText(c.BandMin), c.BandMax == UInt128.Zero ? null : RateText(c.BandMax),
            c.Signers.Select(s => s.ToString()).ToList(), f.HasRate ? RateText(f.Rate) : null, f.HasRate ? f.ObservedAt : null,
            f.HasRate ? (seconds > f.ObservedAt ? seconds - f.ObservedAt : 0) : null, f.HasRate ? f.Signer.ToString() : null, status);
    }

    // ------------------------------------------------------------------ pools

    private static async Task<IResult> CreatePoolAsync(NodeContext node, HttpContext http)
    {
        var r = await Endpoints.ReadJsonAsync<CreatePoolRequest>(http);
        var lp = r.LpSymbol ?? throw Missing("lpSymbol");
        if (r.Coins is not { Count: >= 2 } coinRequests)
        {
            throw Missing("coins (at least two)");
        }

        var a = r.A ?? throw Missing("a");
        var coins = new PoolCoin[coinRequests.Count];
        for (var i = 0; i < coins.Length; i++)
        {
            var c = coinRequests[i] ?? throw Missing($"coins[{i}]");
            coins[i] = new PoolCoin(CoinNumber(node, c.Coin ?? throw Missing($"coins[{i}].coin")), c.Feed ?? "", c.Invert ?? false);
        }

        var fee = FeeOf(r.FeeBps, r.Fee) ?? throw Missing("feeBps or fee");
        var offpeg = r.OffpegMultiplier is null ? (ulong)FeeScale : Scaled(r.OffpegMultiplier, 10, "offpegMultiplier");
        uint id;
        PoolRisk risk;
        using (var view = node.Read())
        {
            var module = Module(view);
            id = r.Id ?? (module.Pools.Count == 0 ? 1 : checked(module.Pools.Max(p => p.Id) + 1));
            risk = RiskOf(r.Risk, PoolRisk.Default(coins.Length), Decimals(node, coins[0].Coin), coins.Length);
        }

        await SubmitOneAsync(node, new CreatePool(id, lp, coins, a, fee, offpeg, risk, "admin"), $"pool {id}");
        return Results.Json(PoolViewOf(node, id), JsonDefaults.Options, statusCode: 201);
    }

    private static async Task<IResult> ConfigurePoolAsync(NodeContext node, string idText, HttpContext http)
    {
        var id = PoolId(idText);
        var r = await Endpoints.ReadJsonAsync<ConfigurePoolRequest>(http);
        var fee = FeeOf(r.FeeBps, r.Fee);
        var offpeg = r.OffpegMultiplier is null ? 0UL : Scaled(r.OffpegMultiplier, 10, "offpegMultiplier");
        UInt128 futureA = 0;
        ulong futureTime = 0;
        if (r.Ramp is { } ramp)
        {
            futureA = ramp.FutureA ?? throw Missing("ramp.futureA");
            futureTime = ramp.FutureTime ?? throw Missing("ramp.futureTime");
        }

        ConfigurePool command;
        using (var view = node.Read())
        {
            var pool = Module(view).GetPool(id) ?? throw PoolNotFound(id);
            var risk = RiskOf(r.Risk, pool.Risk, Decimals(node, pool.Coins[0].Coin), pool.Coins.Count);

            // The module changes the fee only when one is given: an off-peg multiplier alone goes with the current fee.
            var feeToSet = fee ?? (offpeg != 0 ? (ulong)pool.Core.Fee : 0UL);
            command = new ConfigurePool(id, risk, r.Paused ?? pool.Paused != PauseReason.None, feeToSet, offpeg, futureA, futureTime, "admin");
        }

        await SubmitOneAsync(node, command, $"pool {id}");
        return Results.Json(PoolViewOf(node, id), JsonDefaults.Options);
    }

    private static async Task<IResult> AddLiquidityAsync(NodeContext node, Caller caller, string idText, HttpContext http)
    {
        var id = PoolId(idText);
        var r = await Endpoints.ReadJsonAsync<AddLiquidityRequest>(http);
        caller.RequireOperatorKeyUnlessSigned(r.Signature is not null);

        var (provider, amounts, minMint) = ParseAdd(r);
        if (r.Signature is null)
        {
            Endpoints.RequireHolderSignatureUnlessSandbox(node, PoolCoins(node, id), $"liquidity from {provider}",
                "the provider signs EIP-712 AddLiquidity (POST /v1/exchange/pools/{id}/add/typed-data)");
        }

        ExchangeCommand command = new AddLiquidity(id, provider, amounts, minMint, "admin");
        if (r.Signature is not null)
        {
            var (nonce, deadline) = SignedTerms(r.Nonce, r.Deadline);
            var typed = HolderTypedData.AddLiquidity(node.Options.ChainId, provider, id, amounts, minMint, nonce, deadline);
            RequireSignedBy(typed, r.Signature, provider);
            command = new HolderAddLiquidity(id, provider, amounts, minMint, nonce, deadline);
        }

        var height = await SubmitOneAsync(node, command, $"deposit into pool {id}");
        using (var view = node.Read())
        {
            var pool = Module(view).GetPool(id)!;
            var minted = Legs(node, pool.LpCoin, provider, height, ExchangeModule.MintSharesCode, id);
            return Results.Json(new LiquidityView(PoolViewLocked(node, pool), provider.ToString(), Dec(Balance(node, pool.LpCoin, provider)), Dec(minted), null,
                amounts.Select(Dec).ToList(), height), JsonDefaults.Options);
        }
    }

    private static async Task<IResult> RemoveLiquidityAsync(NodeContext node, Caller caller, string idText, HttpContext http)
    {
        var id = PoolId(idText);
        var r = await Endpoints.ReadJsonAsync<RemoveLiquidityRequest>(http);
        caller.RequireOperatorKeyUnlessSigned(r.Signature is not null);

        var (provider, shares, mins, oneCoin) = ParseRemove(node, id, r);
        if (r.Signature is null)
        {
            Endpoints.RequireHolderSignatureUnlessSandbox(node, PoolCoins(node, id), $"the LP shares of {provider}",
                "the provider signs EIP-712 RemoveLiquidity (POST /v1/exchange/pools/{id}/remove/typed-data)");
        }

        ExchangeCommand command = new RemoveLiquidity(id, provider, shares, mins, oneCoin, "admin");
        if (r.Signature is not null)
        {
            var (nonce, deadline) = SignedTerms(r.Nonce, r.Deadline);
            var typed = HolderTypedData.RemoveLiquidity(node.Options.ChainId, provider, id, shares, mins, oneCoin, nonce, deadline);
            RequireSignedBy(typed, r.Signature, provider);
            command = new HolderRemoveLiquidity(id, provider, shares, mins, oneCoin, nonce, deadline);
        }

        var height = await SubmitOneAsync(node, command, $"withdrawal from pool {id}");
        using (var view = node.Read())
        {
            var pool = Module(view).GetPool(id)!;
            var paid = pool.Coins.Select(c => Dec(Legs(node, c.Coin, provider, height, ExchangeModule.WithdrawCode, id))).ToList();
            return Results.Json(new LiquidityView(PoolViewLocked(node, pool), provider.ToString(), Dec(Balance(node, pool.LpCoin, provider)), null, Dec(shares), paid, height),
                JsonDefaults.Options);
        }
    }

    /// <summary>The coins a pool holds (the operator-key checks look at them); empty for an unknown pool (the module refuses it).</summary>
    private static uint[] PoolCoins(NodeContext node, uint id)
    {
        using (var view = node.Read())
        {
            return Module(view).GetPool(id) is { } pool ? [.. pool.Coins.Select(c => c.Coin)] : [];
        }
    }

    private static (Address Provider, UInt128[] Amounts, UInt128 MinMint) ParseAdd(AddLiquidityRequest r)
    {
        var provider = Endpoints.ParseAddress(r.Provider ?? throw Missing("provider"));
        if (r.Amounts is not { Count: > 0 } amountTexts)
        {
            throw Missing("amounts");
        }

        var amounts = amountTexts.Select((t, i) => Amount(t, $"amounts[{i}]")).ToArray();
        var minMint = r.MinMint is null ? UInt128.Zero : Amount(r.MinMint, "minMint");
        return (provider, amounts, minMint);
    }

    private static (Address Provider, UInt128 Shares, UInt128[] Mins, int OneCoin) ParseRemove(NodeContext node, uint id, RemoveLiquidityRequest r)
    {
        var provider = Endpoints.ParseAddress(r.Provider ?? throw Missing("provider"));
        var shares = Amount(r.Shares ?? throw Missing("shares"), "shares");
        var mins = (r.MinAmounts ?? []).Select((t, i) => Amount(t, $"minAmounts[{i}]")).ToArray();
        var oneCoin = -1;
        if (r.Coin is { } symbol)
        {
            var number = CoinNumber(node, symbol);
            using (var view = node.Read())
            {
                var pool = Module(view).GetPool(id) ?? throw PoolNotFound(id);
                oneCoin = pool.IndexOf(number);
                if (oneCoin < 0)
                {
                    throw new ProblemException(422, ResultCode.RouteInvalid.ToProblemCode(), "Command refused", $"pool {id} does not hold {symbol}");
                }
            }
        }

        return (provider, shares, mins, oneCoin);
    }

    /// <summary>The nonce and deadline a provider signed (both required on a signed request).</summary>
    private static (Hash32 Nonce, ulong Deadline) SignedTerms(string? nonce, ulong? deadline) =>
        (Signing.AuthorizationChecker.Nonce(nonce ?? throw Missing("nonce"), null), deadline ?? throw Missing("deadline"));

    /// <summary>Refuses a signature that does not recover to the provider over exactly these terms.</summary>
    private static void RequireSignedBy(string typed, string signatureText, Address provider)
    {
        var signature = Signing.AuthorizationChecker.ParseSignature(signatureText, null, null, null, null);
        Signing.AuthorizationChecker.Recover(HolderTypedData.Digest(typed), signature, provider, "provider", null);
    }

    private static async Task<IResult> LiquidityTypedDataAsync(NodeContext node, string idText, HttpContext http, bool add)
    {
        var id = PoolId(idText);
        string? nonceText;
        ulong? deadlineValue;
        Func<Hash32, ulong, string> build;
        if (add)
        {
            var r = await Endpoints.ReadJsonAsync<AddLiquidityRequest>(http);
            var (provider, amounts, minMint) = ParseAdd(r);
            (nonceText, deadlineValue) = (r.Nonce, r.Deadline);
            build = (n, d) => HolderTypedData.AddLiquidity(node.Options.ChainId, provider, id, amounts, minMint, n, d);
        }
        else
        {
            var r = await Endpoints.ReadJsonAsync<RemoveLiquidityRequest>(http);
            var (provider, shares, mins, oneCoin) = ParseRemove(node, id, r);
            (nonceText, deadlineValue) = (r.Nonce, r.Deadline);
            build = (n, d) => HolderTypedData.RemoveLiquidity(node.Options.ChainId, provider, id, shares, mins, oneCoin, n, d);
        }

        var nonce = nonceText is null ? HolderSigner.NewNonce() : Signing.AuthorizationChecker.Nonce(nonceText, null);
        var deadline = deadlineValue ?? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
        return Results.Json(IssuanceEndpoints.TypedDataView(build(nonce, deadline), nonce, deadline), JsonDefaults.Options);
    }

    private static async Task<IResult> WithdrawFeesAsync(NodeContext node, string idText, HttpContext http)
    {
        var id = PoolId(idText);
        var r = await Endpoints.ReadJsonAsync<WithdrawFeesRequest>(http);
        var to = Endpoints.ParseAddress(r.To ?? throw Missing("to"));
        await SubmitOneAsync(node, new WithdrawAdminFees(id, to, "admin"), $"admin fees of pool {id}");
        return Results.Json(PoolViewOf(node, id), JsonDefaults.Options);
    }

    private static IResult ListPools(NodeContext node, PageParameters page)
    {
        var query = Paging.Read(page);
        using (var view = node.Read())
        {
            return Results.Json(Paging.ByNumber(Module(view).Pools, p => p.Id, query, p => PoolViewLocked(node, p)), JsonDefaults.Options);
        }
    }

    private static IResult GetPool(NodeContext node, string idText) => Results.Json(PoolViewOf(node, PoolId(idText)), JsonDefaults.Options);

    private static PoolView PoolViewOf(NodeContext node, uint id)
    {
        using (var view = node.Read())
        {
            return PoolViewLocked(node, Module(view).GetPool(id) ?? throw PoolNotFound(id));
        }
    }

    private static PoolView PoolViewLocked(NodeContext node, PoolState p)
    {
        var st = node.Sequencer.State;
        var seconds = QuoteTime(st) / NanosPerSecond;
        var core = p.Core;
        var coins = new List<PoolCoinView>(p.Coins.Count);
        for (var i = 0; i < p.Coins.Count; i++)
        {
            var c = p.Coins[i];
            coins.Add(new PoolCoinView(st.GetCoin(c.Coin)!.Symbol, core.Decimals(i), c.Feed.Length == 0 ? null : c.Feed, c.Invert, Dec(core.StoredBalance(i)),
                Dec(core.AdminBalance(i)), ExchangeTypedData.FormatDecimal(core.OracleRate(i), RateDecimals), Dec(p.Risk.Caps[i])));
        }

        var funded = !core.TotalSupply.IsZero;
        var virtualPrice = funded ? core.VirtualPrice(seconds) : default;
        var spot = funded ? core.SpotPrices(seconds) : default;
        var a = core.AmplificationPrecise(seconds);
        var status = Module(node).Status(p, seconds);
        return new PoolView(
            p.Id,
            p.LpSymbol,
            ExchangeModule.AccountOf(p.Id).ToString(),
            coins,
            Dec(core.TotalSupply),
            a.IsSuccess ? ExchangeTypedData.FormatDecimal(a.Value, 2) : "?",
            ExchangeTypedData.FormatDecimal(core.FutureA, 2),
            core.FutureATime,
            Dec(core.Fee),
            ExchangeTypedData.FormatDecimal(core.Fee, BpsDecimals),
            ExchangeTypedData.FormatDecimal(core.OffpegFeeMultiplier, 10),
            ExchangeTypedData.FormatDecimal(core.AdminFee, 10),
            funded && virtualPrice.IsSuccess ? ExchangeTypedData.FormatDecimal(virtualPrice.Value, 18) : null,
            funded && spot.IsSuccess ? spot.Value!.Select(x => ExchangeTypedData.FormatDecimal(x, 18)).ToList() : null,
            status == ResultCode.Ok ? "ok" : status.ToProblemCode(),
            p.Paused switch { PauseReason.Operator => "operator", PauseReason.Depeg => "depeg", _ => null },
            new PoolRiskView(p.Risk.Caps.Select(Dec).ToList(), ExchangeTypedData.FormatDecimal(p.Risk.MaxPriceImpact, BpsDecimals),
                ExchangeTypedData.FormatDecimal(p.Risk.DepegBand, BpsDecimals), Dec(MinTradeRaw(p.Risk.MinTrade, core.Decimals(0)))),
            p.SwapCount,
            p.CreatedAt);
    }

    // ------------------------------------------------------------------ quotes

    private static async Task<IResult> QuoteAsync(NodeContext node, HttpContext http)
    {
        var r = await Endpoints.ReadJsonAsync<QuoteRequest>(http);
        var from = r.From ?? throw Missing("from");
        var to = r.To ?? throw Missing("to");
        var coinIn = CoinNumber(node, from);
        var coinOut = CoinNumber(node, to);
        var amountIn = Amount(r.AmountIn ?? throw Missing("amountIn"), "amountIn");
        Address? payer = r.Payer is null ? null : Endpoints.ParseAddress(r.Payer);
        Address? recipient = r.Recipient is null ? payer : Endpoints.ParseAddress(r.Recipient);
        var slippage = r.SlippageBps is null ? 10UL * 1_000_000 : Scaled(r.SlippageBps, BpsDecimals, "slippageBps");
        if (slippage > (ulong)FeeScale)
        {
            throw Invalid("'slippageBps' is at most 10000");
        }

        if (coinIn == coinOut)
        {
            throw new ProblemException(422, ResultCode.RouteInvalid.ToProblemCode(), "Quote refused", "'from' and 'to' are the same coin");
        }

        QuoteView view;
        using (var read = node.Read())
        {
            var st = read.State;
            var module = Module(read);
            var now = QuoteTime(st);
            var routes = module.Routes(coinIn, coinOut, amountIn, now);
            if (routes.Count == 0)
            {
                throw new ProblemException(422, ResultCode.RouteInvalid.ToProblemCode(), "Quote refused", $"no pool, or pair of pools, connects {from} and {to}");
            }

            var best = routes[0];
            if (best.Plan is not { } plan)
            {
                throw Refused(best.Code, $"{from} → {to}: every route is refused; the best ({ExchangeSignatures.FormatRoute(best.Route)}) with {best.Code.ToProblemCode()}");
            }

            var routeText = ExchangeSignatures.FormatRoute(plan.Route);
            var minOut = (UInt128)((BigInteger)plan.AmountOut * (FeeScale - slippage) / FeeScale);
            var expiry = now / NanosPerSecond + QuoteLifetimeSeconds;
            var id = NewSwapId();
            var hops = plan.Hops.Select(h => HopOf(st, h.Pool.Id, h.Pool.Coins[h.Hop.In].Coin, h.Pool.Coins[h.Hop.Out].Coin, h.AmountIn, h.AmountOut, h.Quote.Fee,
                h.Quote.FeeRate, h.Quote.PriceImpact, h.Pool.Core.OracleRate(h.Hop.In), h.Pool.Core.OracleRate(h.Hop.Out))).ToList();
            var feeds = new List<OracleRateView>();
            foreach (var h in plan.Hops)
            {
                foreach (var c in h.Pool.Coins)
                {
                    if (c.Feed.Length > 0 && feeds.All(f => f.Feed != c.Feed) && module.GetFeed(c.Feed) is { } feed)
                    {
                        feeds.Add(new OracleRateView(feed.Config.Name, RateText(feed.Rate), feed.ObservedAt));
                    }
                }
            }

            var alternatives = routes.Skip(1).Select(x => new RouteAlternative(ExchangeSignatures.FormatRoute(x.Route), x.Plan is null ? null : Dec(x.Plan.AmountOut),
                x.Plan is null ? x.Code.ToProblemCode() : null)).ToList();
            JsonElement? typed = null;
            if (payer is { } p)
            {
                var json = ExchangeTypedData.Acceptance(node.Options.ChainId, id, p, recipient!.Value, from, to, amountIn, minOut, routeText, expiry);
                using var doc = JsonDocument.Parse(json);
                typed = doc.RootElement.Clone();
            }

            view = new QuoteView(Dec(id), from, to, Dec(amountIn), Dec(plan.AmountOut), Dec(minOut), ExchangeTypedData.FormatDecimal(slippage, BpsDecimals), routeText, hops,
                Bps(Combined(plan.Hops.Select(h => h.Quote.PriceImpact))), Bps(Combined(plan.Hops.Select(h => h.Quote.TotalCost))),
                EffectiveRate(amountIn, Decimals(node, coinIn), plan.AmountOut, Decimals(node, coinOut)), feeds, alternatives, now, expiry, node.Options.ChainId,
                payer?.ToString(), recipient?.ToString(), typed);
        }

        return Results.Json(view, JsonDefaults.Options);
    }

    // 1 − Π(1 − xᵢ) on the 1e10 scale, rounded up like each xᵢ: the cost of a route never understated.
    private static BigInteger Combined(IEnumerable<BigInteger> rates)
    {
        var keep = FeeScale;
        foreach (var x in rates)
        {
            keep = keep * (FeeScale - BigInteger.Min(x, FeeScale)) / FeeScale;
        }

        return FeeScale - keep;
    }

    // ------------------------------------------------------------------ swaps and payments

    private static async Task<IResult> SwapAsync(NodeContext node, Caller caller, HttpContext http, bool payment)
    {
        var r = await Endpoints.ReadJsonAsync<PaymentRequest>(http);
        var signed = r.Signature is not null;
        if (payment && !signed)
        {
            throw Missing("signature (the payer's EIP-712 SwapAcceptance)");
        }

        caller.RequireOperatorKeyUnlessSigned(signed);

        var payer = Endpoints.ParseAddress(r.Payer ?? throw Missing("payer"));
        var recipient = r.Recipient is null ? (payment ? throw Missing("recipient") : payer) : Endpoints.ParseAddress(r.Recipient);
        var from = r.From ?? throw Missing("from");
        var to = r.To ?? throw Missing("to");
        var coinIn = CoinNumber(node, from);
        var coinOut = CoinNumber(node, to);
        var amountIn = Amount(r.AmountIn ?? throw Missing("amountIn"), "amountIn");
        var minOut = Amount(r.MinOut ?? throw Missing("minOut"), "minOut");
        var id = r.Id is null ? (signed ? throw Missing("id") : NewSwapId()) : FieldGrammar.Id(r.Id, "id");
        var expiry = r.Expiry ?? (signed ? throw Missing("expiry") : 0UL);
        SwapHop[]? route = null;
        if (r.Route is not null)
        {
            if (!ExchangeSignatures.TryParseRoute(r.Route, out var parsed))
            {
                throw Invalid("'route' is pool:in>out per hop, at most two, joined by a comma (e.g. 1:0>1), as in the quote");
            }

            route = parsed;
        }
        else if (signed)
        {
            throw Missing("route");
        }

        if (signed)
        {
            var acceptance = new SwapAcceptance(id, payer, recipient, from, to, amountIn, minOut, route!, expiry);
            var signer = Signing.AuthorizationChecker.RecoverField(ExchangeSignatures.AcceptanceDigest(node.Options.ChainId, acceptance), r.Signature, "signature",
                $"the payer's low-s EIP-712 signature of {ExchangeSignatures.AcceptanceType} under the \"Centime Exchange\" domain, version 1, chainId {node.Options.ChainId}");
            if (signer != payer)
            {
                throw Signing.AuthorizationChecker.SignerMismatch($"the signature recovers to {signer}, not the payer {payer}: the terms signed differ from these (or another key signed)");
            }
        }

        using (var view = node.Read())
        {
            var module = Module(view);
            if (module.GetSwap(id) is { } existing)
            {
                return Existing(node, existing, payer, recipient, coinIn, coinOut, amountIn, minOut, route);
            }

            if (route is null)
            {
                var routes = module.Routes(coinIn, coinOut, amountIn, QuoteTime(view.State));
                var best = routes.Count > 0 ? routes[0] : default;
                if (best.Route is null)
                {
                    throw new ProblemException(422, ResultCode.RouteInvalid.ToProblemCode(), "Swap refused", $"no pool, or pair of pools, connects {from} and {to}");
                }

                if (best.Plan is null)
                {
                    throw Refused(best.Code, $"{from} → {to}: every route is refused");
                }

                route = [.. best.Route];
            }

            CheckRouteCoins(module, route, coinIn, coinOut, from, to);
        }

        if (!signed)
        {
            Endpoints.RequireHolderSignatureUnlessSandbox(node, [coinIn], $"a swap paid by {payer}",
                "the payer signs the quote's EIP-712 SwapAcceptance (POST /v1/exchange/quotes, then 'signature' here)");
        }

        var command = new SwapCommand(id, route, payer, recipient, amountIn, minOut, expiry, signed ? "holder" : "admin");
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        using (var view = node.Read())
        {
            var module = Module(view);
            if (code == ResultCode.SwapExists && module.GetSwap(id) is { } raced)
            {
                return Existing(node, raced, payer, recipient, coinIn, coinOut, amountIn, minOut, route);
            }

            if (code != ResultCode.Ok)
            {
                throw Refused(code, $"swap {id}: {Dec(amountIn)} {from} → {to}");
            }

            return Results.Json(SwapViewOf(node, module.GetSwap(id)!), JsonDefaults.Options);
        }
    }

    // The signed message names coins by symbol; the route must run from exactly that coin to exactly that one.
    private static void CheckRouteCoins(ExchangeModule module, SwapHop[] route, uint coinIn, uint coinOut, string from, string to)
    {
        if (route.Length == 0)
        {
            return; // the module refuses it (route_invalid)
        }

        var first = module.GetPool(route[0].Pool);
        var last = module.GetPool(route[^1].Pool);
        if (first is null || last is null)
        {
            throw PoolNotFound(first is null ? route[0].Pool : route[^1].Pool);
        }

        if (route[0].In >= first.Coins.Count || route[^1].Out >= last.Coins.Count
            || first.Coins[route[0].In].Coin != coinIn || last.Coins[route[^1].Out].Coin != coinOut)
        {
            throw new ProblemException(422, ResultCode.RouteInvalid.ToProblemCode(), "Swap refused", $"the route {ExchangeSignatures.FormatRoute(route)} does not run from {from} to {to}");
        }
    }

    // An identical retry answers the recorded swap; anything else with the same id is a conflict.
    private static IResult Existing(NodeContext node, SwapRecord s, Address payer, Address recipient, uint coinIn, uint coinOut, UInt128 amountIn, UInt128 minOut, SwapHop[]? route)
    {
        var same = s.Trader == payer && s.Recipient == recipient && s.CoinIn == coinIn && s.CoinOut == coinOut && s.AmountIn == amountIn && s.MinOut == minOut
            && (route is null || (route.Length == s.Hops.Count && route.Select(h => h.Pool).SequenceEqual(s.Hops.Select(h => h.Pool))));
        if (!same)
        {
            throw new ProblemException(409, ResultCode.SwapExists.ToProblemCode(), "Swap refused", $"swap {s.Id} was applied before with other terms");
        }

        return Results.Json(SwapViewOf(node, s), JsonDefaults.Options);
    }

    private static IResult GetSwap(NodeContext node, string idText)
    {
        var id = FieldGrammar.Id(idText, "id");
        using (var view = node.Read())
        {
            var swap = Module(view).GetSwap(id) ?? throw new ProblemException(404, "swap_not_found", "Not found", $"no swap {idText}");
            return Results.Json(SwapViewOf(node, swap), JsonDefaults.Options);
        }
    }

    private static SwapView SwapViewOf(NodeContext node, SwapRecord s)
    {
        var st = node.Sequencer.State;
        var module = Module(node);
        var route = new List<SwapHop>(s.Hops.Count);
        foreach (var h in s.Hops)
        {
            var pool = module.GetPool(h.Pool)!;
            route.Add(new SwapHop(h.Pool, (byte)pool.IndexOf(h.CoinIn), (byte)pool.IndexOf(h.CoinOut)));
        }

        var hops = s.Hops.Select(h => HopOf(st, h.Pool, h.CoinIn, h.CoinOut, h.AmountIn, h.AmountOut, (BigInteger)h.Fee, h.FeeRate, h.PriceImpact,
            (BigInteger)h.OracleRateIn, (BigInteger)h.OracleRateOut)).ToList();
        return new SwapView(Dec(s.Id), s.Trader.ToString(), s.Recipient.ToString(), Symbol(st, s.CoinIn), Symbol(st, s.CoinOut), Dec(s.AmountIn), Dec(s.AmountOut),
            Dec(s.MinOut), EffectiveRate(s.AmountIn, Decimals(node, s.CoinIn), s.AmountOut, Decimals(node, s.CoinOut)), ExchangeSignatures.FormatRoute(route), hops,
            s.Transfers.Select(Dec).ToList(), s.Requester, s.At, s.Height);
    }

    private static HopView HopOf(LedgerState st, uint pool, uint coinIn, uint coinOut, UInt128 amountIn, UInt128 amountOut, BigInteger fee, BigInteger feeRate,
        BigInteger impact, BigInteger rateIn, BigInteger rateOut) =>
        new(pool, Symbol(st, coinIn), Symbol(st, coinOut), Dec(amountIn), Dec(amountOut), fee.ToString(CultureInfo.InvariantCulture), Bps(feeRate), Bps(impact),
            ExchangeTypedData.FormatDecimal(rateIn, RateDecimals), ExchangeTypedData.FormatDecimal(rateOut, RateDecimals));

    // ------------------------------------------------------------------ helpers

    private static async Task<ulong> SubmitOneAsync(NodeContext node, CommandBody command, string what)
    {
        var receipt = await Endpoints.SubmitAsync(node, [Command.Of(command)]);
        var code = receipt.Results[0].Code;
        if (code != ResultCode.Ok)
        {
            throw Refused(code, what);
        }

        return receipt.Height;
    }

    /// <summary>The problem for a refused exchange command (docs/errors.md).</summary>
    internal static ProblemException Refused(ResultCode code, string what)
    {
        var status = code switch
        {
            ResultCode.PoolNotFound or ResultCode.FeedNotFound or ResultCode.CoinNotFound => 404,
            ResultCode.PoolExists or ResultCode.SwapExists or ResultCode.CoinExists or ResultCode.AuthorizationUsed or ResultCode.AuthorizationCanceled => 409,
            ResultCode.NotOracleSigner => 403,
            _ => 422,
        };
        return new ProblemException(status, code.ToProblemCode(), "Command refused", $"{what}: {code.ToProblemCode()}");
    }

    // What a command moved for one party in one block: the sum of its legs with this code (memo = the pool id).
    private static UInt128 Legs(NodeContext node, uint coin, Address party, ulong height, ushort code, uint pool)
    {
        var st = node.Sequencer.State;
        var total = UInt128.Zero;
        foreach (var index in node.History.Page(new AccountKey(coin, party), null, 64))
        {
            var t = st.Transfers[index];
            if (t.Height < height)
            {
                break;
            }

            if (t.Height == height && t.Transfer.Code == code && t.Transfer.Memo == pool)
            {
                total += t.Transfer.Amount;
            }
        }

        return total;
    }

    private static Int128 Balance(NodeContext node, uint coin, Address party) =>
        node.Sequencer.State.TryGetAccount(coin, party, out var account) ? account.Balance : Int128.Zero;

    private static PoolRisk RiskOf(PoolRiskRequest? r, PoolRisk current, int decimals0, int coins)
    {
        if (r is null)
        {
            return current;
        }

        IReadOnlyList<UInt128> caps = current.Caps;
        if (r.Caps is { } capTexts)
        {
            if (capTexts.Count != coins)
            {
                throw Invalid($"'risk.caps' has one entry per pool coin ({coins})");
            }

            caps = capTexts.Select((t, i) => Amount(t, $"risk.caps[{i}]")).ToArray();
        }

        return new PoolRisk(
            caps,
            r.MaxPriceImpactBps is null ? current.MaxPriceImpact : Scaled(r.MaxPriceImpactBps, BpsDecimals, "risk.maxPriceImpactBps"),
            r.DepegBandBps is null ? current.DepegBand : Scaled(r.DepegBandBps, BpsDecimals, "risk.depegBandBps"),
            r.MinTrade is null ? current.MinTrade : MinTradeScaled(Amount(r.MinTrade, "risk.minTrade"), decimals0));
    }

    // The module's minimum trade is in the reference currency at 1e18; the API's is raw units of coin 0.
    private static UInt128 MinTradeScaled(UInt128 raw, int decimals0)
    {
        var scaled = (BigInteger)raw * BigInteger.Pow(10, 18 - decimals0);
        return scaled > (BigInteger)LedgerState.MaxSupply ? throw Invalid("'risk.minTrade' is too large") : (UInt128)scaled;
    }

    private static UInt128 MinTradeRaw(UInt128 scaled, int decimals0) => (UInt128)((BigInteger)scaled / BigInteger.Pow(10, 18 - decimals0));

    private static ulong? FeeOf(string? feeBps, string? fee)
    {
        if (feeBps is not null && fee is not null)
        {
            throw Invalid("give 'feeBps' or 'fee', not both");
        }

        return feeBps is not null ? Scaled(feeBps, BpsDecimals, "feeBps") : fee is not null ? Scaled(fee, 0, "fee") : null;
    }

    private static ulong Scaled(string text, int decimals, string field) =>
        ExchangeTypedData.TryParseDecimal(text, decimals, out var v) && v <= ulong.MaxValue
            ? (ulong)v
            : throw Invalid($"'{field}' is a non-negative decimal string with at most {decimals} decimal places");

    private static UInt128 Rate(string text, string field) =>
        ExchangeTypedData.TryParseDecimal(text, RateDecimals, out var v)
            ? v
            : throw Invalid($"'{field}' is a decimal rate string with at most 18 decimal places, e.g. \"7.80\"");

    // Zero is a valid minimum (minOut, minMint, minAmounts); the module refuses a zero trade.
    private static UInt128 Amount(string text, string field) => FieldGrammar.Amount(text, field, allowZero: true);

    private static uint PoolId(string text) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id)
        ? id
        : throw new ProblemException(400, ProblemCodes.InvalidField, "Invalid id", "pool ids are integers 1 … 4294967295");

    private static uint CoinNumber(NodeContext node, string symbol) =>
        node.CoinNumber(symbol) ?? throw new ProblemException(404, ProblemCodes.CoinNotFound, "Unknown coin", $"no coin '{symbol}'");

    private static int Decimals(NodeContext node, uint coin) => node.Sequencer.State.GetCoin(coin)?.Decimals ?? 0;

    private static string Symbol(LedgerState st, uint coin) => st.GetCoin(coin)?.Symbol ?? coin.ToString(CultureInfo.InvariantCulture);

    // Out per in in display units, floored at 18 decimals.
    private static string EffectiveRate(UInt128 amountIn, int decimalsIn, UInt128 amountOut, int decimalsOut) =>
        ExchangeTypedData.FormatDecimal((BigInteger)amountOut * BigInteger.Pow(10, decimalsIn) * Precision / ((BigInteger)amountIn * BigInteger.Pow(10, decimalsOut)), 18);

    private static string RateText(UInt128 rate) => ExchangeTypedData.FormatDecimal((BigInteger)rate, RateDecimals);

    private static string Bps(BigInteger feeScale) => ExchangeTypedData.FormatDecimal(feeScale, BpsDecimals);

    // A fresh random id (never 0 or 2^128 − 1): 128 bits, so collisions are not a concern.
    private static UInt128 NewSwapId()
    {
        Span<byte> bytes = stackalloc byte[16];
        UInt128 id;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            id = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        }
        while (id == UInt128.Zero || id == UInt128.MaxValue);

        return id;
    }

    private static ProblemException PoolNotFound(uint id) => new(404, ResultCode.PoolNotFound.ToProblemCode(), "Not found", $"no pool {id}");

    private static ProblemException Missing(string field) => new(400, ProblemCodes.MissingField, "Missing field", $"'{field}' is required");

    private static ProblemException Invalid(string detail) => new(400, ProblemCodes.InvalidField, "Invalid field", detail);

    private static string Dec(UInt128 v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(Int128 v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Dec(BigInteger v) => v.ToString(CultureInfo.InvariantCulture);
}
