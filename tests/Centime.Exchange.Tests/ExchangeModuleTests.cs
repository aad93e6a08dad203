using System.Numerics;
using Centime.Crypto;
using Centime.Ledger;
using Centime.Testing;
using Xunit.Abstractions;

namespace Centime.Exchange.Tests;

/// <summary>
/// The exchange module on a bare ledger state: pools on module-owned accounts, LP share coins, FX feeds that halt
/// pools, routes, risk controls, and the invariant that a pool's books equal its ledger account — with replay and
/// snapshots reproducing every byte.
/// </summary>
public sealed class ExchangeModuleTests(ITestOutputHelper output)
{
    private const ulong Second = 1_000_000_000UL;
    private const uint Usd = 1;
    private const uint Hkd = 2;
    private const uint Eur = 3;
    private static readonly ulong Start = (ulong)(new DateTime(2026, 12, 1, 9, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100UL;
    private static readonly Address Maker = Address.Derive("test:market-maker");
    private static readonly Address Payer = Address.Derive("test:payer");
    private static readonly Address Supplier = Address.Derive("test:supplier");
    private static readonly Address Oracle = Address.Derive("test:oracle");
    private static readonly Address Stranger = Address.Derive("test:stranger");
    private static readonly UInt128 E6 = 1_000_000;
    private static readonly UInt128 E18 = 1_000_000_000_000_000_000;
    private static readonly UInt128 Peg = 7_800_000_000_000_000_000; // 7.80 HKD per USD

    /// <summary>A ledger with the module and USD, HKD and EUR coins (6 decimals).</summary>
    private sealed class Chain : ModuleChain<ExchangeModule>
    {
        private ulong _transferId = 1;
        private ulong _swapId = 1;

        public Chain() => Apply(Start,
            Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")),
            Command.Of(new CreateCoin("JHKD", 6, "HKD", "JD HKD", "1")),
            Command.Of(new CreateCoin("XEUR", 6, "EUR", "Euro coin", "1")));

        public ulong Seconds => State.Timestamp / Second;

        public ResultCode One(CommandBody body, ulong at = 0) => Apply(at, Command.Of(body))[0];

        public ResultCode Send(uint coin, Address from, Address to, UInt128 amount) =>
            Apply(0, Command.Of(new Transfer { Id = (UInt128)_transferId++, DebitAccount = from, CreditAccount = to, Amount = amount, Coin = coin, Code = 1 }))[0];

        public Int128 Balance(uint coin, Address a) => State.TryGetAccount(coin, a, out var account) ? account.Balance : Int128.Zero;

        public ResultCode Swap(IReadOnlyList<SwapHop> route, Address trader, Address recipient, UInt128 amountIn, UInt128 minOut = default, ulong expiry = 0) =>
            One(new Swap(_swapId++, route, trader, recipient, amountIn, minOut, expiry, "admin"));

        public ResultCode Rate(UInt128 rate, ulong at = 0, Address? signer = null)
        {
            var time = Math.Max(at, State.Timestamp + Second); // observation times strictly increase
            return One(new SubmitRate("USDHKD", rate, time / Second, signer ?? Oracle), time);
        }
    }

    private static byte[] ModuleBytes(ExchangeModule module) => Chain.Bytes(module);

    private static PoolRisk NoLimits(int coins) => new(new UInt128[coins], 0, 0, 0);

    /// <summary>Feed USDHKD at 7.80, a USD/HKD pool (1) of 10M USD + 78M HKD, A = 200, fee 4 bp, 2× off-peg.</summary>
    private static Chain UsdHkd(PoolRisk? risk = null, ulong heartbeat = 60)
    {
        var chain = new Chain();
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigureFeed(new FeedConfig("USDHKD", heartbeat, 7_750_000_000_000_000_000, 7_850_000_000_000_000_000, [Oracle]), "admin")));
        Assert.Equal(ResultCode.Ok, chain.Rate(Peg));
        Assert.Equal(ResultCode.Ok, chain.One(new CreatePool(1, "LPUSDHKD", [new PoolCoin(Usd, "", false), new PoolCoin(Hkd, "USDHKD", true)], 200, 4_000_000, 20_000_000_000,
            risk ?? PoolRisk.Default(2), "admin")));
        Fund(chain, Maker, 20_000_000 * E6, 160_000_000 * E6, 0);
        Assert.Equal(ResultCode.Ok, chain.One(new AddLiquidity(1, Maker, [10_000_000 * E6, 78_000_000 * E6], 0, "admin")));
        return chain;
    }

