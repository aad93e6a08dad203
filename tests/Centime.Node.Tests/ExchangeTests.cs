using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Centime.Client;
using Centime.Crypto;
using Centime.Exchange;
using Centime.Ledger;

namespace Centime.Node.Tests;

/// <summary>
/// The exchange end to end over loopback HTTP (docs/api.md, "Exchange"): a USD-coin payer pays an HKD-coin supplier through
/// quote → signed acceptance → one atomic swap; a stale or out-of-band USDHKD rate refuses the payment and nothing moves.
/// </summary>
public sealed partial class ExchangeTests
{
    private const string Usd = "NUSD";
    private const string Hkd = "JHKD";
    private const string Lp = "XLPUSDHKD";
    private const string Feed = "USDHKD";
    private const ulong HeartbeatSeconds = 4;
    private const ulong ChainId = 8402; // NodeOptions default

    /// <summary>A node with USD and HKD coins, a funded market maker and payer, the USDHKD feed at 7.80 and a USD/HKD pool (10M + 78M).</summary>
    private sealed class Market : IAsyncDisposable
    {
        private ulong _lastObserved;

        public required TestNode Node { get; init; }
        public required HolderSigner Oracle { get; init; }
        public required byte[] OracleKey { get; init; }
        public required HolderSigner Payer { get; init; }
        public required byte[] PayerKey { get; init; }
        public required string Maker { get; init; }
        public required string Supplier { get; init; }
        public required PoolView Pool { get; set; }

        public CentimeClient Client => Node.Client;

        public static async Task<Market> StartAsync()
        {
            var node = await TestNode.StartSandboxAsync(configure: o => o.SingleOperator = true); // one admin seats asset protection
            var oracleKey = Secp256k1.NewPrivateKey();
            var oracle = new HolderSigner(oracleKey);
            var payerKey = Secp256k1.NewPrivateKey();
            var payer = new HolderSigner(payerKey);
            var maker = Address.Derive("exchange-test-maker").ToString();
            var supplier = Address.Derive("exchange-test-hkd-supplier").ToString();
            var usd = await node.Client.CreateCoinAsync(new CreateCoinRequest(Usd, "USD", 6, "Net Dollar", "1"));
            var hkd = await node.Client.CreateCoinAsync(new CreateCoinRequest(Hkd, "HKD", 6, "J Hong Kong Dollar", "1"));
            var mints = await node.Client.SubmitTransfersAsync(
            [
                new TransferRequest { Id = Ids.Next(), Coin = Usd, Debit = usd.SupplyAccount, Credit = maker, Amount = "10000000000000" },
                new TransferRequest { Id = Ids.Next(), Coin = Hkd, Debit = hkd.SupplyAccount, Credit = maker, Amount = "78000000000000" },
                new TransferRequest { Id = Ids.Next(), Coin = Usd, Debit = usd.SupplyAccount, Credit = payer.Address.ToString(), Amount = "100000000000" },
            ]);
            Assert.All(mints.Results, r => Assert.Equal("ok", r.Result));

            var feed = await node.Client.ConfigureFeedAsync(Feed, new FeedConfigRequest(HeartbeatSeconds, "7.75", "7.85", [oracle.Address.ToString()]));
            Assert.Equal("stale", feed.Status); // no rate yet
            var market = new Market { Node = node, Oracle = oracle, OracleKey = oracleKey, Payer = payer, PayerKey = payerKey, Maker = maker, Supplier = supplier, Pool = null! };
            await market.RateAsync("7.80");

            var pool = await node.Client.CreatePoolAsync(new CreatePoolRequest(1, Lp, [new PoolCoinRequest(Usd), new PoolCoinRequest(Hkd, Feed, Invert: true)], 200,
                FeeBps: "4", Risk: new PoolRiskRequest(MinTrade: "10000")));
            Assert.Equal("0.128205128205128205", pool.Coins[1].Rate); // 1 / 7.8, floored at 1e-18
            Assert.Equal("4", pool.FeeBps);
            Assert.Equal("200", pool.A);
            Assert.Equal("10000", pool.Risk.MinTrade);

            await market.RateAsync("7.80");
            var added = await node.Client.AddLiquidityAsync(1, new AddLiquidityRequest(maker, ["10000000000000", "78000000000000"]));
            Assert.Equal(added.Shares, added.Minted);
            Assert.Equal(added.Pool.LpSupply, added.Minted);
            Assert.Equal("10000000000000", added.Pool.Coins[0].Balance);
            Assert.Equal("78000000000000", added.Pool.Coins[1].Balance);
            market.Pool = added.Pool;
            return market;
        }

