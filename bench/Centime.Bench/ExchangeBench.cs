using System.Diagnostics;
using Centime.Exchange;
using Centime.Ledger;
using Spectre.Console;

namespace Centime.Bench;

/// <summary>Options of `centime bench exchange`.</summary>
public sealed class ExchangeBenchOptions
{
    public int Seconds { get; init; } = 5;
    public int Clients { get; init; } = 16;
}

/// <summary>
/// `centime bench exchange`: swaps per second in the state machine (one hop and two hops, exact StableSwap-NG math,
/// every risk control on, ledger legs included; no journal or HTTP), route quotes per second, and cross-border
/// payments end to end over loopback HTTP (quote → EIP-712 acceptance signed by the payer → swap + payment, fsync per
/// block) on a real node.
/// </summary>
public static partial class ExchangeBench
{
    private const ulong Second = 1_000_000_000UL;
    private const int BlockSize = 1_000;
    private static readonly UInt128 E6 = 1_000_000;

    public static async Task<int> RunAsync(ExchangeBenchOptions options, CancellationToken ct)
    {
        var seconds = Math.Max(1, options.Seconds);
        AnsiConsole.MarkupLine($"[bold]centime bench exchange[/]: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per phase");
        var rows = new List<(string What, string Figure, string Conditions)>
        {
            SwapsInStateMachine(hops: 1, seconds),
            SwapsInStateMachine(hops: 2, seconds),
            Quotes(seconds),
        };
        var dir = Path.Combine(Path.GetTempPath(), "centime-bench-exchange-" + Guid.NewGuid().ToString("N"));
        try
        {
            rows.AddRange(await CrossBorderAsync(dir, options, ct));
        }
        finally
        {
            BenchOutput.DeleteScratch(dir);
        }

        BenchOutput.PrintTable(rows);
        return 0;
    }

    /// <summary>A ledger with USD, HKD and EUR coins, a USDHKD feed at 7.80, pools USD/HKD (1) and USD/EUR (2), and funded traders.</summary>
    internal static (LedgerState State, ExchangeModule Module, ulong Now, Address[] Traders) Market(int traders)
    {
        var module = new ExchangeModule();
        var state = new LedgerState([module]);
        var now = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1_000_000UL;
        var oracle = Address.Derive("bench:oracle");
        var maker = Address.Derive("bench:maker");
        var people = Enumerable.Range(0, traders).Select(i => Address.Derive("bench:trader/" + i)).ToArray();
        var height = 0UL;
        Apply(state, ++height, now,
        [
            Command.Of(new CreateCoin("NUSD", 6, "USD", "Net Dollar", "1")),
            Command.Of(new CreateCoin("JHKD", 6, "HKD", "JD HKD", "1")),
            Command.Of(new CreateCoin("XEUR", 6, "EUR", "Euro coin", "1")),
            Command.Of(new ConfigureFeed(new FeedConfig("USDHKD", 7 * 86_400, 7_750_000_000_000_000_000, 7_850_000_000_000_000_000, [oracle]), "bench")),
        ]);
        now += Second;
        Apply(state, ++height, now, [Command.Of(new SubmitRate("USDHKD", 7_800_000_000_000_000_000, now / Second, oracle))]);
        var risk = PoolRisk.Default(2) with { MaxPriceImpact = 0, DepegBand = 0 };
        var id = 1UL;
        var funding = new List<Command>();
        foreach (var who in people.Append(maker))
        {
            foreach (var coin in new uint[] { 1, 2, 3 })
            {
                funding.Add(Command.Of(new Transfer { Id = id++, DebitAccount = state.GetCoin(coin)!.SupplyAccount, CreditAccount = who, Amount = 1_000_000_000 * E6, Coin = coin, Code = 1 }));
            }
        }

        Apply(state, ++height, now + 1,
        [
            Command.Of(new CreatePool(1, "LPUSDHKD", [new PoolCoin(1, "", false), new PoolCoin(2, "USDHKD", true)], 200, 4_000_000, 20_000_000_000, risk, "bench")),
            Command.Of(new CreatePool(2, "LPUSDEUR", [new PoolCoin(1, "", false), new PoolCoin(3, "", false)], 200, 1_000_000, 20_000_000_000, risk, "bench")),
            .. funding,
        ]);
        Apply(state, ++height, now + 2,
        [
            Command.Of(new AddLiquidity(1, maker, [100_000_000 * E6, 780_000_000 * E6], 0, "bench")),
            Command.Of(new AddLiquidity(2, maker, [100_000_000 * E6, 100_000_000 * E6], 0, "bench")),
        ]);
        return (state, module, now + 3, people);
    }

    private static (string, string, string) SwapsInStateMachine(int hops, int seconds)
    {
        var (state, _, now, traders) = Market(1_000);
        SwapHop[][] routes = hops == 1
            ? [[new SwapHop(1, 0, 1)], [new SwapHop(1, 1, 0)]]
            : [[new SwapHop(2, 1, 0), new SwapHop(1, 0, 1)], [new SwapHop(1, 1, 0), new SwapHop(2, 0, 1)]];
        UInt128[] amounts = hops == 1 ? [1_000 * E6, 7_800 * E6] : [1_000 * E6, 7_800 * E6];
        var id = 1UL;
        var swaps = 0L;
        var clock = Stopwatch.StartNew();
        var warmUntil = TimeSpan.FromSeconds(1);
        var measured = Stopwatch.StartNew();
        while (clock.Elapsed < warmUntil + TimeSpan.FromSeconds(seconds))
        {
            if (swaps == 0 && clock.Elapsed >= warmUntil)
            {
                measured.Restart();
            }

            var block = new Command[BlockSize];
            for (var i = 0; i < block.Length; i++)
            {
                var direction = (int)(id & 1);
                block[i] = Command.Of(new Swap(id, routes[direction], traders[(int)(id % (ulong)traders.Length)], traders[(int)((id + 1) % (ulong)traders.Length)],
                    amounts[direction], 1, 0, "bench"));
                id++;
            }

            now += Second / 1000;
            Apply(state, state.Height + 1, now, block);
            if (clock.Elapsed >= warmUntil)
            {
                swaps += block.Length;
            }
        }

        var rate = swaps / measured.Elapsed.TotalSeconds;
        return ($"swaps, state machine, {hops} hop{(hops == 1 ? "" : "s")}", $"{rate:N0} swaps/s",
            $"blocks of {BlockSize:N0}; exact NG math (BigInteger), risk checks, {hops + 1} ledger transfers each; no journal/HTTP; 1 core");
    }

    private static (string, string, string) Quotes(int seconds)
    {
        var (state, module, now, _) = Market(10);
        var count = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            for (var i = 0; i < 100; i++)
            {
                var routes = module.Routes(3, 2, (UInt128)(1_000 + i) * E6, now);
                if (routes.Count == 0 || routes[0].Plan is null)
                {
                    throw new InvalidOperationException("bench quote found no route");
                }
            }

            count += 100;
        }

        _ = state;
        return ("route quotes (EUR → HKD)", $"{count / clock.Elapsed.TotalSeconds:N0} quotes/s", "every route of ≤ 2 pools planned exactly (here: 1 route of 2 hops); 1 core");
    }

    private static void Apply(LedgerState state, ulong height, ulong now, Command[] commands)
    {
        var results = new CommandResult[commands.Length];
        state.ApplyBlock(height, Math.Max(now, state.NextTimestamp), commands, results);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Code != ResultCode.Ok)
            {
                throw new InvalidOperationException($"bench command {i} ({commands[i].Kind}) failed: {results[i].Code}");
            }
        }
    }
}