    private static void Fund(Chain chain, Address to, UInt128 usd, UInt128 hkd, UInt128 eur)
    {
        foreach (var (coin, amount) in new[] { (Usd, usd), (Hkd, hkd), (Eur, eur) })
        {
            if (amount != UInt128.Zero)
            {
                Assert.Equal(ResultCode.Ok, chain.Apply(0, Command.Of(new Transfer
                {
                    Id = new UInt128(7, (ulong)chain.Log.Count),
                    DebitAccount = chain.State.GetCoin(coin)!.SupplyAccount,
                    CreditAccount = to,
                    Amount = amount,
                    Coin = coin,
                    Code = 1,
                }))[0]);
            }
        }
    }

    /// <summary>Each pool's stored balances equal its ledger account; LP supply equals what the LP coin has issued.</summary>
    private static void AssertBooksMatchLedger(Chain chain, string tag = "")
    {
        foreach (var pool in chain.Module.Pools)
        {
            var account = ExchangeModule.AccountOf(pool.Id);
            for (var i = 0; i < pool.Coins.Count; i++)
            {
                var ledger = chain.Balance(pool.Coins[i].Coin, account);
                Assert.True((BigInteger)ledger == pool.Core.StoredBalance(i), $"pool {pool.Id} coin {i}: ledger {ledger} != stored {pool.Core.StoredBalance(i)} {tag}");
            }

            var issued = -chain.Balance(pool.LpCoin, chain.State.GetCoin(pool.LpCoin)!.SupplyAccount);
            Assert.True((BigInteger)issued == pool.Core.TotalSupply, $"pool {pool.Id}: LP issued {issued} != supply {pool.Core.TotalSupply} {tag}");
        }
    }

    private static readonly SwapHop[] UsdToHkd = [new SwapHop(1, 0, 1)];

    [Fact]
    public void CrossBorderPayment_PaysTheQuotedAmount_AndPoolBooksEqualLedger()
    {
        var chain = UsdHkd();
        Fund(chain, Payer, 100_000 * E6, 0, 0);
        var pool = chain.Module.GetPool(1)!;
        Assert.Equal(BigInteger.Parse("128205128205128205"), pool.Core.OracleRate(1)); // 1e36 / 7.8e18, floored

        var plan = chain.Module.Plan(UsdToHkd, 10_000 * E6, chain.State.NextTimestamp, out var code);
        Assert.Equal(ResultCode.Ok, code);
        Assert.InRange(plan!.AmountOut, 77_900 * E6, 78_000 * E6); // ≈ 7.8 × 10,000 less 4 bp

        Assert.Equal(ResultCode.Ok, chain.Swap(UsdToHkd, Payer, Supplier, 10_000 * E6, plan.AmountOut));
        Assert.Equal((Int128)(90_000 * E6), chain.Balance(Usd, Payer));
        Assert.Equal((Int128)plan.AmountOut, chain.Balance(Hkd, Supplier));
        Assert.Equal(Int128.Zero, chain.Balance(Hkd, Payer));
        AssertBooksMatchLedger(chain);

        var record = chain.Module.GetSwap(1)!;
        Assert.Equal(plan.AmountOut, record.AmountOut);
        Assert.Equal(2, record.Transfers.Count);
        Assert.True(chain.State.TryGetTransfer(record.Transfers[1], out var leg));
        Assert.Equal((UInt128)1, leg.Transfer.Memo);
        Assert.Equal(ExchangeModule.SwapOutCode, leg.Transfer.Code);
        Assert.True(record.Hops[0].Fee > UInt128.Zero);
    }