        /// <summary>Signs and submits a rate observed now (strictly after the previous one).</summary>
        public async Task<FeedView> RateAsync(string rate)
        {
            var observed = Math.Max((ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _lastObserved + 1);
            _lastObserved = observed;
            return await Client.SubmitRateAsync(Feed, Oracle.SignRate(Feed, rate, observed, ChainId));
        }

        public Task<QuoteView> QuoteAsync(string amountIn = "10000000000") =>
            Client.QuoteAsync(new QuoteRequest(Usd, Hkd, amountIn, Payer.Address.ToString(), Supplier));

        public async Task<UInt128> BalanceAsync(string address, string coin)
        {
            var account = await Node.Anonymous.GetAccountAsync(address);
            var b = account.Balances.FirstOrDefault(x => x.Coin == coin);
            return b is null ? UInt128.Zero : UInt128.Parse(b.Balance, CultureInfo.InvariantCulture);
        }

        /// <summary>Every balance the exchange could move, and the LP supply.</summary>
        public async Task<string> SnapshotAsync()
        {
            var pool = Pool.Account;
            var lp = await Node.Anonymous.GetCoinAsync(Lp);
            var parts = new[]
            {
                await BalanceAsync(Payer.Address.ToString(), Usd), await BalanceAsync(Payer.Address.ToString(), Hkd), await BalanceAsync(Supplier, Hkd),
                await BalanceAsync(Supplier, Usd), await BalanceAsync(pool, Usd), await BalanceAsync(pool, Hkd), await BalanceAsync(Maker, Usd), await BalanceAsync(Maker, Hkd),
            };
            var view = await Client.GetPoolAsync(1);
            return string.Join(',', parts) + "|" + lp.Supply + "|" + string.Join(',', view.Coins.Select(c => c.Balance + "/" + c.AdminBalance)) + "|" + view.LpSupply;
        }

        /// <summary>The pool's stored balances are its ledger account's balances; its LP supply is the LP coin's supply.</summary>
        public async Task<PoolView> AssertPoolMatchesLedgerAsync()
        {
            var view = await Client.GetPoolAsync(1);
            Assert.Equal(ExchangeModule.AccountOf(1).ToString(), view.Account);
            foreach (var c in view.Coins)
            {
                Assert.Equal(c.Balance, (await BalanceAsync(view.Account, c.Coin)).ToString(CultureInfo.InvariantCulture));
            }

            Assert.Equal(view.LpSupply, (await Node.Anonymous.GetCoinAsync(Lp)).Supply);
            return view;
        }

        public async Task<Problem> RefusedAsync(Func<Task> call, int status, string code)
        {
            var ex = await Assert.ThrowsAsync<CentimeApiException>(call);
            Assert.True(ex.Status == status && ex.Code == code, $"expected {status} {code}, got {ex.Status} {ex.Code}: {ex.Problem.Detail}");
            return ex.Problem;
        }

        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }

