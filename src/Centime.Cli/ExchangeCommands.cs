using System.CommandLine;
using System.Globalization;
using Centime.Client;
using Spectre.Console;

namespace Centime.Cli;

/// <summary>
/// `centime pool create|add|remove|show|list`, `centime fx feed|rate|show`, `centime quote`, `centime swap` (docs/cli.md,
/// docs/exchange.md). Pools and feeds need the operator key; a rate is signed with the feed signer's keystore wallet and a
/// swap with the payer's. Amounts are whole coins (converted exactly with each coin's decimals); LP shares have 18.
/// </summary>
internal static class ExchangeCommands
{
    private const int LpDecimals = 18;

    public static IEnumerable<Command> Create() => [Pool(), Fx(), Quote(), Swap()];

    private static Command Pool()
    {
        var pool = new Command("pool", "StableSwap pools: create, add and remove liquidity, show.");

        var lp = new Option<string>("--lp") { Description = "Symbol of the pool's LP share coin (created with the pool)", Required = true };
        var coins = new Option<string[]>("--coin")
        {
            Description = "A pool coin, in order (coin 0 is the reference currency): SYMBOL, or SYMBOL:FEED, or SYMBOL:FEED:invert",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var a = new Option<ulong>("--a") { Description = "Amplification A", DefaultValueFactory = _ => 200 };
        var feeBps = new Option<string>("--fee-bps") { Description = "Swap fee in basis points, e.g. 4", DefaultValueFactory = _ => "4" };
        var offpeg = new Option<string?>("--offpeg") { Description = "Off-peg fee multiplier (1 = off, 2 = up to 2× the fee when imbalanced)" };
        var id = new Option<uint?>("--id") { Description = "Pool id (default: the next free one)" };
        var maxImpact = new Option<string?>("--max-impact-bps") { Description = "Largest price impact of one trade (default 100; 0 = off)" };
        var depeg = new Option<string?>("--depeg-band-bps") { Description = "Pause the pool when a spot price leaves 1 ± this (default 200; 0 = off)" };
        var minTrade = new Option<string?>("--min-trade") { Description = "Smallest trade, in whole units of coin 0 (default 0.01)" };
        var caps = new Option<string[]>("--cap") { Description = "Most the pool may hold of each coin, whole units, one per coin in order (0 = no cap)" };
        var create = new Command("create", "Create an empty pool (operator key).") { lp, coins, a, feeBps, offpeg, id, maxImpact, depeg, minTrade, caps };
        create.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var specs = parse.GetValue(coins)!.Select(ParseCoin).ToList();
            var first = await client.GetCoinAsync(specs[0].Coin!, ct);
            var capTexts = parse.GetValue(caps) ?? [];
            List<string>? capUnits = null;
            if (capTexts.Length > 0)
            {
                if (capTexts.Length != specs.Count)
                {
                    throw new UsageException($"give one --cap per coin ({specs.Count})");
                }

                capUnits = [];
                for (var i = 0; i < specs.Count; i++)
                {
                    capUnits.Add(Units(capTexts[i], (await client.GetCoinAsync(specs[i].Coin!, ct)).Decimals));
                }
            }

            var risk = new PoolRiskRequest(capUnits, parse.GetValue(maxImpact), parse.GetValue(depeg),
                parse.GetValue(minTrade) is { } m ? Units(m, first.Decimals) : null);
            var view = await client.CreatePoolAsync(new CreatePoolRequest(parse.GetValue(id), parse.GetValue(lp), specs, parse.GetValue(a), parse.GetValue(feeBps), null,
                parse.GetValue(offpeg), risk), ct);
            PrintPool(parse, view);
            return CliContext.ExitOk;
        }));
        pool.Add(create);

        var poolId = new Argument<uint>("id") { Description = "Pool id" };
        var provider = new Option<string?>("--provider") { Description = "The liquidity provider's address (operator key)" };
        var lpWallet = new Option<string?>("--wallet") { Description = "Your own liquidity: the provider's wallet signs (EIP-712; no operator key)" };
        var amounts = new Option<string[]>("--amount") { Description = "Whole coins to deposit, one per pool coin in order (0 for none)", Required = true };
        var minMint = new Option<string?>("--min-mint") { Description = "Least LP shares to mint (whole shares, 18 decimals)" };
        var add = new Command("add", "Deposit coins and mint LP shares: your own with --wallet, or a provider's with --provider (operator key).")
        {
            poolId, provider, lpWallet, amounts, minMint, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        add.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var current = await client.GetPoolAsync(parse.GetValue(poolId), ct);
            var texts = parse.GetValue(amounts)!;
            if (texts.Length != current.Coins.Count)
            {
                throw new UsageException($"give one --amount per pool coin ({string.Join(", ", current.Coins.Select(c => c.Coin))})");
            }

            var units = texts.Select((t, i) => Units(t, current.Coins[i].Decimals)).ToList();
            var least = parse.GetValue(minMint) is { } mm ? Units(mm, LpDecimals) : null;
            AddLiquidityRequest request;
            if (parse.GetValue(lpWallet) is { } walletName)
            {
                var (signer, chainId) = await ProviderAsync(parse, client, current, walletName, ct);
                request = signer.SignAddLiquidity(chainId, current.Id, [.. units.Select(Raw)], least is null ? UInt128.Zero : Raw(least), InAnHour);
            }
            else
            {
                request = new AddLiquidityRequest(parse.GetValue(provider) ?? throw new UsageException("give --wallet (your own liquidity) or --provider (operator key)"), units, least);
            }

            var result = await client.AddLiquidityAsync(current.Id, request, ct);
            PrintLiquidity(parse, result, "minted", result.Minted);
            return CliContext.ExitOk;
        }));
        pool.Add(add);

        var shares = new Option<string>("--shares") { Description = "LP shares to burn (whole shares, 18 decimals)", Required = true };
        var oneCoin = new Option<string?>("--coin") { Description = "Take everything in this coin (default: every coin, proportionally)" };
        var mins = new Option<string[]>("--min") { Description = "Least to receive: one per coin in order (proportional), or one (with --coin); whole units" };
        var remove = new Command("remove", "Burn LP shares for the pool's coins: your own with --wallet, or a provider's with --provider (operator key).")
        {
            poolId, provider, lpWallet, shares, oneCoin, mins, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        remove.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var current = await client.GetPoolAsync(parse.GetValue(poolId), ct);
            var coin = parse.GetValue(oneCoin);
            var minTexts = parse.GetValue(mins) ?? [];
            var minUnits = coin is null
                ? minTexts.Select((t, i) => Units(t, i < current.Coins.Count ? current.Coins[i].Decimals : 0)).ToList()
                : minTexts.Select(t => Units(t, current.Coins.FirstOrDefault(c => c.Coin == coin)?.Decimals ?? 0)).ToList();
            var burn = Units(parse.GetValue(shares)!, LpDecimals);
            RemoveLiquidityRequest request;
            if (parse.GetValue(lpWallet) is { } walletName)
            {
                var (signer, chainId) = await ProviderAsync(parse, client, current, walletName, ct);
                var index = coin is null ? -1 : current.Coins.ToList().FindIndex(c => c.Coin == coin);
                request = signer.SignRemoveLiquidity(chainId, current.Id, Raw(burn), [.. minUnits.Select(Raw)], coin, index, InAnHour);
            }
            else
            {
                request = new RemoveLiquidityRequest(parse.GetValue(provider) ?? throw new UsageException("give --wallet (your own liquidity) or --provider (operator key)"), burn,
                    minUnits.Count == 0 ? null : minUnits, coin);
            }

            var result = await client.RemoveLiquidityAsync(current.Id, request, ct);
            PrintLiquidity(parse, result, "burned", result.Burned);
            return CliContext.ExitOk;
        }));
        pool.Add(remove);

        var show = new Command("show", "A pool: balances, LP supply, A, fee, prices, status, risk controls.") { poolId };
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            PrintPool(parse, await client.GetPoolAsync(parse.GetValue(poolId), ct));
            return CliContext.ExitOk;
        }));
        pool.Add(show);

        var list = CliContext.ListCommand("list", "Pools, by id.");
        list.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var pools = await client.ListPoolsAsync(parse.GetValue(CliContext.Limit), parse.GetValue(CliContext.Cursor), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(pools);
                return CliContext.ExitOk;
            }

            var table = new Table().AddColumns("Id", "LP", "Coins", "Balances", "A", "Fee (bp)", "Virtual price", "Status");
            foreach (var p in pools.Items)
            {
                table.AddRow(p.Id.ToString(CultureInfo.InvariantCulture), p.LpSymbol, string.Join(" / ", p.Coins.Select(c => c.Coin)),
                    string.Join(" / ", p.Coins.Select(c => CoinUnits.Format(c.Balance, c.Decimals))), p.A, p.FeeBps, p.VirtualPrice ?? "-", Status(p));
            }

            AnsiConsole.Write(table);
            CliContext.PrintNext(pools);
            return CliContext.ExitOk;
        }));
        pool.Add(list);
        return pool;
    }

    private static Command Fx()
    {
        var fx = new Command("fx", "FX feeds: configure, submit signed rates, show.");

        var name = new Argument<string>("name") { Description = "Feed name, e.g. USDHKD (HKD per USD)" };
        var heartbeat = new Option<ulong>("--heartbeat") { Description = "Seconds a rate stays usable", Required = true };
        var bandMin = new Option<string?>("--band-min") { Description = "Lowest sane rate, e.g. 7.75 (outside: the feed's pools halt)" };
        var bandMax = new Option<string?>("--band-max") { Description = "Highest sane rate, e.g. 7.85" };
        var signers = new Option<string[]>("--signer") { Description = "Address allowed to sign rates (repeat for several)", Required = true };
        var feed = new Command("feed", "Create or replace a feed (operator key).") { name, heartbeat, bandMin, bandMax, signers };
        feed.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var view = await client.ConfigureFeedAsync(parse.GetValue(name)!, new FeedConfigRequest(parse.GetValue(heartbeat), parse.GetValue(bandMin), parse.GetValue(bandMax),
                parse.GetValue(signers)), ct);
            PrintFeeds(parse, [view]);
            return CliContext.ExitOk;
        }));
        fx.Add(feed);

        var rate = new Argument<string>("rate") { Description = "The rate, e.g. 7.80" };
        var wallet = new Option<string>("--wallet") { Description = "The feed signer's wallet (name or address in the keystore)", Required = true };
        var observedAt = new Option<ulong?>("--observed-at") { Description = "When the rate was observed (Unix seconds; default now)" };
        var chain = new Option<ulong>("--chain-id") { Description = "The node's network id (EIP-712 domain)", DefaultValueFactory = _ => 8402 };
        var submit = new Command("rate", "Sign a rate with a feed signer's wallet (EIP-712 FxRate) and submit it.")
        {
            name, rate, wallet, observedAt, chain, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        submit.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var signer = PayCommand.LoadSigner(parse, parse.GetValue(wallet)!);
            RateRequest request;
            try
            {
                request = signer.SignRate(parse.GetValue(name)!, parse.GetValue(rate)!, parse.GetValue(observedAt) ?? (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), parse.GetValue(chain));
            }
            catch (ArgumentException ex)
            {
                throw new UsageException(ex.Message);
            }

            using var client = CliContext.Client(parse);
            PrintFeeds(parse, [await client.SubmitRateAsync(parse.GetValue(name)!, request, ct)]);
            return CliContext.ExitOk;
        }));
        fx.Add(submit);

        var which = new Argument<string?>("name") { Description = "Feed name (default: every feed)", Arity = ArgumentArity.ZeroOrOne };
        var show = new Command("show", "Feeds: latest rate, its age and status.") { which };
        show.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            PrintFeeds(parse, parse.GetValue(which) is { } one ? [await client.GetFeedAsync(one, ct)] : await CliContext.AllAsync((cursor, c) => client.ListFeedsAsync(null, cursor, c), ct));
            return CliContext.ExitOk;
        }));
        fx.Add(show);
        return fx;
    }

    private static readonly Option<string> From = new("--from") { Description = "Coin paid in, e.g. NUSD", Required = true };
    private static readonly Option<string> To = new("--to") { Description = "Coin received, e.g. JHKD", Required = true };
    private static readonly Option<string> Amount = new("--amount") { Description = "Amount of --from, in whole coins (exact)", Required = true };

    private static Command Quote()
    {
        var payer = new Option<string?>("--payer") { Description = "Who pays (adds the EIP-712 acceptance to sign)" };
        var recipient = new Option<string?>("--recipient") { Description = "Who receives (default: the payer)" };
        var quote = new Command("quote", "Best route, output, fees, price impact, rate and expiry for a swap.") { From, To, Amount, payer, recipient, PayCommand.Slippage };
        quote.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            using var client = CliContext.Client(parse);
            var units = await UnitsOfAsync(client, parse.GetValue(From)!, parse.GetValue(Amount)!, ct);
            var view = await client.QuoteAsync(new QuoteRequest(parse.GetValue(From), parse.GetValue(To), units, parse.GetValue(payer), parse.GetValue(recipient),
                parse.GetValue(PayCommand.Slippage)), ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(view);
            }
            else
            {
                await PrintQuoteAsync(client, view, ct);
            }

            return CliContext.ExitOk;
        }));
        return quote;
    }

    private static Command Swap()
    {
        var wallet = new Option<string?>("--wallet") { Description = "Swap from this keystore wallet (signs the acceptance; no operator key)" };
        var payer = new Option<string?>("--payer") { Description = "Or: swap for this address with the operator key" };
        var swap = new Command("swap", "Quote and swap at once: signed by a wallet, or for an address with the operator key.")
        {
            From, To, Amount, wallet, payer, PayCommand.Slippage, WalletCommands.KeystoreDir, WalletCommands.PasswordFile,
        };
        swap.SetAction((parse, ct) => CliContext.RunAsync(parse, async () =>
        {
            var walletName = parse.GetValue(wallet);
            var payerText = parse.GetValue(payer);
            if ((walletName is null) == (payerText is null))
            {
                throw new UsageException("give --wallet (signed by the payer) or --payer (operator key)");
            }

            var signer = walletName is null ? null : PayCommand.LoadSigner(parse, walletName);
            var who = signer?.Address.ToString() ?? payerText!;
            using var client = CliContext.Client(parse);
            var units = await UnitsOfAsync(client, parse.GetValue(From)!, parse.GetValue(Amount)!, ct);
            var quote = await client.QuoteAsync(new QuoteRequest(parse.GetValue(From), parse.GetValue(To), units, who, who, parse.GetValue(PayCommand.Slippage)), ct);
            if (!CliContext.WantsJson(parse))
            {
                await PrintQuoteAsync(client, quote, ct);
            }

            var request = signer is not null
                ? signer.SignAcceptance(quote)
                : new PaymentRequest(quote.Id, who, who, quote.From, quote.To, quote.AmountIn, quote.MinOut, quote.Route, quote.Expiry, null);
            var done = await client.SwapAsync(request, ct);
            if (CliContext.WantsJson(parse))
            {
                CliContext.PrintJson(new { quote, swap = done });
            }
            else
            {
                await PrintSwapAsync(client, done, ct);
            }

            return CliContext.ExitOk;
        }));
        return swap;
    }

    internal static async Task PrintQuoteAsync(CentimeClient client, QuoteView q, CancellationToken ct)
    {
        var decimals = await DecimalsAsync(client, ct);
        string Show(string amount, string coin) => CoinUnits.Format(amount, decimals.GetValueOrDefault(coin)) + " " + coin;
        var table = new Table().AddColumns("Quote", Markup.Escape(q.Id));
        table.AddRow("Pay", Show(q.AmountIn, q.From));
        table.AddRow("Receive", "[bold]" + Markup.Escape(Show(q.AmountOut, q.To)) + "[/]");
        table.AddRow("At least", Markup.Escape(Show(q.MinOut, q.To)) + $" (slippage {q.SlippageBps} bp)");
        table.AddRow("Rate", $"{q.EffectiveRate} {Markup.Escape(q.To)} per {Markup.Escape(q.From)}");
        foreach (var h in q.Hops)
        {
            table.AddRow($"Pool {h.Pool}", Markup.Escape($"{h.From} → {h.To}: fee {Show(h.Fee, h.To)} ({h.FeeBps} bp), price impact {h.PriceImpactBps} bp"));
        }

        table.AddRow("Total cost", $"{q.TotalCostBps} bp (fee + price impact)");
        foreach (var r in q.OracleRates)
        {
            table.AddRow("Oracle " + Markup.Escape(r.Feed), $"{r.Rate} (observed {DateTimeOffset.FromUnixTimeSeconds((long)r.ObservedAt):u})");
        }

        table.AddRow("Route", Markup.Escape(q.Route));
        table.AddRow("Expires", $"{DateTimeOffset.FromUnixTimeSeconds((long)q.Expiry):u}");
        AnsiConsole.Write(table);
    }

    internal static async Task PrintSwapAsync(CentimeClient client, SwapView s, CancellationToken ct)
    {
        var decimals = await DecimalsAsync(client, ct);
        AnsiConsole.MarkupLine($"[green]paid[/] {Markup.Escape(CoinUnits.Format(s.AmountIn, decimals.GetValueOrDefault(s.From)))} {Markup.Escape(s.From)} from {s.Payer}; " +
                               $"[bold]{Markup.Escape(CoinUnits.Format(s.AmountOut, decimals.GetValueOrDefault(s.To)))} {Markup.Escape(s.To)}[/] to {s.Recipient} " +
                               $"(swap {Markup.Escape(s.Id)}, rate {s.EffectiveRate}, block {s.Height}, transfers {string.Join(", ", s.Transfers)})");
    }

    private static void PrintPool(ParseResult parse, PoolView p)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(p);
            return;
        }

        AnsiConsole.MarkupLine($"pool [bold]{p.Id}[/] ({Markup.Escape(p.LpSymbol)}) [bold]{Markup.Escape(Status(p))}[/]: A {p.A}, fee {p.FeeBps} bp, off-peg ×{p.OffpegMultiplier}, " +
                               $"LP supply {CoinUnits.Format(p.LpSupply, LpDecimals)}, virtual price {p.VirtualPrice ?? "-"}, account {p.Account}");
        var table = new Table().AddColumns("Coin", "Balance", "Admin fees", "Rate", "Feed", "Spot price", "Cap");
        for (var i = 0; i < p.Coins.Count; i++)
        {
            var c = p.Coins[i];
            var spot = i == 0 ? "1" : p.SpotPrices is { } s ? s[i - 1] : "-";
            table.AddRow(Markup.Escape(c.Coin), CoinUnits.Format(c.Balance, c.Decimals), CoinUnits.Format(c.AdminBalance, c.Decimals), c.Rate,
                Markup.Escape(c.Feed is null ? "-" : c.Feed + (c.Invert ? " (inverted)" : "")), spot, c.Cap == "0" ? "-" : CoinUnits.Format(c.Cap, c.Decimals));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"risk: max price impact {p.Risk.MaxPriceImpactBps} bp, depeg band {p.Risk.DepegBandBps} bp, " +
                               $"min trade {CoinUnits.Format(p.Risk.MinTrade, p.Coins[0].Decimals)} {Markup.Escape(p.Coins[0].Coin)}; swaps {p.SwapCount}");
    }

    private static void PrintLiquidity(ParseResult parse, LiquidityView r, string verb, string? shares)
    {
        if (CliContext.WantsJson(parse))
        {
            CliContext.PrintJson(r);
            return;
        }

        var moved = string.Join(", ", r.Amounts.Select((x, i) => CoinUnits.Format(x, r.Pool.Coins[i].Decimals) + " " + r.Pool.Coins[i].Coin));
        AnsiConsole.MarkupLine($"[green]{verb}[/] {CoinUnits.Format(shares ?? "0", LpDecimals)} {Markup.Escape(r.Pool.LpSymbol)} for {r.Provider} ({Markup.Escape(moved)}); " +
                               $"now holds {CoinUnits.Format(r.Shares, LpDecimals)}, block {r.Height}");
        PrintPool(parse, r.Pool);
    }

    private static void PrintFeeds(ParseResult parse, List<FeedView> feeds)
    {
        if (CliContext.WantsJson(parse))
        {
            if (feeds.Count == 1)
            {
                CliContext.PrintJson(feeds[0]);
            }
            else
            {
                CliContext.PrintJson(feeds);
            }

            return;
        }

        var table = new Table().AddColumns("Feed", "Rate", "Age (s)", "Status", "Band", "Heartbeat (s)", "Signers");
        foreach (var f in feeds)
        {
            table.AddRow(f.Name, f.Rate ?? "-", f.AgeSeconds?.ToString(CultureInfo.InvariantCulture) ?? "-", f.Status == "ok" ? "[green]ok[/]" : $"[red]{f.Status}[/]",
                $"{f.BandMin ?? "-"} … {f.BandMax ?? "-"}", f.HeartbeatSeconds.ToString(CultureInfo.InvariantCulture), string.Join(" ", f.Signers));
        }

        AnsiConsole.Write(table);
    }

    private static string Status(PoolView p) => p.PausedBy is { } by ? $"{p.Status} ({by})" : p.Status;

    private static PoolCoinRequest ParseCoin(string spec)
    {
        var parts = spec.Split(':');
        return parts.Length switch
        {
            1 => new PoolCoinRequest(parts[0]),
            2 => new PoolCoinRequest(parts[0], parts[1]),
            3 when parts[2] == "invert" => new PoolCoinRequest(parts[0], parts[1], true),
            _ => throw new UsageException($"--coin '{spec}': SYMBOL, SYMBOL:FEED or SYMBOL:FEED:invert"),
        };
    }

    private static async Task<string> UnitsOfAsync(CentimeClient client, string coin, string amount, CancellationToken ct) =>
        Units(amount, (await client.GetCoinAsync(coin, ct)).Decimals);

    /// <summary>The provider's signer from its wallet, and the node's network id (from a pool coin's published domain).</summary>
    private static async Task<(HolderSigner Signer, ulong ChainId)> ProviderAsync(ParseResult parse, CentimeClient client, PoolView pool, string wallet, CancellationToken ct)
    {
        var key = WalletCommands.LoadPrivateKey(parse, wallet);
        var signer = new HolderSigner(key);
        Array.Clear(key);
        return (signer, (await client.GetCoinAsync(pool.Coins[0].Coin, ct)).Domain.ChainId);
    }

    private static ulong InAnHour => (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;

    private static UInt128 Raw(string units) => UInt128.Parse(units, CultureInfo.InvariantCulture);

    private static string Units(string amount, int decimals) =>
        CoinUnits.TryParse(amount, decimals, out var units, out var error) ? units.ToString(CultureInfo.InvariantCulture) : throw new UsageException(error!);

    private static Task<Dictionary<string, int>> DecimalsAsync(CentimeClient client, CancellationToken ct) => CliContext.DecimalsAsync(client, ct);
}