    [Fact]
    public void StaleOrOutOfBandRate_HaltsThePool_AndMovesNothing()
    {
        var chain = UsdHkd(heartbeat: 30);
        Fund(chain, Payer, 100_000 * E6, 0, 0);

        // Stale: more than 30 s of ledger time since the rate was observed.
        chain.Apply(chain.Now + (31 * Second));
        var before = ModuleBytes(chain.Module);
        Assert.Equal(ResultCode.OracleStale, chain.Swap(UsdToHkd, Payer, Supplier, 1_000 * E6));
        Assert.Equal(ResultCode.OracleStale, chain.One(new AddLiquidity(1, Maker, [E6 * 10, E6 * 78], 0, "admin")));
        Assert.Equal(ResultCode.OracleStale, chain.One(new RemoveLiquidity(1, Maker, E18, [], 1, "admin")));
        Assert.Equal(before, ModuleBytes(chain.Module));
        Assert.Equal((Int128)(100_000 * E6), chain.Balance(Usd, Payer));
        Assert.Equal(Int128.Zero, chain.Balance(Hkd, Supplier));

        // A fresh in-band rate resumes it.
        Assert.Equal(ResultCode.Ok, chain.Rate(7_810_000_000_000_000_000));
        Assert.Equal(ResultCode.Ok, chain.Swap(UsdToHkd, Payer, Supplier, 1_000 * E6));

        // Out of band (7.90): the rate is recorded, the pool halts.
        Assert.Equal(ResultCode.Ok, chain.Rate(7_900_000_000_000_000_000));
        var paid = chain.Balance(Hkd, Supplier);
        Assert.Equal(ResultCode.OracleOutOfBand, chain.Swap(UsdToHkd, Payer, Supplier, 1_000 * E6));
        Assert.Equal(paid, chain.Balance(Hkd, Supplier));
        Assert.Equal(ResultCode.OracleOutOfBand, chain.Module.Status(chain.Module.GetPool(1)!, chain.Seconds));

        // LPs can always leave proportionally: that needs no price.
        var shares = chain.Balance(chain.Module.GetPool(1)!.LpCoin, Maker);
        Assert.Equal(ResultCode.Ok, chain.One(new RemoveLiquidity(1, Maker, (UInt128)(shares / 10), [], -1, "admin")));
        AssertBooksMatchLedger(chain);
    }

    [Fact]
    public void Rates_FromOthersOrOutOfOrder_AreRefused()
    {
        var chain = UsdHkd();
        var rate = chain.Module.GetFeed("USDHKD")!.Rate;
        Assert.Equal(ResultCode.NotOracleSigner, chain.Rate(7_790_000_000_000_000_000, signer: Stranger));
        Assert.Equal(ResultCode.OracleRateOutdated, chain.One(new SubmitRate("USDHKD", Peg, chain.Module.GetFeed("USDHKD")!.ObservedAt, Oracle)));
        Assert.Equal(ResultCode.OracleRateOutdated, chain.One(new SubmitRate("USDHKD", Peg, chain.State.NextTimestamp / Second + 3_600, Oracle)));
        Assert.Equal(ResultCode.ExchangeAmountInvalid, chain.Rate(0));
        Assert.Equal(ResultCode.FeedNotFound, chain.One(new SubmitRate("USDJPY", Peg, chain.State.NextTimestamp / Second, Oracle)));
        Assert.Equal(rate, chain.Module.GetFeed("USDHKD")!.Rate);
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new ConfigureFeed(new FeedConfig("usdhkd", 60, 0, 0, [Oracle]), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new ConfigureFeed(new FeedConfig("USDHKD", 0, 0, 0, [Oracle]), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new ConfigureFeed(new FeedConfig("USDHKD", 60, 2, 1, [Oracle]), "admin")));
    }