    [Fact]
    public async Task CrossBorderPayment_UsdPayerPaysHkdSupplier_AtomicAndRefusedWhenOracleStaleOrOutOfBand()
    {
        await using var m = await Market.StartAsync();
        var payer = m.Payer.Address.ToString();
        await m.AssertPoolMatchesLedgerAsync();

        // Quote → signed acceptance → payment.
        await m.RateAsync("7.80");
        var quote = await m.QuoteAsync();
        Assert.Equal("1:0>1", quote.Route);
        var amountOut = UInt128.Parse(quote.AmountOut, CultureInfo.InvariantCulture);
        Assert.InRange(amountOut, 77_968_000_000UL, 77_969_000_000UL); // docs/exchange.md cost table: 77,968.41 HKD for 10,000 USD
        Assert.True(UInt128.Parse(quote.MinOut, CultureInfo.InvariantCulture) <= amountOut);
        Assert.Equal("4", quote.Hops.Single().FeeBps);
        Assert.StartsWith("7.796", quote.EffectiveRate, StringComparison.Ordinal);
        Assert.Equal("7.8", quote.OracleRates.Single().Rate);
        Assert.Equal(payer, quote.Payer);
        Assert.Equal(m.Supplier, quote.Recipient);
        Assert.InRange(quote.Expiry, quote.QuotedAt / 1_000_000_000 + 29, quote.QuotedAt / 1_000_000_000 + 30);

        // The typed data the node publishes hashes to the digest the node checks.
        var acceptance = new SwapAcceptance(UInt128.Parse(quote.Id, CultureInfo.InvariantCulture), m.Payer.Address, Address.Parse(m.Supplier), Usd, Hkd,
            10_000_000_000, UInt128.Parse(quote.MinOut, CultureInfo.InvariantCulture), [new SwapHop(1, 0, 1)], quote.Expiry);
        Assert.Equal(ExchangeSignatures.AcceptanceDigest(ChainId, acceptance), TypedData.Parse(quote.TypedData!.Value.GetRawText()).Digest());

        // A wallet library signs the typed data the node published (ethers 6.17.0, as eth_signTypedData_v4 would), and that
        // signature pays: what the payer saw is what the node checks.
        var ethers = EthersBridge.Call(new JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(m.PayerKey),
            ["typedData"] = JsonNode.Parse(quote.TypedData!.Value.GetRawText()),
        });
        Assert.Equal(m.Payer.Address.ToString(), ethers["address"]!.GetValue<string>());
        Assert.Equal(ExchangeSignatures.AcceptanceDigest(ChainId, acceptance).ToString(), ethers["digest"]!.GetValue<string>());
        Assert.Equal(ExchangeSignatures.AcceptanceType, ethers["encodeType"]!.GetValue<string>());
        var payment = m.Payer.SignAcceptance(quote) with { Signature = ethers["signature"]!.GetValue<string>() };
        var swap = await m.Client.PayAsync(payment);
        Assert.Equal(quote.AmountOut, swap.AmountOut);
        Assert.Equal("holder", swap.Requester);
        Assert.Equal(amountOut, await m.BalanceAsync(m.Supplier, Hkd));
        Assert.Equal(90_000_000_000UL, await m.BalanceAsync(payer, Usd));
        var pool = await m.AssertPoolMatchesLedgerAsync();
        Assert.Equal("10010000000000", pool.Coins[0].Balance);
        Assert.Equal((78_000_000_000_000UL - amountOut).ToString(CultureInfo.InvariantCulture), pool.Coins[1].Balance);
        Assert.Equal(1UL, pool.SwapCount);
        Same(swap, await m.Node.Anonymous.GetSwapAsync(quote.Id));

        // History shows the legs, each with the swap id as memo.
        var supplierHistory = await m.Node.Anonymous.GetHistoryAsync(m.Supplier, Hkd);
        var payerHistory = await m.Node.Anonymous.GetHistoryAsync(payer, Usd);
        var paidOut = Assert.Single(supplierHistory.Items);
        Assert.Equal(quote.Id, paidOut.Memo);
        Assert.Equal(quote.AmountOut, paidOut.Amount);
        Assert.Equal(pool.Account, paidOut.Debit);
        var paidIn = payerHistory.Items[0];
        Assert.Equal(quote.Id, paidIn.Memo);
        Assert.Equal("10000000000", paidIn.Amount);
        Assert.Equal(pool.Account, paidIn.Credit);
        Assert.Equal([paidIn.Id, paidOut.Id], swap.Transfers);

        // An identical retry answers the recorded payment; other terms under the same id are a conflict.
        Same(swap, await m.Client.PayAsync(payment));
        var other = m.Payer.SignAcceptance(UInt128.Parse(quote.Id, CultureInfo.InvariantCulture), Address.Parse(m.Supplier), Usd, Hkd, 10_000_000_000, 1, quote.Route, quote.Expiry, ChainId);
        await m.RefusedAsync(() => m.Client.PayAsync(other), 409, "swap_exists");
        Assert.Equal(amountOut, await m.BalanceAsync(m.Supplier, Hkd));

        var before = await m.SnapshotAsync();

