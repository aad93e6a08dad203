using System.Diagnostics;
using System.Globalization;
using Centime.Client;
using Centime.Ledger;
using Centime.Node;
using Microsoft.Extensions.Logging;

namespace Centime.Bench;

public static partial class ExchangeBench
{
    /// <summary>
    /// Cross-border payments on a real node (journal, fsync per block) over loopback HTTP: each client, as its own payer,
    /// asks for a quote (USD → HKD), signs the acceptance (EIP-712, secp256k1) and pays a supplier — two requests, one
    /// journaled swap + payment. Clients share the machine's cores with the node.
    /// </summary>
    private static async Task<IReadOnlyList<(string, string, string)>> CrossBorderAsync(string dir, ExchangeBenchOptions options, CancellationToken ct)
    {
        const string key = "ck_bench_operator_key_000000000";
        var inv = CultureInfo.InvariantCulture;
        await using var node = CentimeNode.Create(new NodeOptions { DataDirectory = dir, Urls = "http://127.0.0.1:0", OperatorKey = key, SnapshotEveryCommands = 0, SnapshotEveryBlocks = 0, Sandbox = true },
            l => l.SetMinimumLevel(LogLevel.Warning));
        await node.StartAsync(ct);
        using var admin = new CentimeClient(new Uri(node.Urls[0] + "/"), key);
        var usd = await admin.CreateCoinAsync(new CreateCoinRequest("NUSD", "USD"), ct);
        var hkd = await admin.CreateCoinAsync(new CreateCoinRequest("JHKD", "HKD"), ct);
        var oracle = Signer("bench oracle");
        await admin.ConfigureFeedAsync("USDHKD", new FeedConfigRequest(86_400, "7.75", "7.85", [oracle.Address.ToString()]), ct);
        await admin.SubmitRateAsync("USDHKD", oracle.SignRate("USDHKD", "7.8", (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 8402), ct);
        await admin.CreatePoolAsync(new CreatePoolRequest(1, "LPUSDHKD", [new PoolCoinRequest("NUSD"), new PoolCoinRequest("JHKD", "USDHKD", true)], 200, FeeBps: "4",
            Risk: new PoolRiskRequest(MaxPriceImpactBps: "0", DepegBandBps: "0")), ct);

        var clients = Math.Max(1, options.Clients);
        var maker = Signer("bench maker").Address.ToString();
        var payers = Enumerable.Range(0, clients).Select(i => Signer("bench payer " + i)).ToArray();
        var supplier = Signer("bench supplier").Address.ToString();
        var funding = new List<TransferRequest>
        {
            new() { Id = "1", Coin = "NUSD", Debit = usd.SupplyAccount, Credit = maker, Amount = "1000000000000000" },
            new() { Id = "2", Coin = "JHKD", Debit = hkd.SupplyAccount, Credit = maker, Amount = "8000000000000000" },
        };
        funding.AddRange(payers.Select((p, i) => new TransferRequest { Id = (i + 3).ToString(inv), Coin = "NUSD", Debit = usd.SupplyAccount, Credit = p.Address.ToString(), Amount = "1000000000000" }));
        await admin.SubmitTransfersAsync(funding, ct);
        await admin.AddLiquidityAsync(1, new AddLiquidityRequest(maker, ["100000000000000", "780000000000000"]), ct);

        var seconds = Math.Max(1, options.Seconds);
        var warm = TimeSpan.FromSeconds(1);
        var clock = Stopwatch.StartNew();
        var latencies = new List<double>[clients];
        var tasks = new Task[clients];
        for (var c = 0; c < clients; c++)
        {
            var index = c;
            latencies[index] = [];
            tasks[index] = Task.Run(async () =>
            {
                using var client = new CentimeClient(new Uri(node.Urls[0] + "/"));
                while (clock.Elapsed < warm + TimeSpan.FromSeconds(seconds))
                {
                    var started = clock.Elapsed;
                    var (quote, swap) = await client.PayCrossBorderAsync(payers[index], supplier, "NUSD", "JHKD", 100_000_000, ct: ct); // 100 USD
                    // Other payers move the pool between quote and payment: the payee gets at least the accepted minimum.
                    if (UInt128.Parse(swap.AmountOut, inv) < UInt128.Parse(quote.MinOut, inv))
                    {
                        throw new InvalidOperationException($"paid {swap.AmountOut}, below the accepted minimum {quote.MinOut}");
                    }

                    if (started >= warm)
                    {
                        latencies[index].Add((clock.Elapsed - started).TotalMilliseconds);
                    }
                }
            }, ct);
        }

        await Task.WhenAll(tasks);
        var all = latencies.SelectMany(static l => l).Order().ToArray();
        var rate = all.Length / (clock.Elapsed - warm).TotalSeconds;
        var pool = await admin.GetPoolAsync(1, ct);
        return
        [
            ("cross-border payments, HTTP", $"{rate:N0} payments/s", $"{clients} clients over loopback; quote + signed acceptance + swap & pay, durable (fsync per block); {all.Length:N0} paid"),
            ("cross-border payment latency", $"p50 {Percentile(all, 0.50):N1} ms, p99 {Percentile(all, 0.99):N1} ms",
                $"quote request + signing + payment request, under that load; pool after: {pool.Coins[0].Balance} USD / {pool.Coins[1].Balance} HKD raw"),
        ];

        static HolderSigner Signer(string seed) => new(Keccak256.Hash(System.Text.Encoding.UTF8.GetBytes(seed)));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