    [Fact]
    public void RiskControls_RefuseTradesOutsideThem()
    {
        var caps = new UInt128[] { 10_050_000 * E6, 0 };
        var chain = UsdHkd(new PoolRisk(caps, 5_000_000 /* 5 bp */, 0, 10_000_000_000_000_000 /* 0.01 */));
        Fund(chain, Payer, 10_000_000 * E6, 0, 0);

        Assert.Equal(ResultCode.BelowMinimumTrade, chain.Swap(UsdToHkd, Payer, Supplier, 9_999)); // 0.009999 USD
        Assert.Equal(ResultCode.PriceImpactTooHigh, chain.Swap(UsdToHkd, Payer, Supplier, 1_000_000 * E6)); // ≈ 5.03 bp
        Assert.Equal(ResultCode.PoolCapExceeded, chain.Swap(UsdToHkd, Payer, Supplier, 60_000 * E6));
        var plan = chain.Module.Plan(UsdToHkd, 10_000 * E6, chain.State.NextTimestamp, out _)!;
        Assert.Equal(ResultCode.SlippageExceeded, chain.Swap(UsdToHkd, Payer, Supplier, 10_000 * E6, plan.AmountOut + 1));
        Assert.Equal(ResultCode.QuoteExpired, chain.Swap(UsdToHkd, Payer, Supplier, 10_000 * E6, expiry: chain.Seconds - 1));
        Assert.Equal(ResultCode.ExceedsBalance, chain.Swap(UsdToHkd, Stranger, Supplier, 10_000 * E6));
        Assert.Equal(ResultCode.Ok, chain.Swap(UsdToHkd, Payer, Supplier, 10_000 * E6, plan.AmountOut));
        Assert.Equal((Int128)plan.AmountOut, chain.Balance(Hkd, Supplier));
        AssertBooksMatchLedger(chain);
    }