        // A tampered amount no longer matches the payer's signature.
        var fresh = await m.QuoteAsync();
        var signed = m.Payer.SignAcceptance(fresh);
        await m.RefusedAsync(() => m.Client.PayAsync(signed with { AmountIn = "20000000000" }), 422, "signer_mismatch");
        await m.RefusedAsync(() => m.Client.PayAsync(signed with { Recipient = Holders.Bob }), 422, "signer_mismatch");

        // Another key signing for the payer.
        var mallory = new HolderSigner(Secp256k1.NewPrivateKey());
        var forged = mallory.SignAcceptance(UInt128.Parse(fresh.Id, CultureInfo.InvariantCulture), Address.Parse(m.Supplier), Usd, Hkd, 10_000_000_000, 1, fresh.Route, fresh.Expiry, ChainId);
        await m.RefusedAsync(() => m.Client.PayAsync(forged with { Payer = payer }), 422, "signer_mismatch");

        // Expired quote; minimum output above what the pool pays.
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var expired = m.Payer.SignAcceptance(NewId(), Address.Parse(m.Supplier), Usd, Hkd, 10_000_000_000, 1, "1:0>1", now - 5, ChainId);
        await m.RefusedAsync(() => m.Client.PayAsync(expired), 422, "quote_expired");
        var greedy = m.Payer.SignAcceptance(UInt128.Parse(fresh.Id, CultureInfo.InvariantCulture), Address.Parse(m.Supplier), Usd, Hkd, 10_000_000_000,
            UInt128.Parse(fresh.AmountOut, CultureInfo.InvariantCulture) + 1, fresh.Route, fresh.Expiry, ChainId);
        await m.RefusedAsync(() => m.Client.PayAsync(greedy), 422, "slippage_exceeded");

        // Nobody moves money into a pool account but the exchange.
        var direct = await m.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = Hkd, Debit = m.Maker, Credit = pool.Account, Amount = "1000000" }]);
        Assert.Equal("module_owned_account", direct.Results.Single().Result);
        var fromPool = await m.Client.SubmitTransfersAsync([new TransferRequest { Id = Ids.Next(), Coin = Hkd, Debit = pool.Account, Credit = m.Maker, Amount = "1000000" }]);
        Assert.Equal("module_owned_account", fromPool.Results.Single().Result);
        Assert.Equal(before, await m.SnapshotAsync());

        // (a) The rate goes stale: quotes and payments refused, nothing moves.
        await m.RateAsync("7.80");
        var beforeStale = m.Payer.SignAcceptance(await m.QuoteAsync());
        await WaitFeedAsync(m, "stale");
        Assert.Equal("oracle_stale", (await m.Client.GetPoolAsync(1)).Status);
        await m.RefusedAsync(() => m.QuoteAsync(), 422, "oracle_stale");
        await m.RefusedAsync(() => m.Client.PayAsync(beforeStale), 422, "oracle_stale");
        Assert.Equal(before, await m.SnapshotAsync());

        // (b) A fresh in-band rate: payments work again.
        await m.RateAsync("7.81");
        var again = await m.Client.PayCrossBorderAsync(m.Payer, m.Supplier, Usd, Hkd, 1_000_000_000);
        Assert.Equal(again.Quote.AmountOut, again.Swap.AmountOut);
        Assert.Equal(amountOut + UInt128.Parse(again.Swap.AmountOut, CultureInfo.InvariantCulture), await m.BalanceAsync(m.Supplier, Hkd));
        Assert.Equal(89_000_000_000UL, await m.BalanceAsync(payer, Usd));
        await m.AssertPoolMatchesLedgerAsync();

        // (c) An out-of-band rate (7.90 > 7.85) halts the pool: refused, nothing moves.
        var beforeBand = m.Payer.SignAcceptance(await m.QuoteAsync());
        var snapshot = await m.SnapshotAsync();
        Assert.Equal("out_of_band", (await m.RateAsync("7.90")).Status);
        Assert.Equal("oracle_out_of_band", (await m.Client.GetPoolAsync(1)).Status);
        await m.RefusedAsync(() => m.Client.PayAsync(beforeBand), 422, "oracle_out_of_band");
        await m.RefusedAsync(() => m.QuoteAsync(), 422, "oracle_out_of_band");
        var retry = await Assert.ThrowsAsync<CentimeApiException>(() => m.Client.GetSwapAsync(beforeBand.Id!));
        Assert.Equal(404, retry.Status);
        Assert.Equal(snapshot, await m.SnapshotAsync());
        await m.AssertPoolMatchesLedgerAsync();
    }

    [Fact]
    public async Task Rates_UnknownSignerOrBadSignature_Refused()
    {
        await using var m = await Market.StartAsync();
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 10;
        var stranger = new HolderSigner(Secp256k1.NewPrivateKey());
        await m.RefusedAsync(() => m.Client.SubmitRateAsync(Feed, stranger.SignRate(Feed, "7.80", now, ChainId)), 403, "not_oracle_signer");
        var good = m.Oracle.SignRate(Feed, "7.80", now, ChainId);
        await m.RefusedAsync(() => m.Client.SubmitRateAsync(Feed, good with { Rate = "7.79" }), 403, "not_oracle_signer"); // recovers to someone else
        await m.RefusedAsync(() => m.Client.SubmitRateAsync(Feed, good with { Signature = "0x1234" }), 422, "signature_invalid");
        await m.RefusedAsync(() => m.Client.SubmitRateAsync("NOFEED", m.Oracle.SignRate("NOFEED", "7.80", now, ChainId)), 404, "feed_not_found");
        Assert.Equal("7.8", (await m.Client.SubmitRateAsync(Feed, good)).Rate);
        await m.RefusedAsync(() => m.Client.SubmitRateAsync(Feed, good), 422, "oracle_rate_outdated"); // replayed

        // A feed signer's own system signing with ethers 6.17.0 (npm): the node recovers the same signer and takes the rate.
        var ethers = EthersBridge.Call(new JsonObject
        {
            ["op"] = "signTypedData",
            ["privateKey"] = "0x" + Convert.ToHexStringLower(m.OracleKey),
            ["typedData"] = JsonNode.Parse(ExchangeTypedData.Rate(ChainId, Feed, 7_810_000_000_000_000_000, now + 1)),
        });
        Assert.Equal(m.Oracle.Address.ToString(), ethers["address"]!.GetValue<string>());
        Assert.Equal(ExchangeSignatures.RateDigest(ChainId, Feed, 7_810_000_000_000_000_000, now + 1).ToString(), ethers["digest"]!.GetValue<string>());
        Assert.Equal(ExchangeSignatures.RateType, ethers["encodeType"]!.GetValue<string>());
        Assert.Equal("7.81", (await m.Client.SubmitRateAsync(Feed, new RateRequest("7.81", now + 1, ethers["signature"]!.GetValue<string>()))).Rate);

        // Malformed input: a problem, nothing applied.
        using var unknown = await m.Node.PostRawAsync("v1/exchange/quotes", """{"from":"NUSD","to":"JHKD","amountIn":"1000000","amout":"1"}""");
        Assert.Equal("unknown_field", (await m.Node.ReadProblemAsync(unknown)).Code);
        await m.RefusedAsync(() => m.Client.QuoteAsync(new QuoteRequest(Usd, "NOPE", "1000000")), 404, "coin_not_found");
        await m.RefusedAsync(() => m.Client.QuoteAsync(new QuoteRequest(Usd, Hkd, "-1")), 400, "amount_out_of_range");
        await m.RefusedAsync(() => m.Client.QuoteAsync(new QuoteRequest(Usd, Hkd, "1.5")), 400, "invalid_field");
        await m.RefusedAsync(() => m.Client.GetPoolAsync(9), 404, "pool_not_found");
        await m.RefusedAsync(() => m.Node.Anonymous.CreatePoolAsync(new CreatePoolRequest(2, "XLP2", [new PoolCoinRequest(Usd), new PoolCoinRequest(Hkd)], 100, "1")),
            401, "unauthorized");
        await m.RefusedAsync(() => m.Client.CreatePoolAsync(new CreatePoolRequest(1, "XLP3", [new PoolCoinRequest(Usd), new PoolCoinRequest(Hkd, Feed, true)], 100, "1")),
            409, "pool_exists");
    }

    [Fact]
    public async Task Pools_RiskControlsPauseAndLiquidity_EnforcedAndReported()
    {
        await using var m = await Market.StartAsync();
        await m.RateAsync("7.80");

        // Price impact above the pool's maximum (a swap of half the USD side), and a trade below the minimum.
        await m.RefusedAsync(() => m.QuoteAsync("9000000000000"), 422, "price_impact_too_high");
        await m.RefusedAsync(() => m.QuoteAsync("9999"), 422, "below_minimum_trade");

        // Paused by the operator: refused until resumed; the reason is shown.
        var paused = await m.Client.ConfigurePoolAsync(1, new ConfigurePoolRequest(Paused: true));
        Assert.Equal("pool_paused", paused.Status);
        Assert.Equal("operator", paused.PausedBy);
        await m.RefusedAsync(() => m.QuoteAsync(), 422, "pool_paused");
        var capped = await m.Client.ConfigurePoolAsync(1, new ConfigurePoolRequest(Risk: new PoolRiskRequest(Caps: ["10000005000000", "0"]), Paused: false));
        Assert.Equal("ok", capped.Status);
        Assert.Equal(["10000005000000", "0"], capped.Risk.Caps);
        await m.RateAsync("7.80");
        await m.RefusedAsync(() => m.QuoteAsync("10000000000"), 422, "pool_cap_exceeded");
        Assert.Equal(["0", "0"], (await m.Client.ConfigurePoolAsync(1, new ConfigurePoolRequest(Risk: new PoolRiskRequest(Caps: ["0", "0"])))).Risk.Caps);

        // An operator swap (no signature) without a route takes the best one.
        await m.RateAsync("7.80");
        var trader = m.Payer.Address.ToString();
        var swap = await m.Client.SwapAsync(new PaymentRequest(null, trader, null, Usd, Hkd, "1000000000", "7000000000", null, null, null));
        Assert.Equal("admin", swap.Requester);
        Assert.Equal(trader, swap.Recipient);
        Assert.Equal(UInt128.Parse(swap.AmountOut, CultureInfo.InvariantCulture), await m.BalanceAsync(trader, Hkd));
        Assert.Equal("1:0>1", swap.Route);
        var unsigned = await Assert.ThrowsAsync<CentimeApiException>(() => m.Node.Anonymous.SwapAsync(new PaymentRequest(null, m.Maker, null, Usd, Hkd, "1000000000", "0", null, null, null)));
        Assert.Equal(401, unsigned.Status);

        // Proportional withdrawal of a tenth of the maker's shares; then admin fees withdrawn.
        var pool = await m.AssertPoolMatchesLedgerAsync();
        var shares = UInt128.Parse(pool.LpSupply, CultureInfo.InvariantCulture) / 10;
        var removed = await m.Client.RemoveLiquidityAsync(1, new RemoveLiquidityRequest(m.Maker, shares.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(shares.ToString(CultureInfo.InvariantCulture), removed.Burned);
        Assert.All(removed.Amounts, a => Assert.True(UInt128.Parse(a, CultureInfo.InvariantCulture) > 0));
        await m.AssertPoolMatchesLedgerAsync();
        Assert.NotEqual("0", removed.Pool.Coins[1].AdminBalance);
        var collector = Address.Derive("exchange-test-fees").ToString();
        var afterFees = await m.Client.WithdrawAdminFeesAsync(1, collector);
        Assert.All(afterFees.Coins, c => Assert.Equal("0", c.AdminBalance));
        Assert.Equal(UInt128.Parse(removed.Pool.Coins[1].AdminBalance, CultureInfo.InvariantCulture), await m.BalanceAsync(collector, Hkd));
        await m.AssertPoolMatchesLedgerAsync();
        Assert.Single((await m.Client.ListPoolsAsync()).Items);
        Assert.Equal("ok", (await m.Client.ListFeedsAsync()).Items.Single().Status);
    }

    private static async Task WaitFeedAsync(Market m, string status)
    {
        for (var i = 0; i < 100; i++)
        {
            if ((await m.Client.GetFeedAsync(Feed)).Status == status)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"feed {Feed} never became {status}");
    }

    private static void Same(SwapView expected, SwapView actual) =>
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(expected), System.Text.Json.JsonSerializer.Serialize(actual));

    private static UInt128 NewId() => (UInt128)Random.Shared.NextInt64(1, long.MaxValue);
}