    [Fact]
    public void DepegBreaker_PausesThePool_UntilTheOperatorResumesIt()
    {
        var risk = new PoolRisk(new UInt128[2], 0, 50_000_000 /* 0.5% */, 0);
        var chain = UsdHkd(risk);
        Fund(chain, Payer, 10_000_000 * E6, 0, 0);

        // 6M USD into a 10M/78M pool pushes the HKD price well past 0.5%: the swap goes through, then the breaker trips.
        Assert.Equal(ResultCode.Ok, chain.Swap(UsdToHkd, Payer, Supplier, 6_000_000 * E6));
        var pool = chain.Module.GetPool(1)!;
        Assert.Equal(PauseReason.Depeg, pool.Paused);
        Assert.Equal(ResultCode.PoolPaused, chain.Swap(UsdToHkd, Payer, Supplier, 1_000 * E6));

        // Resume with the breaker off, so arbitrage can rebalance it.
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigurePool(1, NoLimits(2), false, 0, 0, 0, 0, "admin")));
        Assert.Equal(PauseReason.None, pool.Paused);
        Assert.Equal(ResultCode.Ok, chain.Swap(UsdToHkd, Payer, Supplier, 1_000 * E6));
        AssertBooksMatchLedger(chain);
    }

    [Fact]
    public void PoolAccountsAndLpSupply_OnlyMoveThroughTheModule()
    {
        var chain = UsdHkd();
        Fund(chain, Payer, 1_000 * E6, 0, 0);
        var pool = chain.Module.GetPool(1)!;
        var account = ExchangeModule.AccountOf(1);
        Assert.Equal(ResultCode.ModuleOwnedAccount, chain.Send(Usd, Payer, account, 5 * E6)); // a donation would break the books
        Assert.Equal(ResultCode.SupplyManaged, chain.Send(pool.LpCoin, chain.State.GetCoin(pool.LpCoin)!.SupplyAccount, Payer, E18)); // nobody mints LP shares

        // LP shares are an ordinary coin between holders.
        Assert.Equal(ResultCode.Ok, chain.Send(pool.LpCoin, Maker, Payer, E18));
        Assert.Equal((Int128)E18, chain.Balance(pool.LpCoin, Payer));
        Assert.Equal(ResultCode.Ok, chain.One(new RemoveLiquidity(1, Payer, E18, [], -1, "admin")));
        Assert.Equal(Int128.Zero, chain.Balance(pool.LpCoin, Payer));
        Assert.True(chain.Balance(Usd, Payer) > (Int128)(1_000 * E6));

        // Nobody trades as a pool or as a supply account (that would mint).
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.Swap(UsdToHkd, account, Supplier, E6));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.Swap(UsdToHkd, chain.State.GetCoin(Usd)!.SupplyAccount, Supplier, E6));
        Assert.Equal(ResultCode.LpSharesInsufficient, chain.One(new RemoveLiquidity(1, Stranger, E18, [], -1, "admin")));
        AssertBooksMatchLedger(chain);
    }

    [Fact]
    public void TwoHopRoute_IsFoundAndAppliedAtomically()
    {
        var chain = UsdHkd(NoLimits(2));
        Assert.Equal(ResultCode.Ok, chain.One(new CreatePool(2, "LPUSDEUR", [new PoolCoin(Usd, "", false), new PoolCoin(Eur, "", false)], 200, 1_000_000, 20_000_000_000,
            NoLimits(2), "admin")));
        Fund(chain, Maker, 0, 0, 10_000_000 * E6);
        Assert.Equal(ResultCode.Ok, chain.One(new AddLiquidity(2, Maker, [5_000_000 * E6, 5_000_000 * E6], 0, "admin")));
        Fund(chain, Payer, 0, 0, 20_000 * E6);

        var routes = chain.Module.Routes(Eur, Hkd, 10_000 * E6, chain.State.NextTimestamp);
        var best = Assert.Single(routes);
        Assert.Equal(ResultCode.Ok, best.Code);
        Assert.Equal("2:1>0,1:0>1", ExchangeSignatures.FormatRoute(best.Route));

        Assert.Equal(ResultCode.Ok, chain.Swap(best.Route, Payer, Supplier, 10_000 * E6, best.Plan!.AmountOut));
        Assert.Equal((Int128)best.Plan.AmountOut, chain.Balance(Hkd, Supplier));
        Assert.Equal(3, chain.Module.GetSwap(1)!.Transfers.Count);
        AssertBooksMatchLedger(chain);

        // Routes that do not chain, reuse a pool or are too long are refused before anything moves.
        var before = ModuleBytes(chain.Module);
        Assert.Equal(ResultCode.RouteInvalid, chain.Swap([new SwapHop(2, 1, 0), new SwapHop(1, 1, 0)], Payer, Supplier, 100 * E6));
        Assert.Equal(ResultCode.RouteInvalid, chain.Swap([new SwapHop(1, 0, 1), new SwapHop(1, 1, 0)], Payer, Supplier, 100 * E6));
        Assert.Equal(ResultCode.RouteInvalid, chain.Swap([new SwapHop(2, 1, 0), new SwapHop(2, 0, 1)], Payer, Supplier, 100 * E6));
        Assert.Equal(ResultCode.RouteInvalid, chain.Swap([new SwapHop(2, 1, 1)], Payer, Supplier, 100 * E6));
        Assert.Equal(ResultCode.PoolNotFound, chain.Swap([new SwapHop(9, 0, 1)], Payer, Supplier, 100 * E6));
        Assert.Equal(before, ModuleBytes(chain.Module));
        Assert.Equal((Int128)(10_000 * E6), chain.Balance(Eur, Payer));

        // The second hop's refusal (slippage on the total) leaves the first pool untouched too.
        var plan = chain.Module.Plan(best.Route, 5_000 * E6, chain.State.NextTimestamp, out _)!;
        Assert.Equal(ResultCode.SlippageExceeded, chain.Swap(best.Route, Payer, Supplier, 5_000 * E6, plan.AmountOut + 1));
        Assert.Equal(before, ModuleBytes(chain.Module));
    }

    [Fact]
    public void CreatePool_RefusesBadTerms_AndCreatesNothing()
    {
        var chain = UsdHkd();
        var coins = chain.State.CoinCount;
        var usdEur = new[] { new PoolCoin(Usd, "", false), new PoolCoin(Eur, "", false) };
        Assert.Equal(ResultCode.PoolExists, chain.One(new CreatePool(1, "LPX", usdEur, 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.PoolExists, chain.One(new CreatePool(3, "LPUSDHKD", usdEur, 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new CreatePool(3, "LPX", [usdEur[0], usdEur[0]], 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new CreatePool(3, "LPX", usdEur, 0, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new CreatePool(3, "LPX", usdEur, 200, 6_000_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.ExchangeTermsInvalid, chain.One(new CreatePool(3, "LPX", usdEur, 200, 4_000_000, 10_000_000_000, NoLimits(3), "admin")));
        Assert.Equal(ResultCode.CoinNotFound, chain.One(new CreatePool(3, "LPX", [usdEur[0], new PoolCoin(99, "", false)], 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.FeedNotFound, chain.One(new CreatePool(3, "LPX", [usdEur[0], new PoolCoin(Eur, "USDEUR", true)], 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(ResultCode.CoinSymbolInvalid, chain.One(new CreatePool(3, "lp", usdEur, 200, 4_000_000, 10_000_000_000, NoLimits(2), "admin")));
        Assert.Equal(coins, chain.State.CoinCount);
        Assert.Single(chain.Module.Pools);
    }

    [Fact]
    public void AcceptanceSignature_RecoversThePayer_AndCoversEveryTerm()
    {
        var key = Secp256k1.NewPrivateKey();
        var payer = Secp256k1.Default.AddressOf(key);
        var acceptance = new SwapAcceptance(42, payer, Supplier, "NUSD", "JHKD", 10_000 * E6, 77_000 * E6, UsdToHkd, 1_800_000_000);
        var signature = ExchangeSignatures.SignAcceptance(key, 8402, acceptance);
        Assert.True(Secp256k1.Default.TryRecover(ExchangeSignatures.AcceptanceDigest(8402, acceptance), signature, out var signer));
        Assert.Equal(payer, signer);
        foreach (var changed in new[]
        {
            acceptance with { MinOut = acceptance.MinOut - 1 },
            acceptance with { Recipient = Stranger },
            acceptance with { Route = [new SwapHop(2, 0, 1)] },
            acceptance with { Expiry = acceptance.Expiry + 1 },
            acceptance with { ToCoin = "XEUR" },
        })
        {
            Assert.True(Secp256k1.Default.TryRecover(ExchangeSignatures.AcceptanceDigest(8402, changed), signature, out var other));
            Assert.NotEqual(payer, other);
        }

        Assert.True(Secp256k1.Default.TryRecover(ExchangeSignatures.AcceptanceDigest(1, acceptance), signature, out var elsewhere));
        Assert.NotEqual(payer, elsewhere); // another network: worthless

        Assert.True(ExchangeSignatures.TryParseRoute("2:1>0,1:0>1", out var route));
        Assert.Equal([new SwapHop(2, 1, 0), new SwapHop(1, 0, 1)], route);
        Assert.False(ExchangeSignatures.TryParseRoute("1:0>1,2:1>0,3:0>1", out _));
        Assert.False(ExchangeSignatures.TryParseRoute("01:0>1", out _));
        Assert.False(ExchangeSignatures.TryParseRoute("1:0-1", out _));
    }

    /// <summary>
    /// Random sequences of every command over two pools (one oracle-priced) and moving ledger time: after every block each
    /// pool's books equal its ledger account and LP supply equals what its coin issued; a refused command changes no byte
    /// of the module; replay and snapshot reproduce the module byte for byte and the ledger's state hash.
    /// </summary>
    [Fact]
    public void RandomOperations_KeepBooksEqualToLedger_AndReplayExactly()
    {
        var (random, tag) = TestSeed.Create(output, nameof(RandomOperations_KeepBooksEqualToLedger_AndReplayExactly));
        var chain = UsdHkd(new PoolRisk(new UInt128[2], 50_000_000, 0, 1_000_000_000_000_000));
        Assert.Equal(ResultCode.Ok, chain.One(new CreatePool(2, "LPUSDEUR", [new PoolCoin(Usd, "", false), new PoolCoin(Eur, "", false)], 100, 1_000_000, 20_000_000_000,
            new PoolRisk(new UInt128[2], 0, 300_000_000, 0), "admin")));
        Fund(chain, Maker, 0, 0, 10_000_000 * E6);
        Assert.Equal(ResultCode.Ok, chain.One(new AddLiquidity(2, Maker, [2_000_000 * E6, 2_000_000 * E6], 0, "admin")));
        Address[] people = [Maker, Payer, Supplier, Stranger];
        foreach (var p in people)
        {
            Fund(chain, p, 1_000_000 * E6, 8_000_000 * E6, 1_000_000 * E6);
        }

        var outcomes = new Dictionary<ResultCode, int>();
        for (var step = 0; step < 300; step++)
        {
            var before = ModuleBytes(chain.Module);
            var at = chain.Now + ((ulong)random.Next(0, 20) * Second);
            var who = people[random.Next(people.Length)];
            var to = people[random.Next(people.Length)];
            var amount = (UInt128)(ulong)random.NextInt64(1, 400_000) * E6 / (UInt128)(ulong)random.Next(1, 1000);
            var pool = (uint)random.Next(1, 3);
            ResultCode code;
            switch (random.Next(8))
            {
                case 0:
                    code = chain.Rate((UInt128)(7_700_000_000_000_000_000 + ((ulong)random.Next(0, 200) * 1_000_000_000_000_000)), at);
                    break;
                case 1:
                    code = chain.One(new AddLiquidity(pool, who, [amount, amount / 3], 0, "admin"), at);
                    break;
                case 2:
                    {
                        var shares = chain.Balance(chain.Module.GetPool(pool)!.LpCoin, who);
                        var burn = shares <= 0 ? E18 : (UInt128)(shares / random.Next(1, 20));
                        code = chain.One(new RemoveLiquidity(pool, who, burn, [], random.Next(3) - 1, "admin"), at);
                        break;
                    }

                case 3:
                    code = chain.One(new ConfigurePool(pool, chain.Module.GetPool(pool)!.Risk, false, 0, 0, 0, 0, "admin"), at);
                    break;
                default:
                    {
                        var (from, into) = random.Next(4) switch
                        {
                            0 => (Usd, Hkd),
                            1 => (Hkd, Usd),
                            2 => (Eur, Hkd),
                            _ => (Usd, Eur),
                        };
                        var routes = chain.Module.Routes(from, into, amount, Math.Max(at, chain.State.NextTimestamp));
                        var route = routes.Count == 0 ? (IReadOnlyList<SwapHop>)[new SwapHop(pool, 0, 1)] : routes[0].Route;
                        code = chain.Swap(route, who, to, amount, random.Next(4) == 0 ? amount * 100 : UInt128.Zero);
                        break;
                    }
            }

            outcomes[code] = outcomes.GetValueOrDefault(code) + 1;
            if (code != ResultCode.Ok)
            {
                Assert.True(before.SequenceEqual(ModuleBytes(chain.Module)), $"refused {code} changed the module at step {step} {tag}");
            }

            AssertBooksMatchLedger(chain, $"at step {step} {tag}");
        }

        output.WriteLine(string.Join(", ", outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}")));
        Assert.True(outcomes.GetValueOrDefault(ResultCode.Ok) > 50, $"too few successes to mean anything {tag}");

        var replayed = chain.Replay();
        Assert.True(ModuleBytes(chain.Module).SequenceEqual(ModuleBytes(replayed.Module<ExchangeModule>()!)), $"replay differs {tag}");
        Assert.Equal(chain.State.ComputeStateHash(), replayed.ComputeStateHash());

        var restored = chain.SnapshotRoundTrip();
        Assert.True(ModuleBytes(chain.Module).SequenceEqual(ModuleBytes(restored.Module<ExchangeModule>()!)), $"snapshot differs {tag}");

        // The restored state still guards its pools and LP coins.
        var pool1 = restored.Module<ExchangeModule>()!.GetPool(1)!;
        Assert.Equal(CoinGuard.SupplyManaged, restored.GetCoinGuard(pool1.LpCoin));
        var blocked = new CommandResult[1];
        restored.ApplyBlock(restored.Height + 1, restored.NextTimestamp, [Command.Of(new Transfer
        {
            Id = UInt128.MaxValue - 1, DebitAccount = Payer, CreditAccount = ExchangeModule.AccountOf(1), Amount = 1, Coin = Usd, Code = 1,
        })], blocked);
        Assert.Equal(ResultCode.ModuleOwnedAccount, blocked[0].Code);
    }

    /// <summary>A provider's signed deposit and withdrawal (signature checked at admission): from and to the signer, its
    /// nonce used once in the LP coin's nonce space and only on success; deadline, frozen provider and paused pool refuse.</summary>
    [Fact]
    public void HolderLiquidity_SignedAddAndRemove_OncePerNonceRefusalsChangeNothing()
    {
        var chain = UsdHkd();
        Fund(chain, Payer, 1_000 * E6, 0, 0);
        var lp = chain.Module.GetPool(1)!.LpCoin;
        var deadline = chain.Seconds + 3600;
        var n1 = Hash32.Sha256([1]);
        var add = new HolderAddLiquidity(1, Payer, [500 * E6, 0], 0, n1, deadline);

        Assert.Equal(ResultCode.AuthorizationExpired, chain.One(add with { Deadline = chain.Seconds - 1 }));
        Assert.Equal([ResultCode.Ok], chain.Apply(0, Command.Of(new SetAccountFrozen(Usd, Payer, true))));
        Assert.Equal(ResultCode.AccountFrozen, chain.One(add));
        Assert.Equal([ResultCode.Ok], chain.Apply(0, Command.Of(new SetAccountFrozen(Usd, Payer, false))));
        Assert.Equal(ResultCode.PoolNotFound, chain.One(add with { Pool = 9 }));
        Assert.Equal(AuthorizationState.Unused, chain.State.GetAuthorizationState(lp, Payer, n1));
        Assert.Equal((Int128)(1_000 * E6), chain.Balance(Usd, Payer));

        Assert.Equal(ResultCode.Ok, chain.One(add));
        var shares = chain.Balance(lp, Payer);
        Assert.True(shares > 0);
        Assert.Equal((Int128)(500 * E6), chain.Balance(Usd, Payer));
        Assert.Equal(ResultCode.AuthorizationUsed, chain.One(add));
        AssertBooksMatchLedger(chain);

        var remove = new HolderRemoveLiquidity(1, Payer, (UInt128)shares, [], -1, Hash32.Sha256([2]), deadline);
        Assert.Equal(ResultCode.Ok, chain.One(new ConfigurePool(1, chain.Module.GetPool(1)!.Risk, true, 0, 0, 0, 0, "admin")));
        Assert.Equal(ResultCode.PoolPaused, chain.One(new HolderAddLiquidity(1, Payer, [1 * E6, 0], 0, Hash32.Sha256([3]), deadline)));
        Assert.Equal(ResultCode.Ok, chain.One(remove)); // proportional: open while paused, so a provider can always leave
        Assert.Equal(Int128.Zero, chain.Balance(lp, Payer));
        Assert.True(chain.Balance(Hkd, Payer) > 0);
        Assert.Equal(ResultCode.AuthorizationUsed, chain.One(remove));
        AssertBooksMatchLedger(chain);

        Assert.Equal(chain.State.ComputeStateHash(), chain.Replay().ComputeStateHash());
        Assert.Equal(chain.State.ComputeStateHash(), chain.SnapshotRoundTrip().ComputeStateHash());
    }
}
